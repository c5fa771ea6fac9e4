#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "audit.h"
#include "cycle.h"
#include "executor.h"
#include "facts.h"
#include "itsm.h"
#include "journal.h"
#include "json.h"
#include "links.h"
#include "log.h"
#include "plan.h"
#include "policy.h"
#include "state.h"

/* A request is driven at most this often in one cycle: each round carries
 * out one batch of actions and feeds a grant's outcome back. */
#define MAX_ROUNDS (2 * WF_MAX_STEPS + WF_MAX_STAGES + 8)

struct cycle {
	struct agent *a;
	const char *source;
	int64_t now;
	struct request *polled; /* the requests the poll brought, handled after the approvals */
	size_t n_polled;
	size_t n_approvals; /* approval records the poll brought */
	char **driven; /* request ids already driven this cycle */
	size_t n_driven;
};

static int sync_journal(struct cycle *c)
{
	int r = journal_sync(c->a->journal);

	if (r == -ENOTRECOVERABLE)
		fatalx("the journal failed to sync; exiting so that a restart replays it");
	if (r < 0)
		log_warnx("the journal cannot be written (%s): taking no action until it can", strerror(-r));
	return r;
}

static int record(struct cycle *c, uint16_t type, cJSON *payload)
{
	int r;

	if (!payload)
		return -ENOMEM;
	r = state_record_json(c->a->state, c->a->journal, type, payload, NULL);
	cJSON_Delete(payload);
	if (r < 0)
		log_warnx("cannot journal a %s record: %s", state_type_name(type), strerror(-r));
	return r;
}

/* {"source", "id"} and the members after them. */
static cJSON *keyed(struct cycle *c, const char *id)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cJSON_AddStringToObject(o, "source", c->source) && cJSON_AddStringToObject(o, "id", id))
		return o;
	cJSON_Delete(o);
	return NULL;
}

static cJSON *data_of(const struct state_request *sr)
{
	return sr && sr->data ? cJSON_Parse(sr->data) : NULL;
}

/* ---- the request as the executor sees it ----------------------------------- */

struct loaded {
	struct plan plan;
	struct wf_record rec;
	struct exec_request x;
	char base[96];
	char *id, *number;
};

static void loaded_clear(struct loaded *l)
{
	plan_clear(&l->plan);
	free(l->id);
	free(l->number);
	memset(l, 0, sizeof(*l));
}

/* Load the request ID's plan and record; -ENOENT when it has no plan yet. */
static int load(struct cycle *c, const char *id, struct loaded *ret)
{
	const struct state_request *sr = state_request_find(c->a->state, c->source, id);
	cJSON *data = data_of(sr);
	struct loaded l = { 0 };
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(data, "plan");
	const cJSON *wf = cJSON_GetObjectItemCaseSensitive(data, "wf");
	int r;

	if (!data || !cJSON_IsObject(plan)) {
		cJSON_Delete(data);
		return -ENOENT;
	}
	r = plan_load(c->a->cfg, plan, &l.plan);
	if (r == 0 && wf)
		r = plan_record_parse(wf, &l.rec);
	if (r == 0) {
		l.id = strdup(id);
		l.number = strdup(sr->number ? sr->number : id);
		if (!l.id || !l.number)
			r = -ENOMEM;
	}
	if (r == 0) {
		snprintf(l.base, sizeof(l.base), "%s.r%d", l.number,
			 (int)json_int(data, "round"));
		l.x = (struct exec_request){ c->source, l.id, l.number, NULL, NULL };
	}
	cJSON_Delete(data);
	if (r < 0) {
		loaded_clear(&l);
		return r;
	}
	*ret = l;
	ret->x.plan = &ret->plan;
	ret->x.base = ret->base;
	return 0;
}

/* ---- carrying out one action ------------------------------------------------- */

static enum wf_result result_of(const char *outcome)
{
	cJSON *o = outcome ? cJSON_Parse(outcome) : NULL;
	const char *res = json_str(o, "result");
	enum wf_result r = !res ? WF_RESULT_NONE
			   : strcmp(res, "ok") == 0 ? WF_RESULT_OK
			   : strcmp(res, "transient") == 0 ? WF_RESULT_TRANSIENT
							 : WF_RESULT_PERMANENT;

