/* SPDX-License-Identifier: Apache-2.0 */
/* TOPdesk through its REST API under /tas/api: the connector's instance,
 * its application password (HTTP Basic, as TOPdesk documents it; the older
 * token login is deprecated), the version probe, and the requests every
 * other file of the connector sends. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topdesk.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/text.h"

/* The REST API version from which incidents take a FIQL query. */
#define FIQL_INCIDENTS_MAJOR 3
#define FIQL_INCIDENTS_MINOR 3

int td_id_ok(const char *id)
{
	return text_is_guid(id);
}

int64_t td_now(const struct td *t)
{
	return clock_now(t->env->clock);
}

static void known_free(struct td *t)
{
	for (size_t i = 0; i < t->n_known; i++) {
		free(t->known[i].id);
		free(t->known[i].request_id);
		free(t->known[i].number);
	}
	free(t->known);
}

static void people_free(struct td *t)
{
	for (size_t i = 0; i < t->n_people; i++) {
		free(t->people[i].id);
		free(t->people[i].upn);
		free(t->people[i].name);
	}
	free(t->people);
}

static void td_close(void *impl)
{
	struct td *t = impl;

	if (!t)
		return;
	http_client_free(t->http);
	secret_free(t->password);
	for (size_t i = 0; i < t->n_items; i++) {
		free(t->item_template ? t->item_template[i] : NULL);
		free(t->item_approval ? t->item_approval[i] : NULL);
	}
	free(t->item_template);
	free(t->item_approval);
	td_list_clear(&t->templates);
	td_list_clear(&t->change_statuses);
	td_list_clear(&t->call_statuses);
	td_list_clear(&t->categories);
	td_list_clear(&t->subcategories);
	for (int i = 0; i < TICKET_PHASES; i++) {
		free(t->status_id[i]);
		free(t->call_status_id[i]);
	}
	free(t->incident_category_id);
	free(t->incident_subcategory_id);
	free(t->incident_status_id);
	known_free(t);
	people_free(t);
	for (size_t i = 0; i < t->n_groups; i++) {
		free(t->groups[i].id);
		free(t->groups[i].name);
	}
	free(t->groups);
	poll_seen_free(&t->seen_changes);
	poll_seen_free(&t->seen_calls);
	poll_seen_free(&t->seen_decisions);
	poll_seen_free(&t->seen_listed);
	for (size_t i = 0; i < t->n_open_changes; i++)
		free(t->open_changes[i]);
	free(t->open_changes);
	free(t);
}

static int basic_apply(void *ctx, struct http_request *req, int refresh)
{
	struct td *t = ctx;

	if (refresh)
		return -ENOTSUP;
	req->username = t->conf->username;
	req->password = t->password;
	return 0;
}

/* The error messages of a TOPdesk error body (a list of {"message"}, or
 * one such object), made safe for a log line. */
static void error_message(const struct http_response *resp, char *out, size_t size)
{
	const cJSON *first;
	cJSON *root = NULL;
	const char *msg = NULL;
	size_t i = 0;

	out[0] = '\0';
	if (resp->body && json_parse(resp->body, resp->len, &root) == 0) {
		first = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
		msg = json_str(first, "message");
	}
	for (; msg && msg[i] && i + 1 < size; i++)
		out[i] = (unsigned char)msg[i] < 0x20 || msg[i] == 0x7f ? '?' : msg[i];
	out[i] = '\0';
	cJSON_Delete(root);
}

/* Send REQ to base_url + PATH; the parsed body in *RET_ROOT when asked for
 * (NULL for 204), the status in *RET_STATUS. */
