/* SPDX-License-Identifier: Apache-2.0 */
/* Incremental reading of service requests and their approvals.
 *
 * Requests: one list of the service requests changed since the watermark
 * minus the overlap (updated_since, which also reaches past the list's
 * default 30 days), every page followed by its Link rel="next". The list is
 * ordered by creation, not by change, so every page is read and the
 * tickets are delivered sorted by their change time; one delivered already
 * with the same updated_at is not delivered again. Each changed ticket's
 * requested items say what it asks for: the parent item, governed when the
 * policy names its service item by display id or by name.
 *
 * Approvals: a decision need not change the ticket's updated_at, so the
 * tickets read for approvals come from the account's list of approvals
 * still waiting, one request however many tickets are open: a ticket with
 * an approval that was waiting and is not any more (decided or cancelled),
 * or with one that was not waiting before (asked by a Freshservice
 * workflow), plus the tickets the last poll of requests brought. After a
 * start the approvals decided while accessd was stopped are in no such
 * list: the first poll reads the newest pages of the approved and rejected
 * approvals, back as far as a stage may last. doc/itsm-freshservice.md
 * (3.5) gives the reasoning and the costs. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "freshservice.h"
#include "util/civil.h"
#include "util/log.h"
#include "util/text.h"

#define DAY_MS (86400 * INT64_C(1000))
/* A custom field's name as the item form has it (snake case). */
#define FS_FIELD_NAME_MAX 128

/* One record read, to be delivered in order of change. */
struct entry {
	int64_t ticket, id, updated_ms;
	const cJSON *obj;
};

/* What one poll read: the pages it keeps until the records are delivered. */
struct reading {
	cJSON **roots;
	size_t n_roots, cap_roots;
	struct entry *v;
	size_t n, cap;
};

static void reading_free(struct reading *rd)
{
	for (size_t i = 0; i < rd->n_roots; i++)
		cJSON_Delete(rd->roots[i]);
	free(rd->roots);
	free(rd->v);
}

/* fs_pages' KEEP: the page stays with the reading (CTX starts with it). */
static int keep_root(cJSON *root, void *ctx)
{
	struct reading *rd = *(struct reading **)ctx;

	if (fs_grow((void **)&rd->roots, &rd->cap_roots, rd->n_roots, sizeof(*rd->roots)) < 0) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	rd->roots[rd->n_roots++] = root;
	return 0;
}

static int add_entry(struct reading *rd, int64_t ticket, int64_t id, int64_t updated_ms, const cJSON *obj)
{
	if (fs_grow((void **)&rd->v, &rd->cap, rd->n, sizeof(*rd->v)) < 0)
		return -ENOMEM;
	rd->v[rd->n++] = (struct entry){ ticket, id, updated_ms, obj };
	return 0;
}

static int by_change(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->updated_ms != y->updated_ms)
		return x->updated_ms < y->updated_ms ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* -- what was delivered --------------------------------------------------- */

static int marked(const struct fs_marks *m, int64_t id, int64_t updated_ms)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].id == id && m->v[i].updated_ms == updated_ms)
			return 1;
	return 0;
}

static int mark(struct fs_marks *m, int64_t id, int64_t updated_ms)
{
	if (fs_grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v)) < 0)
		return -ENOMEM;
	m->v[m->n++] = (struct fs_mark){ id, updated_ms };
	return 0;
}

/* Forget marks older than LOW: the next poll does not reach back there. */
static void marks_prune(struct fs_marks *m, int64_t low)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].updated_ms >= low)
			m->v[kept++] = m->v[i];
	m->n = kept;
}

/* A poll begins: the last one's deliveries count when SINCE is the
 * watermark it handed back, and are forgotten otherwise. Returns 1 when
 * they count. */
static int seen_begin(struct fs_seen *seen, const char *since, int64_t low)
{
	int taken = since && seen->watermark[0] && strcmp(since, seen->watermark) == 0;
	int r = 0;

	for (size_t i = 0; taken && i < seen->last.n && r == 0; i++)
		r = mark(&seen->taken, seen->last.v[i].id, seen->last.v[i].updated_ms);
	/* Out of memory: they are delivered again, which is harmless. */
	seen->last.n = 0;
	seen->watermark[0] = '\0';
	if (since)
		marks_prune(&seen->taken, low);
	return taken && r == 0;
}

