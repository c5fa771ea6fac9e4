/* SPDX-License-Identifier: Apache-2.0 */
/* Incremental reading of changes, request calls and decisions.
 *
 * Changes, when the change API takes a query: modificationDate=ge= the
 * watermark (less the overlap) and the governed templates, sorted by id
 * and paged by offset. A modification date only grows, so no record leaves
 * the set while it is paged, and an order by id does not move: a change
 * made meanwhile may shift a later page by one, which reads a record twice
 * (delivered once) but never skips one. The change API does not sort on
 * the modification date, so a change made early in a long pass may sort
 * before the page being read: a pass that took longer than poll_overlap
 * keeps the old watermark, and the next pass reads that window again.
 *
 * Changes, change API 1.4.0 (no query, no modification-date filter): every
 * open change is listed each pass, with those closed since the watermark;
 * a change open at the last pass and gone from the list (rejected or
 * cancelled) is read too; each changed one is read in full.
 *
 * Request calls: modificationDate=ge= sorted by modification date, and
 * each next page asks again from the newest date seen rather than by
 * offset: a call changed while being paged moves to the end and comes
 * again, and its neighbours stay in place. Only when a whole page shares
 * one second does the next page step by offset within that second.
 *
 * Decisions: authorization activities with finalDateAfter= the watermark,
 * sorted by finalDate: set once, when decided, so a new decision comes at
 * the end of the order and offset paging skips none. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topdesk.h"
#include "util/civil.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/text.h"

#define NIL_ID "00000000-0000-0000-0000-000000000000"
#define CHANGE_FIELDS                                                                                            \
	"id,number,briefDescription,templateId,requester,processingStatus,status,modificationDate,externalNumber," \
	"optionalFields1,optionalFields2"
#define CALL_FIELDS                                                                                      \
	"id,number,briefDescription,caller,category,subcategory,processingStatus,closed,completed,status," \
	"modificationDate,optionalFields1,optionalFields2"
#define ACTIVITY_FIELDS "id,number,change,activityType,assignee,processingStatus,status,finalDate,lastModificationDate"

/* One pass of a poll: its low bound, its watermark, and where it delivers. */
struct pass {
	struct td *t;
	const char *since;     /* the caller's watermark, or NULL */
	int64_t low_ms;        /* records changed from here on (with the overlap); -1: all */
	char low[20];          /* the same as "YYYY-MM-DD HH:MM:SS" */
	char watermark[20];    /* the newest change seen, or the old watermark */
	itsm_request_cb cb;
	itsm_approval_cb acb;
	void *userdata;
};

static int pass_start(struct td *t, const char *since, struct pass *p)
{
	int64_t ms;

	*p = (struct pass){ .t = t, .since = since, .low_ms = -1 };
	if (!since)
		return 0;
	if (civil_parse(since, CIVIL_DATE_TIME, &ms) < 0)
		return -EINVAL;
	snprintf(p->watermark, sizeof(p->watermark), "%s", since);
	/* Whole seconds, rounded down: the overlap may only grow. */
	p->low_ms = civil_floor_div(ms - t->conf->poll_overlap_ms, 1000) * 1000;
	return civil_format(p->low_ms, p->low);
}

static int pass_end(const struct pass *p, char **ret_watermark)
{
	*ret_watermark = p->watermark[0] ? strdup(p->watermark) : NULL;
	return p->watermark[0] && !*ret_watermark ? -ENOMEM : 0;
}

/* The delivery key of REC changed at WHEN: its id and a hash of what was
 * read (TOPdesk's change dates have whole seconds: two edits within one
 * second keep the date). */
static int key_of(const cJSON *rec, const char *when, char *key, size_t size)
{
	char *text = cJSON_PrintUnformatted(rec);

	if (!text)
		return -ENOMEM;
	snprintf(key, size, "%s|%s|%016llx", when, json_str(rec, "id"),
		 (unsigned long long)hash_fnv64(HASH_FNV64_INIT, text, strlen(text)));
	free(text);
	return 0;
}

static void advance(struct pass *p, const char *when)
{
	if (strcmp(when, p->watermark) > 0)
		snprintf(p->watermark, sizeof(p->watermark), "%s", when);
}

