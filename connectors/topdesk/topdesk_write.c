/* SPDX-License-Identifier: Apache-2.0 */
/* Writes to TOPdesk that happen once. Each carries the action id, and the
 * connector looks for the effect of an earlier attempt before writing (and,
 * through http_send's took_effect check, before another attempt after a
 * lost answer): a memo or an action whose text ends in the action's mark,
 * an attachment whose file name starts with the action id, an incident
 * whose externalNumber is the action's key.
 *
 * On a change, notes and comments are memos of its progress trail, which
 * TOPdesk cannot hide from the requester: both are visible in the
 * Self-Service Portal, so a comment that repeats a note's text is not
 * written again. On a request call, notes are actions hidden from the
 * caller (actionInvisibleForCaller, which only an operator may set) and
 * comments visible ones. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topdesk.h"
#include "util/log.h"
#include "util/text.h"

/* The longest incident briefDescription and externalNumber TOPdesk takes. */
#define BRIEF_MAX 80
#define EXTERNAL_MAX 60
/* Pages of a call's actions or attachments, page_size at most 100. */
#define TRAIL_PAGE 100

/* A lookup of an earlier effect, also http_send's took_effect check. */
struct once {
	struct td *t;
	const char *record;    /* the change or incident id */
	const char *action_id;
	const char *file_name; /* an attachment's stored name; NULL: a memo */
	const char *text;      /* a comment: a memo with the same text counts too */
	int call;              /* RECORD is an incident */
};

/* Whether progress trail or action entry E is the effect O looks for. */
static int entry_is(const struct once *o, const cJSON *e)
{
	const char *text = json_str(e, "memoText"), *file = json_str(e, "fileName");
	char *bare;
	int same;

	if (o->file_name)
		return file && strcmp(file, o->file_name) == 0;
	if (td_has_mark(text, o->action_id) || td_has_mark(json_str(e, "plainText"), o->action_id))
		return 1;
	if (!o->text || !text || !strstr(text, TD_MARK_PREFIX))
		return 0;
	bare = td_unmarked(text);
	same = bare && strcmp(bare, o->text) == 0;
	free(bare);
	return same;
}

/* A change's progress trail (one answer: 1.4.0 pages it not). */
static int look_change(const struct once *o)
{
	const cJSON *e;
	cJSON *root = NULL;
	char path[128];
	int r, found = 0;

	snprintf(path, sizeof(path), "/operatorChanges/%s/progresstrail", o->record);
	r = td_get(o->t, "change progress trail", path, &root, NULL);
	if (r < 0)
		return r;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "results"))
		found |= entry_is(o, e);
	cJSON_Delete(root);
	return found;
}

/* A call's actions or attachments, every page (200 the last, 204 none). */
static int look_call(const struct once *o)
{
	const char *what = o->file_name ? "attachments" : "actions";
	int found = 0, start = 0, r;

	for (;;) {
		const cJSON *e;
		cJSON *root = NULL;
		char path[160];
		long status = 0;

		snprintf(path, sizeof(path), "/incidents/id/%s/%s?start=%d&page_size=%d", o->record, what, start,
			 TRAIL_PAGE);
		r = td_get(o->t, what, path, &root, &status);
		if (r < 0)
			return r;
		cJSON_ArrayForEach(e, root)
			found |= entry_is(o, e);
		start += cJSON_GetArraySize(root);
		cJSON_Delete(root);
		if (found || status != 206)
			return found;
	}
}

static int look(void *ctx)
{
	const struct once *o = ctx;

	return o->call ? look_call(o) : look_change(o);
}

/* Look; when the effect is not there, send. */
static int write_once(struct once *o, const char *what, const char *method, const char *path, const char *ctype,
		      const void *body, size_t len)
{
	int r = look(o);

	if (r > 0) {
		log_info("topdesk: %s %s done already, not written again", what, o->action_id);
		return 0;
	}
	if (r < 0)
		return r;
	r = td_send(o->t, what, method, path, ctype, body, len, look, o, NULL);
	if (r == -EALREADY) {
		log_info("topdesk: %s %s: the answer was lost but the write landed", what, o->action_id);
		r = 0;
	}
	return r;
}