static int seen_has(const struct fs_seen *seen, int64_t id, int64_t updated_ms)
{
	return marked(&seen->taken, id, updated_ms);
}

static void seen_free(struct fs_seen *seen)
{
	free(seen->taken.v);
	free(seen->last.v);
	free(seen->tickets);
}

void fs_poll_free(struct fs *s)
{
	seen_free(&s->seen_tickets);
	seen_free(&s->seen_approvals);
	free(s->pending);
	free(s->touched);
}

/* The low end of a poll: the watermark SINCE minus the overlap, or at the
 * first start the lookback; *RET_SINCE is SINCE in ms (-1: none). */
static int poll_low(struct fs *s, const char *since, int64_t *ret_low, int64_t *ret_since)
{
	int64_t ms;

	if (!since) {
		*ret_since = -1;
		*ret_low = fs_now(s) - s->st->first_poll_lookback_ms;
		return 0;
	}
	if (civil_parse(since, CIVIL_DATE_TIME, &ms) < 0)
		return -EINVAL;
	*ret_since = ms;
	*ret_low = ms - s->conf->poll_overlap_ms;
	return 0;
}

static int watermark(int64_t newest, char **ret)
{
	char t[20];

	*ret = NULL;
	if (newest < 0)
		return 0;
	if (civil_format(newest, t) < 0)
		return -EINVAL;
	*ret = strdup(t);
	return *ret ? 0 : -ENOMEM;
}

/* -- what a ticket asks for ------------------------------------------------ */

int fs_parent_item(struct fs *s, enum fs_use use, int64_t id, cJSON **ret_root, const cJSON **ret_item)
{
	const cJSON *it, *first = NULL;
	cJSON *root = NULL;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/tickets/%lld/requested_items", (long long)id);
	r = fs_get(s, use, "requested_items", path, FS_QUIET_404, &root, NULL);
	if (r < 0)
		return r;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "requested_items")) {
		if (!first)
			first = it;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "is_parent"))) {
			first = it;
			break;
		}
	}
	if (!first) {
		cJSON_Delete(root);
		return -ENOENT;
	}
	*ret_root = root;
	*ret_item = first;
	return 0;
}

int fs_item_governed(struct fs *s, const struct item_config *items, size_t n_items, int64_t display_id)
{
	const char *name = NULL;
	int named = 0, r;

	for (size_t i = 0; i < n_items; i++) {
		int64_t id;

		if (items[i].sys_id) {
			if (fs_id_parse(items[i].sys_id, &id) && id == display_id)
				return 1;
			continue;
		}
		if (!named) {
			r = fs_item_name(s, display_id, &name);
			if (r < 0)
				return r;
			named = 1;
		}
		if (name && items[i].name && strcmp(items[i].name, name) == 0)
			return 1;
	}
	return 0;
}

/* Remember whether ticket ID is a governed request; returns GOVERNED, or
 * -ENOMEM. */
static int remember_kind(struct fs *s, int64_t id, int governed)
{
	for (size_t i = 0; i < s->n_kinds; i++)
		if (s->kinds[i].id == id) {
			s->kinds[i].governed = governed;
			return governed;
		}
	if (s->n_kinds >= 4096)
		s->n_kinds = 0;
	if (fs_grow((void **)&s->kinds, &s->cap_kinds, s->n_kinds, sizeof(*s->kinds)) < 0)
		return -ENOMEM;
	s->kinds[s->n_kinds++] = (struct fs_ticket_kind){ id, governed };
	return governed;
}

/* Whether ticket ID asks for a governed item, remembered (1 or 0). */
static int ticket_governed(struct fs *s, const struct item_config *items, size_t n_items, int64_t id)
{
	const cJSON *item;
	cJSON *root = NULL;
	int64_t display;
	int r;

	for (size_t i = 0; i < s->n_kinds; i++)
		if (s->kinds[i].id == id)
			return s->kinds[i].governed;
	r = fs_parent_item(s, FS_POLL, id, &root, &item);
	/* No items, no such ticket, or not a service request (400): not ours. */
	if (r == -ENOENT || r == -EINVAL)
		r = 0;
	else if (r == 0)
		r = fs_id(item, "service_item_id", &display) < 0 ? 0 : fs_item_governed(s, items, n_items, display);
	cJSON_Delete(root);
	return r < 0 ? r : remember_kind(s, id, r);
}

