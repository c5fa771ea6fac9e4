/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "connectors/itsm.h"
#include "core/plan.h"
#include "core/policy.h"
#include "drive.h"
#include "explain.h"
#include "gather.h"
#include "links.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/civil.h"
#include "util/json.h"
#include "util/log.h"

/* A decision the ITSM shows that the journal has not seen yet. */
struct seen {
	char *request_id;
	char *who;
	int approved;
	int by_approver; /* the ITSM says the approver made it */
};

struct explain {
	struct agent *a;
	FILE *out;
	int64_t now;
	const char *source;
	struct seen *seen; /* from the approvals changed since the last cycle */
	size_t n_seen;
	struct request *polled; /* the requests the poll brings */
	size_t n_polled;
};

static void explain_clear(struct explain *e)
{
	for (size_t i = 0; i < e->n_seen; i++) {
		free(e->seen[i].request_id);
		free(e->seen[i].who);
	}
	free(e->seen);
	for (size_t i = 0; i < e->n_polled; i++)
		request_clear(&e->polled[i]);
	free(e->polled);
}

/* MS as "YYYY-MM-DD HH:MM:SS UTC" into BUF, or "never" for 0. */
static const char *utc(int64_t ms, char buf[32])
{
	if (ms <= 0 || civil_format(ms, buf) < 0)
		snprintf(buf, 32, "never");
	else
		strcat(buf, " UTC");
	return buf;
}

/* The journal read as a file into A's state: nothing is opened for writing,
 * and a journal that does not exist yet is an empty state. */
static int load_state(struct agent *a)
{
	struct journal_scan scan;
	char *path = NULL;
	int r;

	r = state_new(&a->state);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", a->cfg->state_directory, JOURNAL_FILE_NAME) < 0)
		return -ENOMEM;
	r = journal_scan_file(path, state_apply_record, a->state, &scan);
	if (r == -ENOENT) {
		r = 0;
	} else if (r < 0) {
		log_error("cannot read the journal %s: %s", path, strerror(-r));
	} else if (scan.damage != JOURNAL_SOUND) {
		log_warnx("the journal %s is damaged at offset %llu (%s): what follows knows the requests before it",
			  path, (unsigned long long)scan.offset, journal_damage_name(scan.damage));
	}
	free(path);
	return r;
}

static const char *watermark(const struct explain *e, const char *which)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%s", e->source, which);
	return state_watermark(e->a->state, name);
}

/* ---- reading the ITSM ---------------------------------------------------- */