static int write_json_once(struct once *o, const char *what, const char *method, const char *path, cJSON *body)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	int r;

	cJSON_Delete(body);
	if (!text)
		return -ENOMEM;
	r = write_once(o, what, method, path, "application/json", text, strlen(text));
	free(text);
	return r;
}

/* TEXT with the mark of ACTION_ID, as plain text (a change memo) or HTML
 * (an incident action). Caller frees. */
static char *marked(const char *text, const char *action_id, int html)
{
	char *body = html ? td_html(text) : td_plain(text), *out = NULL;

	if (body && asprintf(&out, "%s%s" TD_MARK_FMT, body, html ? "<br><br>" : "\n\n", action_id) < 0)
		out = NULL;
	free(body);
	return out;
}

/* -- the record a request is ---------------------------------------------- */

/* What REQUEST_ID is: a governed change or call (anything else is refused). */
static int request_kind(struct td *t, const char *request_id, const char *action_id, const struct td_known **ret)
{
	int r;

	if (!td_id_ok(request_id) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	r = td_known_get(t, request_id, 0, ret);
	if (r < 0)
		return r;
	if (!*ret || ((*ret)->kind != TD_CHANGE && (*ret)->kind != TD_CALL) || (*ret)->request_id) {
		log_warnx("topdesk: %s is no access request accessd governs", request_id);
		return -ENOENT;
	}
	return 0;
}

/* -- changes ------------------------------------------------------------------ */

static int add_memo(struct td *t, const char *change_id, const char *text, const char *action_id, const char *same_as)
{
	struct once o = { .t = t, .record = change_id, .action_id = action_id, .text = same_as };
	char path[128], *memo = marked(text, action_id, 0);
	cJSON *body = cJSON_CreateObject();
	int r = -ENOMEM;

	if (!memo || !body || !cJSON_AddStringToObject(body, "memoText", memo) ||
	    !cJSON_AddStringToObject(body, "type", "memo")) {
		cJSON_Delete(body);
		goto done;
	}
	snprintf(path, sizeof(path), "/operatorChanges/%s/progresstrail", change_id);
	r = write_json_once(&o, "memo", "POST", path, body);
done:
	free(memo);
	return r;
}

static int has_action(const cJSON *change, const char *action)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(change, "possibleActions"))
		if (cJSON_IsString(a) && strcmp(a->valuestring, action) == 0)
			return 1;
	return 0;
}

struct transition {
	struct td *t;
	const char *path;
	const char *from;
};

/* took_effect of a transition: the change has left FROM. */
static int left(void *ctx)
{
	const struct transition *tr = ctx;
	cJSON *root = NULL;
	int r = td_get(tr->t, "change", tr->path, &root, NULL);

	if (r == 0)
		r = !json_str(root, "processingStatus") || strcmp(json_str(root, "processingStatus"), tr->from) != 0;
	cJSON_Delete(root);
	return r;
}

/* Apply the transitions of PH the change allows, in order; an action it
 * does not offer is one it is past (or the tenant lets the status decide).
 * *RET_CHANGE is the change as it stands after them. */
static int transitions(struct td *t, const char *change_id, const struct td_phase *ph, cJSON **ret_change)
{
	char path[128], tpath[160];
	cJSON *change = NULL;
	int r;

	snprintf(path, sizeof(path), "/operatorChanges/%s", change_id);
	snprintf(tpath, sizeof(tpath), "/operatorChanges/%s/processingStatusTransitions", change_id);
	r = td_get(t, "change", path, &change, NULL);
	for (size_t i = 0; r == 0 && i < ph->n_transitions; i++) {
		const char *from = json_str(change, "processingStatus");
		struct transition tr = { t, path, from };
		cJSON *body;

		if (!from || !has_action(change, ph->transitions[i]))
			continue;
		body = cJSON_CreateObject();
		if (!body || !cJSON_AddStringToObject(body, "from", from) ||
		    !cJSON_AddStringToObject(body, "action", ph->transitions[i])) {
			cJSON_Delete(body);
			r = -ENOMEM;
			break;
		}
		r = td_send_json(t, "processing status transition", "POST", tpath, "application/json", body, left, &tr,
				 NULL);
		if (r == -EALREADY)
			r = 0;
		cJSON_Delete(change);
		change = NULL;
		if (r == 0)
			r = td_get(t, "change", path, &change, NULL);
	}
	if (r < 0) {
		cJSON_Delete(change);
		return r;
	}
	*ret_change = change;
	return 0;
}

