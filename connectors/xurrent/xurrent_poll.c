/* SPDX-License-Identifier: Apache-2.0 */
/* Incremental reading of requests: those made from the governed request
 * templates and changed since the watermark minus the overlap, oldest
 * change first, 100 a page behind the Link header's next URL (a cursor
 * that belongs to its query, so every poll starts a fresh one). Custom
 * fields are the catalog variables; people are mapped to the directory by
 * their primary e-mail. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/text.h"
#include "xurrent.h"

/* What a request is read with. */
#define XR_REQUEST_FIELDS \
	"fields=subject,status,completion_reason,template,requested_for,requested_by,custom_fields,workflow,updated_at"

/* Custom fields read at most, and the longest id of one. */
#define XR_MAX_FIELDS 200
#define XR_FIELD_ID_MAX 128
/* Workflows remembered at most; past that the map starts again. */
#define XR_FLOWS_MAX 50000

int xr_window_begin(struct xr *x, struct xr_window *w, struct poll_seen *seen, const char *since)
{
	char filter[21];

	memset(w, 0, sizeof(*w));
	w->seen = seen;
	if (!since)
		return 0;
	if (xr_filter_time(since, x->conf->poll_overlap_ms, filter, w->low) < 0)
		return -EINVAL;
	/* The time needs no escape beyond the operator's. */
	snprintf(w->query, sizeof(w->query), "&updated_at=%%3E%%3D%s", filter);
	snprintf(w->since, sizeof(w->since), "%s", since);
	snprintf(w->watermark, sizeof(w->watermark), "%s", since);
	poll_seen_prune(seen, w->low);
	return 0;
}

int xr_window_seen(const struct xr_window *w, struct poll_seen *seen, const char *key)
{
	return poll_seen_has(seen, key, w->since[0] ? w->since : NULL);
}

void xr_window_covers(struct xr_window *w, const char *utc)
{
	if (strcmp(utc, w->watermark) > 0)
		snprintf(w->watermark, sizeof(w->watermark), "%s", utc);
}

int xr_window_record(struct xr_window *w, const char *what, const char *updated, long id, char key[48])
{
	char utc[20];

	if (xr_time_utc(updated, utc) < 0) {
		log_warnx("xurrent: %s: a record without a valid updated_at", what);
		return -EBADMSG;
	}
	if (strcmp(utc, w->last) < 0) {
		log_warnx("xurrent: %s answered out of order; the sort was not honoured", what);
		return -EBADMSG;
	}
	memcpy(w->last, utc, sizeof(w->last));
	xr_window_covers(w, utc);
	snprintf(key, 48, "%s|%ld", utc, id);
	return xr_window_seen(w, w->seen, key);
}

int xr_window_end(struct xr_window *w, int r, char **ret_watermark)
{
	if (r < 0)
		return r;
	*ret_watermark = w->watermark[0] ? strdup(w->watermark) : NULL;
	return w->watermark[0] && !*ret_watermark ? -ENOMEM : 0;
}