	cJSON_Delete(o);
	return r;
}

/* After a new approval record: journal it, so its decision is known to
 * belong to this stage. */
static int note_approval(struct cycle *c, struct loaded *l, const cJSON *intent, const cJSON *outcome)
{
	const struct state_request *sr = state_request_find(c->a->state, c->source, l->id);
	const char *approval = json_str(outcome, "approval");
	cJSON *o, *data;

	if (!approval)
		return 0;
	/* The ITSM may hand back a record it already had for that approver
	 * (an earlier stage's): its journaled decision stays as it was. */
	for (size_t i = 0; sr && i < sr->n_approvals; i++)
		if (strcmp(sr->approvals[i].id, approval) == 0)
			return 0;
	o = keyed(c, l->id);
	data = cJSON_CreateObject();
	if (!o || !data || !cJSON_AddStringToObject(o, "approval", approval) ||
	    !cJSON_AddStringToObject(o, "approver", json_str(outcome, "approver")) ||
	    !cJSON_AddStringToObject(o, "decision", "requested") ||
	    !cJSON_AddNumberToObject(o, "stage", (double)json_int(intent, "stage")) ||
	    !cJSON_AddNumberToObject(o, "at", (double)c->now) || !cJSON_AddTrueToObject(data, "asked") ||
	    !cJSON_AddItemToObject(o, "data", data)) {
		cJSON_Delete(data);
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return record(c, STATE_APPROVAL, o);
}

/* Carry out the journaled intent of ACTION_ID and journal its outcome. */
static int perform(struct cycle *c, struct loaded *l, const char *action_id, const cJSON *intent, int recheck,
		   enum wf_result *ret)
{
	cJSON *outcome = NULL, *o;
	enum wf_result res = WF_RESULT_NONE;
	int r;

	r = executor_run(c->a, &l->x, intent, action_id, recheck, c->now, &outcome, &res);
	if (r < 0) {
		log_request(LOG_LEVEL_ERR, l->number, action_id, "cannot carry out the action: %s", strerror(-r));
		return r;
	}
	r = note_approval(c, l, intent, outcome);
	o = cJSON_CreateObject();
	if (r == 0 && (!o || !cJSON_AddStringToObject(o, "action", action_id) ||
		       !cJSON_AddItemReferenceToObject(o, "outcome", outcome)))
		r = -ENOMEM;
	if (r == 0)
		r = record(c, STATE_OUTCOME, o);
	else
		cJSON_Delete(o);
	cJSON_Delete(outcome);
	if (r == 0)
		r = sync_journal(c);
	if (r == 0 && ret)
		*ret = res;
	return r;
}

static int journal_intent(struct cycle *c, const char *request_id, const char *action_id, cJSON *intent)
{
	cJSON *o = keyed(c, request_id);

	if (!o || !cJSON_AddStringToObject(o, "action", action_id) ||
	    !cJSON_AddItemReferenceToObject(o, "intent", intent)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return record(c, STATE_INTENT, o);
}

/* ---- 1. recovery ------------------------------------------------------------ */

static int is_step(const char *kind)
{
	return kind && (strcmp(kind, "execute") == 0 || strcmp(kind, "undo") == 0);
}

static int recover(struct cycle *c)
{
	const struct state_action *act;
	char **ids = NULL;
	size_t n = 0, iter = 0;
	int r = 0;

	while ((act = state_action_next(c->a->state, &iter))) {
		char **grown;

		if (strcmp(act->source, c->source) != 0)
			continue;
		if (act->outcome && result_of(act->outcome) != WF_RESULT_TRANSIENT)
			continue;
		grown = realloc(ids, (n + 1) * sizeof(*ids));
		if (!grown || !(grown[n] = strdup(act->id))) {
			free(grown ? grown : ids);
			if (grown)
				ids = grown;
			r = -ENOMEM;
			goto done;
		}
		ids = grown;
		n++;
	}
	for (size_t i = 0; i < n && r == 0 && !agent_stop_pending(); i++) {
		struct loaded l = { 0 };
		cJSON *intent;
		int pending;

		act = state_action_find(c->a->state, ids[i]);
		intent = act ? cJSON_Parse(act->intent) : NULL;
		pending = act && !act->outcome;
		/* A step that failed transiently is the core's to retry. */
		if (!intent || (!pending && is_step(json_str(intent, "kind"))) || load(c, act->request_id, &l) < 0) {
			cJSON_Delete(intent);
			continue;
		}
		log_request(LOG_LEVEL_NOTICE, l.number, ids[i], "%s", pending ? "finishing an action a restart interrupted"
									 : "trying a failed write again");
		r = pending ? 0 : journal_intent(c, l.id, ids[i], intent);
		if (r == 0 && !pending)
			r = sync_journal(c);
		if (r == 0)
			r = perform(c, &l, ids[i], intent, pending, NULL);
		cJSON_Delete(intent);
		loaded_clear(&l);
	}
done:
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return r;
}

/* ---- 4. driving one request ----------------------------------------------------- */

/* The decisions that may count now: every decided approval, except those
 * accessd asked for another stage. A decision's time is when accessd first
 * saw it (the ITSM's own times have whole seconds only). */
static size_t decisions(const struct state_request *sr, int stage, struct wf_decision *v)
{
	size_t n = 0;

	for (size_t i = 0; i < sr->n_approvals && n < STATE_MAX_APPROVALS; i++) {
		const struct state_approval *ap = &sr->approvals[i];
		int approved, asked = 0;

		if (!ap->decision || !ap->approver)
			continue;
		approved = strcmp(ap->decision, "approved") == 0;
		if (!approved && strcmp(ap->decision, "rejected") != 0)
			continue;
		if (ap->data) {
			cJSON *data = cJSON_Parse(ap->data);

			asked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "asked"));
			cJSON_Delete(data);
		}
		if (asked && ap->stage != stage)
			continue;
		v[n++] = (struct wf_decision){ ap->approver, approved, ap->at_ms };
	}
	return n;
}

