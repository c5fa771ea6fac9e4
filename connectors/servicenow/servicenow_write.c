/* SPDX-License-Identifier: Apache-2.0 */
/* Writes to ServiceNow that happen once: each carries the action id, and
 * the connector looks for the effect of an earlier attempt before writing
 * (and, through http_send's took_effect check, before retrying a write
 * whose answer was lost). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicenow.h"
#include "util/log.h"

/* A lookup: the first record of TABLE (a Table API table, or the
 * attachment list when TABLE is NULL) matching QUERY. */
struct lookup {
	struct snow *s;
	const char *table;
	char *query;
	const char *id_field; /* the field holding the id to hand back; NULL: sys_id */
	const char *answer_field; /* the same in the written record's answer; NULL: sys_id */
	int (*id_ok)(const char *id); /* how those fields are checked; NULL: snow_sys_id_ok */
	char *found_id;       /* set by lookup_run */
};

static int id_ok(const struct lookup *l, const char *id)
{
	return l->id_ok ? l->id_ok(id) : snow_sys_id_ok(id);
}

static int lookup_run(struct lookup *l)
{
	const char *field = l->id_field ? l->id_field : "sys_id";
	const cJSON *first;
	cJSON *root = NULL;
	char *escaped, *path = NULL;
	int r, n;

	escaped = http_escape(l->query, NULL);
	if (!escaped)
		return -ENOMEM;
	if (l->table)
		n = asprintf(&path, "/api/now/table/%s?sysparm_query=%s&sysparm_fields=%s&sysparm_limit=1", l->table,
			     escaped, field);
	else
		n = asprintf(&path, "/api/now/attachment?sysparm_query=%s&sysparm_limit=1", escaped);
	free(escaped);
	if (n < 0)
		return -ENOMEM;
	r = snow_get(l->s, l->table ? l->table : "attachment", path, &root);
	free(path);
	if (r < 0)
		return r;
	first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "result"), 0);
	if (!first) {
		r = -ENOENT;
	} else if (!id_ok(l, snow_field(first, field))) {
		r = -EBADMSG;
	} else {
		free(l->found_id);
		l->found_id = strdup(snow_field(first, field));
		r = l->found_id ? 0 : -ENOMEM;
	}
	cJSON_Delete(root);
	return r;
}