/* -- requests --------------------------------------------------------------- */

/* Name FIELD in *REFUSED unless a field is named there already. */
static int refuse(char **refused, const char *field)
{
	if (*refused)
		return 0;
	*refused = strdup(field);
	return *refused ? 0 : -ENOMEM;
}

/* "%lld" of V into *RET. */
static int id_text(int64_t v, char **ret)
{
	return asprintf(ret, "%lld", (long long)v) < 0 ? (*ret = NULL, -ENOMEM) : 0;
}

/* The person ID's e-mail into *RET (NULL when they have none); a refused
 * one named as FIELD. */
static int person_email(struct fs *s, int64_t id, const char *field, char **ret, char **refused)
{
	const struct fs_person *p;
	int r = fs_person(s, FS_POLL, id, &p);

	*ret = NULL;
	if (r < 0)
		return r;
	if (p->refused)
		return refuse(refused, field);
	if (p->email && !(*ret = strdup(p->email)))
		return -ENOMEM;
	return 0;
}

/* A number field's value as text: whole numbers (ids, counts) as such. */
static int number_text(double v, char **ret)
{
	if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
		return asprintf(ret, "%lld", (long long)v);
	return asprintf(ret, "%.15g", v);
}

/* What a custom field's value is, beside text. */
enum {
	VALUE_REFUSED = 1, /* it holds a control character */
	VALUE_OTHER = 2,   /* an object, or a list holding one: not a value */
};

/* The text of a custom field's value F into *RET (the caller frees):
 * strings as they are, numbers and booleans as text, a list of them (a
 * multi-select) joined by ", ". 0, VALUE_REFUSED, VALUE_OTHER or -ENOMEM. */
static int field_text(const cJSON *f, char **ret)
{
	const cJSON *e;
	char *out = NULL;

	if (cJSON_IsString(f)) {
		if (text_has_control(f->valuestring, 1))
			return VALUE_REFUSED;
		out = strdup(f->valuestring);
	} else if (cJSON_IsBool(f)) {
		out = strdup(cJSON_IsTrue(f) ? "true" : "false");
	} else if (cJSON_IsNumber(f)) {
		if (number_text(f->valuedouble, &out) < 0)
			out = NULL;
	} else if (cJSON_IsArray(f)) {
		size_t len = 0;

		out = strdup("");
		cJSON_ArrayForEach(e, f) {
			char *one = NULL, *grown;
			int r = cJSON_IsArray(e) ? VALUE_OTHER : field_text(e, &one);

			grown = r == 0 ? realloc(out, len + strlen(one) + 3) : NULL;
			if (!grown) {
				free(one);
				free(out);
				return r ? r : -ENOMEM;
			}
			out = grown;
			len += (size_t)sprintf(out + len, "%s%s", len ? ", " : "", one);
			free(one);
		}
	} else {
		return VALUE_OTHER;
	}
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}

/* The form's values (the parent item's custom_fields) as variables, nulls
 * left out. A value with a control character is refused (the request goes
 * back naming it); one that is no value at all (an object) is left out. */
static int read_variables(const cJSON *fields, struct request *req)
{
	const cJSON *f;
	size_t n = 0;
	int r = 0;

	req->vars = calloc((size_t)cJSON_GetArraySize(fields) + 1, sizeof(*req->vars));
	if (!req->vars)
		return -ENOMEM;
	cJSON_ArrayForEach(f, fields) {
		char *value = NULL, field[FS_FIELD_NAME_MAX + 32];

		if (cJSON_IsNull(f))
			continue;
		if (!f->string || !*f->string || strlen(f->string) > FS_FIELD_NAME_MAX || text_has_control(f->string, 0)) {
			r = refuse(&req->refused, "custom field (a name that cannot be used)");
			if (r < 0)
				break;
			continue;
		}
		r = field_text(f, &value);
		if (r == VALUE_OTHER) {
			log_warnx("freshservice: %s: custom field %s holds no plain value; it is left out", req->number,
				  f->string);
			r = 0;
			continue;
		}
		if (r == VALUE_REFUSED) {
			snprintf(field, sizeof(field), "custom field %s", f->string);
			r = refuse(&req->refused, field);
			if (r < 0)
				break;
			continue;
		}
		if (r < 0)
			break;
		req->vars[n].value = value;
		req->vars[n].name = strdup(f->string);
		req->n_vars = ++n;
		if (!req->vars[n - 1].name) {
			r = -ENOMEM;
			break;
		}
	}
	return r;
}

