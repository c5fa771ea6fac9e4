/* SPDX-License-Identifier: Apache-2.0 */
/* Approvals as TOPdesk's authorization activities: one per approver asked,
 * on the request's change (or, for a request call, on the change linked to
 * it, made from the item's approval template), assigned to the approver's
 * person (a manager) or operator. An activity is found again by its brief
 * description, which carries the action's key: an approver asked again for
 * a later stage gets an activity of their own. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topdesk.h"
#include "util/log.h"

/* An activity's briefDescription takes 80 characters. */
#define BRIEF_PREFIX "Access approval "
#define BRIEF_MAX 80

int td_find_user(void *impl, const char *upn, char **ret_id)
{
	struct td *t = impl;
	const struct td_who *w;
	int r;

	r = td_ready(t);
	if (r == 0)
		r = td_who_find(t, upn, &w);
	if (r == -ENOTUNIQ) {
		log_warnx("topdesk: more than one person or operator has %s \"%s\"; none is asked", t->attribute, upn);
		return -ENOENT;
	}
	if (r < 0)
		return r;
	*ret_id = strdup(w->id);
	return *ret_id ? 0 : -ENOMEM;
}

struct activity_lookup {
	struct td *t;
	const char *change_id;
	const char *brief;
	char *found;
};

/* The change's authorization activity with BRIEF that is not skipped. */
static int find_activity(void *ctx)
{
	struct activity_lookup *l = ctx;
	const cJSON *a;
	cJSON *root = NULL;
	char path[200];
	int r;

	snprintf(path, sizeof(path), "/operatorChangeActivities?change=%s&fields=id,briefDescription,activityType,"
				     "processingStatus&pageSize=1000", l->change_id);
	r = td_get(l->t, "activity list", path, &root, NULL);
	if (r < 0)
		return r;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(root, "results")) {
		const char *brief = json_str(a, "briefDescription"), *ps = json_str(a, "processingStatus");

		if (brief && strcmp(brief, l->brief) == 0 && ps && strcmp(ps, "skipped") != 0 &&
		    td_id_ok(json_str(a, "id"))) {
			free(l->found);
			l->found = strdup(json_str(a, "id"));
			r = l->found ? 1 : -ENOMEM;
			break;
		}
	}
	cJSON_Delete(root);
	return r;
}

/* The change linked to call K, made now from the item's approval template
 * when there is none: the call's caller its requester, its id the change's
 * externalNumber. *RET_ID is the caller's. */
static int linked_change(struct td *t, const struct td_known *k, const char *call_id, char **ret_id)
{
	struct td_lookup l = { .t = t, .key = call_id, .find = td_linked_change };
	char path[128], brief[BRIEF_MAX + 1];
	cJSON *call = NULL, *body = NULL, *root = NULL, *ref;
	const char *caller;
	int r;

	r = td_linked_change(t, call_id, ret_id);
	if (r != -ENOENT)
		return r;
	snprintf(path, sizeof(path), "/incidents/id/%s", call_id);
	r = td_get(t, "incident", path, &call, NULL);
	if (r < 0)
		return r;
	caller = td_ref(call, "caller", "id");
	snprintf(brief, sizeof(brief), "Approval of %s", k->number ? k->number : call_id);
	body = cJSON_CreateObject();
	r = -ENOMEM;
	if (!body || !(ref = cJSON_AddObjectToObject(body, "template")) ||
	    !cJSON_AddStringToObject(ref, "id", t->item_approval[k->item]) ||
	    !cJSON_AddStringToObject(body, "briefDescription", brief) ||
	    !cJSON_AddStringToObject(body, "externalNumber", call_id) ||
	    (td_id_ok(caller) && (!(ref = cJSON_AddObjectToObject(body, "requester")) ||
				  !cJSON_AddStringToObject(ref, "id", caller)))) {
		cJSON_Delete(body);
		goto done;
	}
	r = td_send_json(t, "linked change", "POST", "/operatorChanges", "application/json", body, td_landed, &l,
			 &root);
	if (r == -EALREADY) {
		*ret_id = l.found;
		l.found = NULL;
		r = 0;
	} else if (r == 0) {
		r = td_id_ok(json_str(root, "id")) ? 0 : -EBADMSG;
		if (r == 0 && !(*ret_id = strdup(json_str(root, "id"))))
			r = -ENOMEM;
	}
	if (r == 0)
		r = td_known_add(t, *ret_id, TD_CHANGE, k->item, call_id, NULL);
done:
	free(l.found);
	cJSON_Delete(call);
	cJSON_Delete(root);
	return r;
}

