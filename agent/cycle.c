/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "connectors/itsm.h"
#include "core/plan.h"
#include "core/policy.h"
#include "cycle.h"
#include "drive.h"
#include "gather.h"
#include "links.h"
#include "store/audit.h"
#include "store/state.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"

struct cycle {
	struct drive d;
	struct request *polled; /* the requests the poll brought, handled after the approvals */
	size_t n_polled;
	size_t n_approvals; /* approval records the poll brought */
};

/* ---- approvals --------------------------------------------------------------- */

/* Whether the journaled approval KNOWN was last written by the same hand
 * as AP says. */
static int same_hand(const struct state_approval *known, const struct approval *ap)
{
	cJSON *data = known->data ? cJSON_Parse(known->data) : NULL;
	const char *by = json_str(data, "by");
	int same = by ? strcmp(by, ap->decided_by ? ap->decided_by : "") == 0 &&
				cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "by_approver")) == !!ap->by_approver
		      : !ap->decided_by;

	cJSON_Delete(data);
	return same;
}

static int on_approval(const struct approval *ap, void *userdata)
{
	struct cycle *c = userdata;
	const struct state_request *sr;
	const char *who = ap->approver_upn ? ap->approver_upn : ap->approver;
	struct audit_event ev = { .kind = AUDIT_APPROVAL_SEEN };
	char detail[160];
	int decided, r;
	cJSON *o, *data;

	c->n_approvals++;
	log_info("found approval %s of %s by %s, state %s (%s)", ap->id ? ap->id : "?",
		 ap->request_id ? ap->request_id : "?", who ? who : "?", ap->status ? ap->status : "?",
		 approval_decision_name(ap->decision));
	if (!ap->id || !ap->request_id)
		return 0;
	sr = state_request_find(c->d.a->state, c->d.source, ap->request_id);
	if (!sr) {
		/* Seen before its request (observe mode): the request comes next. */
		r = drive_record(&c->d, STATE_REQUEST, drive_keyed(&c->d, ap->request_id));
		if (r < 0)
			return r;
		sr = state_request_find(c->d.a->state, c->d.source, ap->request_id);
	}
	/* The same decision by the same hand is known; another hand writing
	 * the same state is a new decision (and not the approver's). */
	for (size_t i = 0; sr && i < sr->n_approvals; i++)
		if (strcmp(sr->approvals[i].id, ap->id) == 0 && sr->approvals[i].decision &&
		    approval_decision_from_name(sr->approvals[i].decision) == ap->decision && same_hand(&sr->approvals[i], ap))
			return 0;
	decided = ap->decision == APPROVAL_APPROVED || ap->decision == APPROVAL_REJECTED;
	if (decided && !ap->by_approver)
		log_warnx("approval %s of %s: decided \"%s\" by %s, not by the approver %s; it does not count", ap->id,
			  ap->request_id, approval_decision_name(ap->decision),
			  ap->decided_by ? ap->decided_by : "someone the ITSM does not name", who ? who : "?");
	o = drive_keyed(&c->d, ap->request_id);
	data = cJSON_CreateObject();
	/* Seen now; decided before this cycle's decisions are taken. */
	if (!o || !data || !cJSON_AddStringToObject(o, "approval", ap->id) ||
	    (who && !cJSON_AddStringToObject(o, "approver", who)) ||
	    !cJSON_AddStringToObject(o, "decision", approval_decision_name(ap->decision)) ||
	    (decided && !cJSON_AddNumberToObject(o, "at", (double)(c->d.now - 1))) ||
	    (ap->comments && !cJSON_AddStringToObject(data, "comments", ap->comments)) ||
	    !cJSON_AddStringToObject(data, "by", ap->decided_by ? ap->decided_by : "") ||
	    !cJSON_AddBoolToObject(data, "by_approver", ap->by_approver) || !cJSON_AddItemToObject(o, "data", data)) {
		if (!cJSON_GetObjectItemCaseSensitive(o, "data"))
			cJSON_Delete(data);
		cJSON_Delete(o);
		return -ENOMEM;
	}
	r = drive_record(&c->d, STATE_APPROVAL, o);
	if (r < 0 || !decided || !c->d.a->audit)
		return r;
	sr = state_request_find(c->d.a->state, c->d.source, ap->request_id);
	ev.request_number = sr ? sr->number : NULL;
	ev.request_id = ap->request_id;
	ev.who = who;
	snprintf(detail, sizeof(detail), "%s%s%s", approval_decision_name(ap->decision),
		 ap->by_approver ? "" : ", written by ",
		 ap->by_approver ? "" : ap->decided_by ? ap->decided_by : "an unnamed hand");
	ev.detail = detail;
	if (audit_append(c->d.a->audit, c->d.now, &ev) < 0)
		log_warnx("cannot append to the audit trail");
	return 0;
}