struct request_poll {
	struct reading *rd; /* first: keep_root finds it there */
	const struct item_config *items;
	size_t n_items;
	itsm_request_cb cb;
	void *userdata;
	int64_t low, newest;
};

static int collect_ticket(struct fs *s, const cJSON *t, void *ctx)
{
	struct request_poll *rp = ctx;
	int64_t id, updated;

	if (fs_id(t, "id", &id) < 0 || fs_time(t, "updated_at", &updated) < 0) {
		log_warnx("freshservice: a ticket without a valid id or updated_at; the listing is not believed");
		return -EBADMSG;
	}
	if (updated > rp->newest)
		rp->newest = updated;
	if (seen_has(&s->seen_tickets, id, updated) || !json_str(t, "type") ||
	    strcmp(json_str(t, "type"), "Service Request") != 0)
		return 0;
	return add_entry(rp->rd, id, id, updated, t);
}

static int touch(struct fs *s, int64_t id)
{
	if (fs_grow((void **)&s->touched, &s->cap_touched, s->n_touched, sizeof(*s->touched)) < 0)
		return -ENOMEM;
	s->touched[s->n_touched++] = id;
	return 0;
}

/* Read ticket T into a request and hand it to the caller, when it asks for
 * a governed item. */
static int deliver_request(struct fs *s, struct request_poll *rp, int64_t id, int64_t updated, const cJSON *t)
{
	struct request req = { 0 };
	const cJSON *item = NULL;
	cJSON *items = NULL;
	int64_t display, status, for_id, by_id;
	const char *name, *subject = json_str(t, "subject");
	char on[20];
	int r;

	r = fs_parent_item(s, FS_POLL, id, &items, &item);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (fs_id(item, "service_item_id", &display) < 0 || fs_id(t, "status", &status) < 0 ||
	    fs_id(t, "requester_id", &by_id) < 0) {
		log_warnx("freshservice: ticket %lld has no valid status, requester or service item; skipped",
			  (long long)id);
		r = 0;
		goto done;
	}
	if (fs_id(t, "requested_for_id", &for_id) < 0)
		for_id = by_id;
	r = fs_item_governed(s, rp->items, rp->n_items, display);
	if (r >= 0)
		r = remember_kind(s, id, r);
	if (r <= 0)
		goto done;
	r = fs_item_name(s, display, &name);
	if (r < 0 || (r = touch(s, id)) < 0)
		goto done;
	r = -ENOMEM;
	if (asprintf(&req.number, "SR-%lld", (long long)id) < 0) {
		req.number = NULL;
		goto done;
	}
	if (id_text(id, &req.id) < 0 || id_text(display, &req.item_id) < 0 || (name && !(req.item_name = strdup(name))) ||
	    id_text(for_id, &req.requested_for) < 0 || id_text(by_id, &req.opened_by) < 0 ||
	    asprintf(&req.status, "%lld", (long long)status) < 0 || civil_format(updated, on) < 0 ||
	    !(req.updated_on = strdup(on)))
		goto done;
	if ((r = person_email(s, for_id, "requested_for.email", &req.requested_for_upn, &req.refused)) < 0 ||
	    (r = person_email(s, by_id, "requester.email", &req.opened_by_upn, &req.refused)) < 0)
		goto done;
	if (subject && text_has_control(subject, 1))
		r = refuse(&req.refused, "subject");
	else if (subject && *subject && !(req.short_description = strdup(subject)))
		r = -ENOMEM;
	if (r < 0 || (r = read_variables(cJSON_GetObjectItemCaseSensitive(item, "custom_fields"), &req)) < 0)
		goto done;
	req.phase = fs_phase_of(s->st, status);
	if (req.refused)
		log_warnx("freshservice: %s: \"%s\" holds a control character; it is left out and the request goes back "
			  "naming it", req.number, req.refused);
	r = rp->cb(&req, rp->userdata);
done:
	request_clear(&req);
	cJSON_Delete(items);
	return r;
}