static int on_approval(const struct approval *ap, void *userdata)
{
	struct explain *e = userdata;
	const char *who = ap->approver_upn ? ap->approver_upn : ap->approver;
	struct seen *grown;
	int approved = ap->decision == APPROVAL_APPROVED;

	if (!ap->request_id || !who || (!approved && ap->decision != APPROVAL_REJECTED))
		return 0;
	grown = realloc(e->seen, (e->n_seen + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->seen = grown;
	grown[e->n_seen] = (struct seen){ strdup(ap->request_id), strdup(who), approved, ap->by_approver };
	if (!grown[e->n_seen].request_id || !grown[e->n_seen].who) {
		free(grown[e->n_seen].request_id);
		free(grown[e->n_seen].who);
		return -ENOMEM;
	}
	e->n_seen++;
	return 0;
}

static int on_request(const struct request *req, void *userdata)
{
	struct explain *e = userdata;
	struct request *grown;

	grown = realloc(e->polled, (e->n_polled + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->polled = grown;
	if (request_copy(req, &e->polled[e->n_polled]) < 0)
		return -ENOMEM;
	e->n_polled++;
	return 0;
}

/* The approvals changed since the journal's watermark: the decisions the
 * next cycle would see. */
static int read_approvals(struct explain *e)
{
	char *next = NULL;
	int r;

	r = itsm_poll_approvals(e->a->itsm, e->a->cfg->items, e->a->cfg->n_items, watermark(e, "approvals"), on_approval,
				e, &next);
	free(next);
	if (r < 0)
		log_error("cannot read the approvals from %s: %s", e->source, strerror(-r));
	return r;
}

/* ---- words ------------------------------------------------------------------ */

static const char *skip_words(enum policy_skip reason)
{
	switch (reason) {
	case POLICY_SKIP_MISSING:
		return "is not in the directory";
	case POLICY_SKIP_DISABLED:
		return "is disabled";
	case POLICY_SKIP_AWAY:
		return "is away (automatic replies on)";
	case POLICY_SKIP_REQUESTER:
		return "asked for this access, and nobody approves their own request";
	case POLICY_SKIP_SUBJECT:
		return "is the person the access is for";
	case POLICY_SKIP_DEPARTED:
		return "has left the organisation (leave date passed)";
	case POLICY_SKIP_NOT_STARTED:
		return "has not started yet (hire date ahead)";
	case POLICY_SKIP_UNREADABLE:
		return "has a directory record accessd refused to read";
	case POLICY_SKIP_NONE:
		break;
	}
	return "cannot decide";
}

/* The words for a reason the journal names (policy_skip_name). */
static const char *skip_words_of(const char *name)
{
	for (int i = POLICY_SKIP_NONE + 1; name && strcmp(policy_skip_name((enum policy_skip)i), "unknown") != 0; i++)
		if (strcmp(policy_skip_name((enum policy_skip)i), name) == 0)
			return skip_words((enum policy_skip)i);
	return "cannot decide";
}

/* How a person the facts F (NULL: none) hold is named: their UPN, else the
 * id. */
static const char *name_of(const struct facts *f, const char *id)
{
	const struct person *all[] = { f ? &f->subject : NULL, f ? &f->requester : NULL, f ? &f->sponsor : NULL };

	if (!f)
		return id ? id : "nobody";
	for (size_t i = 0; id && i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->exists && all[i]->id && strcasecmp(all[i]->id, id) == 0 && all[i]->upn)
			return all[i]->upn;
	for (size_t i = 0; id && i < f->n_people; i++)
		if (f->people[i].exists && f->people[i].id && strcasecmp(f->people[i].id, id) == 0 && f->people[i].upn)
			return f->people[i].upn;
	return id ? id : "nobody";
}

static const char *target_kind(const struct target_config *t)
{
	return t->kind == TARGET_APP_ROLE   ? "the app role"
	       : t->kind == TARGET_MAILBOX ? "the mailbox access group"
					   : "the group";
}

static void print_target(FILE *out, const struct target_config *t)
{
	if (t->kind == TARGET_APP_ROLE)
		fprintf(out, "%s %s (role %s of service principal %s)", target_kind(t), t->name, t->app_role_id,
			t->resource_id);
	else
		fprintf(out, "%s %s (%s%s%s)", target_kind(t), t->name, t->group_id, t->mailbox ? ", mailbox " : "",
			t->mailbox ? t->mailbox : "");
}

static void print_durations(FILE *out, const struct stage_config *st, const char *quorum)
{
	const int64_t after[] = { st->remind_after_ms, st->escalate_after_ms, st->expire_after_ms };
	const char *what[] = { "remind", "escalate", "expire" };
	char d[32];

	fprintf(out, "%s", quorum);
	for (size_t k = 0; k < 3; k++) {
		if (!after[k])
			continue;
		conf_format_duration(after[k], d, sizeof(d));
		fprintf(out, "; %s after %s", what[k], d);
	}
	if (!st->expire_after_ms)
		fprintf(out, "; never expires");
}

/* ---- the policy, now ----------------------------------------------------- */

static int replaced(const struct policy_stage *st, const char *id)
{
	for (size_t i = 0; id && i < st->n_approvers; i++)
		if (st->approvers[i].replaces && strcasecmp(st->approvers[i].replaces, id) == 0)
			return 1;
	return 0;
}

static void print_stage(FILE *out, const struct policy_stage *st, size_t i, const struct facts *f)
{
	char when[3][32];

	fprintf(out, "    %zu. %s%s (", i + 1, st->config->name, st->privileged ? ", for a privileged target" : "");
	print_durations(out, st->config, st->quorum == QUORUM_ALL ? "every approver asked must approve"
								 : "one approval decides");
	fprintf(out, ")\n");
	if (st->rule.rule) {
		fprintf(out, "       approved by rule %s: %s; nobody is asked\n", st->rule.rule->name, st->rule.text);
		return;
	}
	if (st->rule.text[0])
		fprintf(out, "       no rule decides: %s\n", st->rule.text);
	for (size_t k = 0; k < st->n_approvers; k++) {
		const struct policy_approver *ap = &st->approvers[k];

		fprintf(out, "       ask %s", ap->upn ? ap->upn : ap->id);
		if (ap->reason != POLICY_SKIP_NONE && ap->replaces)
			fprintf(out, ", standing in for %s, who %s", name_of(f, ap->replaces), skip_words(ap->reason));
		else if (ap->reason != POLICY_SKIP_NONE)
			fprintf(out, ", standing in: the approvers %s", skip_words(ap->reason));
		fprintf(out, "\n");
	}
	for (size_t k = 0; k < st->n_skipped; k++) {
		const struct policy_skipped *sk = &st->skipped[k];

		if (replaced(st, sk->id))
			continue;
		if (sk->id)
			fprintf(out, "       not asked: %s (%s), who %s, and no backup can stand in\n", name_of(f, sk->id),
				sk->role, skip_words(sk->reason));
		else
			fprintf(out, "       not asked: the %s: there is none\n", sk->role);
	}
	for (size_t k = 0; k < st->n_escalation; k++)
		fprintf(out, "       on escalation, also ask %s\n",
			st->escalation[k].upn ? st->escalation[k].upn : st->escalation[k].id);
	if (i == 0 && (st->remind_at_ms || st->escalate_at_ms || st->expire_at_ms))
		fprintf(out, "       if it starts now: remind %s, escalate %s, expire %s\n", utc(st->remind_at_ms, when[0]),
			utc(st->escalate_at_ms, when[1]), utc(st->expire_at_ms, when[2]));
}

static void print_policy(FILE *out, const struct policy_result *res, const struct facts *f)
{
	char when[32];

	fprintf(out, "  verdict: %s", policy_verdict_name(res->verdict));
	if (res->target)
		fprintf(out, ", target %s%s%s", res->target->name,
			res->target->class == TARGET_PRIVILEGED ? " (privileged)" : "",
			res->contractor ? ", for a contractor" : "");
	fprintf(out, "\n");
	for (size_t i = 0; i < res->n_problems; i++)
		fprintf(out, "    - %s\n", res->problems[i].text);
	if (res->verdict == POLICY_REJECT && res->reject.rule)
		fprintf(out, "    rejected by rule %s: %s\n", res->reject.rule->name, res->reject.text);
	else if (res->reject.text[0])
		fprintf(out, "    no rejection rule holds: %s\n", res->reject.text);
	if (res->verdict == POLICY_LINK_DUPLICATE && f->duplicate_of)
		fprintf(out, "    %s asks for the same and is open\n", f->duplicate_of);
	if (res->n_stages && (res->verdict == POLICY_PROCEED || res->verdict == POLICY_BLOCK)) {
		fprintf(out, "  approval chain:\n");
		for (size_t i = 0; i < res->n_stages; i++)
			print_stage(out, &res->stages[i], i, f);
	}
	if (res->verdict != POLICY_PROCEED || !res->target)
		return;
	fprintf(out, "  once approved, the grant:\n    1. add %s to ", name_of(f, f->subject.id));
	print_target(out, res->target);
	fprintf(out, "\n");
	for (size_t i = 0; i < res->target->n_also; i++) {
		fprintf(out, "    %zu. add %s to ", i + 2, name_of(f, f->subject.id));
		print_target(out, res->target->also[i]);
		fprintf(out, "\n");
	}
	if (res->end_ms)
		fprintf(out, "    removed on %s\n", utc(res->end_ms, when));
}

/* ---- what the next cycle does -------------------------------------------- */

/* The name of stage STAGE of the plan P (its JSON). */
static const char *stage_name(const struct plan *p, int stage)
{
	return json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p->root, "stages"), stage), "name");
}

static void print_action(FILE *out, const struct plan *p, const struct wf_action *act)
{
	const char *stage = stage_name(p, act->stage);
	const struct target_config *t = act->step >= 0 && (size_t)act->step < p->wf.n_steps ? p->steps[act->step] : NULL;
	const char *who = p->wf.subject ? p->wf.subject : "the person";
	char when[32];

	fprintf(out, "    - ");
	switch (act->kind) {
	case WF_ACT_SEND_BACK:
		fprintf(out, "send it back to the requester, with a comment saying what is missing");
		break;
	case WF_ACT_LINK_DUPLICATE:
		fprintf(out, "link it to %s, which asks for the same, and close it", json_str(p->root, "duplicate_of"));
		break;
	case WF_ACT_REQUEST_APPROVAL:
		fprintf(out, "ask %s to approve (stage %s): an approval record in the ITSM", act->who, stage);
		break;
	case WF_ACT_REMIND:
		fprintf(out, "remind (stage %s): a work note and a Teams card naming who has not decided", stage);
		break;
	case WF_ACT_ESCALATE:
		fprintf(out, "escalate stage %s: ask %s too", stage, act->who);
		break;
	case WF_ACT_IGNORE_DECISION:
		fprintf(out, "note that %s's decision does not count for stage %s", act->who, stage);
		break;
	case WF_ACT_REJECT:
		fprintf(out, "reject it as %s decided, and close the ticket", act->who ? act->who : "the rule");
		break;
	case WF_ACT_EXPIRE:
		fprintf(out, "close it: stage %s had no decision in time", stage);
		break;
	case WF_ACT_EXECUTE:
		fprintf(out, "grant step %d: add %s to ", act->step + 1, who);
		if (t)
			print_target(out, t);
		break;
	case WF_ACT_RETRY_AT:
		fprintf(out, "try step %d again at %s", act->step + 1, utc(act->at_ms, when));
		break;
	case WF_ACT_UNDO:
		fprintf(out, "remove %s from %s", who, t ? t->name : "a step's target");
		break;
	case WF_ACT_COMPLETE:
		fprintf(out, "complete the ticket, with the evidence attached and a Teams card");
		break;
	case WF_ACT_COMPENSATE:
		fprintf(out, "open a task for the IAM team for the steps that stay granted");
		break;
	case WF_ACT_BLOCK:
		fprintf(out, "set it Implementing (Blocked) and open one incident for the IAM team");
		break;
	case WF_ACT_NOTE_REMOVED:
		fprintf(out, "note on the ticket that the access was removed");
		break;
	case WF_ACT_WITHDRAW:
		fprintf(out, "note that the ticket was closed in the ITSM, which ends the request");
		break;
	case WF_ACT_RULE_APPROVE:
		fprintf(out, "record stage %s as approved by its rule %s: a work note and the audit", stage,
			json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p->root, "stages"), act->stage), "rule"));
		break;
	case WF_ACT_RULE_REJECT:
		fprintf(out, "reject it by rule %s, and close the ticket", json_str(p->root, "rejected_by_rule"));
		break;
	}
	fprintf(out, "\n");
}