/* Journal NEXT as the request's record. "open" marks what a new request
 * for the same person and target is a duplicate of: one being worked, not
 * one waiting for its requester to fix it. */
static int journal_record(struct cycle *c, struct loaded *l, const struct wf_record *next)
{
	cJSON *o = keyed(c, l->id), *data = cJSON_CreateObject(), *wf = plan_record_json(next);
	int64_t timer = wf_next_timer(next, &l->plan.wf);
	int r;

	if (!o || !data || !wf || !cJSON_AddStringToObject(o, "number", l->number) ||
	    !cJSON_AddStringToObject(o, "state", wf_state_name(next->state)) ||
	    !cJSON_AddNumberToObject(o, "stage", next->stage) || !cJSON_AddItemToObject(data, "wf", wf) ||
	    !cJSON_AddBoolToObject(data, "open", !wf_state_final(next->state) && next->state != WF_SENT_BACK) ||
	    !cJSON_AddNumberToObject(data, "next", (double)timer) || !cJSON_AddItemToObject(o, "data", data)) {
		if (!cJSON_GetObjectItemCaseSensitive(data, "wf"))
			cJSON_Delete(wf);
		if (!cJSON_GetObjectItemCaseSensitive(o, "data"))
			cJSON_Delete(data);
		cJSON_Delete(o);
		return -ENOMEM;
	}
	r = record(c, STATE_REQUEST, o);
	/* The end date is a timer of its own, for operators and restarts. */
	if (r == 0 && (next->state == WF_ACTIVE || (l->rec.state == WF_ACTIVE && next->state != WF_ACTIVE))) {
		o = keyed(c, l->id);
		if (!o || !cJSON_AddStringToObject(o, "kind", "end_date") ||
		    !cJSON_AddNumberToObject(o, "due", next->state == WF_ACTIVE ? (double)l->plan.wf.end_ms : 0)) {
			cJSON_Delete(o);
			return -ENOMEM;
		}
		r = record(c, STATE_TIMER, o);
	}
	return r;
}

