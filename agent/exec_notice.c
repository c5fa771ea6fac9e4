/* SPDX-License-Identifier: Apache-2.0 */
/* What people are told when a request completes, is blocked, waits for an
 * approver, is escalated, rejected or expires: one set of facts, said twice
 * from the same values, as sentences on the ticket and as the message to
 * the service-desk channel (exec.h, struct notice). People are named as
 * the directory names them, with their UPN; lists of people end in "and N
 * more" rather than cut a name; times are UTC. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "exec.h"
#include "store/state.h"
#include "util/json.h"
#include "util/text.h"

/* The longest list of people given, within the channel's NOTIFY_TEXT_MAX. */
#define LIST_MAX 480

/* Keep S (owned by N from now on) and give it back; NULL marks N out of
 * memory, or leaves a NULL S alone. */
static const char *keep(struct notice *n, char *s)
{
	if (!s || n->n_owned >= NOTICE_MAX_STRINGS) {
		if (s)
			n->oom = 1;
		free(s);
		return NULL;
	}
	n->owned[n->n_owned++] = s;
	return s;
}

static const char *keepf(struct notice *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *keepf(struct notice *n, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		n->oom = 1;
		return NULL;
	}
	return keep(n, s);
}

/* "Display Name (upn)", or the UPN alone when the directory gave no name:
 * a string the caller frees, NULL when out of memory. */
static char *person_text(struct exec_run *x, const char *upn)
{
	const char *name = plan_name(x->r->plan, upn);
	char *s;

	if (!name)
		return strdup(upn);
	return asprintf(&s, "%s (%s)", name, upn) < 0 ? NULL : s;
}

static const char *person(struct notice *n, struct exec_run *x, const char *upn)
{
	char *s;

	if (!upn)
		return NULL;
	s = person_text(x, upn);
	if (!s)
		n->oom = 1;
	return keep(n, s);
}

/* The people UPNS (N_UPNS of them) as a list. */
static const char *people(struct notice *n, struct exec_run *x, const char *const *upns, size_t n_upns)
{
	char *named[2 * WF_MAX_APPROVERS];
	char *list = NULL;
	size_t k;

	if (n_upns > sizeof(named) / sizeof(named[0]))
		n_upns = sizeof(named) / sizeof(named[0]);
	for (k = 0; k < n_upns; k++)
		if (!(named[k] = person_text(x, upns[k])))
			break;
	if (k == n_upns && n_upns > 0)
		list = text_list((const char *const *)named, n_upns, LIST_MAX);
	if (n_upns > 0 && !list)
		n->oom = 1;
	while (k > 0)
		free(named[--k]);
	return keep(n, list);
}

static void fact(struct notice *n, const char *title, const char *value, bool optional)
{
	if (!value || n->msg.n_facts >= NOTIFY_MAX_FACTS)
		return;
	n->facts[n->msg.n_facts++] = (struct notify_fact){ .title = title, .value = value, .optional = optional };
}

/* A button to the ITSM record KIND ID, when the connector gives its page. */
static void link(struct notice *n, struct exec_run *x, enum itsm_record kind, const char *id, const char *title)
{
	char *url = NULL;
	int r;

	if (!id || n->msg.n_links >= NOTIFY_MAX_LINKS)
		return;
	r = itsm_record_url(x->a->itsm, kind, id, &url);
	if (r == -ENOMEM)
		n->oom = 1;
	if (r < 0 || !keep(n, url))
		return;
	n->links[n->msg.n_links++] = (struct notify_link){ .title = title, .url = url };
}

/* Append a sentence to the ticket's words. */
static void say(struct notice *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct notice *n, const char *fmt, ...)
{
	char *more = NULL, *text;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (r < 0 || asprintf(&text, "%s%s%s", n->text ? n->text : "", n->text ? " " : "", more) < 0) {
		if (r >= 0)
			free(more);
		n->oom = 1;
		return;
	}
	free(more);
	free(n->text);
	n->text = text;
}

/* What every notice starts with: the request, the person, the target, a
 * button to the ticket, and who asked when it was someone else. */
