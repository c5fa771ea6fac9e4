/* SPDX-License-Identifier: Apache-2.0 */
/* A change or a request call read into the neutral request: its people
 * mapped to the directory, its phase, and the catalog variables of its item
 * read from optional fields and from the answers a portal form wrote into
 * the request text. Every value is hostile until checked: one holding a
 * control character is left out and named, so the request goes back. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topdesk.h"
#include "util/log.h"
#include "util/text.h"

/* Request texts looked at for a form's answers: the newest first. */
#define MAX_REQUEST_ENTRIES 20

const char *td_ref(const cJSON *obj, const char *name, const char *what)
{
	return json_str(cJSON_GetObjectItemCaseSensitive(obj, name), what);
}

int td_change_closed(const char *ps)
{
	static const char *const closed[] = { "rejected", "simple_closed", "extensive_closed", "extensive_nogo",
					      "extensive_cancelled" };

	for (size_t i = 0; ps && i < sizeof(closed) / sizeof(closed[0]); i++)
		if (strcmp(ps, closed[i]) == 0)
			return 1;
	return 0;
}

/* The phase accessd writes as STATUS_ID (among IDS) whose closedness is
 * CLOSED, or -1. */
static int phase_by_status(char *const ids[TICKET_PHASES], const char *status_id, int closed)
{
	for (int p = 0; status_id && p < TICKET_PHASES; p++)
		if (ids[p] && strcasecmp(ids[p], status_id) == 0 && ticket_phase_closed((enum ticket_phase)p) == closed)
			return p;
	return -1;
}

enum ticket_phase td_change_phase(const struct td *t, const char *ps, const char *status_id)
{
	int closed = td_change_closed(ps), p = phase_by_status(t->status_id, status_id, closed);

	if (p >= 0)
		return (enum ticket_phase)p;
	if (closed)
		return strcmp(ps, "rejected") == 0 ? TICKET_REJECTED : TICKET_CANCELLED;
	return ps && (strcmp(ps, "rfc") == 0 || strcmp(ps, "prfc") == 0) ? TICKET_PENDING_APPROVAL : TICKET_OPEN;
}

enum ticket_phase td_call_phase(const struct td *t, int closed, const char *status_id)
{
	int p = phase_by_status(t->call_status_id, status_id, closed);

	return p >= 0 ? (enum ticket_phase)p : closed ? TICKET_CANCELLED : TICKET_OPEN;
}

/* Name FIELD in *REFUSED unless a field is named there already. */
static int refuse(char **refused, const char *field)
{
	if (*refused)
		return 0;
	*refused = strdup(field);
	return *refused ? 0 : -ENOMEM;
}

/* The string member NAME of REC into *RET (NULL when absent or empty); a
 * value with a control character (beyond line breaks and tabs when TEXT)
 * is left out and named. */