/* ---- requests ---------------------------------------------------------------- */

/* What the requester can change, hashed: an edit is a change of these, not
 * of the ticket's update time (accessd's own notes move that). */
static void digest(const struct request *req, char buf[17])
{
	const char *parts[] = { req->item_id, req->item_name, req->requested_for, req->opened_by,
				req->requested_for_upn, req->opened_by_upn };
	uint64_t h = HASH_FNV64_INIT;

	/* Each string with its NUL, so that "ab","c" and "a","bc" differ. */
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		h = hash_fnv64(h, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) + 1 : 1);
	for (size_t i = 0; i < req->n_vars; i++) {
		const struct variable *v = &req->vars[i];

		if (v->name)
			h = hash_fnv64(h, v->name, strlen(v->name) + 1);
		if (v->name && v->value)
			h = hash_fnv64(h, v->value, strlen(v->value) + 1);
	}
	snprintf(buf, 17, "%016llx", (unsigned long long)h);
}

/* Journal that REQ was skipped and WHY, once, for accessctl requests to
 * list it. Returns 1 (skipped), or a negative errno. */
static int skip(struct cycle *c, const struct request *req, const char *why)
{
	const struct state_request *sr = state_request_find(c->d.a->state, c->d.source, req->id);
	cJSON *old = drive_data(sr), *o, *data;
	const char *was = json_str(old, "skipped");
	int same = sr && strcmp(sr->workflow, CYCLE_SKIPPED) == 0 && was && strcmp(was, why) == 0, r;

	cJSON_Delete(old);
	if (same)
		return 1;
	o = drive_keyed(&c->d, req->id);
	data = cJSON_CreateObject();
	if (!o || !data || !cJSON_AddStringToObject(o, "number", req->number) ||
	    !cJSON_AddStringToObject(o, "state", CYCLE_SKIPPED) || !cJSON_AddStringToObject(data, "skipped", why) ||
	    !cJSON_AddItemToObject(o, "data", data)) {
		if (!cJSON_GetObjectItemCaseSensitive(o, "data"))
			cJSON_Delete(data);
		cJSON_Delete(o);
		return -ENOMEM;
	}
	r = drive_record(&c->d, STATE_REQUEST, o);
	return r < 0 ? r : 1;
}

/* Validate REQ and freeze its plan in the journal. Returns 0, 1 when it
 * was skipped (no directory, an item the policy does not govern), or a
 * negative errno. */