/* Decide with the record REC of the plan P of the request ID (journaled as
 * SR, or NULL), as the next cycle would: with the journal's decisions and
 * those the ITSM shows now, the ticket CLOSED or not. Print the actions. */
static void print_next(struct explain *e, const char *id, int closed, const struct state_request *sr,
		       const struct plan *p, const struct wf_record *rec)
{
	struct wf_decision dec[STATE_MAX_APPROVALS + 64];
	struct wf_input in = { .ticket_closed = closed, .decisions = dec };
	struct wf_record next;
	struct wf_actions acts;
	char when[32];
	int64_t timer;

	in.n_decisions = sr ? drive_decisions(sr, rec->stage, dec) : 0;
	for (size_t i = 0; i < e->n_seen && in.n_decisions < sizeof(dec) / sizeof(dec[0]); i++)
		if (strcmp(e->seen[i].request_id, id) == 0)
			dec[in.n_decisions++] = (struct wf_decision){ e->seen[i].who, e->seen[i].approved, e->now - 1,
								      e->seen[i].by_approver };
	if (wf_decide(rec, &p->wf, &in, e->now, &next, &acts) < 0) {
		fprintf(e->out, "  the plan is out of bounds: the next cycle leaves it alone\n");
		return;
	}
	if (acts.n == 0) {
		timer = wf_next_timer(&next, &p->wf);
		fprintf(e->out, "  the next cycle would do nothing for it%s%s\n", timer ? "; next deadline " : "",
			timer ? utc(timer, when) : "");
		return;
	}
	fprintf(e->out, "  the next cycle would:\n");
	for (size_t i = 0; i < acts.n; i++)
		print_action(e->out, p, &acts.v[i]);
	if (next.state != rec->state)
		fprintf(e->out, "    and the request becomes %s\n", wf_state_name(next.state));
}