/* Read REC (a change of ITEM, or a call when CALL) and hand it over, once. */
static int deliver(struct pass *p, const cJSON *rec, size_t item, int call, struct poll_seen *seen)
{
	struct request req = { 0 };
	const char *date = json_str(rec, "modificationDate") ? json_str(rec, "modificationDate")
							      : json_str(rec, "lastModificationDate");
	char when[20], key[128];
	int r;

	if (!td_id_ok(json_str(rec, "id")) || !date || td_date_neutral(date, when) < 0) {
		log_warnx("topdesk: a %s without a valid id or modification date; the answer is not what the API "
			  "documents", call ? "call" : "change");
		return -EBADMSG;
	}
	r = key_of(rec, when, key, sizeof(key));
	if (r < 0 || poll_seen_has(seen, key, p->since))
		return r;
	advance(p, when);
	r = call ? td_read_call(p->t, rec, item, &req) : td_read_change(p->t, rec, item, &req);
	if (r == 0)
		r = td_known_add(p->t, req.id, call ? TD_CALL : TD_CHANGE, item, NULL, req.number);
	if (r == 0)
		r = p->cb(&req, p->userdata);
	if (r == -ENOENT) /* skipped, and logged */
		r = 0;
	if (r == 0)
		r = poll_seen_add(seen, key);
	request_clear(&req);
	return r;
}

/* -- changes with a query -------------------------------------------------- */

/* Whether the change list honours a query: an id no change has finds none,
 * and sorting by id (which 1.4.0 refuses) is accepted. Once per instance. */
int td_probe_change_query(struct td *t)
{
	cJSON *root = NULL;
	int r;

	if (t->query_probed)
		return 0;
	if (t->set->change_query != TD_QUERY_AUTO) {
		t->change_query = t->set->change_query == TD_QUERY_YES;
	} else {
		r = td_get_as(t, "change list", "/operatorChanges?query=id%3D%3D" NIL_ID "&sort=id:asc&fields=id&pageSize=1",
			      NULL, 1, &root, NULL);
		if (r < 0 && r != -EINVAL)
			return r;
		t->change_query = r == 0 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "results")) == 0;
		cJSON_Delete(root);
	}
	t->query_probed = 1;
	log_info("topdesk: the change list %s", t->change_query ? "takes a query" : "takes no query (change API 1.4.0)");
	return 0;
}

/* template.id=in=(...) for the change items. */
static int templates_condition(const struct td *t, char **ret)
{
	int r = 0, n = 0;

	*ret = NULL;
	for (size_t i = 0; i < t->n_items && r == 0; i++)
		if (t->item_template[i] && (r = td_append(ret, "%s%s", n++ ? "," : "template.id=in=(", t->item_template[i])) < 0)
			break;
	if (r == 0 && n)
		r = td_append(ret, ")");
	return r;
}

static int changes_by_query(struct pass *p)
{
	struct td *t = p->t;
	char *cond = NULL, *query = NULL, date[21], last_id[40] = "", rest[320];
	int64_t began = td_now(t);
	char old[20];
	int r, start = 0;

	snprintf(old, sizeof(old), "%s", p->watermark);
	r = templates_condition(t, &cond);
	if (r < 0 || !cond)
		goto done;
	if (p->low_ms >= 0 && (r = td_fiql_date(p->low_ms, date)) == 0)
		r = td_append(&query, "modificationDate=ge=%s;", date);
	if (r == 0)
		r = td_append(&query, "%s", cond);
	if (r < 0)
		goto done;
	for (;;) {
		const cJSON *rec, *list;
		cJSON *root = NULL;
		int count = 0;

		snprintf(rest, sizeof(rest), "&sort=id:asc&fields=" CHANGE_FIELDS "&pageSize=%d&pageStart=%d",
			 t->conf->page_size, start);
		r = td_query(t, "change list", "/operatorChanges", query, rest, &root, NULL);
		if (r < 0)
			goto done;
		list = cJSON_GetObjectItemCaseSensitive(root, "results");
		if (root && !cJSON_IsArray(list)) {
			log_warnx("topdesk: the change list has no results");
			r = -EBADMSG;
		}
		cJSON_ArrayForEach(rec, list) {
			const char *id = json_str(rec, "id");
			int item = td_item_of_change(t, json_str(rec, "templateId"));

			count++;
			if (!td_id_ok(id) || strcasecmp(id, last_id) < 0 || item < 0) {
				log_warnx("topdesk: the change list answered out of order or off its query; the query "
					  "was not honoured");
				r = -EBADMSG;
				break;
			}
			/* A change made before this page shifted it: its first is
			 * the last of the page before. */
			if (strcasecmp(id, last_id) == 0)
				continue;
			snprintf(last_id, sizeof(last_id), "%s", id);
			r = deliver(p, rec, (size_t)item, 0, &t->seen_changes);
			if (r < 0)
				break;
		}
		cJSON_Delete(root);
		if (r < 0 || count < t->conf->page_size)
			break;
		start += count;
	}
	if (r == 0 && td_now(t) - began > t->conf->poll_overlap_ms) {
		log_info("topdesk: the change list took longer than poll_overlap; its window is read again next time");
		snprintf(p->watermark, sizeof(p->watermark), "%s", old);
	}
done:
	free(cond);
	free(query);
	return r;
}