static void log_transition(const struct loaded *l, const struct wf_record *next)
{
	if (next->state != l->rec.state)
		log_request(LOG_LEVEL_INFO, l->number, NULL, "%s -> %s", wf_state_name(l->rec.state),
			    wf_state_name(next->state));
}

static int same_record(const struct wf_record *a, const struct wf_record *b)
{
	return a->state == b->state && a->stage == b->stage && a->stage_since_ms == b->stage_since_ms &&
	       a->reminded == b->reminded && a->escalated == b->escalated && a->granted == b->granted &&
	       a->undone == b->undone && a->step == b->step && a->attempts == b->attempts &&
	       a->retry_at_ms == b->retry_at_ms && a->seen_ms == b->seen_ms;
}

/* One round: decide, journal the intents with the next record, carry them
 * out. *RET_STEP is the outcome of a grant or removal to feed back, NONE
 * when the round had none (the request then waits). */
static int round_once(struct cycle *c, struct loaded *l, int changed, enum wf_result result, enum wf_result *ret_step,
		      int *ret_idle)
{
	const struct state_request *sr = state_request_find(c->a->state, c->source, l->id);
	struct wf_decision dec[STATE_MAX_APPROVALS];
	struct wf_input in = { .request_changed = changed, .decisions = dec, .result = result };
	struct wf_record next;
	struct wf_actions acts;
	cJSON *intents[WF_MAX_ACTIONS] = { 0 };
	char ids[WF_MAX_ACTIONS][128];
	int todo[WF_MAX_ACTIONS] = { 0 }, r;

	*ret_step = WF_RESULT_NONE;
	*ret_idle = 0;
	in.n_decisions = sr ? decisions(sr, l->rec.stage, dec) : 0;
	r = wf_decide(&l->rec, &l->plan.wf, &in, c->now, &next, &acts);
	if (r < 0) {
		log_request(LOG_LEVEL_ERR, l->number, NULL, "the journaled plan is out of bounds; the request is left alone");
		return 0;
	}
	if (acts.n == 0 && same_record(&next, &l->rec)) {
		*ret_idle = 1;
		return 0;
	}
	for (size_t i = 0; i < acts.n && r == 0; i++) {
		const struct state_action *done;

		executor_action_id(&l->x, &acts.v[i], next.state, ids[i], sizeof(ids[i]));
		if (acts.v[i].kind == WF_ACT_RETRY_AT) {
			log_request(LOG_LEVEL_INFO, l->number, ids[i], "step %d failed transiently; tried again in %lld ms",
				    acts.v[i].step, (long long)(acts.v[i].at_ms - c->now));
			continue;
		}
		done = state_action_find(c->a->state, ids[i]);
		if (done && done->outcome) {
			enum wf_result was = result_of(done->outcome);

			/* Done before (a restart between the outcome and the
			 * next record): use it, do not do it twice. */
			if (was == WF_RESULT_OK || was == WF_RESULT_PERMANENT ||
			    (acts.v[i].kind != WF_ACT_EXECUTE && acts.v[i].kind != WF_ACT_UNDO)) {
				if (acts.v[i].kind == WF_ACT_EXECUTE || acts.v[i].kind == WF_ACT_UNDO)
					*ret_step = was;
				continue;
			}
		}
		intents[i] = executor_intent(&acts.v[i], next.state);
		todo[i] = 1;
		r = intents[i] ? journal_intent(c, l->id, ids[i], intents[i]) : -ENOMEM;
	}
	if (r == 0)
		r = journal_record(c, l, &next);
	if (r == 0)
		r = sync_journal(c);
	if (r == 0)
		log_transition(l, &next);
	for (size_t i = 0; i < acts.n && r == 0; i++) {
		enum wf_result res = WF_RESULT_NONE;

		if (!todo[i])
			continue;
		log_request(LOG_LEVEL_INFO, l->number, ids[i], "%s", json_str(intents[i], "kind"));
		r = perform(c, l, ids[i], intents[i], 0, &res);
		if (acts.v[i].kind == WF_ACT_EXECUTE || acts.v[i].kind == WF_ACT_UNDO)
			*ret_step = res;
	}
	for (size_t i = 0; i < acts.n; i++)
		cJSON_Delete(intents[i]);
	if (r == 0)
		l->rec = next;
	return r;
}