/* What the journal holds of SR: its state, stage, who it waits for, the
 * deadlines, and the substitutions of its frozen chain (people named with
 * the facts F, which may be NULL). */
static void print_journaled(struct explain *e, const struct state_request *sr, const struct plan *p,
			    const struct wf_record *rec, const struct facts *f)
{
	const cJSON *stage = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p->root, "stages"), rec->stage), *s;
	const struct wf_stage *ws = rec->stage < (int)p->wf.n_stages ? &p->wf.stages[rec->stage] : NULL;
	char when[3][32];
	int waiting = rec->state == WF_AWAITING || rec->state == WF_ESCALATED;

	fprintf(e->out, "  in the journal: %s", wf_state_name(rec->state));
	if (!waiting || !ws || !stage) {
		fprintf(e->out, "\n");
		return;
	}
	fprintf(e->out, ", stage %d of %zu (%s) since %s; it keeps the chain it was validated with\n", rec->stage + 1,
		p->wf.n_stages, json_str(stage, "name"), utc(rec->stage_since_ms, when[0]));
	fprintf(e->out, "    waiting for:");
	for (size_t i = 0, n = 0; i < sr->n_approvals; i++)
		if (sr->approvals[i].stage == rec->stage && sr->approvals[i].approver &&
		    approval_decision_from_name(sr->approvals[i].decision) == APPROVAL_REQUESTED)
			fprintf(e->out, "%s %s", n++ ? "," : "", sr->approvals[i].approver);
	fprintf(e->out, "\n");
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(stage, "substitutes")) {
		if (json_str(s, "replaces"))
			fprintf(e->out, "    %s stands in for %s, who %s\n", json_str(s, "upn"),
				name_of(f, json_str(s, "replaces")), skip_words_of(json_str(s, "reason")));
		else
			fprintf(e->out, "    %s stands in: the approvers %s\n", json_str(s, "upn"),
				skip_words_of(json_str(s, "reason")));
	}
	fprintf(e->out, "    remind %s%s, escalate %s%s, expire %s\n",
		ws->remind_after_ms ? utc(rec->stage_since_ms + ws->remind_after_ms, when[0]) : "never",
		rec->reminded ? " (done)" : "",
		ws->escalate_after_ms ? utc(rec->stage_since_ms + ws->escalate_after_ms, when[1]) : "never",
		rec->escalated ? " (done)" : "",
		ws->expire_after_ms ? utc(rec->stage_since_ms + ws->expire_after_ms, when[2]) : "never");
}

