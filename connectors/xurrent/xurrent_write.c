/* SPDX-License-Identifier: Apache-2.0 */
/* Writes to Xurrent that happen once. Notes have no field for an external
 * key, so each ends with the action's mark and is looked for among the
 * notes the token's person wrote on the request; the records accessd
 * creates (approval tasks, incidents) carry the action id in sourceID, with
 * the configured source, and are looked up by both. The same lookup is
 * http_send's "did it happen?" check before it retries a write whose answer
 * was lost. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/text.h"
#include "xurrent.h"

int xr_json_body(cJSON *obj, char **ret)
{
	char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}

struct mark {
	char text[160];
	int found;
};

static int take_mark(struct xr *x, const cJSON *page, void *ctx)
{
	struct mark *m = ctx;
	const cJSON *rec;

	(void)x;
	cJSON_ArrayForEach(rec, page) {
		const char *text = json_str(rec, "text");

		if (text && strstr(text, m->text)) {
			m->found = 1;
			return 1;
		}
	}
	return 0;
}

int xr_note_written(struct xr *x, long request, int internal, const char *action_id)
{
	struct mark m = { .found = 0 };
	char path[160];
	long me;
	int r = xr_me(x, &me);

	if (r < 0)
		return r;
	snprintf(m.text, sizeof(m.text), XR_MARK_FMT, action_id);
	snprintf(path, sizeof(path), "/requests/%ld/notes/%s?person_id=%ld&per_page=%d", request,
		 internal ? "internal" : "public", me, XR_PAGE_MAX);
	r = xr_list(x, "notes", path, take_mark, &m);
	return r < 0 ? r : m.found;
}

int xr_note_took_effect(void *ctx)
{
	struct xr_note_check *c = ctx;

	return xr_note_written(c->x, c->request, c->internal, c->action_id);
}

/* TEXT with the mark of ACTION_ID as a note of REQUEST_ID (INTERNAL or
 * public), unless one is there already. With FIELDS (consumed; may be
 * NULL) the note goes with them in one update of the request. */
static int write_note(struct xr *x, const char *request_id, int internal, const char *text, const char *action_id,
		      cJSON *fields)
{
	struct xr_note_check check = { x, 0, internal, action_id };
	char *note = NULL, *body = NULL, path[96];
	int r;

	if (xr_id_parse(request_id, &check.request) < 0 || !itsm_action_id_ok(action_id) || !text) {
		cJSON_Delete(fields);
		return -EINVAL;
	}
	r = xr_note_written(x, check.request, internal, action_id);
	if (r != 0) {
		cJSON_Delete(fields);
		if (r == 1)
			log_info("xurrent: the note of %s is on request %s already, not written again", action_id,
				 request_id);
		return r < 0 ? r : 0;
	}
	r = xr_note_text(text, action_id, &note);
	if (r < 0) {
		cJSON_Delete(fields);
		return r;
	}
	if (!fields)
		fields = cJSON_CreateObject();
	r = -ENOMEM;
	if (!fields)
		goto done;
	if (fields->child) {
		if (!cJSON_AddStringToObject(fields, "internal_note", note)) {
			cJSON_Delete(fields);
			goto done;
		}
		snprintf(path, sizeof(path), "/requests/%ld", check.request);
	} else {
		if (!cJSON_AddStringToObject(fields, "text", note) || !cJSON_AddBoolToObject(fields, "internal", internal)) {
			cJSON_Delete(fields);
			goto done;
		}
		snprintf(path, sizeof(path), "/requests/%ld/notes", check.request);
	}
	r = xr_json_body(fields, &body);
	if (r < 0)
		goto done;
	r = xr_send(x, "request note", strstr(path, "/notes") ? "POST" : "PATCH", path, body, xr_note_took_effect, &check,
		    NULL, NULL);
	if (r == -EALREADY) {
		log_info("xurrent: request %s: the answer was lost but the note landed", request_id);
		r = 0;
	}
done:
	free(note);
	free(body);
	return r;
}