static int mark_driven(struct cycle *c, const char *id)
{
	char **grown = realloc(c->driven, (c->n_driven + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	c->driven = grown;
	c->driven[c->n_driven] = strdup(id);
	if (!c->driven[c->n_driven])
		return -ENOMEM;
	c->n_driven++;
	return 0;
}

static int was_driven(const struct cycle *c, const char *id)
{
	for (size_t i = 0; i < c->n_driven; i++)
		if (strcmp(c->driven[i], id) == 0)
			return 1;
	return 0;
}

static int drive(struct cycle *c, const char *id, int changed)
{
	enum wf_result result = WF_RESULT_NONE;
	struct loaded l = { 0 };
	int r, idle = 0;

	r = mark_driven(c, id);
	if (r < 0)
		return r;
	r = load(c, id, &l);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_warnx("request %s: its journaled plan cannot be used (%s); it is left alone", id, strerror(-r));
		return r == -ENOMEM ? r : 0;
	}
	for (int i = 0; i < MAX_ROUNDS && r == 0 && !idle; i++) {
		enum wf_result step = WF_RESULT_NONE;

		/* Without a step outcome to feed back, one more call finds
		 * the request waiting, unless a new stage or step just began. */
		r = round_once(c, &l, changed, result, &step, &idle);
		changed = 0;
		result = step;
	}
	loaded_clear(&l);
	return r;
}

/* ---- 2. approvals ------------------------------------------------------------- */

static int on_approval(const struct approval *ap, void *userdata)
{
	struct cycle *c = userdata;
	const struct state_request *sr;
	const char *who = ap->approver_upn ? ap->approver_upn : ap->approver;
	struct audit_event ev = { .kind = AUDIT_APPROVAL_SEEN };
	int decided, r;
	cJSON *o, *data;

	c->n_approvals++;
	log_info("found approval %s of %s by %s, state %s", ap->id ? ap->id : "?", ap->request_id ? ap->request_id : "?",
		 who ? who : "?", ap->state ? ap->state : "?");
	if (!ap->id || !ap->request_id || !ap->state)
		return 0;
	sr = state_request_find(c->a->state, c->source, ap->request_id);
	if (!sr) {
		/* Seen before its request (observe mode): the request comes next. */
		r = record(c, STATE_REQUEST, keyed(c, ap->request_id));
		if (r < 0)
			return r;
		sr = state_request_find(c->a->state, c->source, ap->request_id);
	}
	for (size_t i = 0; sr && i < sr->n_approvals; i++)
		if (strcmp(sr->approvals[i].id, ap->id) == 0 && sr->approvals[i].decision &&
		    strcmp(sr->approvals[i].decision, ap->state) == 0)
			return 0;
	decided = strcmp(ap->state, "approved") == 0 || strcmp(ap->state, "rejected") == 0;
	o = keyed(c, ap->request_id);
	data = cJSON_CreateObject();
	/* Seen now; decided before this cycle's decisions are taken. */
	if (!o || !data || !cJSON_AddStringToObject(o, "approval", ap->id) ||
	    (who && !cJSON_AddStringToObject(o, "approver", who)) || !cJSON_AddStringToObject(o, "decision", ap->state) ||
	    (decided && !cJSON_AddNumberToObject(o, "at", (double)(c->now - 1))) ||
	    (ap->comments && !cJSON_AddStringToObject(data, "comments", ap->comments)) ||
	    !cJSON_AddItemToObject(o, "data", data)) {
		if (!cJSON_GetObjectItemCaseSensitive(o, "data"))
			cJSON_Delete(data);
		cJSON_Delete(o);
		return -ENOMEM;
	}
	r = record(c, STATE_APPROVAL, o);
	if (r < 0 || !decided || !c->a->audit)
		return r;
	sr = state_request_find(c->a->state, c->source, ap->request_id);
	ev.request_number = sr ? sr->number : NULL;
	ev.request_id = ap->request_id;
	ev.who = who;
	ev.detail = ap->state;
	if (audit_append(c->a->audit, c->now, &ev) < 0)
		log_warnx("cannot append to the audit trail");
	return 0;
}

/* ---- 3. requests ----------------------------------------------------------------- */

/* What the requester can change, hashed: an edit is a change of these, not
 * of the ticket's update time (accessd's own notes move that). */
static void digest(const struct request *req, char buf[17])
{
	uint64_t h = 14695981039346656037ULL;
	const char *parts[] = { req->item_id, req->item_name, req->requested_for, req->opened_by,
				req->requested_for_upn, req->opened_by_upn };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *p = parts[i] ? parts[i] : ""; ; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
			if (!*p)
				break;
		}
	for (size_t i = 0; i < req->n_vars; i++)
		for (const char *const *s = (const char *const[]){ req->vars[i].name, req->vars[i].value, NULL }; *s; s++)
			for (const char *p = *s; ; p++) {
				h = (h ^ (unsigned char)*p) * 1099511628211ULL;
				if (!*p)
					break;
			}
	snprintf(buf, 17, "%016llx", (unsigned long long)h);
}