static void tell_first_start(struct fs *s, int64_t low)
{
	char t[20];

	if (s->told_first_start || civil_format(low, t) < 0)
		return;
	s->told_first_start = 1;
	log_notice("freshservice: first start: reading the service requests changed since %s UTC (first_poll_lookback); "
		   "an open request not changed since then is not taken over until it changes: raise first_poll_lookback "
		   "to take such requests over", t);
}

int fs_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		     itsm_request_cb cb, void *userdata, char **ret_watermark)
{
	struct fs *s = impl;
	struct reading rd = { 0 };
	struct request_poll rp = { &rd, items, n_items, cb, userdata, 0, -1 };
	char *path = NULL, from[21], ws[48] = "";
	int64_t since_ms;
	int r;

	r = poll_low(s, since, &rp.low, &since_ms);
	if (r < 0)
		return r;
	rp.newest = since_ms;
	seen_begin(&s->seen_tickets, since, rp.low);
	if (!since)
		tell_first_start(s, rp.low);
	if (civil_format_iso(rp.low, from) < 0)
		return -EINVAL;
	if (s->st->workspace_id >= 0)
		snprintf(ws, sizeof(ws), "&workspace_id=%lld", (long long)s->st->workspace_id);
	if (asprintf(&path, "/tickets?type=Service+Request&updated_since=%s&per_page=%d%s", from,
		     s->conf->page_size < FS_PAGE_MAX ? s->conf->page_size : FS_PAGE_MAX, ws) < 0)
		return -ENOMEM;
	s->n_touched = 0;
	r = fs_pages(s, FS_POLL, "tickets", path, "tickets", collect_ticket, keep_root, &rp);
	free(path);
	if (r == 0 && rd.n)
		qsort(rd.v, rd.n, sizeof(*rd.v), by_change);
	for (size_t i = 0; r == 0 && i < rd.n; i++) {
		r = deliver_request(s, &rp, rd.v[i].id, rd.v[i].updated_ms, rd.v[i].obj);
		if (r == 0)
			r = mark(&s->seen_tickets.last, rd.v[i].id, rd.v[i].updated_ms);
	}
	if (r == 0)
		r = watermark(rp.newest, ret_watermark);
	if (r == 0 && *ret_watermark)
		snprintf(s->seen_tickets.watermark, sizeof(s->seen_tickets.watermark), "%s", *ret_watermark);
	reading_free(&rd);
	return r;
}

/* find_request's callback: notes that the request was governed. */
struct found {
	itsm_request_cb cb;
	void *userdata;
	int delivered;
};

static int on_found(const struct request *req, void *userdata)
{
	struct found *f = userdata;

	f->delivered = 1;
	return f->cb(req, f->userdata);
}

int fs_find_request(void *impl, const struct item_config *items, size_t n_items, const char *number,
		    itsm_request_cb cb, void *userdata)
{
	struct fs *s = impl;
	struct found f = { cb, userdata, 0 };
	struct request_poll rp = { NULL, items, n_items, on_found, &f, 0, -1 };
	const char *digits = number && strncmp(number, "SR-", 3) == 0 ? number + 3 : number;
	const cJSON *t;
	cJSON *root = NULL;
	int64_t id, updated;
	char path[64];
	int r;

	if (!fs_id_parse(digits, &id))
		return -EINVAL;
	snprintf(path, sizeof(path), "/tickets/%lld", (long long)id);
	r = fs_get(s, FS_POLL, "ticket", path, FS_QUIET_404, &root, NULL);
	if (r < 0)
		return r;
	t = cJSON_GetObjectItemCaseSensitive(root, "ticket");
	if (!json_str(t, "type") || strcmp(json_str(t, "type"), "Service Request") != 0)
		r = -ENOENT;
	else if (fs_time(t, "updated_at", &updated) < 0)
		r = -EBADMSG;
	else
		r = deliver_request(s, &rp, id, updated, t);
	if (r == 0 && !f.delivered)
		r = -ENOENT;
	cJSON_Delete(root);
	return r;
}