int td_change_set_phase(struct td *t, const char *change_id, enum ticket_phase phase, const char *note,
			const char *action_id)
{
	const struct td_phase *ph = &t->set->phase[phase];
	struct once o = { .t = t, .record = change_id, .action_id = action_id };
	char path[128], *memo = NULL;
	cJSON *change = NULL, *body = NULL, *step;
	int r;

	/* The memo is written last, with the status: found, the phase is done. */
	r = look(&o);
	if (r != 0)
		return r < 0 ? r : 0;
	r = transitions(t, change_id, ph, &change);
	if (r < 0)
		return r;
	if (!t->status_id[phase]) {
		r = add_memo(t, change_id, note, action_id, NULL);
		goto check;
	}
	memo = marked(note, action_id, 0);
	body = cJSON_CreateArray();
	r = -ENOMEM;
	if (!memo || !body || !(step = cJSON_CreateObject()) || !cJSON_AddItemToArray(body, step) ||
	    !cJSON_AddStringToObject(step, "op", "replace") || !cJSON_AddStringToObject(step, "path", "/status") ||
	    !cJSON_AddStringToObject(step, "value", t->status_id[phase]) || !(step = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(body, step) || !cJSON_AddStringToObject(step, "op", "add") ||
	    !cJSON_AddStringToObject(step, "path", "/progressTrail") || !cJSON_AddStringToObject(step, "value", memo)) {
		cJSON_Delete(body);
		goto done;
	}
	/* One JSON Patch, applied all or nothing: the memo is there only when
	 * the status is. */
	snprintf(path, sizeof(path), "/operatorChanges/%s", change_id);
	r = write_json_once(&o, "status", "PATCH", path, body);
check:
	if (r == 0 && ticket_phase_closed(phase) && !td_change_closed(json_str(change, "processingStatus"))) {
		cJSON_Delete(change);
		change = NULL;
		snprintf(path, sizeof(path), "/operatorChanges/%s", change_id);
		if (td_get(t, "change", path, &change, NULL) == 0 &&
		    !td_change_closed(json_str(change, "processingStatus")))
			log_warnx("topdesk: change %s stays open (%s) after phase %s; its transitions or status in "
				  "topdesk.phases.%s do not close it", change_id, json_str(change, "processingStatus"),
				  ticket_phase_name(phase), ticket_phase_name(phase));
	}
done:
	cJSON_Delete(change);
	free(memo);
	return r;
}

/* -- request calls ------------------------------------------------------------ */

/* PATCH the call with an action (hidden from the caller unless VISIBLE)
 * carrying the mark, and FIELDS (consumed; may be NULL) in the same update. */
static int call_action(struct td *t, const char *call_id, const char *text, const char *action_id, int visible,
		       cJSON *fields)
{
	struct once o = { .t = t, .record = call_id, .action_id = action_id, .call = 1 };
	char path[128], *action = marked(text, action_id, 1);
	cJSON *body = fields ? fields : cJSON_CreateObject();
	int r;

	if (!action || !body || !cJSON_AddStringToObject(body, "action", action) ||
	    !cJSON_AddBoolToObject(body, "actionInvisibleForCaller", !visible)) {
		cJSON_Delete(body);
		free(action);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "/incidents/id/%s", call_id);
	r = write_json_once(&o, visible ? "comment" : "note", "PATCH", path, body);
	free(action);
	return r;
}

int td_linked_change(struct td *t, const char *call_id, char **ret_id)
{
	char *query = NULL;
	cJSON *root = NULL;
	int r;

	r = td_probe_change_query(t);
	if (r < 0)
		return r;
	if (!t->change_query) {
		log_error("topdesk: approvals on a request call need a change list that takes a query (a change API "
			  "later than 1.4.0), to find the call's linked change");
		return -EINVAL;
	}
	r = td_fiql_eq(&query, "externalNumber", call_id);
	if (r == 0)
		r = td_query(t, "change list", "/operatorChanges", query, "&sort=id:asc&fields=id&pageSize=1", &root, NULL);
	if (r == 0)
		r = td_first_id(cJSON_GetObjectItemCaseSensitive(root, "results"), ret_id);
	cJSON_Delete(root);
	free(query);
	return r;
}

static int call_set_phase(struct td *t, const struct td_known *k, const char *call_id, enum ticket_phase phase,
			  const char *note, const char *action_id)
{
	const char *status = t->call_status_id[phase];
	cJSON *fields = cJSON_CreateObject(), *ref;
	char *linked = NULL;
	int r;

	if (!fields || (status && (!(ref = cJSON_AddObjectToObject(fields, "processingStatus")) ||
				   !cJSON_AddStringToObject(ref, "id", status))) ||
	    (ticket_phase_closed(phase) && (!cJSON_AddBoolToObject(fields, "closed", 1) ||
					    !cJSON_AddBoolToObject(fields, "completed", phase == TICKET_COMPLETED)))) {
		cJSON_Delete(fields);
		return -ENOMEM;
	}
	/* The change that carried the approvals follows the call. Before the
	 * items are known (a restart finishing an action), it is looked for. */
	if (k->item == TD_ITEM_UNKNOWN || t->item_approval[k->item]) {
		r = td_linked_change(t, call_id, &linked);
		if (r == 0)
			r = td_change_set_phase(t, linked, phase, note, action_id);
		free(linked);
		if (r < 0 && r != -ENOENT && (r != -EINVAL || k->item != TD_ITEM_UNKNOWN)) {
			cJSON_Delete(fields);
			return r;
		}
	}
	return call_action(t, call_id, note, action_id, 0, fields);
}

/* -- the ops ------------------------------------------------------------------- */

int td_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		 const char *action_id)
{
	struct td *t = impl;
	const struct td_known *k;
	int r;

	if ((unsigned)phase >= TICKET_PHASES || !note || phase == TICKET_OPEN || phase == TICKET_PENDING_APPROVAL ||
	    phase == TICKET_WITHDRAWN || phase == TICKET_CANCELLED)
		return -EINVAL;
	r = request_kind(t, request_id, action_id, &k);
	if (r < 0)
		return r;
	return k->kind == TD_CALL ? call_set_phase(t, k, request_id, phase, note, action_id)
				  : td_change_set_phase(t, request_id, phase, note, action_id);
}

