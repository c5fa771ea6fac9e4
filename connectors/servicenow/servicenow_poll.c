/* SPDX-License-Identifier: Apache-2.0 */
/* Incremental reading of request items and approval records.
 *
 * Pages are keyed, not counted: the first page asks for records changed
 * since the watermark minus the overlap, ordered by sys_updated_on then
 * sys_id; each next page asks for records after the last (sys_updated_on,
 * sys_id) seen. Offsets would shift under a record updated while paging
 * (it moves to the end of the order) and silently skip its neighbour; a key
 * does not move, and the updated record itself comes again at the end. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicenow.h"
#include "util/log.h"
#include "util/text.h"

#define SNOW_ORDER "^ORDERBYsys_updated_on^ORDERBYsys_id"
#define SNOW_MAX_VARIABLES 500

struct poll_spec {
	const char *table;
	const char *item_field; /* the reference to the catalog item, from TABLE */
	const char *fields;     /* sysparm_fields */
	struct poll_seen *seen;
	/* Translate REC and hand it to the caller's callback. */
	int (*deliver)(struct snow *s, const cJSON *rec, void *ctx);
	void *ctx;
};

/* Whether T is exactly "YYYY-MM-DD HH:MM:SS": it goes back into a query. */
static int time_ok(const char *t)
{
	char check[20];

	return t && snow_time_shift(t, 0, check) == 0 && strcmp(check, t) == 0;
}

static int page_path(const struct snow *s, const struct poll_spec *p, const char *items, const char *low,
		     const char *last_on, const char *last_id, char **ret)
{
	char *query = NULL, *escaped = NULL;
	int n;

	if (last_on[0])
		n = asprintf(&query, "%s^sys_updated_on>%s^NQ%s^sys_updated_on=%s^sys_id>%s" SNOW_ORDER, items, last_on,
			     items, last_on, last_id);
	else if (low)
		n = asprintf(&query, "%s^sys_updated_on>=%s" SNOW_ORDER, items, low);
	else
		n = asprintf(&query, "%s" SNOW_ORDER, items);
	if (n < 0)
		return -ENOMEM;
	escaped = http_escape(query, NULL);
	free(query);
	if (!escaped)
		return -ENOMEM;
	n = asprintf(ret, "/api/now/table/%s?sysparm_query=%s&sysparm_fields=%s&sysparm_exclude_reference_link=true"
			  "&sysparm_limit=%d",
		     p->table, escaped, p->fields, s->conf->page_size);
	free(escaped);
	return n < 0 ? -ENOMEM : 0;
}

static int poll_table(struct snow *s, const struct poll_spec *p, const struct item_config *items, size_t n_items,
		      const char *since, char **ret_watermark)
{
	char low[20], last_on[20] = "", last_id[33] = "", watermark[20] = "", key[64];
	char *cond = NULL, *path = NULL;
	int r;

	if (since) {
		if (!time_ok(since))
			return -EINVAL;
		r = snow_time_shift(since, -s->conf->poll_overlap_ms, low);
		if (r < 0)
			return r;
		poll_seen_prune(p->seen, low);
		snprintf(watermark, sizeof(watermark), "%s", since);
	}
	r = snow_items_condition(p->item_field, items, n_items, &cond);
	if (r < 0) {
		log_warnx("servicenow: a catalog item name contains a caret, a comma or a control character");
		return r;
	}
	for (;;) {
		const cJSON *rec;
		cJSON *root = NULL;
		int count = 0;

		r = page_path(s, p, cond, since ? low : NULL, last_on, last_id, &path);
		if (r < 0)
			goto done;
		r = snow_get(s, p->table, path, &root);
		free(path);
		path = NULL;
		if (r < 0)
			goto done;
		cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "result")) {
			const char *id = snow_field(rec, "sys_id"), *on = snow_field(rec, "sys_updated_on");

			count++;
			if (!snow_sys_id_ok(id) || !time_ok(on)) {
				log_warnx("servicenow: %s record without a valid sys_id or sys_updated_on", p->table);
				r = -EBADMSG;
				break;
			}
			if (strcmp(on, last_on) < 0 || (strcmp(on, last_on) == 0 && strcmp(id, last_id) <= 0)) {
				log_warnx("servicenow: %s answered out of order; the query was not honoured", p->table);
				r = -EBADMSG;
				break;
			}
			snprintf(last_on, sizeof(last_on), "%s", on);
			snprintf(last_id, sizeof(last_id), "%s", id);
			snprintf(key, sizeof(key), "%s|%s", on, id);
			if (strcmp(on, watermark) > 0)
				snprintf(watermark, sizeof(watermark), "%s", on);
			if (poll_seen_has(p->seen, key, since))
				continue;
			r = p->deliver(s, rec, p->ctx);
			if (r < 0)
				break;
			r = poll_seen_add(p->seen, key);
			if (r < 0)
				break;
		}
		cJSON_Delete(root);
		if (r < 0 || count < s->conf->page_size)
			break;
	}
	if (r < 0)
		goto done;
	if (watermark[0]) {
		*ret_watermark = strdup(watermark);
		if (!*ret_watermark)
			r = -ENOMEM;
	} else {
		*ret_watermark = NULL;
	}