/* -- changes without a query (change API 1.4.0) ------------------------------ */

struct candidate {
	char id[40];
	char when[20]; /* "" when not known from the list */
};

struct candidates {
	struct candidate *v;
	size_t n;
};

static int candidate_add(struct candidates *c, const char *id, const char *when)
{
	struct candidate *grown;

	for (size_t i = 0; i < c->n; i++)
		if (strcasecmp(c->v[i].id, id) == 0)
			return 0;
	grown = realloc(c->v, (c->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->v = grown;
	snprintf(c->v[c->n].id, sizeof(c->v[c->n].id), "%s", id);
	snprintf(c->v[c->n].when, sizeof(c->v[c->n].when), "%s", when ? when : "");
	c->n++;
	return 0;
}

static int by_when(const void *a, const void *b)
{
	return strcmp(((const struct candidate *)a)->when, ((const struct candidate *)b)->when);
}

/* Every page of the change list PATH (filters, no paging), adding the
 * changes modified since the pass's low bound to C, and every id to
 * *OPEN when OPEN is not NULL. */
static int list_changes(struct pass *p, const char *filters, struct candidates *c, char ***open, size_t *n_open)
{
	struct td *t = p->t;
	char *path = NULL;
	int r = 0, start = 0;

	for (;;) {
		const cJSON *rec;
		cJSON *root = NULL;
		int count = 0;

		if (asprintf(&path, "/operatorChanges?%s&pageSize=%d&pageStart=%d", filters, t->conf->page_size, start) < 0)
			return -ENOMEM;
		r = td_get(t, "change list", path, &root, NULL);
		free(path);
		if (r < 0)
			return r;
		cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "results")) {
			const char *id = json_str(rec, "id"), *date = json_str(rec, "modificationDate");
			char when[20];
			int64_t ms;

			count++;
			if (!td_id_ok(id) || !date || td_date_neutral(date, when) < 0 || td_date_parse(date, &ms) < 0) {
				log_warnx("topdesk: a change list entry without a valid id or modification date");
				r = -EBADMSG;
				break;
			}
			if (open) {
				char **grown = realloc(*open, (*n_open + 1) * sizeof(*grown));

				if (!grown || !(grown[*n_open] = strdup(id))) {
					if (grown)
						*open = grown;
					r = -ENOMEM;
					break;
				}
				*open = grown;
				(*n_open)++;
			}
			if (ms >= p->low_ms && (r = candidate_add(c, id, when)) < 0)
				break;
		}
		cJSON_Delete(root);
		if (r < 0 || count < t->conf->page_size)
			return r;
		start += count;
	}
}