/* Validate REQ and freeze its plan in the journal. Returns 0, 1 when the
 * policy does not govern it, or a negative errno. */
static int plan_request(struct cycle *c, const struct request *req, int round)
{
	struct facts f = { 0 };
	struct policy_result res = { 0 };
	cJSON *plan = NULL, *o = NULL, *data = NULL, *wf = NULL;
	struct wf_record fresh = { 0 };
	char sum[17], key[256];
	int r;

	if (!c->a->links || !c->a->links->directory) {
		log_request(LOG_LEVEL_WARNING, req->number, NULL, "no directory is configured: it cannot be validated");
		return 1;
	}
	r = facts_gather(c->a->links->directory, c->a->cfg, c->a->state, c->source, req, &f);
	if (r < 0) {
		/* Stops the listing: the watermark stays, and the next cycle
		 * brings this request again. */
		log_request(LOG_LEVEL_WARNING, req->number, NULL, "the directory could not be asked (%s); tried again "
								 "next cycle", strerror(-r));
		return r;
	}
	r = policy_evaluate(c->a->cfg, req, &f.pf, c->now, &res);
	if (r < 0)
		goto done;
	if (res.verdict == POLICY_IGNORE) {
		r = 1;
		goto done;
	}
	log_request(LOG_LEVEL_INFO, req->number, NULL, "validated: %s%s%s", policy_verdict_name(res.verdict),
		    res.target ? ", target " : "", res.target ? res.target->name : "");
	r = plan_build(c->a->cfg, req, &f, &res, &plan);
	if (r < 0)
		goto done;
	digest(req, sum);
	facts_duplicate_key(f.subject.exists ? f.subject.id : NULL, res.target ? res.target->name : NULL, key,
			    sizeof(key));
	o = keyed(c, req->id);
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
	r = record(c, STATE_REQUEST, o);
	o = NULL;
	goto done;
fail:
	cJSON_Delete(wf);
	cJSON_Delete(data);
	cJSON_Delete(o);
done:
	cJSON_Delete(plan);
	policy_result_clear(&res);
	facts_clear(&f);
	return r;
}

