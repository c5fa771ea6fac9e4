/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "core/plan.h"
#include "drive.h"
#include "executor.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/json.h"
#include "util/log.h"

/* A request is driven at most this often in one cycle: each round carries
 * out one batch of actions and feeds a grant's outcome back. */
#define MAX_ROUNDS (2 * WF_MAX_STEPS + WF_MAX_STAGES + 8)

int drive_sync(struct drive *d)
{
	int r = journal_sync(d->a->journal);

	if (r == -ENOTRECOVERABLE)
		fatalx("the journal failed to sync; exiting so that a restart replays it");
	if (r < 0)
		log_warnx("the journal cannot be written (%s): taking no action until it can", strerror(-r));
	return r;
}

int drive_record(struct drive *d, uint16_t type, cJSON *payload)
{
	int r;

	if (!payload)
		return -ENOMEM;
	r = state_record_json(d->a->state, d->a->journal, type, payload, NULL);
	cJSON_Delete(payload);
	if (r < 0)
		log_warnx("cannot journal a %s record: %s", state_type_name(type), strerror(-r));
	return r;
}

cJSON *drive_keyed(const struct drive *d, const char *id)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cJSON_AddStringToObject(o, "source", d->source) && cJSON_AddStringToObject(o, "id", id))
		return o;
	cJSON_Delete(o);
	return NULL;
}

cJSON *drive_data(const struct state_request *sr)
{
	return sr && sr->data ? cJSON_Parse(sr->data) : NULL;
}