static void begin(struct notice *n, struct exec_run *x, enum notify_event event)
{
	const struct plan *p = x->r->plan;

	memset(n, 0, sizeof(*n));
	n->msg = (struct notify_message){
		.event = event,
		.action_id = x->id,
		.request_number = x->r->number,
		.item = p->item,
		.facts = n->facts,
		.links = n->links,
	};
	fact(n, "Person", person(n, x, p->wf.subject), false);
	fact(n, "Target", p->target, false);
	link(n, x, ITSM_RECORD_REQUEST, x->r->id, keepf(n, "Open %s", x->r->number));
}

/* Who asked, last among the facts: the first left out when space is short. */
static void requester(struct notice *n, struct exec_run *x)
{
	const struct plan *p = x->r->plan;

	if (p->wf.requester && (!p->wf.subject || strcasecmp(p->wf.requester, p->wf.subject) != 0))
		fact(n, "Requested by", person(n, x, p->wf.requester), true);
}

/* The request's journaled workflow record; zero when there is none. */
static struct wf_record record(struct exec_run *x)
{
	const struct state_request *sr = state_request_find(x->a->state, x->r->source, x->r->id);
	struct wf_record rec = { 0 };
	cJSON *data = sr && sr->data ? cJSON_Parse(sr->data) : NULL;

	if (plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec) < 0)
		memset(&rec, 0, sizeof(rec));
	cJSON_Delete(data);
	return rec;
}

/* Whether WHO has approved stage STAGE. */
static int has_approved(struct exec_run *x, int stage, const char *who)
{
	const struct state_request *sr = state_request_find(x->a->state, x->r->source, x->r->id);

	for (size_t i = 0; sr && i < sr->n_approvals; i++) {
		const struct state_approval *ap = &sr->approvals[i];

		if (ap->stage == stage && ap->approver && strcasecmp(ap->approver, who) == 0 &&
		    approval_decision_from_name(ap->decision) == APPROVAL_APPROVED)
			return 1;
	}
	return 0;
}

void notice_clear(struct notice *n)
{
	for (size_t i = 0; i < n->n_owned; i++)
		free(n->owned[i]);
	free(n->text);
	memset(n, 0, sizeof(*n));
}

/* -- completion ----------------------------------------------------------- */

/* Everyone whose approval counted, stage by stage, each once. */
static const char *approved_by(struct notice *n, struct exec_run *x)
{
	const struct state_request *sr = state_request_find(x->a->state, x->r->source, x->r->id);
	const char *who[2 * WF_MAX_APPROVERS];
	size_t k = 0;

	for (size_t s = 0; sr && s < x->r->plan->wf.n_stages; s++)
		for (size_t i = 0; i < sr->n_approvals && k < sizeof(who) / sizeof(who[0]); i++) {
			const struct state_approval *ap = &sr->approvals[i];
			size_t j = 0;

			if (ap->stage != (int)s || !ap->approver ||
			    approval_decision_from_name(ap->decision) != APPROVAL_APPROVED)
				continue;
			while (j < k && strcasecmp(who[j], ap->approver) != 0)
				j++;
			if (j == k)
				who[k++] = ap->approver;
		}
	return people(n, x, who, k);
}

int notice_completed(struct exec_run *x, struct notice *n)
{
	const struct plan *p = x->r->plan;
	const char *subject, *approvers, *ends = NULL;
	char removal[NOTIFY_TIME_SIZE];

	begin(n, x, NOTIFY_COMPLETED);
	subject = person(n, x, p->wf.subject);
	approvers = approved_by(n, x);
	n->msg.outcome = keepf(n, "%s was granted %s.", subject ? subject : "The person",
			       p->target ? p->target : "the access");
	fact(n, "Approved by", approvers ? approvers : "no approval was needed", false);
	if (p->wf.end_ms > 0) {
		notify_time_text(p->wf.end_ms, removal);
		ends = keepf(n, "%s%sremoved at %s", p->end_asked ? p->end_asked : "",
			     p->end_asked ? " as requested; " : "", removal);
	}
	fact(n, "Access lasts", ends, false);
	fact(n, "Ends early", json_str(p->root, "end_note"), false);
	requester(n, x);
	fact(n, "Evidence", "evidence.json, attached to the ticket", true);

	say(n, "Completed: %s was granted %s (%s).", subject ? subject : "the person",
	    p->target ? p->target : "the access", p->item ? p->item : "?");
	say(n, "Approved by %s.", approvers ? approvers : "nobody: no approval was needed");
	if (p->wf.end_ms > 0)
		say(n, "Access lasts%s%s, as requested: accessd removes it at %s.", p->end_asked ? " " : "",
		    p->end_asked ? p->end_asked : "", removal);
	if (json_str(p->root, "end_note"))
		say(n, "%s", json_str(p->root, "end_note"));
	say(n, "The evidence is attached.");
	return n->oom ? -ENOMEM : 0;
}