/* http_send's took_effect: 1 when the lookup finds the record. */
static int lookup_took_effect(void *ctx)
{
	int r = lookup_run(ctx);

	return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

static void lookup_clear(struct lookup *l)
{
	free(l->query);
	free(l->found_id);
}

/* Hand over the id of the record the lookup found or the write created. */
static int take_id(struct lookup *l, const cJSON *root, char **ret_id)
{
	const char *id = root ? snow_field(cJSON_GetObjectItemCaseSensitive(root, "result"),
					   l->answer_field ? l->answer_field : "sys_id")
			      : l->found_id;

	if (!ret_id)
		return 0;
	if (!id_ok(l, id))
		return -EBADMSG;
	*ret_id = strdup(id);
	return *ret_id ? 0 : -ENOMEM;
}

/* Look up L; when nothing is there, send BODY to PATH with the lookup as
 * the "did it happen?" check. *RET_ID (may be NULL) gets the record's id. */
static int write_once(struct lookup *l, const char *what, const char *method, const char *path,
		      const char *content_type, const void *body, size_t len, char **ret_id)
{
	cJSON *root = NULL;
	int r;

	r = lookup_run(l);
	if (r == 0) {
		log_info("servicenow: %s done already (%s), not written again", what, l->found_id);
		return take_id(l, NULL, ret_id);
	}
	if (r != -ENOENT)
		return r;
	r = snow_send(l->s, what, method, path, content_type, body, len, lookup_took_effect, l, ret_id ? &root : NULL);
	if (r == -EALREADY) {
		log_info("servicenow: %s: the answer was lost but the write landed (%s)", what, l->found_id);
		return take_id(l, NULL, ret_id);
	}
	if (r < 0)
		return r;
	r = take_id(l, root, ret_id);
	cJSON_Delete(root);
	return r;
}

static int json_body(cJSON *obj, char **ret)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

/* Add NAME: VALUE to OBJ when VALUE is set; 0 or -ENOMEM. */
static int add_str(cJSON *obj, const char *name, const char *value)
{
	return !value || cJSON_AddStringToObject(obj, name, value) ? 0 : -ENOMEM;
}

int snow_find_user(void *impl, const char *upn, char **ret_id)
{
	struct lookup l = { .s = impl, .table = "sys_user" };
	int r;

	if (!snow_value_ok(upn, 0))
		return -EINVAL;
	if (asprintf(&l.query, "%s=%s", l.s->conf->user_attribute, upn) < 0)
		return -ENOMEM;
	r = lookup_run(&l);
	if (r == 0)
		r = take_id(&l, NULL, ret_id);
	lookup_clear(&l);
	return r;
}

int snow_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
			 char **ret_id)
{
	/* The record this action made is found by the action id in its comments,
	 * not by approver: someone who approved an earlier stage may be asked
	 * again for a later one, and that must be a record of its own. */
	struct lookup l = { .s = impl, .table = "sys_journal_field", .id_field = "element_id" };
	char *body = NULL, note[160];
	cJSON *obj;
	int r;

	if (!snow_sys_id_ok(request_id) || !snow_sys_id_ok(approver_id) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	if (asprintf(&l.query, "name=sysapproval_approver^element=comments^valueLIKE%s", action_id) < 0)
		return -ENOMEM;
	snprintf(note, sizeof(note), "Approval requested by accessd " SNOW_MARK_FMT, action_id);
	obj = cJSON_CreateObject();
	r = -ENOMEM;
	if (!obj || add_str(obj, "sysapproval", request_id) < 0 || add_str(obj, "document_id", request_id) < 0 ||
	    add_str(obj, "source_table", "sc_req_item") < 0 || add_str(obj, "approver", approver_id) < 0 ||
	    add_str(obj, "state", snow_decision_value(l.s->states, APPROVAL_REQUESTED)) < 0 ||
	    add_str(obj, "comments", note) < 0) {
		cJSON_Delete(obj);
		goto done;
	}
	r = json_body(obj, &body);
	if (r < 0)
		goto done;
	r = write_once(&l, "sysapproval_approver", "POST", "/api/now/table/sysapproval_approver", "application/json",
		       body, strlen(body), ret_id);
done:
	free(body);
	lookup_clear(&l);
	return r;
}

int snow_cancel_approval(void *impl, const char *approval_id, const char *action_id)
{
	struct snow *s = impl;
	enum approval_decision now;
	cJSON *root = NULL, *body;
	char path[128], *text = NULL;
	int r;

	if (!snow_sys_id_ok(approval_id) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	snprintf(path, sizeof(path), "/api/now/table/sysapproval_approver/%s?sysparm_fields=state", approval_id);
	r = snow_get(s, "sysapproval_approver", path, &root);
	if (r < 0)
		return r;
	now = snow_decision_of(s->states, snow_field(cJSON_GetObjectItemCaseSensitive(root, "result"), "state"));
	cJSON_Delete(root);
	if (now == APPROVAL_CANCELLED)
		return 0;
	if (now == APPROVAL_APPROVED || now == APPROVAL_REJECTED)
		return -EBUSY;
	body = cJSON_CreateObject();
	if (!body || add_str(body, "state", snow_decision_value(s->states, APPROVAL_CANCELLED)) < 0) {
		cJSON_Delete(body);
		return -ENOMEM;
	}
	r = json_body(body, &text);
	/* Setting a state is idempotent: a plain retry is safe. */
	if (r == 0)
		r = snow_send(s, "sysapproval_approver", "PATCH", path, "application/json", text, strlen(text), NULL,
			      NULL, NULL);
	free(text);
	return r;
}

/* Append TEXT with the action mark to the journal field ELEMENT of the
 * request, with FIELDS (may be NULL) set in the same update. */
static int journal_write(struct snow *s, const char *request_id, const char *element, const char *text,
			 const char *action_id, cJSON *fields)
{
	struct lookup l = { .s = s, .table = "sys_journal_field" };
	char *entry = NULL, *body = NULL, path[96];
	int r = -ENOMEM;

	if (!fields)
		fields = cJSON_CreateObject();
	if (!fields)
		return -ENOMEM;
	if (!snow_sys_id_ok(request_id) || !itsm_action_id_ok(action_id) || !text) {
		cJSON_Delete(fields);
		return -EINVAL;
	}
	if (asprintf(&l.query, "element_id=%s^element=%s^valueLIKE%s", request_id, element, action_id) < 0 ||
	    asprintf(&entry, "%s\n\n" SNOW_MARK_FMT, text, action_id) < 0 || add_str(fields, element, entry) < 0) {
		cJSON_Delete(fields);
		goto done;
	}
	r = json_body(fields, &body);
	if (r < 0)
		goto done;
	snprintf(path, sizeof(path), "/api/now/table/sc_req_item/%s?sysparm_fields=sys_id", request_id);
	r = write_once(&l, element, "PATCH", path, "application/json", body, strlen(body), NULL);
done:
	free(entry);
	free(body);
	lookup_clear(&l);
	return r;
}

int snow_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		   const char *action_id)
{
	const struct snow_states *st = ((struct snow *)impl)->states;
	cJSON *fields;

	if ((unsigned)phase >= TICKET_PHASES || !st->state[phase])
		return -EINVAL;
	fields = cJSON_CreateObject();
	if (!fields || add_str(fields, "state", st->state[phase]) < 0 || add_str(fields, "stage", st->stage[phase]) < 0) {
		cJSON_Delete(fields);
		return -ENOMEM;
	}
	return journal_write(impl, request_id, "work_notes", note, action_id, fields);
}

int snow_add_note(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return journal_write(impl, request_id, "work_notes", text, action_id, NULL);
}

int snow_add_comment(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return journal_write(impl, request_id, "comments", text, action_id, NULL);
}

int snow_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
		size_t len, const char *action_id)
{
	struct lookup l = { .s = impl };
	char *stored = NULL, *escaped = NULL, *path = NULL;
	int r = -ENOMEM;

	if (!snow_sys_id_ok(request_id) || !itsm_action_id_ok(action_id) || !itsm_file_name_ok(file_name) ||
	    !itsm_content_type_ok(content_type))
		return -EINVAL;
	/* The action id in the file name is what finds an earlier upload. */
	if (asprintf(&stored, "%s-%s", action_id, file_name) < 0)
		return -ENOMEM;
	if (asprintf(&l.query, "table_name=sc_req_item^table_sys_id=%s^file_name=%s", request_id, stored) < 0)
		goto done;
	escaped = http_escape(stored, NULL);
	if (!escaped || asprintf(&path, "/api/now/attachment/file?table_name=sc_req_item&table_sys_id=%s&file_name=%s",
				 request_id, escaped) < 0)
		goto done;
	r = write_once(&l, "attachment", "POST", path, content_type, data, len, NULL);
done:
	free(stored);
	free(escaped);
	free(path);
	lookup_clear(&l);
	return r;
}