static int exchange(struct td *t, const char *what, const char *path, struct http_request *req, cJSON **ret_root,
		    long *ret_status, int quiet)
{
	struct http_response resp = { 0 };
	cJSON *root = NULL;
	char *url = NULL, msg[200];
	int r;

	if (asprintf(&url, "%s%s", t->conf->base_url, path) < 0)
		return -ENOMEM;
	req->url = url;
	r = http_send(t->http, &t->retry, req, &resp);
	if (r == -EALREADY)
		goto done;
	if (r < 0) {
		log_warnx("topdesk: %s %s failed: %s", req->method, what, strerror(-r));
		if (http_classify(r, &resp) == HTTP_OUTCOME_TRANSIENT)
			r = -EAGAIN;
		goto done;
	}
	if (ret_status)
		*ret_status = resp.status;
	if (resp.status < 200 || resp.status >= 300) {
		r = itsm_status_error(resp.status);
		if (quiet && resp.status >= 400 && resp.status < 500)
			goto done;
		error_message(&resp, msg, sizeof(msg));
		log_warnx("topdesk: %s %s answered HTTP %ld%s%s", req->method, what, resp.status, msg[0] ? ": " : "",
			  msg);
		goto done;
	}
	if (!ret_root || resp.status == 204 || resp.len == 0)
		goto done;
	r = json_parse(resp.body, resp.len, &root);
	if (r < 0) {
		log_warnx("topdesk: %s %s: the answer is not valid JSON%s", req->method, what,
			  r == -E2BIG ? " (nested too deep)" : "");
		r = -EBADMSG;
		goto done;
	}
	*ret_root = root;
done:
	http_response_clear(&resp);
	free(url);
	return r;
}

int td_get_as(struct td *t, const char *what, const char *path, const char *accept, int quiet, cJSON **ret_root,
	      long *ret_status)
{
	struct http_header h = { "Accept", accept };
	struct http_request req = { .method = "GET", .headers = accept ? &h : NULL, .n_headers = accept ? 1 : 0 };

	*ret_root = NULL;
	return exchange(t, what, path, &req, ret_root, ret_status, quiet);
}

int td_get(struct td *t, const char *what, const char *path, cJSON **ret_root, long *ret_status)
{
	return td_get_as(t, what, path, NULL, 0, ret_root, ret_status);
}

int td_query(struct td *t, const char *what, const char *prefix, const char *query, const char *rest,
	     cJSON **ret_root, long *ret_status)
{
	char *escaped = http_escape(query, NULL), *path = NULL;
	int r;

	*ret_root = NULL;
	if (!escaped || asprintf(&path, "%s?query=%s%s", prefix, escaped, rest) < 0) {
		free(escaped);
		return -ENOMEM;
	}
	r = td_get(t, what, path, ret_root, ret_status);
	free(escaped);
	free(path);
	return r;
}

int td_first_id(const cJSON *list, char **ret_id)
{
	const cJSON *first = cJSON_GetArrayItem(list, 0);

	if (!first)
		return -ENOENT;
	if (!td_id_ok(json_str(first, "id")))
		return -EBADMSG;
	*ret_id = strdup(json_str(first, "id"));
	return *ret_id ? 0 : -ENOMEM;
}

int td_landed(void *ctx)
{
	struct td_lookup *l = ctx;
	int r;

	free(l->found);
	l->found = NULL;
	r = l->find(l->t, l->key, &l->found);
	return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

int td_send(struct td *t, const char *what, const char *method, const char *path, const char *content_type,
	    const void *body, size_t len, int (*took_effect)(void *ctx), void *ctx, cJSON **ret_root)
{
	struct http_request req = {
		.method = method,
		.content_type = content_type,
		.body = body,
		.body_len = len,
		.took_effect = took_effect,
		.took_effect_ctx = ctx,
	};

	if (ret_root)
		*ret_root = NULL;
	return exchange(t, what, path, &req, ret_root, NULL, 0);
}

int td_send_json(struct td *t, const char *what, const char *method, const char *path, const char *content_type,
		 cJSON *body, int (*took_effect)(void *ctx), void *ctx, cJSON **ret_root)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	int r;

	cJSON_Delete(body);
	if (!text)
		return -ENOMEM;
	r = td_send(t, what, method, path, content_type, text, strlen(text), took_effect, ctx, ret_root);
	free(text);
	return r;
}

/* GET /version, once: {"version": "3.10.0"}. Incidents take FIQL from
 * 3.3.0; before it only the day-granular modification_date_start, which
 * cannot carry a watermark. Asked at the first call rather than at open, so
 * a TOPdesk that is down at start is a failed cycle, not a failed start. */