done:
	free(cond);
	return r;
}

/* The catalog variables of a request item, by name. */
static int read_variables(struct snow *s, struct request *req)
{
	const cJSON *rec;
	cJSON *root = NULL;
	char *path = NULL;
	size_t n = 0;
	int r;

	if (asprintf(&path,
		     "/api/now/table/sc_item_option_mtom?sysparm_query=request_item%%3D%s"
		     "&sysparm_fields=sc_item_option.item_option_new.name,sc_item_option.value"
		     "&sysparm_exclude_reference_link=true&sysparm_limit=%d",
		     req->id, SNOW_MAX_VARIABLES) < 0)
		return -ENOMEM;
	r = snow_get(s, "sc_item_option_mtom", path, &root);
	free(path);
	if (r < 0)
		return r;
	req->vars = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "result")) + 1,
			   sizeof(*req->vars));
	if (!req->vars) {
		r = -ENOMEM;
		goto done;
	}
	cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "result")) {
		const char *name = snow_field(rec, "sc_item_option.item_option_new.name");
		const char *value = snow_field(rec, "sc_item_option.value");
		char field[160];

		if (!name || !*name)
			continue;
		/* A value is free text to the connector; the policy holds the
		 * variables that name something to stricter rules. A variable
		 * refused is left out. */
		if (text_has_control(name, 0) || text_has_control(value, 1)) {
			snprintf(field, sizeof(field), "variable %s", text_has_control(name, 0) ? "(a name with a control "
												  "character)" : name);
			r = itsm_refuse(&req->refused, field);
			if (r < 0)
				goto done;
			continue;
		}
		req->vars[n].name = strdup(name);
		req->vars[n].value = strdup(value ? value : "");
		req->n_vars = ++n;
		if (!req->vars[n - 1].name || !req->vars[n - 1].value) {
			r = -ENOMEM;
			goto done;
		}
	}
done:
	cJSON_Delete(root);
	return r;
}

struct request_ctx {
	itsm_request_cb cb;
	void *userdata;
};

/* Field NAME of REC into *RET (NULL when absent or empty). A value holding
 * a control character (beyond tab and line breaks when TEXT: free text) is
 * left out, and the first such field named in *REFUSED: it may be U+0000,
 * which would otherwise cut the value short (json.h). 0 or -ENOMEM. */