int xr_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		 const char *action_id)
{
	struct xr *x = impl;
	cJSON *fields;

	if ((unsigned)phase >= TICKET_PHASES || !x->set->status[phase])
		return -EINVAL;
	fields = cJSON_CreateObject();
	if (!fields || !cJSON_AddStringToObject(fields, "status", x->set->status[phase]) ||
	    (x->set->reason[phase] && !cJSON_AddStringToObject(fields, "completion_reason", x->set->reason[phase]))) {
		cJSON_Delete(fields);
		return -ENOMEM;
	}
	return write_note(x, request_id, 1, note, action_id, fields);
}

int xr_add_note(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return write_note(impl, request_id, 1, text, action_id, NULL);
}

int xr_add_comment(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return write_note(impl, request_id, 0, text, action_id, NULL);
}

/* A record accessd created: the first of COLLECTION ("tasks", "requests")
 * whose source and sourceID are accessd's and the action's. */
struct created {
	struct xr *x;
	const char *collection;
	const char *action_id;
	long id; /* set by find_created */
};

static int take_first(struct xr *x, const cJSON *page, void *ctx)
{
	long *id = ctx;
	const cJSON *first = cJSON_GetArrayItem(page, 0);

	(void)x;
	if (!first)
		return 1;
	return xr_int(first, "id", id) < 0 ? -EBADMSG : 1;
}

static int find_created(struct created *c)
{
	char *source = http_escape(c->x->set->source, NULL), path[320];
	int r;

	if (!source)
		return -ENOMEM;
	c->id = 0;
	snprintf(path, sizeof(path), "/%s?source=%s&sourceID=%s&fields=sourceID&per_page=1", c->collection, source,
		 c->action_id);
	free(source);
	r = xr_list(c->x, c->collection, path, take_first, &c->id);
	return r < 0 ? r : c->id != 0;
}

static int created_took_effect(void *ctx)
{
	return find_created(ctx);
}

/* Create the record of C by POST BODY to PATH, unless it exists already;
 * C->id is it then. */
static int create_once(struct created *c, const char *what, const char *path, const char *body)
{
	cJSON *root = NULL;
	int r = find_created(c);

	if (r == 1) {
		log_info("xurrent: %s of %s exists already (%ld), not created again", what, c->action_id, c->id);
		return 0;
	}
	if (r < 0)
		return r;
	r = xr_send(c->x, what, "POST", path, body, created_took_effect, c, &root, NULL);
	if (r == -EALREADY) {
		log_info("xurrent: %s: the answer was lost but the record landed (%ld)", what, c->id);
		return 0;
	}
	if (r == 0 && xr_int(root, "id", &c->id) < 0) {
		log_warnx("xurrent: POST %s answered without the new record's id", what);
		r = -EBADMSG;
	}
	cJSON_Delete(root);
	return r;
}

/* Add SOURCE and SOURCEID to OBJ; 0 or -ENOMEM. */
static int add_source(const struct xr *x, cJSON *obj, const char *action_id)
{
	return cJSON_AddStringToObject(obj, "source", x->set->source) &&
			       cJSON_AddStringToObject(obj, "sourceID", action_id)
		       ? 0
		       : -ENOMEM;
}

/* Add NAME: ID to OBJ when ID is set; 0 or -ENOMEM. */
static int add_id(cJSON *obj, const char *name, long id)
{
	return !id || cJSON_AddNumberToObject(obj, name, (double)id) ? 0 : -ENOMEM;
}

/* The workflow of REQUEST, where approval tasks go. */
static int workflow_of(struct xr *x, long request, long *ret)
{
	cJSON *root = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/requests/%ld", request);
	r = xr_get(x, "request", path, &root);
	if (r < 0)
		return r;
	if (xr_ref_id(root, "workflow", ret) < 0) {
		log_warnx("xurrent: request %ld has no workflow to add an approval task to; give its request "
			  "template a workflow template (an empty one will do)", request);
		r = -EINVAL;
	}
	cJSON_Delete(root);
	return r;
}

struct approver {
	long approver;
	long id;     /* the approval's, when found */
	char status[16];
};

static int take_approver(struct xr *x, const cJSON *page, void *ctx)
{
	struct approver *a = ctx;
	const cJSON *rec;
	long id, approver;

	(void)x;
	cJSON_ArrayForEach(rec, page) {
		if (xr_int(rec, "id", &id) < 0 || xr_ref_id(rec, "approver", &approver) < 0)
			return -EBADMSG;
		if (approver == a->approver || (!a->approver && id == a->id)) {
			a->id = id;
			snprintf(a->status, sizeof(a->status), "%s", json_str(rec, "status") ? json_str(rec, "status") : "");
			return 1;
		}
	}
	return 0;
}