/* -- blocks --------------------------------------------------------------- */

/* What a grant or a removal of target T does, in words. */
static const char *step_words(struct notice *n, const struct target_config *t, int undo, const char *who)
{
	const char *name = t ? t->name : "the target";

	if (t && t->kind == TARGET_APP_ROLE)
		return undo ? keepf(n, "removing the app role %s from %s", name, who)
			    : keepf(n, "assigning the app role %s to %s", name, who);
	return undo ? keepf(n, "removing %s from %s", who, name) : keepf(n, "adding %s to %s", who, name);
}

/* The names of the steps whose bit is set in MASK. */
static const char *steps_named(struct notice *n, struct exec_run *x, uint32_t mask)
{
	const char *names[WF_MAX_STEPS];
	size_t k = 0;
	char *list;

	for (size_t j = 0; j < x->r->plan->wf.n_steps; j++)
		if (mask & (1u << j))
			names[k++] = x->r->plan->steps[j]->name;
	if (k == 0)
		return NULL;
	list = text_list(names, k, LIST_MAX);
	if (!list)
		n->oom = 1;
	return keep(n, list);
}

int notice_blocked(struct exec_run *x, const struct notice_failure *f, struct notice *n)
{
	const struct plan *p = x->r->plan;
	const struct target_config *t = exec_step_target(x, f->step);
	struct wf_record rec = record(x);
	const char *subject, *what, *kept = NULL, *undone = NULL, *then = "";

	begin(n, x, NOTIFY_BLOCKED);
	subject = person(n, x, p->wf.subject);
	if (f->unstaffed) {
		what = "nobody can approve a stage of the approval chain";
		fact(n, "Failed step", "approval: every approver and backup of a stage is away, disabled, gone or the "
				       "requester", false);
	} else {
		what = keepf(n, "%s failed", step_words(n, t, f->undo, subject ? subject : "the person"));
		fact(n, "Failed step", keepf(n, "%d of %zu: %s", f->step + 1, p->wf.n_steps,
					     step_words(n, t, f->undo, subject ? subject : "the person")), false);
		fact(n, "Failed target", t ? t->name : NULL, false);
	}
	fact(n, "Error", f->error, false);
	fact(n, "Graph request id", f->graph_request_id, false);
	fact(n, "Incident", f->incident, false);
	if (x->state == WF_ROLLED_BACK) {
		undone = steps_named(n, x, rec.undone);
		then = "the steps granted before it were rolled back";
		fact(n, "Rolled back", undone, false);
	} else if (x->state == WF_COMPENSATING) {
		kept = steps_named(n, x, rec.granted & ~rec.undone);
		then = f->task ? keepf(n, "the steps granted before it stay, and compensating task %s decides what "
					  "becomes of them", f->task)
			       : "the steps granted before it stay, and a compensating task decides what becomes of them";
		if (!then)
			then = "";
		fact(n, "Left granted", kept, false);
		fact(n, "Compensating task", f->task, false);
	}
	requester(n, x);
	link(n, x, ITSM_RECORD_INCIDENT, f->incident, keepf(n, "Open %s", f->incident ? f->incident : ""));
	link(n, x, ITSM_RECORD_INCIDENT, f->task, keepf(n, "Open task %s", f->task ? f->task : ""));
	if (!what)
		what = "a step failed";
	n->msg.outcome = keepf(n, "Blocked: %s%s%s. Incident %s is open for the IAM team.", what, *then ? "; " : "",
			       then, f->incident ? f->incident : "?");

	say(n, "Implementing (Blocked): %s (%s)%s%s.", what, f->error ? f->error : "?", *then ? "; " : "", then);
	if (kept)
		say(n, "Left granted: %s.", kept);
	if (f->graph_request_id)
		say(n, "Graph request id: %s.", f->graph_request_id);
	say(n, "Incident %s is open for the IAM team.", f->incident ? f->incident : "?");
	return n->oom ? -ENOMEM : 0;
}