static int take(const cJSON *rec, const char *name, int text, char **ret, char **refused)
{
	const char *v = snow_field(rec, name);

	*ret = NULL;
	if (!v || !*v)
		return 0;
	if (text_has_control(v, text))
		return itsm_refuse(refused, name);
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

/* The dot-walked field REF.<user_attribute>: a person's directory name. */
static int take_mapped(const struct snow *s, const cJSON *rec, const char *ref, char **ret, char **refused)
{
	char name[128];

	snprintf(name, sizeof(name), "%s.%s", ref, s->conf->user_attribute);
	return take(rec, name, 0, ret, refused);
}

static int deliver_request(struct snow *s, const cJSON *rec, void *ctx)
{
	struct request_ctx *c = ctx;
	struct request req = { 0 };
	int r;

	char **no = &req.refused;

	if ((r = take(rec, "sys_id", 0, &req.id, no)) < 0 || (r = take(rec, "number", 0, &req.number, no)) < 0 ||
	    (r = take(rec, "cat_item", 0, &req.item_id, no)) < 0 ||
	    (r = take(rec, "cat_item.name", 0, &req.item_name, no)) < 0 ||
	    (r = take(rec, "requested_for", 0, &req.requested_for, no)) < 0 ||
	    (r = take(rec, "opened_by", 0, &req.opened_by, no)) < 0 ||
	    (r = take_mapped(s, rec, "requested_for", &req.requested_for_upn, no)) < 0 ||
	    (r = take_mapped(s, rec, "opened_by", &req.opened_by_upn, no)) < 0 ||
	    (r = take(rec, "state", 0, &req.status, no)) < 0 ||
	    (r = take(rec, "sys_updated_on", 0, &req.updated_on, no)) < 0 ||
	    (r = take(rec, "short_description", 1, &req.short_description, no)) < 0)
		goto done;
	if (!snow_number_ok(req.number)) {
		/* This record's problem alone: it is skipped, and the watermark
		 * moves past it, so it is logged once and holds up no other. */
		log_warnx("servicenow: request item %s is skipped: its number is missing or not letters, digits, "
			  "'-' and '_' (at most %d)", req.id, SNOW_NUMBER_MAX);
		r = 0;
		goto done;
	}
	req.phase = snow_phase_of(s->states, req.status);
	r = read_variables(s, &req);
	if (r < 0)
		goto done;
	if (req.refused)
		log_warnx("servicenow: request item %s: \"%s\" holds a control character; the value is left out and "
			  "the request goes back naming it", req.number, req.refused);
	r = c->cb(&req, c->userdata);
done:
	request_clear(&req);
	return r;
}

/* The fields of a request item the connector reads (caller frees), or NULL
 * without memory. */
static char *request_fields(const struct snow *s)
{
	const char *a = s->conf->user_attribute;
	char *fields;

	if (asprintf(&fields,
		     "sys_id,number,cat_item,cat_item.name,requested_for,requested_for.%s,opened_by,opened_by.%s,state,"
		     "sys_updated_on,short_description",
		     a, a) < 0)
		return NULL;
	return fields;
}

int snow_find_request(void *impl, const struct item_config *items, size_t n_items, const char *number,
		      itsm_request_cb cb, void *userdata)
{
	struct snow *s = impl;
	struct request_ctx ctx = { cb, userdata };
	char *fields = NULL, *cond = NULL, *query = NULL, *escaped = NULL, *path = NULL;
	const cJSON *rec;
	cJSON *root = NULL;
	int r;

	if (!snow_number_ok(number))
		return -EINVAL;
	r = snow_items_condition("cat_item", items, n_items, &cond);
	if (r < 0)
		return r;
	r = -ENOMEM;
	fields = request_fields(s);
	if (!fields || asprintf(&query, "number=%s^%s", number, cond) < 0) {
		query = NULL;
		goto done;
	}
	escaped = http_escape(query, NULL);
	if (!escaped || asprintf(&path, "/api/now/table/sc_req_item?sysparm_query=%s&sysparm_fields=%s"
					 "&sysparm_exclude_reference_link=true&sysparm_limit=1",
				 escaped, fields) < 0) {
		path = NULL;
		goto done;
	}
	r = snow_get(s, "sc_req_item", path, &root);
	if (r < 0)
		goto done;
	rec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "result"), 0);
	if (!rec)
		r = -ENOENT;
	else if (!snow_field(rec, "number") || strcmp(snow_field(rec, "number"), number) != 0)
		r = -EBADMSG;
	else
		r = deliver_request(s, rec, &ctx);
done:
	cJSON_Delete(root);
	free(fields);
	free(cond);
	free(query);
	free(escaped);
	free(path);
	return r;
}

int snow_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		       itsm_request_cb cb, void *userdata, char **ret_watermark)
{
	struct snow *s = impl;
	struct request_ctx ctx = { cb, userdata };
	char *fields = request_fields(s);
	int r;

	if (!fields)
		return -ENOMEM;
	r = poll_table(s,
		       &(struct poll_spec){ .table = "sc_req_item",
					    .item_field = "cat_item",
					    .fields = fields,
					    .seen = &s->seen_requests,
					    .deliver = deliver_request,
					    .ctx = &ctx },
		       items, n_items, since, ret_watermark);
	free(fields);
	return r;
}

/* Comments looked at for a rejection's reason: accessd writes one. */
#define SNOW_MAX_COMMENTS 10