int td_add_note(void *impl, const char *request_id, const char *text, const char *action_id)
{
	struct td *t = impl;
	const struct td_known *k;
	int r;

	if (!text)
		return -EINVAL;
	r = request_kind(t, request_id, action_id, &k);
	if (r < 0)
		return r;
	return k->kind == TD_CALL ? call_action(t, request_id, text, action_id, 0, NULL)
				  : add_memo(t, request_id, text, action_id, NULL);
}

int td_add_comment(void *impl, const char *request_id, const char *text, const char *action_id)
{
	struct td *t = impl;
	const struct td_known *k;
	char *plain;
	int r;

	if (!text)
		return -EINVAL;
	r = request_kind(t, request_id, action_id, &k);
	if (r < 0)
		return r;
	if (k->kind == TD_CALL)
		return call_action(t, request_id, text, action_id, 1, NULL);
	/* The requester sees every memo of a change: a note that says the
	 * same is the comment already. */
	plain = td_plain(text);
	if (!plain)
		return -ENOMEM;
	r = add_memo(t, request_id, text, action_id, plain);
	free(plain);
	return r;
}

/* A multipart/form-data body: the file part "file" (NAME, TYPE, LEN bytes
 * of DATA) and, for a call, "invisibleForCaller" and "description". */
static int multipart(const char *boundary, const char *name, const char *type, const void *data, size_t len, int call,
		     char **ret, size_t *ret_len)
{
	char *head = NULL, *tail = NULL, *body;
	int nh, nt;

	nh = asprintf(&head, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
			     "Content-Type: %s\r\n\r\n", boundary, name, type);
	if (call)
		nt = asprintf(&tail, "\r\n--%s\r\nContent-Disposition: form-data; name=\"invisibleForCaller\"\r\n\r\ntrue"
				     "\r\n--%s\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
				     "Evidence of the access granted by accessd\r\n--%s--\r\n",
			      boundary, boundary, boundary);
	else
		nt = asprintf(&tail, "\r\n--%s--\r\n", boundary);
	body = nh < 0 || nt < 0 ? NULL : malloc((size_t)nh + len + (size_t)nt);
	if (body) {
		memcpy(body, head, (size_t)nh);
		memcpy(body + nh, data, len);
		memcpy(body + nh + len, tail, (size_t)nt);
		*ret = body;
		*ret_len = (size_t)nh + len + (size_t)nt;
	}
	if (nh >= 0)
		free(head);
	if (nt >= 0)
		free(tail);
	return body ? 0 : -ENOMEM;
}