/* Append a copy of ID to the N strings *V. 0 or -ENOMEM. */
static int push_id(char ***v, size_t *n, const char *id)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown)
		return -ENOMEM;
	*v = grown;
	grown[*n] = strdup(id);
	if (!grown[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void free_ids(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- the request as the executor sees it ----------------------------------- */

struct loaded {
	struct plan plan;
	struct wf_record rec;
	struct exec_request x;
	char base[EXECUTOR_BASE_MAX];
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
static int load(struct drive *d, const char *id, struct loaded *ret)
{
	const struct state_request *sr = state_request_find(d->a->state, d->source, id);
	cJSON *data = drive_data(sr);
	struct loaded l = { 0 };
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(data, "plan");
	const cJSON *wf = cJSON_GetObjectItemCaseSensitive(data, "wf");
	int r;

	if (!data || !cJSON_IsObject(plan)) {
		cJSON_Delete(data);
		return -ENOENT;
	}
	r = plan_load(d->a->cfg, plan, &l.plan);
	if (r == 0 && wf)
		r = plan_record_parse(wf, &l.rec);
	if (r == 0) {
		l.id = strdup(id);
		l.number = strdup(sr->number ? sr->number : id);
		if (!l.id || !l.number)
			r = -ENOMEM;
	}
	if (r == 0) {
		executor_action_base(l.number, (int)json_int(data, "round"), l.base, sizeof(l.base));
		l.x = (struct exec_request){ d->source, l.id, l.number, NULL, NULL };
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
static int note_approval(struct drive *d, struct loaded *l, const cJSON *intent, const cJSON *outcome)
{
	const struct state_request *sr = state_request_find(d->a->state, d->source, l->id);
	const char *approval = json_str(outcome, "approval");
	cJSON *o, *data;

	if (!approval)
		return 0;
	/* The ITSM may hand back a record it already had for that approver
	 * (an earlier stage's): its journaled decision stays as it was. */
	for (size_t i = 0; sr && i < sr->n_approvals; i++)
		if (strcmp(sr->approvals[i].id, approval) == 0)
			return 0;
	o = drive_keyed(d, l->id);
	data = cJSON_CreateObject();
	if (!o || !data || !cJSON_AddStringToObject(o, "approval", approval) ||
	    !cJSON_AddStringToObject(o, "approver", json_str(outcome, "approver")) ||
	    !cJSON_AddStringToObject(o, "decision", approval_decision_name(APPROVAL_REQUESTED)) ||
	    !cJSON_AddNumberToObject(o, "stage", (double)json_int(intent, "stage")) ||
	    !cJSON_AddNumberToObject(o, "at", (double)d->now) || !cJSON_AddTrueToObject(data, "asked") ||
	    !cJSON_AddItemToObject(o, "data", data)) {
		cJSON_Delete(data);
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return drive_record(d, STATE_APPROVAL, o);
}

/* Carry out the journaled intent of ACTION_ID and journal its outcome. */
static int perform(struct drive *d, struct loaded *l, const char *action_id, const cJSON *intent, int recheck,
		   enum wf_result *ret)
{
	cJSON *outcome = NULL, *o;
	enum wf_result res = WF_RESULT_NONE;
	int r;

	r = executor_run(d->a, &l->x, intent, action_id, recheck, d->now, &outcome, &res);
	if (r < 0) {
		log_request(LOG_LEVEL_ERR, l->number, action_id, "cannot carry out the action: %s", strerror(-r));
		return r;
	}
	r = note_approval(d, l, intent, outcome);
	o = cJSON_CreateObject();
	if (r == 0 && (!o || !cJSON_AddStringToObject(o, "action", action_id) ||
		       !cJSON_AddItemReferenceToObject(o, "outcome", outcome)))
		r = -ENOMEM;
	if (r == 0)
		r = drive_record(d, STATE_OUTCOME, o);
	else
		cJSON_Delete(o);
	cJSON_Delete(outcome);
	if (r == 0)
		r = drive_sync(d);
	if (r == 0 && ret)
		*ret = res;
	return r;
}

static int journal_intent(struct drive *d, const char *request_id, const char *action_id, cJSON *intent)
{
	cJSON *o = drive_keyed(d, request_id);

	if (!o || !cJSON_AddStringToObject(o, "action", action_id) ||
	    !cJSON_AddItemReferenceToObject(o, "intent", intent)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return drive_record(d, STATE_INTENT, o);
}

/* ---- recovery ------------------------------------------------------------ */

static int is_step(const char *kind)
{
	return kind && (strcmp(kind, "execute") == 0 || strcmp(kind, "undo") == 0);
}

int drive_recover(struct drive *d)
{
	const struct state_action *act;
	char **ids = NULL;
	size_t n = 0, iter = 0;
	int r = 0;

	while ((act = state_action_next(d->a->state, &iter)) && r == 0) {
		if (strcmp(act->source, d->source) != 0)
			continue;
		if (act->outcome && result_of(act->outcome) != WF_RESULT_TRANSIENT)
			continue;
		r = push_id(&ids, &n, act->id);
	}
	for (size_t i = 0; i < n && r == 0 && !agent_stop_pending(); i++) {
		struct loaded l = { 0 };
		cJSON *intent;
		int pending;

		act = state_action_find(d->a->state, ids[i]);
		intent = act ? cJSON_Parse(act->intent) : NULL;
		pending = act && !act->outcome;
		/* A step that failed transiently is the core's to retry. */
		if (!intent || (!pending && is_step(json_str(intent, "kind"))) || load(d, act->request_id, &l) < 0) {
			cJSON_Delete(intent);
			continue;
		}
		log_request(LOG_LEVEL_NOTICE, l.number, ids[i], "%s", pending ? "finishing an action a restart interrupted"
									 : "trying a failed write again");
		r = pending ? 0 : journal_intent(d, l.id, ids[i], intent);
		if (r == 0 && !pending)
			r = drive_sync(d);
		if (r == 0)
			r = perform(d, &l, ids[i], intent, pending, NULL);
		cJSON_Delete(intent);
		loaded_clear(&l);
	}
	if (r == -ENOMEM)
		log_error("out of memory finishing interrupted actions");
	free_ids(ids, n);
	return r;
}

/* ---- driving one request ----------------------------------------------------- */

size_t drive_decisions(const struct state_request *sr, int stage, struct wf_decision *v)
{
	size_t n = 0;

	for (size_t i = 0; i < sr->n_approvals && n < STATE_MAX_APPROVALS; i++) {
		const struct state_approval *ap = &sr->approvals[i];
		enum approval_decision decision = approval_decision_from_name(ap->decision);
		int asked = 0, by_approver = 1;

		if (!ap->approver || (decision != APPROVAL_APPROVED && decision != APPROVAL_REJECTED))
			continue;
		if (ap->data) {
			cJSON *data = cJSON_Parse(ap->data);
			const cJSON *by = cJSON_GetObjectItemCaseSensitive(data, "by_approver");

			asked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "asked"));
			by_approver = !by || cJSON_IsTrue(by);
			cJSON_Delete(data);
		}
		if (asked && ap->stage != stage)
			continue;
		v[n++] = (struct wf_decision){ ap->approver, decision == APPROVAL_APPROVED, ap->at_ms, by_approver };
	}
	return n;
}

/* Journal NEXT as the request's record. "open" marks what a new request
 * for the same person and target is a duplicate of: one being worked, not
 * one waiting for its requester to fix it. */
static int journal_record(struct drive *d, struct loaded *l, const struct wf_record *next)
{
	cJSON *o = drive_keyed(d, l->id), *data = cJSON_CreateObject(), *wf = plan_record_json(next);
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
	r = drive_record(d, STATE_REQUEST, o);
	/* The end date is a timer of its own, for operators and restarts. */
	if (r == 0 && (next->state == WF_ACTIVE || (l->rec.state == WF_ACTIVE && next->state != WF_ACTIVE))) {
		o = drive_keyed(d, l->id);
		if (!o || !cJSON_AddStringToObject(o, "kind", "end_date") ||
		    !cJSON_AddNumberToObject(o, "due", next->state == WF_ACTIVE ? (double)l->plan.wf.end_ms : 0)) {
			cJSON_Delete(o);
			return -ENOMEM;
		}
		r = drive_record(d, STATE_TIMER, o);
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
static int round_once(struct drive *d, struct loaded *l, int changed, int closed, enum wf_result result,
		      enum wf_result *ret_step, int *ret_idle)
{
	const struct state_request *sr = state_request_find(d->a->state, d->source, l->id);
	struct wf_decision dec[STATE_MAX_APPROVALS];
	struct wf_input in = { .request_changed = changed, .ticket_closed = closed, .decisions = dec, .result = result };
	struct wf_record next;
	struct wf_actions acts;
	cJSON *intents[WF_MAX_ACTIONS] = { 0 };
	char ids[WF_MAX_ACTIONS][128];
	int todo[WF_MAX_ACTIONS] = { 0 }, r;

	*ret_step = WF_RESULT_NONE;
	*ret_idle = 0;
	in.n_decisions = sr ? drive_decisions(sr, l->rec.stage, dec) : 0;
	r = wf_decide(&l->rec, &l->plan.wf, &in, d->now, &next, &acts);
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
				    acts.v[i].step, (long long)(acts.v[i].at_ms - d->now));
			continue;
		}
		done = state_action_find(d->a->state, ids[i]);
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
		r = intents[i] ? journal_intent(d, l->id, ids[i], intents[i]) : -ENOMEM;
	}
	if (r == 0)
		r = journal_record(d, l, &next);
	if (r == 0)
		r = drive_sync(d);
	if (r == 0)
		log_transition(l, &next);
	for (size_t i = 0; i < acts.n && r == 0; i++) {
		enum wf_result res = WF_RESULT_NONE;

		if (!todo[i])
			continue;
		log_request(LOG_LEVEL_INFO, l->number, ids[i], "%s", json_str(intents[i], "kind"));
		r = perform(d, l, ids[i], intents[i], 0, &res);
		if (acts.v[i].kind == WF_ACT_EXECUTE || acts.v[i].kind == WF_ACT_UNDO)
			*ret_step = res;
	}
	for (size_t i = 0; i < acts.n; i++)
		cJSON_Delete(intents[i]);
	if (r == 0)
		l->rec = next;
	return r;
}

static int was_driven(const struct drive *d, const char *id)
{
	for (size_t i = 0; i < d->n_driven; i++)
		if (strcmp(d->driven[i], id) == 0)
			return 1;
	return 0;
}

int drive_request(struct drive *d, const char *id, int changed, int closed)
{
	enum wf_result result = WF_RESULT_NONE;
	struct loaded l = { 0 };
	int r, idle = 0;

	r = push_id(&d->driven, &d->n_driven, id);
	if (r < 0) {
		log_error("out of memory driving request %s", id);
		return r;
	}
	r = load(d, id, &l);
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
		r = round_once(d, &l, changed, closed, result, &step, &idle);
		changed = 0;
		result = step;
	}
	loaded_clear(&l);
	return r;
}

int drive_open(struct drive *d)
{
	const struct state_request *sr;
	char **ids = NULL;
	size_t n = 0, iter = 0;
	int r = 0;

	while ((sr = state_request_next(d->a->state, &iter)) && r == 0)
		if (strcmp(sr->source, d->source) == 0 && !was_driven(d, sr->id) && sr->workflow[0])
			r = push_id(&ids, &n, sr->id);
	if (r < 0)
		log_error("out of memory listing the open requests");
	for (size_t i = 0; i < n && r == 0 && !agent_stop_pending(); i++) {
		enum wf_state st = WF_NEW;
		cJSON *data;
		struct wf_record rec;

		sr = state_request_find(d->a->state, d->source, ids[i]);
		data = drive_data(sr);
		if (plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec) == 0)
			st = rec.state;
		cJSON_Delete(data);
		if (!wf_state_final(st))
			r = drive_request(d, ids[i], 0, 0);
	}
	free_ids(ids, n);
	return r;
}

void drive_clear(struct drive *d)
{
	free_ids(d->driven, d->n_driven);
	d->driven = NULL;
	d->n_driven = 0;
}