static int plan_request(struct cycle *c, const struct request *req, int round)
{
	struct facts f = { 0 };
	struct policy_result res = { 0 };
	cJSON *plan = NULL, *o = NULL, *data = NULL, *wf = NULL;
	struct wf_record fresh = { 0 };
	char sum[17], key[256];
	int r;

	if (!c->d.a->links || !c->d.a->links->directory) {
		log_request(LOG_LEVEL_WARNING, req->number, NULL, "no directory is configured: it cannot be validated");
		return skip(c, req, "no directory is configured, so it cannot be validated");
	}
	r = facts_gather(c->d.a->links->directory, c->d.a->itsm, c->d.a->zones, c->d.a->cfg, c->d.a->state,
			 c->d.source, req, c->d.now, &f);
	if (r < 0) {
		/* Stops the listing: the watermark stays, and the next cycle
		 * brings this request again. */
		log_request(LOG_LEVEL_WARNING, req->number, NULL, "the directory could not be asked (%s); tried again "
								 "next cycle", strerror(-r));
		return r;
	}
	r = policy_evaluate(c->d.a->cfg, req, &f.pf, c->d.now, &res);
	if (r < 0)
		goto oom;
	if (res.verdict == POLICY_IGNORE) {
		log_request(LOG_LEVEL_NOTICE, req->number, NULL, "catalog item \"%s\" is not governed by the policy; "
								"skipped", req->item_name ? req->item_name : "?");
		r = skip(c, req, "its catalog item is not governed by the policy");
		goto done;
	}
	log_request(LOG_LEVEL_INFO, req->number, NULL, "validated: %s%s%s", policy_verdict_name(res.verdict),
		    res.target ? ", target " : "", res.target ? res.target->name : "");
	r = plan_build(c->d.a->cfg, req, &f, &res, &plan);
	if (r < 0)
		goto oom;
	digest(req, sum);
	facts_duplicate_key(f.subject.exists ? f.subject.id : NULL, res.target ? res.target->name : NULL, key,
			    sizeof(key));
	o = drive_keyed(&c->d, req->id);
	data = cJSON_CreateObject();
	wf = round == 0 ? plan_record_json(&fresh) : NULL;
	r = -ENOMEM;
	if (!o || !data || (round == 0 && !wf) || !cJSON_AddStringToObject(o, "number", req->number) ||
	    !cJSON_AddItemToObject(data, "plan", plan))
		goto fail;
	plan = NULL;
	if ((wf && !cJSON_AddItemToObject(data, "wf", wf)))
		goto fail;
	wf = NULL;
	if (!cJSON_AddStringToObject(data, "digest", sum) || !cJSON_AddNumberToObject(data, "round", round) ||
	    !cJSON_AddStringToObject(data, "key", key) || !cJSON_AddTrueToObject(data, "open") ||
	    (round == 0 && !cJSON_AddStringToObject(o, "state", wf_state_name(WF_NEW))) ||
	    !cJSON_AddItemToObject(o, "data", data))
		goto fail;
	data = NULL;
	/* drive_record logs its own failures. */
	r = drive_record(&c->d, STATE_REQUEST, o);
	goto done;
fail:
	cJSON_Delete(wf);
	cJSON_Delete(data);
	cJSON_Delete(o);
oom:
	log_request(LOG_LEVEL_ERR, req->number, NULL, "out of memory validating it");
done:
	cJSON_Delete(plan);
	policy_result_clear(&res);
	facts_clear(&f);
	return r;
}

static int handle_request(struct cycle *c, const struct request *req)
{
	const struct state_request *sr = state_request_find(c->d.a->state, c->d.source, req->id);
	cJSON *data = drive_data(sr);
	struct wf_record rec = { 0 };
	const char *old = json_str(data, "digest");
	int round = (int)json_int(data, "round");
	int has_plan = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(data, "plan")), changed = 0, r = 0;
	char sum[17];

	if (agent_stop_pending())
		goto done;
	log_request(LOG_LEVEL_INFO, req->number, NULL, "found %s (id %s) for catalog item \"%s\", state %s (%s), updated %s",
		    req->number, req->id, req->item_name ? req->item_name : "?", req->status ? req->status : "?",
		    ticket_phase_name(req->phase), req->updated_on ? req->updated_on : "?");
	if (round < 0)
		round = 0;
	digest(req, sum);
	plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec);
	if (!has_plan && ticket_phase_closed(req->phase)) {
		/* Closed before accessd saw it (history at the first start, or
		 * closed by hand at once): nothing to do, and nothing to grant. */
		log_request(LOG_LEVEL_INFO, req->number, NULL, "closed in the ITSM (state %s) before accessd saw it; left alone",
			    req->status ? req->status : ticket_phase_name(req->phase));
		goto done;
	} else if (!has_plan) {
		r = plan_request(c, req, 0);
	} else if (old && strcmp(old, sum) != 0 && rec.state == WF_SENT_BACK) {
		log_request(LOG_LEVEL_INFO, req->number, NULL, "edited after it was sent back: validated again");
		r = plan_request(c, req, round + 1);
		changed = r == 0;
	} else if (old && strcmp(old, sum) != 0 && !wf_state_final(rec.state)) {
		log_request(LOG_LEVEL_INFO, req->number, NULL, "changed while %s: it keeps the plan it was validated with",
			    wf_state_name(rec.state));
	}
	if (r == 0)
		r = drive_sync(&c->d);
	if (r == 0)
		r = drive_request(&c->d, req->id, changed, ticket_phase_closed(req->phase));
	else if (r == 1)
		r = 0;