struct approval_check {
	struct xr *x;
	long task;
	struct approver a;
};

/* The approval of A's approver (or with A's id) on TASK: 1, 0 when none. */
static int find_approval(struct xr *x, long task, struct approver *a)
{
	char path[96];
	int r;

	snprintf(path, sizeof(path), "/tasks/%ld/approvals?per_page=%d", task, XR_PAGE_MAX);
	a->status[0] = '\0';
	r = xr_list(x, "approvals", path, take_approver, a);
	return r < 0 ? r : a->status[0] != '\0';
}

static int approval_took_effect(void *ctx)
{
	struct approval_check *c = ctx;

	return find_approval(c->x, c->task, &c->a);
}

/* APPROVER on TASK: found, or added. */
static int add_approver(struct xr *x, long task, long approver, long *ret_id)
{
	struct approval_check c = { x, task, { .approver = approver } };
	char path[96], *body = NULL;
	cJSON *obj, *root = NULL;
	int r = find_approval(x, task, &c.a);

	if (r == 1) {
		*ret_id = c.a.id;
		return 0;
	}
	if (r < 0)
		return r;
	obj = cJSON_CreateObject();
	if (!obj || add_id(obj, "approver_id", approver) < 0) {
		cJSON_Delete(obj);
		return -ENOMEM;
	}
	r = xr_json_body(obj, &body);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/tasks/%ld/approvals", task);
	r = xr_send(x, "approval", "POST", path, body, approval_took_effect, &c, &root, NULL);
	free(body);
	if (r == -EALREADY) {
		*ret_id = c.a.id;
		return 0;
	}
	if (r == 0 && xr_int(root, "id", ret_id) < 0)
		r = -EBADMSG;
	cJSON_Delete(root);
	return r;
}

/* Set TASK's STATUS, with NOTE (may be NULL); a status is idempotent. */
static int task_status(struct xr *x, long task, const char *status, const char *note)
{
	char path[64], *body = NULL;
	cJSON *obj = cJSON_CreateObject();
	int r;

	if (!obj || !cJSON_AddStringToObject(obj, "status", status) || (note && !cJSON_AddStringToObject(obj, "note", note))) {
		cJSON_Delete(obj);
		return -ENOMEM;
	}
	r = xr_json_body(obj, &body);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/tasks/%ld", task);
	r = xr_send(x, "task", "PATCH", path, body, NULL, NULL, NULL, NULL);
	free(body);
	return r;
}

/* The approval task of ACTION_ID, created registered so that nobody is
 * asked before the approver is on it; *RET_STATUS its status. */
static int approval_task(struct xr *x, long request, const char *action_id, long *ret, char status[16])
{
	struct created c = { x, "tasks", action_id, 0 };
	char path[64], subject[96], *body = NULL;
	cJSON *obj, *root = NULL;
	long workflow;
	int r = find_created(&c);

	if (r < 0)
		return r;
	if (r == 1) {
		snprintf(path, sizeof(path), "/tasks/%ld", c.id);
		r = xr_get(x, "task", path, &root);
		if (r < 0)
			return r;
		snprintf(status, 16, "%s", json_str(root, "status") ? json_str(root, "status") : "");
		cJSON_Delete(root);
		*ret = c.id;
		return 0;
	}
	r = workflow_of(x, request, &workflow);
	if (r < 0)
		return r;
	snprintf(subject, sizeof(subject), "Approve access request %ld", request);
	obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "subject", subject) ||
	    !cJSON_AddStringToObject(obj, "category", "approval") || !cJSON_AddStringToObject(obj, "status", "registered") ||
	    add_id(obj, "required_approvals", 1) < 0 || add_id(obj, "planned_duration", x->set->planned_duration) < 0 ||
	    add_id(obj, "template_id", x->set->approval_template) < 0 || add_id(obj, "team_id", x->set->approval_team) < 0 ||
	    add_source(x, obj, action_id) < 0) {
		cJSON_Delete(obj);
		return -ENOMEM;
	}
	r = xr_json_body(obj, &body);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/workflows/%ld/tasks", workflow);
	r = create_once(&c, "approval task", path, body);
	free(body);
	*ret = c.id;
	snprintf(status, 16, "registered");
	return r;
}