int td_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
		       char **ret_id)
{
	struct td *t = impl;
	struct activity_lookup l = { .t = t };
	const struct td_known *k;
	const struct td_who *who;
	char brief[BRIEF_MAX + sizeof(BRIEF_PREFIX)], key[BRIEF_MAX + 1], text[256], *change = NULL;
	cJSON *body = NULL, *root = NULL, *ref;
	int r;

	if (!td_id_ok(request_id) || !td_id_ok(approver_id) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	r = td_known_get(t, request_id, 1, &k);
	if (r < 0)
		return r;
	if (!k || (k->kind != TD_CHANGE && k->kind != TD_CALL) || k->request_id)
		return -ENOENT;
	r = td_who_get(t, approver_id, -1, &who);
	if (r < 0)
		return r;
	if (k->kind == TD_CALL)
		r = linked_change(t, k, request_id, &change);
	else if (!(change = strdup(request_id)))
		r = -ENOMEM;
	if (r < 0)
		return r;
	td_action_key(action_id, BRIEF_MAX - strlen(BRIEF_PREFIX), key, sizeof(key));
	snprintf(brief, sizeof(brief), BRIEF_PREFIX "%s", key);
	l.change_id = change;
	l.brief = brief;
	r = find_activity(&l);
	if (r > 0) {
		log_info("topdesk: authorization activity %s done already (%s), not made again", action_id, l.found);
		goto found;
	}
	if (r < 0)
		goto done;
	snprintf(text, sizeof(text), "accessd asks %s to authorize this access request.\n\n" TD_MARK_FMT,
		 who->name ? who->name : approver_id, action_id);
	body = cJSON_CreateObject();
	r = -ENOMEM;
	if (!body || !cJSON_AddStringToObject(body, "changeId", change) ||
	    !cJSON_AddStringToObject(body, "activityType", "authorization") ||
	    !cJSON_AddStringToObject(body, "changePhase", "rfc") || !cJSON_AddStringToObject(body, "briefDescription", brief) ||
	    !cJSON_AddStringToObject(body, "request", text) || !(ref = cJSON_AddObjectToObject(body, "assignee")) ||
	    !cJSON_AddStringToObject(ref, "id", who->id) ||
	    !cJSON_AddStringToObject(ref, "type", who->operator ? "operator" : "manager")) {
		cJSON_Delete(body);
		goto done;
	}
	if (!who->operator && !who->manager)
		log_warnx("topdesk: %s is not marked as a manager in TOPdesk, which an authorization assignee must be; "
			  "ask the TOPdesk administrator to mark them", who->upn ? who->upn : who->id);
	r = td_send_json(t, "authorization activity", "POST", "/operatorChangeActivities", "application/json", body,
			 find_activity, &l, &root);
	if (r == -EALREADY)
		goto found;
	if (r == 0 && !td_id_ok(json_str(root, "id")))
		r = -EBADMSG;
	if (r == 0 && !(*ret_id = strdup(json_str(root, "id"))))
		r = -ENOMEM;
	goto done;
found:
	*ret_id = l.found;
	l.found = NULL;
	r = 0;
done:
	cJSON_Delete(root);
	free(l.found);
	free(change);
	return r;
}

int td_cancel_approval(void *impl, const char *approval_id, const char *action_id)
{
	struct td *t = impl;
	char path[128], memo[200];
	cJSON *root = NULL, *body, *step;
	const char *ps;
	int r;

	if (!td_id_ok(approval_id) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	snprintf(path, sizeof(path), "/operatorChangeActivities/%s", approval_id);
	r = td_get(t, "activity", path, &root, NULL);
	if (r < 0)
		return r;
	ps = json_str(root, "processingStatus");
	r = !ps ? -EBADMSG : strcmp(ps, "skipped") == 0 ? 1 : strcmp(ps, "authorized") == 0 || strcmp(ps, "rejected") == 0 ? -EBUSY : 0;
	if (r != 0) {
		cJSON_Delete(root);
		return r < 0 ? r : 0;
	}
	snprintf(memo, sizeof(memo), "Withdrawn by accessd: the stage is over.\n\n" TD_MARK_FMT, action_id);
	/* test, then replace: a decision made meanwhile fails the whole patch. */
	body = cJSON_CreateArray();
	r = -ENOMEM;
	if (body && (step = cJSON_CreateObject()) && cJSON_AddItemToArray(body, step) &&
	    cJSON_AddStringToObject(step, "op", "test") && cJSON_AddStringToObject(step, "path", "/processingStatus") &&
	    cJSON_AddStringToObject(step, "value", ps) && (step = cJSON_CreateObject()) && cJSON_AddItemToArray(body, step) &&
	    cJSON_AddStringToObject(step, "op", "replace") && cJSON_AddStringToObject(step, "path", "/processingStatus") &&
	    cJSON_AddStringToObject(step, "value", "skipped") && (step = cJSON_CreateObject()) &&
	    cJSON_AddItemToArray(body, step) && cJSON_AddStringToObject(step, "op", "add") &&
	    cJSON_AddStringToObject(step, "path", "/progressTrail") && cJSON_AddStringToObject(step, "value", memo))
		r = td_send_json(t, "activity", "PATCH", path, "application/json", body, NULL, NULL, NULL);
	else
		cJSON_Delete(body);
	cJSON_Delete(root);
	if (r == -EINVAL) {
		/* Decided (or skipped) meanwhile: say which. */
		root = NULL;
		if (td_get(t, "activity", path, &root, NULL) == 0 && (ps = json_str(root, "processingStatus")))
			r = strcmp(ps, "skipped") == 0 ? 0 : strcmp(ps, "authorized") == 0 || strcmp(ps, "rejected") == 0 ? -EBUSY : r;
		cJSON_Delete(root);
	}
	return r;
}