static int handle_request(struct cycle *c, const struct request *req)
{
	const struct state_request *sr = state_request_find(c->a->state, c->source, req->id);
	cJSON *data = data_of(sr);
	struct wf_record rec = { 0 };
	const char *old = json_str(data, "digest");
	int round = (int)json_int(data, "round");
	int has_plan = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(data, "plan")), changed = 0, r = 0;
	char sum[17];

	if (agent_stop_pending())
		goto done;
	log_request(LOG_LEVEL_INFO, req->number, NULL, "found %s (sys_id %s) for catalog item \"%s\", state %s, updated %s",
		    req->number, req->id, req->item_name ? req->item_name : "?", req->state ? req->state : "?",
		    req->updated_on ? req->updated_on : "?");
	if (round < 0)
		round = 0;
	digest(req, sum);
	plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec);
	if (!has_plan) {
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
		r = sync_journal(c);
	if (r == 0)
		r = drive(c, req->id, changed);
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

/* ---- the cycle ----------------------------------------------------------------------- */

static int drive_open(struct cycle *c)
{
	const struct state_request *sr;
	char **ids = NULL;
	size_t n = 0, iter = 0;
	int r = 0;

	while ((sr = state_request_next(c->a->state, &iter))) {
		char **grown;

		if (strcmp(sr->source, c->source) != 0 || was_driven(c, sr->id) || !sr->workflow[0])
			continue;
		grown = realloc(ids, (n + 1) * sizeof(*ids));
		if (!grown) {
			r = -ENOMEM;
			goto done;
		}
		ids = grown;
		ids[n] = strdup(sr->id);
		if (!ids[n]) {
			r = -ENOMEM;
			goto done;
		}
		n++;
	}
	for (size_t i = 0; i < n && r == 0 && !agent_stop_pending(); i++) {
		enum wf_state st = WF_NEW;
		cJSON *data;
		struct wf_record rec;

		sr = state_request_find(c->a->state, c->source, ids[i]);
		data = data_of(sr);
		if (plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec) == 0)
			st = rec.state;
		cJSON_Delete(data);
		if (!wf_state_final(st))
			r = drive(c, ids[i], 0);
	}
done:
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return r;
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
			cJSON *data = data_of(sr);
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
	snprintf(name, sizeof(name), "%s.%s", c->source, which);
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "source", name) || !cJSON_AddStringToObject(o, "watermark", value)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return record(c, STATE_WATERMARK, o);
}

static const char *watermark(struct cycle *c, const char *which)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%s", c->source, which);
	return state_watermark(c->a->state, name);
}

int cycle_run(struct agent *a)
{
	const struct itsm_ops *ops = itsm_ops(a->itsm);
	struct cycle c = { .a = a, .source = a->cfg->itsm.kind, .now = clock_now(a->clock) };
	char *approvals = NULL, *requests = NULL;
	int r, hold = 0;

	r = recover(&c);
	if (r < 0)
		goto done;
	r = ops->poll_requests(itsm_impl(a->itsm), a->cfg->items, a->cfg->n_items, watermark(&c, "requests"),
			       on_request, &c, &requests);
	if (r < 0) {
		log_warnx("polling requests failed: %s", strerror(-r));
		goto done;
	}
	a->status.requests_seen = c.n_polled;
	log_info("%zu request(s) changed", c.n_polled);
	if (agent_stop_pending()) {
		log_info("stop requested; the cycle ends before polling approvals");
		goto done;
	}
	r = ops->poll_approvals(itsm_impl(a->itsm), a->cfg->items, a->cfg->n_items, watermark(&c, "approvals"),
				on_approval, &c, &approvals);
	if (r == 0)
		r = sync_journal(&c);
	if (r < 0) {
		log_warnx("polling approvals failed: %s", strerror(-r));
		goto done;
	}
	log_info("%zu approval(s) changed", c.n_approvals);
	for (size_t i = 0; i < c.n_polled && r == 0; i++) {
		r = handle_request(&c, &c.polled[i]);
		/* The directory failed: this request comes again next cycle. */
		if (r == -EAGAIN) {
			hold = 1;
			r = 0;
		}
	}
	if (r == 0)
		r = drive_open(&c);
	/* Only once everything the polls brought is journaled. */
	if (r == 0)
		r = save_watermark(&c, "approvals", approvals);
	if (r == 0 && !hold)
		r = save_watermark(&c, "requests", requests);
	if (r == 0)
		r = sync_journal(&c);
	count(a, c.source);
done:
	for (size_t i = 0; i < c.n_driven; i++)
		free(c.driven[i]);
	free(c.driven);
	for (size_t i = 0; i < c.n_polled; i++)
		request_clear(&c.polled[i]);
	free(c.polled);
	free(approvals);
	free(requests);
	return r;
}