static int changes_by_listing(struct pass *p)
{
	struct td *t = p->t;
	struct candidates c = { 0 };
	char **open = NULL, date[21], filters[64];
	size_t n_open = 0;
	int r;

	if (!(t->logged & TD_LOGGED_COST)) {
		log_notice("topdesk: the change API takes no query: each cycle lists every open change (one request per "
			   "%d), the changes closed since the last one, and reads in full each change modified since",
			   t->conf->page_size);
		t->logged |= TD_LOGGED_COST;
	}
	r = list_changes(p, "open=true", &c, &open, &n_open);
	if (r == 0 && p->low_ms >= 0 && (r = td_fiql_date(p->low_ms, date)) == 0) {
		snprintf(filters, sizeof(filters), "closedDate.start=%s", date);
		r = list_changes(p, filters, &c, NULL, NULL);
	}
	/* Rejected and cancelled changes have no closed date: one open at the
	 * last pass and gone now is read; at the first pass after a start, those
	 * of the window are listed once. */
	if (r == 0 && p->low_ms >= 0 && !t->first_pass_done)
		r = list_changes(p, "phase=rejected&phase=canceled&archived=false", &c, NULL, NULL);
	for (size_t i = 0; r == 0 && i < t->n_open_changes; i++) {
		size_t k = 0;

		while (k < n_open && strcasecmp(open[k], t->open_changes[i]) != 0)
			k++;
		if (k == n_open)
			r = candidate_add(&c, t->open_changes[i], NULL);
	}
	qsort(c.v, c.n, sizeof(*c.v), by_when);
	if (p->low_ms >= 0)
		poll_seen_prune(&t->seen_listed, p->low);
	for (size_t i = 0; r == 0 && i < c.n; i++) {
		const struct td_known *k;
		char path[128], listed[80];
		cJSON *root = NULL;
		int item;

		/* A list entry read in full already, as it stands, is not read again
		 * (an edit within the same second as the last is seen at the next). */
		snprintf(listed, sizeof(listed), "%s|%s", c.v[i].when, c.v[i].id);
		if (c.v[i].when[0] && poll_seen_has(&t->seen_listed, listed, p->since))
			continue;
		snprintf(path, sizeof(path), "/operatorChanges/%s", c.v[i].id);
		r = td_get_as(t, "change", path, NULL, 1, &root, NULL);
		if (r == -ENOENT) { /* gone (archived or deleted) meanwhile */
			r = 0;
			continue;
		}
		item = r == 0 ? td_item_of_change(t, json_str(root, "templateId")) : -1;
		if (r == 0 && item >= 0)
			r = deliver(p, root, (size_t)item, 0, &t->seen_changes);
		else if (r == 0 && !(k = td_known_find(t, c.v[i].id)))
			r = td_known_add(t, c.v[i].id, TD_FOREIGN, 0, NULL, NULL);
		if (r == 0 && c.v[i].when[0])
			r = poll_seen_add(&t->seen_listed, listed);
		cJSON_Delete(root);
	}
	free(c.v);
	if (r < 0) {
		for (size_t i = 0; i < n_open; i++)
			free(open[i]);
		free(open);
		return r;
	}
	for (size_t i = 0; i < t->n_open_changes; i++)
		free(t->open_changes[i]);
	free(t->open_changes);
	t->open_changes = open;
	t->n_open_changes = n_open;
	t->first_pass_done = 1;
	return 0;
}

/* -- request calls ------------------------------------------------------------ */

/* (category.name=="A";subcategory.name=="B"),(...) for the call items;
 * NULL when there are none. */
static int calls_condition(const struct td *t, char **ret)
{
	int r = 0, n = 0;

	*ret = NULL;
	for (size_t i = 0; i < t->n_items && r == 0; i++) {
		const struct td_item *it = t->items[i].settings;

		if (!it || !it->category)
			continue;
		r = td_append(ret, "%s(", n++ ? "," : "");
		if (r == 0)
			r = td_fiql_eq(ret, "category.name", it->category);
		if (r == 0)
			r = td_append(ret, ";");
		if (r == 0)
			r = td_fiql_eq(ret, "subcategory.name", it->subcategory);
		if (r == 0)
			r = td_append(ret, ")");
	}
	return r;
}