int td_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
	      size_t len, const char *action_id)
{
	struct td *t = impl;
	const struct td_known *k;
	struct once o = { .t = t, .record = request_id, .action_id = action_id };
	char stored[160], boundary[64], path[160], ctype[128], *body = NULL;
	size_t body_len = 0;
	int r;

	if (!itsm_file_name_ok(file_name) || !itsm_content_type_ok(content_type))
		return -EINVAL;
	r = request_kind(t, request_id, action_id, &k);
	if (r < 0)
		return r;
	/* The action id in the file name is what finds an earlier upload. */
	snprintf(stored, sizeof(stored), "%s-%s", action_id, file_name);
	o.file_name = stored;
	o.call = k->kind == TD_CALL;
	/* The boundary must not occur in the data: evidence is JSON text,
	 * which holds no line starting with "--accessd-". */
	snprintf(boundary, sizeof(boundary), "accessd-%s", action_id);
	if (memmem(data, len, boundary, strlen(boundary)))
		return -EINVAL;
	r = multipart(boundary, stored, content_type, data, len, o.call, &body, &body_len);
	if (r < 0)
		return r;
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s", boundary);
	if (o.call)
		snprintf(path, sizeof(path), "/incidents/id/%s/attachments", request_id);
	else
		snprintf(path, sizeof(path), "/operatorChanges/%s/attachments", request_id);
	r = write_once(&o, "attachment", "POST", path, ctype, body, body_len);
	free(body);
	return r;
}

/* -- the IAM team's incident ------------------------------------------------- */

/* The number of incident REC (people know an incident by it) into *RET. */
static int incident_number(const cJSON *rec, char **ret)
{
	const char *number = json_str(rec, "number");

	if (!td_number_ok(number))
		return -EBADMSG;
	*ret = strdup(number);
	return *ret ? 0 : -ENOMEM;
}

/* The number of the incident whose externalNumber is KEY. */
static int find_incident(struct td *t, const char *key, char **ret_number)
{
	char *query = NULL;
	cJSON *root = NULL;
	int r;

	/* all=true: archived and partial incidents count too. */
	r = td_fiql_eq(&query, "externalNumber", key);
	if (r == 0)
		r = td_query(t, "incident list", "/incidents", query, "&fields=id,number&all=true&pageSize=1", &root,
			     NULL);
	if (r == 0)
		r = cJSON_GetArraySize(root) ? incident_number(cJSON_GetArrayItem(root, 0), ret_number) : -ENOENT;
	cJSON_Delete(root);
	free(query);
	return r;
}