/* -- approval stages ------------------------------------------------------ */

/* The stage's name and its place in the chain: for a fact, "manager (1 of
 * 2)"; in a sentence, "\"manager\" (1 of 2)". */
static const char *stage_text(struct notice *n, struct exec_run *x, int quoted)
{
	const char *name = exec_stage_name(x, x->stage);

	return keepf(n, "%s%s%s (%d of %zu)", quoted ? "\"" : "", name ? name : "?", quoted ? "\"" : "", x->stage + 1,
		     x->r->plan->wf.n_stages);
}

/* Who the stage still waits for: its approvers who have not approved, and
 * once it is escalated its backups. */
static const char *awaited(struct notice *n, struct exec_run *x, const struct wf_record *rec)
{
	const struct wf_stage *st = (size_t)x->stage < x->r->plan->wf.n_stages ? &x->r->plan->wf.stages[x->stage] : NULL;
	const char *who[2 * WF_MAX_APPROVERS];
	size_t k = 0;

	for (size_t i = 0; st && i < st->n_approvers; i++)
		if (!has_approved(x, x->stage, st->approvers[i]))
			who[k++] = st->approvers[i];
	for (size_t i = 0; st && rec->escalated && i < st->n_backups; i++)
		who[k++] = st->backups[i];
	return people(n, x, who, k);
}

/* What the notices about an approval stage say of it. */
struct stage_view {
	const char *stage;     /* for a fact: manager (1 of 2) */
	const char *quoted;    /* in a sentence: "manager" (1 of 2) */
	const char *who;       /* who it waits for */
	const char *since;     /* how long it has waited, and since when */
	const char *escalates; /* when it escalates; NULL: not (any more) */
	const char *expires;   /* when it expires; NULL: never */
};

/* Begin N for EVENT about the current stage, seen as if escalated when
 * ESCALATED. */
static struct stage_view stage_begin(struct notice *n, struct exec_run *x, enum notify_event event, int escalated)
{
	const struct wf_stage *st = (size_t)x->stage < x->r->plan->wf.n_stages ? &x->r->plan->wf.stages[x->stage] : NULL;
	struct wf_record rec = record(x);
	struct stage_view v = { 0 };
	char when[NOTIFY_TIME_SIZE], span[64];

	begin(n, x, event);
	rec.escalated |= escalated;
	v.stage = stage_text(n, x, 0);
	v.quoted = stage_text(n, x, 1);
	if (!v.quoted)
		v.quoted = "?";
	v.who = awaited(n, x, &rec);
	if (rec.stage_since_ms <= 0)
		return v;
	notify_time_text(rec.stage_since_ms, when);
	notify_span_text(x->now - rec.stage_since_ms, span, sizeof(span));
	v.since = keepf(n, "%s (since %s)", span, when);
	if (st && st->escalate_after_ms > 0 && !rec.escalated) {
		notify_time_text(rec.stage_since_ms + st->escalate_after_ms, when);
		v.escalates = keepf(n, "%s", when);
	}
	if (st && st->expire_after_ms > 0) {
		notify_time_text(rec.stage_since_ms + st->expire_after_ms, when);
		v.expires = keepf(n, "%s", when);
	}
	return v;
}

int notice_reminder(struct exec_run *x, struct notice *n)
{
	struct stage_view v = stage_begin(n, x, NOTIFY_REMINDER, 0);

	n->msg.outcome = keepf(n, "Stage %s is still waiting for a decision.", v.quoted);
	fact(n, "Stage", v.stage, false);
	fact(n, "Waiting for", v.who, false);
	fact(n, "Waiting", v.since, false);
	fact(n, "Escalates", v.escalates, false);
	fact(n, "Expires", v.expires, false);
	requester(n, x);

	say(n, "Reminder: stage %s is waiting for a decision%s%s%s%s.", v.quoted, v.who ? " from " : "",
	    v.who ? v.who : "", v.since ? " for " : "", v.since ? v.since : "");
	if (v.escalates)
		say(n, "It escalates to the backup approver at %s.", v.escalates);
	if (v.expires)
		say(n, "It expires at %s.", v.expires);
	return n->oom ? -ENOMEM : 0;
}