/* The journaled request SR with its plan: what it holds and what the next
 * cycle does with it. REQ is the ticket as the ITSM shows it now and F the
 * facts gathered for it, or both NULL. */
static int explain_journaled(struct explain *e, const struct request *req, const struct state_request *sr,
			     const struct facts *f)
{
	cJSON *data = drive_data(sr);
	struct plan p = { 0 };
	struct wf_record rec = { 0 };
	int r;

	r = plan_load(e->a->cfg, cJSON_GetObjectItemCaseSensitive(data, "plan"), &p);
	if (r == 0)
		r = plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec);
	if (r == -ENOMEM) {
		cJSON_Delete(data);
		return r;
	}
	if (r < 0)
		fprintf(e->out, "  in the journal: a plan this configuration cannot use (a target it no longer "
				"has?): the next cycle leaves it alone\n");
	else {
		print_journaled(e, sr, &p, &rec, f);
		print_next(e, sr->id, req && ticket_phase_closed(req->phase), sr, &p, &rec);
	}
	plan_clear(&p);
	cJSON_Delete(data);
	return 0;
}

/* What a new request's first round would do: its plan built as the cycle
 * would build it, decided from a fresh record. */
static int explain_fresh(struct explain *e, const struct request *req, const struct facts *f,
			 const struct policy_result *res)
{
	struct wf_record fresh = { 0 };
	struct plan p = { 0 };
	cJSON *json = NULL;
	int r;

	r = plan_build(e->a->cfg, req, f, res, &json);
	if (r == 0)
		r = plan_load(e->a->cfg, json, &p);
	if (r == 0)
		print_next(e, req->id, ticket_phase_closed(req->phase), NULL, &p, &fresh);
	plan_clear(&p);
	cJSON_Delete(json);
	return r;
}