/* -- approvals -------------------------------------------------------------- */

int fs_pending_add(struct fs *s, int64_t ticket_id, int64_t approval_id)
{
	if (fs_grow((void **)&s->pending, &s->cap_pending, s->n_pending, sizeof(*s->pending)) < 0)
		return -ENOMEM;
	s->pending[s->n_pending++] = (struct fs_pending){ approval_id, ticket_id };
	return 0;
}

static int pending_has(const struct fs_pending *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return 1;
	return 0;
}

struct id_set {
	int64_t *v;
	size_t n, cap;
};

static int set_add(struct id_set *set, int64_t id)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i] == id)
			return 0;
	if (fs_grow((void **)&set->v, &set->cap, set->n, sizeof(*set->v)) < 0)
		return -ENOMEM;
	set->v[set->n++] = id;
	return 0;
}

/* Page PAGE of the account's approvals in STATUS: its list and total. */
static int approvals_page(struct fs *s, const char *status, long page, cJSON **ret_root, long *ret_total)
{
	char path[96];
	const cJSON *total;
	int r;

	snprintf(path, sizeof(path), "/approvals?parent=ticket&status=%s&page=%ld", status, page);
	r = fs_get(s, FS_POLL, "approvals", path, 0, ret_root, NULL);
	if (r < 0)
		return r;
	total = cJSON_GetObjectItemCaseSensitive(*ret_root, "total");
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*ret_root, "approvals")) || !cJSON_IsNumber(total) ||
	    total->valuedouble < 0) {
		log_warnx("freshservice: GET approvals: the answer has no approvals list or total");
		cJSON_Delete(*ret_root);
		*ret_root = NULL;
		return -EBADMSG;
	}
	*ret_total = total->valuedouble > 1e9 ? 1000000000L : (long)total->valuedouble;
	return 0;
}

/* The approvals waiting now, every page. */
static int read_pending(struct fs *s, struct fs_pending **ret, size_t *ret_n)
{
	struct fs_pending *v = NULL;
	size_t n = 0, cap = 0;
	long total = 0;
	int r = 0;

	for (long page = 1; r == 0; page++) {
		const cJSON *a;
		cJSON *root = NULL;
		size_t before = n;

		r = approvals_page(s, "requested", page, &root, &total);
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(root, "approvals")) {
			int64_t id, ticket;

			if (fs_id(a, "id", &id) < 0 || fs_id(a, "parent_id", &ticket) < 0) {
				r = -EBADMSG;
				break;
			}
			if (fs_grow((void **)&v, &cap, n, sizeof(*v)) < 0) {
				r = -ENOMEM;
				break;
			}
			v[n++] = (struct fs_pending){ id, ticket };
		}
		cJSON_Delete(root);
		if (r < 0 || n == before || page * FS_APPROVALS_PAGE >= total)
			break;
	}
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* How long ago an approval still to be decided may have been asked for:
 * the longest stage of any item (30 days for a stage without an
 * expire_after, or when that is longer). */
static int64_t stage_reach(const struct item_config *items, size_t n_items)
{
	int64_t reach = 30 * DAY_MS;

	for (size_t i = 0; i < n_items; i++) {
		for (size_t k = 0; k < items[i].n_stages; k++)
			if (items[i].stages[k].expire_after_ms > reach)
				reach = items[i].stages[k].expire_after_ms;
		for (size_t k = 0; k < items[i].n_privileged_stages; k++)
			if (items[i].privileged_stages[k].expire_after_ms > reach)
				reach = items[i].privileged_stages[k].expire_after_ms;
	}
	return reach;
}

/* After a start: the tickets of approvals decided (approved or rejected)
 * at or after LOW. The list is ordered by creation, oldest first, so its
 * last pages are read, back to approvals created before LOW - REACH. */
/* The tickets of ROOT's approvals changed at or after LOW into TICKETS,
 * and the oldest creation time among them into *OLDEST. */
