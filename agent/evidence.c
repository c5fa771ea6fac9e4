/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evidence.h"
#include "util/json.h"

static const char *kind_name(enum target_kind k)
{
	return k == TARGET_APP_ROLE ? "app_role" : k == TARGET_MAILBOX ? "mailbox" : "group";
}

static cJSON *step_json(const struct state *st, const struct target_config *t, const char *action_id)
{
	const struct state_action *act = state_action_find(st, action_id);
	cJSON *o = cJSON_CreateObject(), *out = NULL;

	if (!o)
		return NULL;
	if (!cJSON_AddStringToObject(o, "target", t->name) || !cJSON_AddStringToObject(o, "kind", kind_name(t->kind)) ||
	    !cJSON_AddStringToObject(o, "action_id", action_id) ||
	    (t->group_id && !cJSON_AddStringToObject(o, "group_id", t->group_id)) ||
	    (t->resource_id && !cJSON_AddStringToObject(o, "resource_id", t->resource_id)) ||
	    (t->app_role_id && !cJSON_AddStringToObject(o, "app_role_id", t->app_role_id)))
		goto fail;
	if (act && act->outcome) {
		out = cJSON_Parse(act->outcome);
		if (!out || !cJSON_AddItemToObject(o, "outcome", out))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(out);
	cJSON_Delete(o);
	return NULL;
}

static int same(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* Whether WHO's approval could count under PLAN: an approver or backup of a
 * stage, neither the requester nor the person (the core counted it only
 * then). */
static int counts(const struct plan *plan, const char *who)
{
	if (same(who, plan->wf.requester) || same(who, plan->wf.subject))
		return 0;
	for (size_t s = 0; s < plan->wf.n_stages; s++) {
		const struct wf_stage *st = &plan->wf.stages[s];

		for (size_t i = 0; i < st->n_backups; i++)
			if (same(who, st->backups[i]))
				return 1;
		for (size_t i = 0; i < st->n_approvers; i++)
			if (same(who, st->approvers[i]))
				return 1;
	}
	return 0;
}

/* The stages a rule approved, each as an approval by "rule:<name>" with
 * the facts it matched, as the plan froze them. */
static int rule_approvals(const struct plan *plan, cJSON *approvals)
{
	for (size_t k = 0; k < plan->wf.n_stages; k++) {
		const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(plan->root, "stages"), (int)k);
		struct plan_rule pr;
		char who[96];
		cJSON *a;

		plan_rule(plan, (int)k, &pr);
		if (!pr.rule)
			continue;
		snprintf(who, sizeof(who), "rule:%s", pr.rule);
		a = cJSON_CreateObject();
		if (!a || !cJSON_AddItemToArray(approvals, a)) {
			cJSON_Delete(a);
			return -ENOMEM;
		}
		if (!cJSON_AddStringToObject(a, "approver", who) || !cJSON_AddStringToObject(a, "decision", approval_decision_name(APPROVAL_APPROVED)) ||
		    !cJSON_AddNumberToObject(a, "stage", (double)k) ||
		    (json_str(st, "name") && !cJSON_AddStringToObject(a, "stage_name", json_str(st, "name"))) ||
		    !cJSON_AddStringToObject(a, "rule", pr.rule) ||
		    (pr.because && !cJSON_AddStringToObject(a, "because", pr.because)))
			return -ENOMEM;
	}
	return 0;
}

char *evidence_build(const struct state *st, const struct state_request *sr, const struct plan *plan,
		     const char *const *step_ids, int64_t completed_ms)
{
	cJSON *o = cJSON_CreateObject(), *steps, *approvals;
	char *text = NULL;

	if (!o)
		return NULL;
	steps = cJSON_AddArrayToObject(o, "steps");
	approvals = cJSON_AddArrayToObject(o, "approvals");
	if (!steps || !approvals || !cJSON_AddStringToObject(o, "request", sr->number ? sr->number : sr->id) ||
	    !cJSON_AddStringToObject(o, "request_id", sr->id) ||
	    (plan->wf.subject && !cJSON_AddStringToObject(o, "person", plan->wf.subject)) ||
	    (plan->subject_id && !cJSON_AddStringToObject(o, "person_id", plan->subject_id)) ||
	    (plan->item && !cJSON_AddStringToObject(o, "catalog_item", plan->item)) ||
	    !cJSON_AddNumberToObject(o, "completed_at_ms", (double)completed_ms) ||
	    (plan->wf.end_ms && !cJSON_AddNumberToObject(o, "ends_at_ms", (double)plan->wf.end_ms)))
		goto done;
	for (size_t j = 0; j < plan->wf.n_steps; j++) {
		cJSON *s = step_json(st, plan->steps[j], step_ids[j]);

		if (!s || !cJSON_AddItemToArray(steps, s)) {
			cJSON_Delete(s);
			goto done;
		}
	}
	for (size_t i = 0; i < sr->n_approvals; i++) {
		const struct state_approval *ap = &sr->approvals[i];
		cJSON *a;

		if (approval_decision_from_name(ap->decision) != APPROVAL_APPROVED || !counts(plan, ap->approver))
			continue;
		a = cJSON_CreateObject();
		if (!a || !cJSON_AddItemToArray(approvals, a) || !cJSON_AddStringToObject(a, "approval_id", ap->id) ||
		    (ap->approver && !cJSON_AddStringToObject(a, "approver", ap->approver)) ||
		    !cJSON_AddStringToObject(a, "decision", ap->decision) ||
		    !cJSON_AddNumberToObject(a, "stage", ap->stage) ||
		    !cJSON_AddNumberToObject(a, "seen_at_ms", (double)ap->at_ms))
			goto done;
	}
	if (rule_approvals(plan, approvals) < 0)
		goto done;
	text = cJSON_Print(o);
done:
	cJSON_Delete(o);
	return text;
}