int xr_flow_set(struct xr *x, long workflow, long request)
{
	struct xr_flow *grown;

	for (size_t i = 0; i < x->n_flows; i++)
		if (x->flows[i].workflow == workflow) {
			x->flows[i].request = request;
			return 0;
		}
	if (x->n_flows >= XR_FLOWS_MAX)
		x->n_flows = 0;
	grown = realloc(x->flows, (x->n_flows + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	x->flows = grown;
	x->flows[x->n_flows++] = (struct xr_flow){ workflow, request };
	return 0;
}

long xr_flow_get(const struct xr *x, long workflow)
{
	for (size_t i = 0; i < x->n_flows; i++)
		if (x->flows[i].workflow == workflow)
			return x->flows[i].request;
	return -1;
}

struct named {
	long id;
	int n;
};

static int take_template(struct xr *x, const cJSON *page, void *ctx)
{
	struct named *t = ctx;
	const cJSON *rec;

	(void)x;
	cJSON_ArrayForEach(rec, page) {
		if (xr_int(rec, "id", &t->id) < 0)
			return -EBADMSG;
		t->n++;
	}
	return 0;
}

/* The id of the request template whose subject is NAME: 0 when there is
 * none, or more than one (logged: a name must say which). */
static int template_named(struct xr *x, const char *name, long *ret)
{
	struct named t = { 0 };
	char *escaped, *path = NULL;
	int r;

	*ret = 0;
	if (!xr_value_ok(name)) {
		log_warnx("xurrent: the item \"%s\" cannot be looked up by name (a comma, a control character, or a "
			  "leading '!', '<', '>' or '='); name its template by id", name);
		return 0;
	}
	escaped = http_escape(name, NULL);
	if (!escaped || asprintf(&path, "/request_templates?subject=%s&fields=subject&per_page=2", escaped) < 0) {
		free(escaped);
		return -ENOMEM;
	}
	free(escaped);
	r = xr_list(x, "request_templates", path, take_template, &t);
	free(path);
	if (r < 0)
		return r;
	if (t.n == 1)
		*ret = t.id;
	else
		log_warnx("xurrent: %s request template has the subject \"%s\"; its requests are not read (name the "
			  "template by id)", t.n ? "more than one" : "no", name);
	return 0;
}

int xr_templates(struct xr *x, const struct item_config *items, size_t n_items, char **ret_list)
{
	long *found;
	size_t n = 0;
	int r = 0;

	*ret_list = NULL;
	if (!x->templates) {
		long *ids = calloc(n_items ? n_items : 1, sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		for (size_t i = 0; i < n_items && r == 0; i++) {
			if (items[i].sys_id && xr_id_parse(items[i].sys_id, &ids[i]) < 0)
				log_warnx("xurrent: item \"%s\": id \"%s\" is not a request template id (a number)",
					  items[i].name ? items[i].name : "?", items[i].sys_id);
			else if (!items[i].sys_id && items[i].name)
				r = template_named(x, items[i].name, &ids[i]);
		}
		if (r < 0) {
			free(ids);
			return r;
		}
		x->templates = ids;
		x->n_templates = n_items;
	}
	found = calloc(x->n_templates ? x->n_templates : 1, sizeof(*found));
	if (!found)
		return -ENOMEM;
	for (size_t i = 0; i < x->n_templates; i++)
		if (x->templates[i])
			found[n++] = x->templates[i];
	r = n ? xr_id_list(found, n, ret_list) : 0;
	free(found);
	return r;
}

/* V into *RET (NULL when V is NULL or empty), or refused as FIELD when it
 * holds a control character (beyond tab and line breaks when TEXT). */
static int take(const char *v, const char *field, int text, char **ret, char **refused)
{
	*ret = NULL;
	if (!v || !*v)
		return 0;
	if (text_has_control(v, text))
		return itsm_refuse(refused, field);
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

/* A custom field's value as text: strings as they are, numbers and
 * booleans written out; NULL for anything else (null, lists, objects). */
static char *field_value(const cJSON *v)
{
	char *out = NULL;

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v) && asprintf(&out, "%.15g", v->valuedouble) < 0)
		return NULL;
	return out;
}

static int read_fields(struct request *req, const cJSON *fields)
{
	const cJSON *f;
	size_t n = 0, skipped = 0;
	int r;

	req->vars = calloc(XR_MAX_FIELDS + 1, sizeof(*req->vars));
	if (!req->vars)
		return -ENOMEM;
	cJSON_ArrayForEach(f, fields) {
		const char *id = json_str(f, "id");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "value");
		char name[XR_FIELD_ID_MAX + 32];

		if (!id || !*id || strlen(id) > XR_FIELD_ID_MAX || text_has_control(id, 0)) {
			r = itsm_refuse(&req->refused, "custom field (an id that is empty, too long or has a control "
						  "character)");
			if (r < 0)
				return r;
			continue;
		}
		if (n == XR_MAX_FIELDS || cJSON_IsNull(v) || !v || cJSON_IsArray(v) || cJSON_IsObject(v)) {
			skipped += n == XR_MAX_FIELDS || (v && !cJSON_IsNull(v));
			continue;
		}
		if (cJSON_IsString(v) && text_has_control(v->valuestring, 1)) {
			snprintf(name, sizeof(name), "custom field %s", id);
			r = itsm_refuse(&req->refused, name);
			if (r < 0)
				return r;
			continue;
		}
		req->vars[n].name = strdup(id);
		req->vars[n].value = field_value(v);
		req->n_vars = ++n;
		if (!req->vars[n - 1].name || !req->vars[n - 1].value)
			return -ENOMEM;
	}
	if (skipped)
		log_warnx("xurrent: request %s: %zu custom field(s) hold a list or a record, or are past the first %d; "
			  "left out", req->number, skipped, XR_MAX_FIELDS);
	return 0;
}

/* A reference's "name" or "subject" (both are how the API labels one). */
static const char *label(const cJSON *rec, const char *ref, const char *member)
{
	return json_str(cJSON_GetObjectItemCaseSensitive(rec, ref), member);
}

static int person(struct xr *x, const cJSON *rec, const char *ref, char **ret_id, char **ret_upn, char **refused)
{
	const struct xr_person *p;
	long id;

	if (xr_ref_id(rec, ref, &id) < 0)
		return 0;
	if (asprintf(ret_id, "%ld", id) < 0) {
		*ret_id = NULL;
		return -ENOMEM;
	}
	p = xr_person(x, id);
	if (!p || !p->email)
		return 0;
	return take(p->email, ref, 0, ret_upn, refused);
}

struct poll {
	itsm_request_cb cb;
	void *userdata;
	struct xr_window w;
	int found; /* find_request: the request was there */
};

static int deliver(struct xr *x, const cJSON *rec, long id, const char *updated, struct poll *p)
{
	struct request req = { 0 };
	const char *status = json_str(rec, "status"), *reason = json_str(rec, "completion_reason");
	char **no = &req.refused, text[64];
	long template, workflow;
	int r = -ENOMEM;

	if (asprintf(&req.id, "%ld", id) < 0 || !(req.number = strdup(req.id)) || !(req.updated_on = strdup(updated))) {
		req.id = NULL;
		goto done;
	}
	if (xr_ref_id(rec, "template", &template) == 0 && asprintf(&req.item_id, "%ld", template) < 0) {
		req.item_id = NULL;
		goto done;
	}
	snprintf(text, sizeof(text), "%.20s%s%.20s", status ? status : "", reason ? "/" : "", reason ? reason : "");
	if ((r = take(label(rec, "template", "subject"), "template", 0, &req.item_name, no)) < 0 ||
	    (r = person(x, rec, "requested_for", &req.requested_for, &req.requested_for_upn, no)) < 0 ||
	    (r = person(x, rec, "requested_by", &req.opened_by, &req.opened_by_upn, no)) < 0 ||
	    (r = take(text, "status", 0, &req.status, no)) < 0 ||
	    (r = take(json_str(rec, "subject"), "subject", 1, &req.short_description, no)) < 0 ||
	    (r = read_fields(&req, cJSON_GetObjectItemCaseSensitive(rec, "custom_fields"))) < 0)
		goto done;
	req.phase = xr_phase_of(x->set, status, reason);
	if (xr_ref_id(rec, "workflow", &workflow) == 0 && (r = xr_flow_set(x, workflow, id)) < 0)
		goto done;
	if (req.refused)
		log_warnx("xurrent: request %s: \"%s\" holds a control character; the value is left out and the "
			  "request goes back naming it", req.number, req.refused);
	r = p->cb(&req, p->userdata);
done:
	request_clear(&req);
	return r;
}

/* The people a page of requests names, read in one listing. */
static int page_people(struct xr *x, const cJSON *page)
{
	long people[2 * XR_PAGE_MAX] = { 0 };
	const cJSON *rec;
	size_t n = 0;

	cJSON_ArrayForEach(rec, page)
		for (size_t k = 0; k < 2 && n < sizeof(people) / sizeof(people[0]); k++)
			if (xr_ref_id(rec, k ? "requested_by" : "requested_for", &people[n]) == 0)
				n++;
	return xr_people_fetch(x, people, n);
}

static int take_requests(struct xr *x, const cJSON *page, void *ctx)
{
	struct poll *p = ctx;
	const cJSON *rec;
	int r = page_people(x, page);

	if (r < 0)
		return r;
	cJSON_ArrayForEach(rec, page) {
		char key[48];
		long id;

		if (xr_int(rec, "id", &id) < 0) {
			log_warnx("xurrent: a request without a valid id");
			return -EBADMSG;
		}
		r = xr_window_record(&p->w, "requests", json_str(rec, "updated_at"), id, key);
		if (r == 0)
			r = deliver(x, rec, id, p->w.last, p);
		if (r == 0)
			r = poll_seen_add(&x->seen_requests, key);
		if (r < 0)
			return r;
	}
	return 0;
}

int xr_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		     itsm_request_cb cb, void *userdata, char **ret_watermark)
{
	struct xr *x = impl;
	struct poll p = { .cb = cb, .userdata = userdata };
	char *templates = NULL, *path = NULL;
	int r = xr_window_begin(x, &p.w, &x->seen_requests, since);

	if (r < 0)
		return r;
	r = xr_templates(x, items, n_items, &templates);
	if (r < 0 || !templates)
		goto done;
	if (asprintf(&path, "/requests?template_id=%s%s&sort=updated_at&per_page=%d&" XR_REQUEST_FIELDS, templates,
		     p.w.query, x->conf->page_size < XR_PAGE_MAX ? x->conf->page_size : XR_PAGE_MAX) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto done;
	}
	r = xr_list(x, "requests", path, take_requests, &p);
done:
	free(templates);
	free(path);
	return xr_window_end(&p.w, r, ret_watermark);
}