static int poll_calls(struct pass *p)
{
	struct td *t = p->t;
	char *cond = NULL, *query = NULL, date[21], rest[256], last[20] = "";
	int64_t bound = p->low_ms;
	int r, start = 0;

	r = calls_condition(t, &cond);
	if (r < 0 || !cond)
		goto done;
	if (!t->fiql_incidents) {
		if (!(t->logged & TD_LOGGED_NO_CALLS))
			log_error("topdesk: REST API %s takes no query on incidents (3.3.0 does): request call items "
				  "cannot be read by modification date; govern them as changes, or upgrade TOPdesk",
				  t->version);
		t->logged |= TD_LOGGED_NO_CALLS;
		r = -EINVAL;
		goto done;
	}
	for (;;) {
		const cJSON *rec;
		cJSON *root = NULL;
		long status = 0;
		int count = 0, same = 1;

		free(query);
		query = NULL;
		if (bound >= 0 && (r = td_fiql_date(bound, date)) == 0)
			r = td_append(&query, "modificationDate=ge=%s;", date);
		if (r == 0)
			r = td_append(&query, "(%s)", cond);
		snprintf(rest, sizeof(rest), "&sort=modificationDate:asc&fields=" CALL_FIELDS
					     "&dateFormat=iso8601&pageSize=%d&pageStart=%d", t->conf->page_size, start);
		if (r == 0)
			r = td_query(t, "incident list", "/incidents", query, rest, &root, &status);
		if (r < 0)
			goto done;
		cJSON_ArrayForEach(rec, root) {
			const char *date_text = json_str(rec, "modificationDate");
			char when[20];
			int item;

			count++;
			if (!date_text || td_date_neutral(date_text, when) < 0 || strcmp(when, last) < 0) {
				log_warnx("topdesk: the incident list answered out of order; the query was not honoured");
				r = -EBADMSG;
				break;
			}
			same &= !last[0] || strcmp(when, last) == 0;
			snprintf(last, sizeof(last), "%s", when);
			item = td_item_of_call(t, td_ref(rec, "category", "name"), td_ref(rec, "subcategory", "name"));
			if (item < 0) {
				log_warnx("topdesk: the incident list answered off its query; the query was not honoured");
				r = -EBADMSG;
				break;
			}
			r = deliver(p, rec, (size_t)item, 1, &t->seen_calls);
			if (r < 0)
				break;
		}
		cJSON_Delete(root);
		/* 206: more; 200: the last page; 204: nothing. */
		if (r < 0 || status != 206 || count < t->conf->page_size)
			break;
		if (same && count) {
			start += count; /* a page of one second: step within it */
		} else {
			r = civil_parse(last, CIVIL_DATE_TIME, &bound);
			start = 0;
			if (r < 0)
				break;
		}
	}
done:
	free(cond);
	free(query);
	return r;
}

int td_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		     itsm_request_cb cb, void *userdata, char **ret_watermark)
{
	struct td *t = impl;
	struct pass p;
	int r;

	r = td_resolve(t, items, n_items);
	if (r == 0)
		r = pass_start(t, since, &p);
	if (r < 0)
		return r;
	p.cb = cb;
	p.userdata = userdata;
	if (p.low_ms >= 0) {
		poll_seen_prune(&t->seen_changes, p.low);
		poll_seen_prune(&t->seen_calls, p.low);
	}
	r = td_probe_change_query(t);
	if (r == 0)
		r = t->change_query ? changes_by_query(&p) : changes_by_listing(&p);
	if (r == 0)
		r = poll_calls(&p);
	return r < 0 ? r : pass_end(&p, ret_watermark);
}

/* -- decisions ---------------------------------------------------------------- */

static enum approval_decision decision_of(const char *ps)
{
	if (!ps)
		return APPROVAL_UNKNOWN;
	if (strcmp(ps, "waiting") == 0 || strcmp(ps, "ready_to_start") == 0 || strcmp(ps, "in_progress") == 0)
		return APPROVAL_REQUESTED;
	if (strcmp(ps, "authorized") == 0)
		return APPROVAL_APPROVED;
	if (strcmp(ps, "rejected") == 0)
		return APPROVAL_REJECTED;
	return strcmp(ps, "skipped") == 0 ? APPROVAL_CANCELLED : APPROVAL_UNKNOWN;
}

/* A rejection's reason: the newest memo of the activity's progress trail
 * by its assignee (where a manager's comment goes), unless accessd wrote
 * it, and the rejection reason TOPdesk records (only in the activity's
 * detail). Two more requests, for a rejection only. *RET stays NULL when
 * there is neither. */
static int rejection_comment(struct td *t, const char *id, const char *assignee, char **ret)
{
	const char *reason, *comment = NULL;
	int64_t newest = INT64_MIN;
	const cJSON *e;
	cJSON *trail = NULL, *detail = NULL;
	char path[128];
	int r;

	snprintf(path, sizeof(path), "/operatorChangeActivities/%s/progresstrail", id);
	r = td_get(t, "activity progress trail", path, &trail, NULL);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/operatorChangeActivities/%s", id);
	r = td_get(t, "activity", path, &detail, NULL);
	if (r < 0)
		goto done;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(trail, "results")) {
		const char *text = json_str(e, "memoText"), *by = td_ref(e, "person", "id");
		int64_t at = 0;

		if (!by)
			by = td_ref(e, "operator", "id");
		if (!text || !*text || !by || strcasecmp(by, assignee) != 0 || strstr(text, TD_MARK_PREFIX) ||
		    text_has_control(text, 1))
			continue;
		td_date_parse(json_str(e, "entryDate"), &at);
		if (at >= newest) {
			newest = at;
			comment = text;
		}
	}
	reason = td_ref(detail, "rejectionReason", "name");
	if (reason && text_has_control(reason, 0))
		reason = NULL;
	if (comment)
		r = td_append(ret, "%s", comment);
	if (r == 0 && reason)
		r = td_append(ret, comment ? " (reason: %s)" : "Reason: %s", reason);