struct approval_ctx {
	itsm_approval_cb cb;
	void *userdata;
};

/* Journal fields (comments) read back empty through the Table API, so a
 * rejection's reason is the newest comments entry on the approval record
 * in sys_journal_field that accessd did not write itself: one more
 * request, only for a rejection. *RET stays NULL when there is none. */
static int rejection_comment(struct snow *s, const char *approval_id, char **ret)
{
	cJSON *root = NULL, *rec;
	char *path = NULL;
	int r;

	if (!snow_sys_id_ok(approval_id))
		return -EBADMSG;
	if (asprintf(&path,
		     "/api/now/table/sys_journal_field?sysparm_query=element_id%%3D%s%%5Eelement%%3Dcomments"
		     "%%5EORDERBYDESCsys_created_on&sysparm_fields=value&sysparm_limit=%d",
		     approval_id, SNOW_MAX_COMMENTS) < 0)
		return -ENOMEM;
	r = snow_get(s, "sys_journal_field", path, &root);
	free(path);
	if (r < 0)
		return r;
	r = 0;
	cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "result")) {
		const char *text = snow_field(rec, "value");

		if (!text || !*text || strstr(text, SNOW_MARK_PREFIX) || text_has_control(text, 1))
			continue;
		if (!(*ret = strdup(text)))
			r = -ENOMEM;
		break;
	}
	cJSON_Delete(root);
	return r;
}

static int deliver_approval(struct snow *s, const cJSON *rec, void *ctx)
{
	struct approval_ctx *c = ctx;
	struct approval a = { 0 };
	char *refused = NULL, *approver_name = NULL;
	int r;

	if ((r = take(rec, "sys_id", 0, &a.id, &refused)) < 0 ||
	    (r = take(rec, "sysapproval", 0, &a.request_id, &refused)) < 0 ||
	    (r = take(rec, "approver", 0, &a.approver, &refused)) < 0 ||
	    (r = take_mapped(s, rec, "approver", &a.approver_upn, &refused)) < 0 ||
	    (r = take(rec, "state", 0, &a.status, &refused)) < 0 || (r = take(rec, "comments", 1, &a.comments, &refused)) < 0 ||
	    (r = take(rec, "sys_updated_on", 0, &a.updated_on, &refused)) < 0 ||
	    (r = take(rec, "sys_updated_by", 0, &a.decided_by, &refused)) < 0 ||
	    (r = take(rec, "approver.user_name", 0, &approver_name, &refused)) < 0)
		goto done;
	/* sys_updated_by is the user_name of whoever made the last change:
	 * the approver in the UI, the portal or the mobile app, and by
	 * e-mail (the inbound action impersonates the sender); "system" for
	 * a flow or a scheduled job; anyone else who can write the table.
	 * Only the first is the approver's decision. */
	a.by_approver = a.decided_by && approver_name && strcmp(a.decided_by, approver_name) == 0;
	if (refused)
		log_warnx("servicenow: approval %s: \"%s\" holds a control character; the value is left out", a.id ? a.id : "?",
			  refused);
	a.decision = snow_decision_of(s->states, a.status);
	if (!a.comments && a.decision == APPROVAL_REJECTED && (r = rejection_comment(s, a.id, &a.comments)) < 0)
		goto done;
	r = c->cb(&a, c->userdata);
done:
	free(refused);
	free(approver_name);
	approval_clear(&a);
	return r;
}

int snow_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
			itsm_approval_cb cb, void *userdata, char **ret_watermark)
{
	struct snow *s = impl;
	struct approval_ctx ctx = { cb, userdata };
	char *fields = NULL;
	int r;

	if (asprintf(&fields, "sys_id,sysapproval,approver,approver.%s,approver.user_name,state,comments,sys_updated_on,"
			      "sys_updated_by",
		     s->conf->user_attribute) < 0)
		return -ENOMEM;
	/* sysapproval references task; ref_sc_req_item narrows it to request
	 * items so their catalog item can be named. */
	r = poll_table(s,
		       &(struct poll_spec){ .table = "sysapproval_approver",
					    .item_field = "sysapproval.ref_sc_req_item.cat_item",
					    .fields = fields,
					    .seen = &s->seen_approvals,
					    .deliver = deliver_approval,
					    .ctx = &ctx },
		       items, n_items, since, ret_watermark);
	free(fields);
	return r;
}