int snow_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id)
{
	/* People know an incident by its number; its sys_id is for machines. */
	struct lookup l = { .s = impl, .table = "incident", .id_field = "number", .answer_field = "number",
			    .id_ok = snow_number_ok };
	/* The group's record id; a name stays in the description. */
	const char *group = snow_sys_id_ok(inc->assignment_group) ? inc->assignment_group : NULL;
	char *body = NULL;
	cJSON *obj;
	int r = -ENOMEM;

	if (!itsm_action_id_ok(action_id) || !inc->short_description ||
	    (inc->request_id && !snow_sys_id_ok(inc->request_id)))
		return -EINVAL;
	/* correlation_id is the field meant for an external system's key. */
	if (asprintf(&l.query, "correlation_id=%s", action_id) < 0)
		return -ENOMEM;
	obj = cJSON_CreateObject();
	if (!obj || add_str(obj, "short_description", inc->short_description) < 0 ||
	    add_str(obj, "description", inc->description) < 0 ||
	    add_str(obj, "assignment_group", group) < 0 || add_str(obj, "parent", inc->request_id) < 0 ||
	    add_str(obj, "correlation_id", action_id) < 0 || add_str(obj, "correlation_display", "accessd") < 0) {
		cJSON_Delete(obj);
		goto done;
	}
	r = json_body(obj, &body);
	if (r < 0)
		goto done;
	r = write_once(&l, "incident", "POST", "/api/now/table/incident", "application/json", body, strlen(body), ret_id);
done:
	free(body);
	lookup_clear(&l);
	return r;
}