done:
	cJSON_Delete(trail);
	cJSON_Delete(detail);
	return r;
}

static int deliver_decision(struct pass *p, const cJSON *rec)
{
	struct td *t = p->t;
	const char *id = json_str(rec, "id"), *change = td_ref(rec, "change", "id"), *ps = json_str(rec, "processingStatus");
	const char *assignee = td_ref(rec, "assignee", "id"), *type = td_ref(rec, "assignee", "type");
	const char *final = json_str(rec, "finalDate");
	const struct td_known *k;
	const struct td_who *who = NULL;
	struct approval a = { 0 };
	char when[20], key[128];
	int r;

	if (!td_id_ok(id) || !final || td_date_neutral(final, when) < 0 || !ps) {
		log_warnx("topdesk: an activity without a valid id, final date or processing status");
		return -EBADMSG;
	}
	r = key_of(rec, when, key, sizeof(key));
	if (r < 0 || poll_seen_has(&t->seen_decisions, key, p->since))
		return r;
	advance(p, when);
	if (strcmp(json_str(rec, "activityType") ? json_str(rec, "activityType") : "", "authorization") != 0 ||
	    !td_id_ok(change) || !td_id_ok(assignee))
		return poll_seen_add(&t->seen_decisions, key);
	r = td_known_get(t, change, 1, &k);
	if (r < 0)
		return r;
	if (!k || k->kind != TD_CHANGE)
		return poll_seen_add(&t->seen_decisions, key);
	r = td_who_get(t, assignee, type && strcmp(type, "operator") == 0, &who);
	if (r < 0 && r != -ENOENT)
		return r;
	a.decision = decision_of(ps);
	/* TOPdesk records no decider on an activity: its manager decides an
	 * authorization assigned to them through the manager API, which
	 * answers 403 to anyone else (doc/itsm-topdesk.md). */
	a.by_approver = 1;
	if (!(a.id = strdup(id)) || !(a.request_id = strdup(k->request_id ? k->request_id : change)) ||
	    !(a.approver = strdup(assignee)) || !(a.status = strdup(ps)) || !(a.updated_on = strdup(when)) ||
	    (who && who->upn && !(a.approver_upn = strdup(who->upn))) ||
	    (who && who->name && !(a.decided_by = strdup(who->name)))) {
		r = -ENOMEM;
		goto done;
	}
	if (a.decision == APPROVAL_REJECTED && (r = rejection_comment(t, id, assignee, &a.comments)) < 0)
		goto done;
	r = p->acb(&a, p->userdata);
	if (r == 0)
		r = poll_seen_add(&t->seen_decisions, key);
done:
	approval_clear(&a);
	return r;
}

int td_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
		      itsm_approval_cb cb, void *userdata, char **ret_watermark)
{
	struct td *t = impl;
	char date[21], *path = NULL;
	struct pass p;
	int r, start = 0;

	r = td_resolve(t, items, n_items);
	if (r == 0)
		r = pass_start(t, since, &p);
	if (r < 0)
		return r;
	p.acb = cb;
	p.userdata = userdata;
	if (p.low_ms >= 0)
		poll_seen_prune(&t->seen_decisions, p.low);
	r = td_fiql_date(p.low_ms >= 0 ? p.low_ms : 0, date);
	while (r == 0) {
		const cJSON *rec;
		cJSON *root = NULL;
		int count = 0;

		if (asprintf(&path, "/operatorChangeActivities?finalDateAfter=%s&sort=finalDate:asc&fields=" ACTIVITY_FIELDS
				    "&pageSize=%d&pageStart=%d", date, t->conf->page_size, start) < 0)
			return -ENOMEM;
		r = td_get(t, "activity list", path, &root, NULL);
		free(path);
		if (r < 0)
			return r;
		cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "results")) {
			count++;
			r = deliver_decision(&p, rec);
			if (r < 0)
				break;
		}
		cJSON_Delete(root);
		if (r < 0 || count < t->conf->page_size)
			break;
		start += count;
	}
	return r < 0 ? r : pass_end(&p, ret_watermark);
}