static int decided_on_page(const cJSON *root, int64_t low, struct id_set *tickets, int64_t *oldest)
{
	const cJSON *a;

	*oldest = INT64_MAX;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(root, "approvals")) {
		int64_t ticket, updated, created;
		int r;

		if (fs_id(a, "parent_id", &ticket) < 0 || fs_time(a, "updated_at", &updated) < 0 ||
		    fs_time(a, "created_at", &created) < 0)
			return -EBADMSG;
		if (created < *oldest)
			*oldest = created;
		if (updated >= low && (r = set_add(tickets, ticket)) < 0)
			return r;
	}
	return 0;
}

static int decided_since(struct fs *s, int64_t low, int64_t reach, struct id_set *tickets)
{
	static const char *const statuses[] = { "approved", "rejected" };
	int r = 0;

	for (size_t k = 0; k < 2 && r == 0; k++) {
		int64_t oldest;
		cJSON *root = NULL;
		long total = 0;

		/* The first page says how many there are; then the newest,
		 * back to where they were asked for too long ago. */
		r = approvals_page(s, statuses[k], 1, &root, &total);
		if (r == 0)
			r = decided_on_page(root, low, tickets, &oldest);
		for (long page = (total + FS_APPROVALS_PAGE - 1) / FS_APPROVALS_PAGE; r == 0 && page >= 2; page--) {
			cJSON_Delete(root);
			root = NULL;
			r = approvals_page(s, statuses[k], page, &root, &total);
			if (r == 0)
				r = decided_on_page(root, low, tickets, &oldest);
			if (oldest < low - reach)
				break;
		}
		cJSON_Delete(root);
	}
	return r;
}

struct approval_poll {
	struct reading *rd; /* first: keep_root finds it there */
	int64_t ticket;
	int64_t low, newest;
	int all; /* no watermark: every approval is delivered */
};

static int collect_approval(struct fs *s, const cJSON *a, void *ctx)
{
	struct approval_poll *ap = ctx;
	int64_t id, updated;

	if (fs_id(a, "id", &id) < 0 || fs_time(a, "updated_at", &updated) < 0) {
		log_warnx("freshservice: an approval of ticket %lld without a valid id or updated_at", (long long)ap->ticket);
		return -EBADMSG;
	}
	if (updated > ap->newest)
		ap->newest = updated;
	if ((!ap->all && updated < ap->low) || seen_has(&s->seen_approvals, id, updated))
		return 0;
	return add_entry(ap->rd, ap->ticket, id, updated, a);
}

/* Approval A of ticket T as the neutral record. A decision counts as the
 * approver's only when nobody stands in for them (a delegatee). */
static int deliver_approval(struct fs *s, const struct entry *e, itsm_approval_cb cb, void *userdata)
{
	const cJSON *a = e->obj, *status = cJSON_GetObjectItemCaseSensitive(a, "approval_status");
	const cJSON *delegatee = cJSON_GetObjectItemCaseSensitive(a, "delegatee");
	const char *name = json_str(status, "name"), *remark = json_str(a, "latest_remark");
	struct approval out = { 0 };
	char *refused = NULL, on[20];
	int64_t approver, code = -1, stand_in;
	int r = -ENOMEM;

	if (fs_id(a, "approver_id", &approver) < 0) {
		log_warnx("freshservice: approval %lld of ticket %lld names no approver; skipped", (long long)e->id,
			  (long long)e->ticket);
		return 0;
	}
	if (fs_id(status, "id", &code) < 0)
		code = -1;
	if (asprintf(&out.id, "%lld:%lld", (long long)e->ticket, (long long)e->id) < 0) {
		out.id = NULL;
		goto done;
	}
	if (id_text(e->ticket, &out.request_id) < 0 || id_text(approver, &out.approver) < 0 ||
	    civil_format(e->updated_ms, on) < 0 || !(out.updated_on = strdup(on)))
		goto done;
	if ((r = person_email(s, approver, "approver.email", &out.approver_upn, &refused)) < 0)
		goto done;
	out.decision = fs_decision_of(code);
	if (name && !text_has_control(name, 0) && !(out.status = strdup(name)))
		goto fail;
	if (remark && text_has_control(remark, 1))
		r = refuse(&refused, "latest_remark");
	else if (remark && *remark && !(out.comments = strdup(remark)))
		goto fail;
	if (r < 0)
		goto done;
	if (cJSON_IsObject(delegatee) && fs_id(delegatee, "id", &stand_in) == 0) {
		r = person_email(s, stand_in, "delegatee.email", &out.decided_by, &refused);
		if (r < 0)
			goto done;
		if (!out.decided_by && asprintf(&out.decided_by, "Freshservice user %lld", (long long)stand_in) < 0) {
			out.decided_by = NULL;
			goto fail;
		}
	} else {
		out.by_approver = 1;
	}
	if (refused)
		log_warnx("freshservice: approval %s: \"%s\" holds a control character; the value is left out", out.id,
			  refused);
	r = cb(&out, userdata);
	goto done;
fail:
	r = -ENOMEM;
done:
	free(refused);
	approval_clear(&out);
	return r;
}