int xr_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
		       char **ret_id)
{
	struct xr *x = impl;
	long request, approver, task = 0, approval = 0;
	char status[16] = "";
	int r;

	if (xr_id_parse(request_id, &request) < 0 || xr_id_parse(approver_id, &approver) < 0 ||
	    !itsm_action_id_ok(action_id))
		return -EINVAL;
	r = approval_task(x, request, action_id, &task, status);
	if (r == 0)
		r = add_approver(x, task, approver, &approval);
	/* Assigned, the task asks its approver. */
	if (r == 0 && strcmp(status, "registered") == 0)
		r = task_status(x, task, "assigned", NULL);
	if (r < 0)
		return r;
	if (asprintf(ret_id, "%ld:%ld", task, approval) < 0)
		return -ENOMEM;
	return 0;
}

int xr_cancel_approval(void *impl, const char *approval_id, const char *action_id)
{
	struct xr *x = impl;
	struct approver a = { 0 };
	char task_text[24], path[64], note[200];
	const char *colon = approval_id ? strchr(approval_id, ':') : NULL;
	const char *source;
	cJSON *root = NULL;
	long task;
	int r, ours;

	if (!colon || colon - approval_id >= (long)sizeof(task_text) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	snprintf(task_text, sizeof(task_text), "%.*s", (int)(colon - approval_id), approval_id);
	if (xr_id_parse(task_text, &task) < 0 || xr_id_parse(colon + 1, &a.id) < 0)
		return -EINVAL;
	r = find_approval(x, task, &a);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	if (strcmp(a.status, "canceled") == 0)
		return 0;
	if (strcmp(a.status, "approved") == 0 || strcmp(a.status, "rejected") == 0)
		return -EBUSY;
	snprintf(path, sizeof(path), "/tasks/%ld", task);
	r = xr_get(x, "task", path, &root);
	if (r < 0)
		return r;
	source = json_str(root, "source");
	ours = source && strcmp(source, x->set->source) == 0;
	cJSON_Delete(root);
	if (!ours) {
		log_warnx("xurrent: approval task %ld was not made by accessd; it is left for the workflow to cancel",
			  task);
		return -EINVAL;
	}
	snprintf(note, sizeof(note), "The approval is no longer needed; cancelled by accessd. " XR_MARK_FMT, action_id);
	return task_status(x, task, "canceled", note);
}

/* S cut to MAX bytes on one line: a subject is a single line. */
static char *one_line(const char *s, size_t max)
{
	char *out = malloc(max + TEXT_CLEAN_EXTRA);

	if (!out)
		return NULL;
	text_clean(s ? s : "", max - TEXT_CLEAN_EXTRA + 1, out);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

int xr_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id)
{
	struct xr *x = impl;
	struct created c = { x, "requests", action_id, 0 };
	char *subject = NULL, *body = NULL, *text = NULL;
	cJSON *obj = NULL;
	long request = 0;
	int r = -ENOMEM;

	if (!itsm_action_id_ok(action_id) || !inc->short_description ||
	    (inc->request_id && xr_id_parse(inc->request_id, &request) < 0))
		return -EINVAL;
	subject = one_line(inc->short_description, XR_SUBJECT_MAX);
	if (!subject || xr_note_text(inc->description ? inc->description : inc->short_description, action_id, &text) < 0)
		goto done;
	obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "subject", subject) ||
	    !cJSON_AddStringToObject(obj, "category", "incident") ||
	    !cJSON_AddStringToObject(obj, "impact", x->set->incident_impact) ||
	    add_id(obj, "team_id", x->set->incident_team) < 0 ||
	    add_id(obj, "service_instance_id", x->set->incident_service_instance) < 0 ||
	    !cJSON_AddStringToObject(obj, "internal_note", text) || add_source(x, obj, action_id) < 0) {
		cJSON_Delete(obj);
		goto done;
	}
	r = xr_json_body(obj, &body);
	if (r == 0)
		r = create_once(&c, "incident", "/requests", body);
	if (r == 0 && asprintf(ret_id, "%ld", c.id) < 0)
		r = -ENOMEM;
done:
	free(subject);
	free(text);
	free(body);
	return r;
}