/* The one request of a lookup by id, delivered whether or not it changed. */
static int take_one(struct xr *x, const cJSON *page, void *ctx)
{
	struct poll *p = ctx;
	const cJSON *rec = cJSON_GetArrayItem(page, 0);
	char updated[20];
	long id;
	int r;

	if (!rec)
		return 1;
	if (xr_int(rec, "id", &id) < 0 || xr_time_utc(json_str(rec, "updated_at"), updated) < 0) {
		log_warnx("xurrent: a request without a valid id or updated_at");
		return -EBADMSG;
	}
	r = page_people(x, page);
	if (r == 0)
		r = deliver(x, rec, id, updated, p);
	return r < 0 ? r : (p->found = 1);
}

int xr_find_request(void *impl, const struct item_config *items, size_t n_items, const char *number,
		    itsm_request_cb cb, void *userdata)
{
	struct xr *x = impl;
	struct poll p = { .cb = cb, .userdata = userdata };
	char *templates = NULL, *path = NULL;
	long id;
	int r;

	if (xr_id_parse(number, &id) < 0)
		return -EINVAL;
	r = xr_templates(x, items, n_items, &templates);
	if (r < 0 || !templates)
		return r < 0 ? r : -ENOENT;
	if (asprintf(&path, "/requests?id=%ld&template_id=%s&per_page=1&" XR_REQUEST_FIELDS, id, templates) < 0)
		path = NULL;
	r = path ? xr_list(x, "requests", path, take_one, &p) : -ENOMEM;
	free(templates);
	free(path);
	return r < 0 ? r : p.found ? 0 : -ENOENT;
}