done:
	cJSON_Delete(data);
	return r;
}

/* Keep REQ until the approvals are polled too. */
static int on_request(const struct request *req, void *userdata)
{
	struct cycle *c = userdata;
	struct request *grown = realloc(c->polled, (c->n_polled + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	c->polled = grown;
	if (request_copy(req, &c->polled[c->n_polled]) < 0)
		return -ENOMEM;
	c->n_polled++;
	return 0;
}

static void count(struct agent *a, const char *source)
{
	const struct state_request *sr;
	size_t iter = 0;

	a->status.awaiting_approval = 0;
	a->status.blocked = 0;
	a->status.next_escalation_ms = 0;
	while ((sr = state_request_next(a->state, &iter))) {
		const char *w = sr->workflow;

		if (strcmp(sr->source, source) != 0)
			continue;
		if (strcmp(w, wf_state_name(WF_AWAITING)) == 0 || strcmp(w, wf_state_name(WF_ESCALATED)) == 0) {
			cJSON *data = drive_data(sr);
			int64_t next = json_int(data, "next");

			a->status.awaiting_approval++;
			if (next > 0 && (!a->status.next_escalation_ms || next < a->status.next_escalation_ms))
				a->status.next_escalation_ms = next;
			cJSON_Delete(data);
		} else if (strcmp(w, wf_state_name(WF_BLOCKED)) == 0 || strcmp(w, wf_state_name(WF_ROLLED_BACK)) == 0 ||
			   strcmp(w, wf_state_name(WF_COMPENSATING)) == 0) {
			a->status.blocked++;
		}
	}
}

static int save_watermark(struct cycle *c, const char *which, const char *value)
{
	char name[64];
	cJSON *o;

	if (!value)
		return 0;
	snprintf(name, sizeof(name), "%s.%s", c->d.source, which);
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "source", name) || !cJSON_AddStringToObject(o, "watermark", value)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return drive_record(&c->d, STATE_WATERMARK, o);
}

static const char *watermark(struct cycle *c, const char *which)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%s", c->d.source, which);
	return state_watermark(c->d.a->state, name);
}

int cycle_run(struct agent *a)
{
	struct cycle c = { .d = { .a = a, .source = a->cfg->itsm.kind, .now = clock_now(a->clock) } };
	char *approvals = NULL, *requests = NULL;
	int r, hold = 0;

	r = drive_recover(&c.d);
	if (r < 0)
		goto done;
	r = itsm_poll_requests(a->itsm, a->cfg->items, a->cfg->n_items, watermark(&c, "requests"), on_request, &c,
			       &requests);
	if (r < 0) {
		log_warnx("polling requests failed: %s", strerror(-r));
		goto done;
	}
	a->status.requests_seen = c.n_polled;
	a->summary.requests += c.n_polled;
	log_debug("%zu request(s) changed", c.n_polled);
	if (agent_stop_pending()) {
		log_info("stop requested; the cycle ends before polling approvals");
		goto done;
	}
	r = itsm_poll_approvals(a->itsm, a->cfg->items, a->cfg->n_items, watermark(&c, "approvals"), on_approval, &c,
				&approvals);
	if (r == 0)
		r = drive_sync(&c.d);
	if (r < 0) {
		log_warnx("polling approvals failed: %s", strerror(-r));
		goto done;
	}
	a->summary.approvals += c.n_approvals;
	log_debug("%zu approval(s) changed", c.n_approvals);
	for (size_t i = 0; i < c.n_polled && r == 0; i++) {
		r = handle_request(&c, &c.polled[i]);
		/* The directory failed: this request comes again next cycle. */
		if (r == -EAGAIN) {
			hold = 1;
			r = 0;
		}
	}
	if (r == 0)
		r = drive_open(&c.d);
	/* Only once everything the polls brought is journaled. */
	if (r == 0)
		r = save_watermark(&c, "approvals", approvals);
	if (r == 0 && !hold)
		r = save_watermark(&c, "requests", requests);
	if (r == 0)
		r = drive_sync(&c.d);
	count(a, c.d.source);
done:
	drive_clear(&c.d);
	for (size_t i = 0; i < c.n_polled; i++)
		request_clear(&c.polled[i]);
	free(c.polled);
	free(approvals);
	free(requests);
	return r;
}