int notice_escalated(struct exec_run *x, struct notice *n)
{
	struct stage_view v = stage_begin(n, x, NOTIFY_ESCALATED, 1);
	const char *backup = person(n, x, x->who);

	n->msg.outcome = keepf(n, "Stage %s had no decision in time; %s was added as backup approver.", v.quoted,
			       backup ? backup : "the backup");
	fact(n, "Stage", v.stage, false);
	fact(n, "Backup added", backup, false);
	fact(n, "Waiting for", v.who, false);
	fact(n, "Waiting", v.since, false);
	fact(n, "Expires", v.expires, false);
	requester(n, x);

	say(n, "Stage %s had no decision in %s; escalated to the backup approver %s.", v.quoted,
	    v.since ? v.since : "time", backup ? backup : "?");
	if (v.expires)
		say(n, "It expires at %s.", v.expires);
	return n->oom ? -ENOMEM : 0;
}

int notice_rejected(struct exec_run *x, const char *rule, const char *reason, struct notice *n)
{
	struct stage_view v;
	const char *by;

	if (rule) {
		/* The item's rule decided before any stage began. */
		begin(n, x, NOTIFY_REJECTED);
		by = keepf(n, "rule %s", rule);
		n->msg.outcome = keepf(n, "Rejected by %s: %s.", by ? by : "rule", reason ? reason : "?");
		fact(n, "Rejected by", by, false);
		fact(n, "Reason", reason, false);
		requester(n, x);
		say(n, "Rejected by %s: %s.", by ? by : "rule", reason ? reason : "?");
		return n->oom ? -ENOMEM : 0;
	}
	v = stage_begin(n, x, NOTIFY_REJECTED, 0);
	by = person(n, x, x->who);

	n->msg.outcome = keepf(n, "%s rejected the request at stage %s.", by ? by : "An approver", v.quoted);
	fact(n, "Stage", v.stage, false);
	fact(n, "Rejected by", by, false);
	fact(n, "Reason", reason ? reason : "none given", false);
	requester(n, x);

	say(n, "Rejected by %s at stage %s%s%s", by ? by : "?", v.quoted, reason ? ": " : ".", reason ? reason : "");
	return n->oom ? -ENOMEM : 0;
}

int notice_expired(struct exec_run *x, struct notice *n)
{
	int64_t end = x->r->plan->wf.end_ms;
	struct stage_view v;
	char day[NOTIFY_TIME_SIZE];

	if (end > 0 && x->now >= end) {
		/* Late: whatever was decided, nothing is granted after the end. */
		begin(n, x, NOTIFY_EXPIRED);
		notify_time_text(end, day);
		n->msg.outcome = keepf(n, "The access was to end %s, which passed before it could be granted; nothing "
					  "was granted.", day);
		fact(n, "Access was to end", keepf(n, "%s", day), false);
		requester(n, x);
		say(n, "Closed: the access was to end %s, and that passed before it could be granted; nothing was "
		       "granted.", day);
		say(n, "Open a new request if the access is still needed.");
		return n->oom ? -ENOMEM : 0;
	}
	v = stage_begin(n, x, NOTIFY_EXPIRED, 0);

	n->msg.outcome = keepf(n, "Stage %s had no decision before it expired; the request is closed.", v.quoted);
	fact(n, "Stage", v.stage, false);
	fact(n, "Waited for", v.who, false);
	fact(n, "Waited", v.since, false);
	fact(n, "Expired", v.expires, false);
	requester(n, x);

	say(n, "Closed: stage %s had no decision%s%s%s%s, and it expired%s%s.", v.quoted, v.who ? " from " : "",
	    v.who ? v.who : "", v.since ? " in " : "", v.since ? v.since : "", v.expires ? " at " : "",
	    v.expires ? v.expires : "");
	say(n, "Open a new request if the access is still needed.");
	return n->oom ? -ENOMEM : 0;
}