static int take(const cJSON *rec, const char *name, const char *shown, int text, char **ret, char **refused)
{
	const char *v = json_str(rec, name);

	*ret = NULL;
	if (!v || !*v)
		return 0;
	if (text_has_control(v, text))
		return refuse(refused, shown);
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

/* The optional field PATH ("optionalFields1.date2") of REC as text, into
 * *RET (NULL when empty). */
static int optional_value(const cJSON *rec, const char *path, char **ret, char **refused)
{
	const cJSON *tab, *v;
	char tabname[16], buf[64];

	snprintf(tabname, sizeof(tabname), "%.*s", (int)(strchr(path, '.') - path), path);
	tab = cJSON_GetObjectItemCaseSensitive(rec, tabname);
	v = cJSON_GetObjectItemCaseSensitive(tab, strchr(path, '.') + 1);
	*ret = NULL;
	if (cJSON_IsObject(v)) /* a searchlist: its name */
		v = cJSON_GetObjectItemCaseSensitive(v, "name");
	if (cJSON_IsBool(v)) {
		snprintf(buf, sizeof(buf), "%s", cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNumber(v)) {
		snprintf(buf, sizeof(buf), "%.15g", v->valuedouble);
	} else if (cJSON_IsString(v) && strstr(path, ".date")) {
		if (td_date_neutral(v->valuestring, buf) < 0)
			return refuse(refused, path);
	} else if (cJSON_IsString(v)) {
		if (!*v->valuestring)
			return 0;
		if (text_has_control(v->valuestring, 1))
			return refuse(refused, path);
		*ret = strdup(v->valuestring);
		return *ret ? 0 : -ENOMEM;
	} else {
		return 0;
	}
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/* The request texts of the record at PATH (newest first), joined. */
static int request_texts(struct td *t, const char *path, char **ret)
{
	const cJSON *e, *list;
	cJSON *root = NULL;
	int n = 0, r;

	*ret = NULL;
	r = td_get(t, "request texts", path, &root, NULL);
	if (r < 0)
		return r;
	list = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "results");
	cJSON_ArrayForEach(e, list) {
		const char *text = json_str(e, "memoText");

		if (n++ == MAX_REQUEST_ENTRIES)
			break;
		if (text && (r = td_append(ret, "%s\n", text)) < 0)
			break;
	}
	cJSON_Delete(root);
	return r;
}

static int add_var(struct request *req, const char *name, char *value)
{
	struct variable *grown;

	if (!value)
		return 0;
	for (size_t i = 0; i < req->n_vars; i++)
		if (strcmp(req->vars[i].name, name) == 0) {
			free(value);
			return 0;
		}
	grown = realloc(req->vars, (req->n_vars + 1) * sizeof(*grown));
	if (!grown) {
		free(value);
		return -ENOMEM;
	}
	req->vars = grown;
	req->vars[req->n_vars].name = strdup(name);
	req->vars[req->n_vars].value = value;
	if (!req->vars[req->n_vars].name) {
		free(value);
		return -ENOMEM;
	}
	req->n_vars++;
	return 0;
}

/* The item's variables: its optional fields first, then the answers in
 * the request text (read from REQUESTS_PATH only when a label is asked). */
static int read_variables(struct td *t, const cJSON *rec, const struct td_item *it, const char *requests_path,
			  struct request *req)
{
	char *texts = NULL, *value;
	int r = 0;

	for (size_t i = 0; it && i < it->n_fields && r == 0; i++)
		if ((r = optional_value(rec, it->fields[i].value, &value, &req->refused)) == 0)
			r = add_var(req, it->fields[i].name, value);
	if (r < 0 || !it || !it->n_labels)
		return r;
	r = request_texts(t, requests_path, &texts);
	for (size_t i = 0; i < it->n_labels && r == 0 && texts; i++) {
		char field[160];

		r = td_form_value(texts, it->labels[i].value, &value);
		if (r == 0 && value && text_has_control(value, 1)) {
			snprintf(field, sizeof(field), "request text \"%s\"", it->labels[i].value);
			free(value);
			r = refuse(&req->refused, field);
			continue;
		}
		if (r == 0)
			r = add_var(req, it->labels[i].name, value);
	}
	free(texts);
	return r;
}

/* The person PERSON_ID (NULL: none) into *RET_ID and their mapped name. */
static int take_person(struct td *t, const char *person_id, char **ret_id, char **ret_upn)
{
	const struct td_who *w;
	int r;

	*ret_id = *ret_upn = NULL;
	if (!person_id)
		return 0;
	r = td_who_get(t, person_id, 0, &w);
	if (r == -ENOENT || r == -EINVAL)
		return 0; /* not a person accessd can name: the request goes back */
	if (r < 0)
		return r;
	*ret_id = strdup(w->id);
	*ret_upn = w->upn ? strdup(w->upn) : NULL;
	return !*ret_id || (w->upn && !*ret_upn) ? -ENOMEM : 0;
}

/* A "requested_for" variable names the person the access is for, by the
 * mapped name, when someone asks for another. */
static int apply_requested_for(struct td *t, struct request *req)
{
	const char *v = request_var(req, "requested_for");
	const struct td_who *w;
	int r;

	if (!v)
		return 0;
	free(req->requested_for_upn);
	free(req->requested_for);
	req->requested_for = NULL;
	req->requested_for_upn = strdup(v);
	if (!req->requested_for_upn)
		return -ENOMEM;
	r = td_who_find(t, v, &w);
	if (r == 0 && !w->operator) {
		req->requested_for = strdup(w->id);
		return req->requested_for ? 0 : -ENOMEM;
	}
	return r == -ENOENT || r == -ENOTUNIQ || r == -EINVAL || r == 0 ? 0 : r;
}

/* Fields every request has, after the record's own. */
static int finish(struct td *t, const cJSON *rec, size_t item, const char *person, const char *requests_path,
		  struct request *req)
{
	const struct item_config *ic = &t->items[item];
	int r;

	if ((ic->sys_id && !(req->item_id = strdup(ic->sys_id))) || !(req->item_name = strdup(ic->name)))
		return -ENOMEM;
	r = take_person(t, person, &req->requested_for, &req->requested_for_upn);
	if (r == 0 && req->requested_for) {
		req->opened_by = strdup(req->requested_for);
		req->opened_by_upn = req->requested_for_upn ? strdup(req->requested_for_upn) : NULL;
		if (!req->opened_by || (req->requested_for_upn && !req->opened_by_upn))
			r = -ENOMEM;
	}
	if (r == 0)
		r = read_variables(t, rec, ic->settings, requests_path, req);
	if (r == 0)
		r = apply_requested_for(t, req);
	if (r == 0 && req->refused)
		log_warnx("topdesk: %s: \"%s\" holds a control character; the value is left out and the request goes "
			  "back naming it", req->number, req->refused);
	return r;
}

/* The common start: id, number (skipped when it cannot name a request),
 * brief description. */
static int start(const cJSON *rec, const char *what, struct request *req)
{
	const char *id = json_str(rec, "id"), *number = json_str(rec, "number");
	int r;

	if (!td_id_ok(id)) {
		log_warnx("topdesk: a %s without a valid id is skipped", what);
		return -ENOENT;
	}
	if (!td_number_ok(number)) {
		/* This record's problem alone: skipped, logged once (the
		 * watermark moves past it). */
		log_warnx("topdesk: %s %s is skipped: its number is missing, longer than 40 or holds a control character",
			  what, id);
		return -ENOENT;
	}
	if (!(req->id = strdup(id)) || !(req->number = strdup(number)))
		return -ENOMEM;
	r = take(rec, "briefDescription", "briefDescription", 1, &req->short_description, &req->refused);
	return r;
}

static int set_updated(struct request *req, const char *date)
{
	char when[20];

	if (!date || td_date_neutral(date, when) < 0)
		return -EBADMSG;
	req->updated_on = strdup(when);
	return req->updated_on ? 0 : -ENOMEM;
}

int td_read_change(struct td *t, const cJSON *rec, size_t item, struct request *req)
{
	const char *ps = json_str(rec, "processingStatus"), *status = td_ref(rec, "status", "name");
	const char *date = json_str(rec, "modificationDate") ? json_str(rec, "modificationDate")
							      : json_str(rec, "lastModificationDate");
	char path[128];
	int r;

	r = start(rec, "change", req);
	if (r < 0)
		return r;
	if (!ps || text_has_control(ps, 0) || (status && text_has_control(status, 0)) || set_updated(req, date) < 0) {
		log_warnx("topdesk: change %s has no valid processing status or modification date", req->number);
		return -EBADMSG;
	}
	if (asprintf(&req->status, "%s%s%s%s", ps, status ? " (" : "", status ? status : "", status ? ")" : "") < 0) {
		req->status = NULL;
		return -ENOMEM;
	}
	req->phase = td_change_phase(t, ps, td_ref(rec, "status", "id"));
	snprintf(path, sizeof(path), "/operatorChanges/%s/requests", req->id);
	return finish(t, rec, item, td_ref(rec, "requester", "id"), path, req);
}

int td_read_call(struct td *t, const cJSON *rec, size_t item, struct request *req)
{
	const char *status = td_ref(rec, "processingStatus", "name");
	int closed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "closed"));
	char path[128];
	int r;

	r = start(rec, "incident", req);
	if (r < 0)
		return r;
	if ((status && text_has_control(status, 0)) || set_updated(req, json_str(rec, "modificationDate")) < 0) {
		log_warnx("topdesk: incident %s has no valid modification date", req->number);
		return -EBADMSG;
	}
	if (asprintf(&req->status, "%s%s", status ? status : "no status", closed ? ", closed" : "") < 0) {
		req->status = NULL;
		return -ENOMEM;
	}
	req->phase = td_call_phase(t, closed, td_ref(rec, "processingStatus", "id"));
	snprintf(path, sizeof(path), "/incidents/id/%s/requests?page_size=%d", req->id, MAX_REQUEST_ENTRIES);
	return finish(t, rec, item, td_ref(rec, "caller", "id"), path, req);
}