static int explain_request(struct explain *e, const struct request *req)
{
	const struct state_request *sr = state_request_find(e->a->state, e->source, req->id);
	cJSON *data = drive_data(sr);
	int journaled = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(data, "plan"));
	struct policy_result res = { 0 };
	struct facts f = { 0 };
	int r;

	cJSON_Delete(data);
	fprintf(e->out, "%s: \"%s\" for %s, opened by %s; ticket state %s%s, updated %s UTC\n", req->number,
		req->item_name ? req->item_name : "?", req->requested_for_upn ? req->requested_for_upn : "?",
		req->opened_by_upn ? req->opened_by_upn : "?", req->status ? req->status : "?",
		ticket_phase_closed(req->phase) ? " (closed)" : "",
		req->updated_on ? req->updated_on : "?");
	if (!journaled && ticket_phase_closed(req->phase)) {
		fprintf(e->out, "  closed before accessd saw it: the next cycle leaves it alone\n");
		return 0;
	}
	if (!e->a->links || !e->a->links->directory) {
		fprintf(e->out, "  no directory is configured, so it cannot be validated: the next cycle skips it\n");
		return 0;
	}
	r = facts_gather(e->a->links->directory, e->a->itsm, e->a->zones, e->a->cfg, e->a->state, e->source, req,
			 e->now, &f);
	if (r < 0) {
		fprintf(e->out, "  the directory could not be asked (%s): the next cycle tries again\n", strerror(-r));
		return 0;
	}
	r = policy_evaluate(e->a->cfg, req, &f.pf, e->now, &res);
	if (r < 0)
		goto done;
	if (res.verdict == POLICY_IGNORE) {
		fprintf(e->out, "  its catalog item is not governed by the policy: the next cycle skips it\n");
		goto done;
	}
	if (journaled)
		fprintf(e->out, "  what the policy says of it now:\n");
	print_policy(e->out, &res, &f);
	r = journaled ? explain_journaled(e, req, sr, &f) : explain_fresh(e, req, &f, &res);
done:
	policy_result_clear(&res);
	facts_clear(&f);
	if (r == -ENOMEM)
		log_error("out of memory explaining %s", req->number);
	return r;
}

/* ---- the two ways in --------------------------------------------------------- */

static int start(struct explain *e, struct agent *a, FILE *out)
{
	*e = (struct explain){ .a = a, .out = out, .now = clock_now(a->clock), .source = a->cfg->itsm.kind };
	return load_state(a);
}

int explain_one(struct agent *a, const char *number, FILE *out)
{
	struct explain e;
	int r;

	r = start(&e, a, out);
	if (r == 0)
		r = read_approvals(&e);
	if (r < 0)
		goto done;
	r = itsm_find_request(a->itsm, a->cfg->items, a->cfg->n_items, number, on_request, &e);
	if (r == -ENOENT || r == -EINVAL) {
		fprintf(out, "%s: %s shows no such request among the governed catalog items\n", number, e.source);
		r = -ENOENT;
		goto done;
	}
	if (r < 0) {
		log_error("cannot read the request %s from %s: %s", number, e.source, strerror(-r));
		goto done;
	}
	r = e.n_polled ? explain_request(&e, &e.polled[0]) : 0;
done:
	explain_clear(&e);
	return r;
}

int explain_dry_run(struct agent *a, FILE *out)
{
	const struct state_request *sr;
	struct explain e;
	char *next = NULL;
	size_t iter = 0, due = 0;
	int r;

	r = start(&e, a, out);
	if (r == 0)
		r = read_approvals(&e);
	if (r < 0)
		goto done;
	r = itsm_poll_requests(a->itsm, a->cfg->items, a->cfg->n_items, watermark(&e, "requests"), on_request, &e,
			       &next);
	free(next);
	if (r < 0) {
		log_error("cannot read the requests from %s: %s", e.source, strerror(-r));
		goto done;
	}
	fprintf(out, "dry run at %s: %zu request(s) and %zu decision(s) changed in %s since the last cycle\n",
		utc(e.now, (char[32]){ 0 }), e.n_polled, e.n_seen, e.source);
	for (size_t i = 0; i < e.n_polled && r == 0; i++)
		r = explain_request(&e, &e.polled[i]);
	/* The journaled requests the poll did not bring, whose timers or
	 * new decisions the cycle would act on. */
	while (r == 0 && (sr = state_request_next(a->state, &iter))) {
		cJSON *data = drive_data(sr);
		int64_t timer = json_int(data, "next");
		int polled = 0, decided = 0, open = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "open"));

		cJSON_Delete(data);
		for (size_t i = 0; i < e.n_polled; i++)
			polled |= strcmp(e.polled[i].id, sr->id) == 0;
		for (size_t i = 0; i < e.n_seen; i++)
			decided |= strcmp(e.seen[i].request_id, sr->id) == 0;
		if (polled || !open || strcmp(sr->source, e.source) != 0 || (!decided && (!timer || timer > e.now)))
			continue;
		fprintf(out, "%s: in the journal, %s\n", sr->number ? sr->number : sr->id,
			decided ? "with a decision since the last cycle" : "with a deadline due");
		due++;
		r = explain_journaled(&e, NULL, sr, NULL);
	}
	if (r == 0)
		fprintf(out, "dry run: %zu request(s) explained; nothing was written\n", e.n_polled + due);
done:
	explain_clear(&e);
	return r;
}