/* The tickets whose approvals are read this time (see the top). */
static int candidates(struct fs *s, const struct fs_pending *now, size_t n_now, struct id_set *set)
{
	int r = 0;

	for (size_t i = 0; i < s->n_touched && r == 0; i++)
		r = set_add(set, s->touched[i]);
	for (size_t i = 0; i < s->n_pending && r == 0; i++)
		if (!pending_has(now, n_now, s->pending[i].id))
			r = set_add(set, s->pending[i].ticket_id);
	for (size_t i = 0; i < n_now && r == 0; i++)
		if (!pending_has(s->pending, s->n_pending, now[i].id))
			r = set_add(set, now[i].ticket_id);
	return r;
}

int fs_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
		      itsm_approval_cb cb, void *userdata, char **ret_watermark)
{
	struct fs *s = impl;
	struct reading rd = { 0 };
	struct approval_poll ap = { .rd = &rd };
	struct fs_pending *now = NULL;
	struct id_set tickets = { 0 };
	size_t n_now = 0;
	int64_t since_ms;
	int taken, r;

	r = poll_low(s, since, &ap.low, &since_ms);
	if (r < 0)
		return r;
	ap.all = !since;
	ap.newest = since_ms;
	taken = seen_begin(&s->seen_approvals, since, ap.low);
	r = read_pending(s, &now, &n_now);
	if (r == 0)
		r = candidates(s, now, n_now, &tickets);
	for (size_t i = 0; r == 0 && !taken && i < s->seen_approvals.n_tickets; i++)
		r = set_add(&tickets, s->seen_approvals.tickets[i]);
	if (r == 0 && since && !s->polled_approvals)
		r = decided_since(s, ap.low, stage_reach(items, n_items), &tickets);
	for (size_t i = 0; r == 0 && i < tickets.n; i++) {
		char path[96];

		r = ticket_governed(s, items, n_items, tickets.v[i]);
		if (r <= 0)
			continue;
		ap.ticket = tickets.v[i];
		snprintf(path, sizeof(path), "/tickets/%lld/approvals", (long long)ap.ticket);
		r = fs_pages(s, FS_POLL, "approvals", path, "approvals", collect_approval, keep_root, &ap);
		/* A ticket deleted meanwhile has no approvals to read. */
		if (r == -ENOENT)
			r = 0;
	}
	if (r == 0 && rd.n)
		qsort(rd.v, rd.n, sizeof(*rd.v), by_change);
	for (size_t i = 0; r == 0 && i < rd.n; i++) {
		r = deliver_approval(s, &rd.v[i], cb, userdata);
		if (r == 0)
			r = mark(&s->seen_approvals.last, rd.v[i].id, rd.v[i].updated_ms);
	}
	if (r == 0)
		r = watermark(ap.newest, ret_watermark);
	if (r == 0) {
		struct fs_seen *seen = &s->seen_approvals;

		if (*ret_watermark)
			snprintf(seen->watermark, sizeof(seen->watermark), "%s", *ret_watermark);
		free(seen->tickets);
		seen->tickets = tickets.v;
		seen->n_tickets = seen->cap_tickets = tickets.n;
		tickets.v = NULL;
		/* Only a poll that read everything moves the pending list on:
		 * otherwise the next one compares with the same one again. */
		free(s->pending);
		s->pending = now;
		s->n_pending = s->cap_pending = n_now;
		now = NULL;
		s->polled_approvals = 1;
		s->n_touched = 0;
	}
	free(now);
	free(tickets.v);
	reading_free(&rd);
	return r;
}