/* The body of a new incident: its caller, text and routing. */
static int incident_body(struct td *t, const struct itsm_incident *inc, const char *key, const char *group,
			 cJSON **ret)
{
	char brief[BRIEF_MAX + TEXT_CLEAN_EXTRA], *request = td_html(inc->description ? inc->description : "");
	cJSON *body = cJSON_CreateObject(), *ref;
	int ok;

	/* briefDescription takes 80 characters; the rest is in the request. */
	text_clean(inc->short_description, BRIEF_MAX - (TEXT_CLEAN_EXTRA - 1), brief);
	for (char *c = brief; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	ok = body && request && cJSON_AddStringToObject(body, "briefDescription", brief) &&
	     cJSON_AddStringToObject(body, "request", request) && cJSON_AddStringToObject(body, "externalNumber", key);
	if (ok && t->set->incident_caller)
		ok = (ref = cJSON_AddObjectToObject(body, "callerLookup")) &&
		     cJSON_AddStringToObject(ref, "id", t->set->incident_caller);
	else if (ok)
		ok = (ref = cJSON_AddObjectToObject(body, "caller")) && cJSON_AddStringToObject(ref, "dynamicName", "accessd");
	if (ok && group)
		ok = (ref = cJSON_AddObjectToObject(body, "operatorGroup")) && cJSON_AddStringToObject(ref, "id", group);
	if (ok && t->incident_category_id)
		ok = (ref = cJSON_AddObjectToObject(body, "category")) &&
		     cJSON_AddStringToObject(ref, "id", t->incident_category_id);
	if (ok && t->incident_subcategory_id)
		ok = (ref = cJSON_AddObjectToObject(body, "subcategory")) &&
		     cJSON_AddStringToObject(ref, "id", t->incident_subcategory_id);
	if (ok && t->incident_status_id)
		ok = (ref = cJSON_AddObjectToObject(body, "processingStatus")) &&
		     cJSON_AddStringToObject(ref, "id", t->incident_status_id);
	free(request);
	if (!ok) {
		cJSON_Delete(body);
		return -ENOMEM;
	}
	*ret = body;
	return 0;
}

int td_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id)
{
	struct td *t = impl;
	struct td_lookup l = { .t = t, .find = find_incident };
	const char *group = NULL;
	char key[EXTERNAL_MAX + 1];
	cJSON *body = NULL, *root = NULL;
	int r;

	if (!itsm_action_id_ok(action_id) || !inc->short_description)
		return -EINVAL;
	r = td_ready(t);
	if (r < 0)
		return r;
	if (!t->fiql_incidents) {
		log_error("topdesk: REST API %s cannot look incidents up by externalNumber (3.3.0 can), so an incident "
			  "could be opened twice; none is opened", t->version);
		return -EINVAL;
	}
	/* externalNumber is the field meant for another system's key. */
	td_action_key(action_id, EXTERNAL_MAX, key, sizeof(key));
	l.key = key;
	r = find_incident(t, key, &l.found);
	if (r == 0) {
		log_info("topdesk: incident %s done already, not opened again", action_id);
		goto found;
	}
	if (r != -ENOENT)
		return r;
	if (inc->assignment_group) {
		r = td_operator_group(t, inc->assignment_group, &group);
		if (r < 0)
			return r;
		if (!group)
			log_warnx("topdesk: no operator group is named \"%s\"; the incident is opened without one",
				  inc->assignment_group);
	}
	r = incident_body(t, inc, key, group, &body);
	if (r == 0)
		r = td_send_json(t, "incident", "POST", "/incidents", "application/json", body, td_landed, &l, &root);
	if (r == -EALREADY)
		goto found;
	if (r == 0)
		r = incident_number(root, ret_id);
	cJSON_Delete(root);
	return r;
found:
	*ret_id = l.found;
	return 0;
}