int td_ready(struct td *t)
{
	cJSON *root = NULL;
	const char *v;
	int major = 0, minor = 0, r;

	if (t->version[0])
		return 0;
	r = td_get(t, "version", "/version", &root, NULL);
	if (r < 0)
		return r;
	v = json_str(root, "version");
	if (!v || sscanf(v, "%d.%d", &major, &minor) != 2 || strlen(v) >= sizeof(t->version) ||
	    text_has_control(v, 0)) {
		log_warnx("topdesk: /version answered no version");
		cJSON_Delete(root);
		return -EBADMSG;
	}
	snprintf(t->version, sizeof(t->version), "%s", v);
	cJSON_Delete(root);
	t->fiql_incidents = major > FIQL_INCIDENTS_MAJOR || (major == FIQL_INCIDENTS_MAJOR && minor >= FIQL_INCIDENTS_MINOR);
	log_info("topdesk: REST API %s%s", t->version, t->fiql_incidents ? "" : " (before 3.3.0: incidents take no query)");
	return 0;
}

static int td_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
		   void **ret_impl)
{
	struct http_options opts = http_options_from_conn(conf);
	struct td *t;
	int r;

	if (conf->auth != AUTH_BASIC || !td_base_url_ok(conf->base_url))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->conf = conf;
	t->set = conf->settings ? conf->settings : &td_default_settings;
	t->retry = *retry;
	t->env = env;
	/* The core's default names ServiceNow's field; a TOPdesk
	 * configuration that says nothing maps people by e-mail. */
	t->attribute = strcmp(conf->user_attribute, "user_name") == 0 ? "email" : conf->user_attribute;
	r = http_client_new(&opts, &t->http);
	if (r < 0)
		goto fail;
	http_client_set_env(t->http, env);
	r = conf_read_secret(&conf->password, &t->password);
	if (r < 0)
		goto fail;
	http_client_set_auth(t->http, &(struct http_auth){ .apply = basic_apply, .ctx = t });
	*ret_impl = t;
	return 0;
fail:
	td_close(t);
	return r;
}

/* The pages TOPdesk's own links use (no TOPdesk document names them; see
 * doc/itsm-topdesk.md): a change or a call by its id, an incident by its
 * number, below the host base_url's /tas/api is on. */
static int td_record_url(void *impl, enum itsm_record kind, const char *id, char **ret_url)
{
	struct td *t = impl;
	const struct td_known *k = td_known_find(t, id);
	size_t n = strlen(t->conf->base_url) - strlen("/tas/api");
	char *number = NULL;
	int r = -EINVAL;

	if (kind == ITSM_RECORD_REQUEST && k && k->kind == TD_CHANGE && !k->request_id)
		r = asprintf(ret_url, "%.*s/tas/secure/contained/newchange?action=show&unid=%s", (int)n, t->conf->base_url,
			     k->id);
	else if (kind == ITSM_RECORD_REQUEST && k && k->kind == TD_CALL)
		r = asprintf(ret_url, "%.*s/tas/secure/contained/incident?action=show&unid=%s", (int)n, t->conf->base_url,
			     k->id);
	else if (kind == ITSM_RECORD_INCIDENT && td_number_ok(id) && (number = http_escape(id, NULL)))
		r = asprintf(ret_url, "%.*s/tas/secure/incident?action=lookup&lookup=naam&lookupValue=%s", (int)n,
			     t->conf->base_url, number);
	else if (kind == ITSM_RECORD_INCIDENT && td_number_ok(id))
		return -ENOMEM;
	free(number);
	return r == -EINVAL ? r : r < 0 ? -ENOMEM : 0;
}

const struct itsm_ops topdesk_ops = {
	.conf = {
		.kind = "topdesk",
		.keys = td_conf_keys,
		.parse = td_conf_parse,
		.free = td_conf_free,
		.item_keys = td_item_keys,
		.parse_item = td_conf_parse_item,
		.free_item = td_conf_free_item,
	},
	.open = td_open,
	.close = td_close,
	.poll_requests = td_poll_requests,
	.poll_approvals = td_poll_approvals,
	.find_user = td_find_user,
	.find_open = td_find_open,
	.create_approval = td_create_approval,
	.cancel_approval = td_cancel_approval,
	.set_phase = td_set_phase,
	.add_note = td_add_note,
	.add_comment = td_add_comment,
	.attach = td_attach,
	.create_incident = td_create_incident,
	.record_url = td_record_url,
};
