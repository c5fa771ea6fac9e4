/* SPDX-License-Identifier: Apache-2.0 */
/* ServiceNow through the Table API: the connector's instance, its
 * credentials (Basic or OAuth2 through /oauth_token.do), and the requests
 * every other file of the connector sends. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicenow.h"
#include "util/log.h"
#include "util/secret.h"

static void snow_close(void *impl)
{
	struct snow *s = impl;

	if (!s)
		return;
	oauth_session_free(s->session);
	http_client_free(s->http);
	secret_free(s->password);
	secret_free(s->client_secret);
	free(s->token_url);
	poll_seen_free(&s->seen_requests);
	poll_seen_free(&s->seen_approvals);
	free(s);
}

static int basic_apply(void *ctx, struct http_request *req, int refresh)
{
	struct snow *s = ctx;

	if (refresh)
		return -ENOTSUP;
	req->username = s->conf->username;
	req->password = s->password;
	return 0;
}

static int setup_auth(struct snow *s)
{
	const struct conn_config *conf = s->conf;
	struct http_auth auth = { .apply = basic_apply, .ctx = s };
	int r;

	if (conf->auth == AUTH_BASIC || conf->auth == AUTH_OAUTH2) {
		r = conf_read_secret(&conf->password, &s->password);
		if (r < 0)
			return r;
	}
	if (conf->auth != AUTH_BASIC) {
		r = conf_read_secret(&conf->client_secret, &s->client_secret);
		if (r < 0)
			return r;
		if (conf->token_url)
			s->token_url = strdup(conf->token_url);
		else if (asprintf(&s->token_url, "%s/oauth_token.do", conf->base_url) < 0)
			s->token_url = NULL;
		if (!s->token_url)
			return -ENOMEM;
		s->oauth = (struct oauth_params){
			.token_url = s->token_url,
			.grant_type = conf->auth == AUTH_OAUTH2 ? "password" : "client_credentials",
			.client_id = conf->client_id,
			.client_secret = s->client_secret,
			.username = conf->auth == AUTH_OAUTH2 ? conf->username : NULL,
			.password = conf->auth == AUTH_OAUTH2 ? s->password : NULL,
			.scope = conf->scope,
		};
		r = oauth_session_new(s->http, &s->oauth, &s->session);
		if (r < 0)
			return r;
		oauth_session_auth(s->session, &auth);
	}
	http_client_set_auth(s->http, &auth);
	return 0;
}

static int snow_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
		     void **ret_impl)
{
	struct http_options opts = http_options_from_conn(conf);
	struct snow *s;
	int r;

	if (!snow_field_name_ok(conf->user_attribute) || conf->auth == AUTH_API_KEY)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->conf = conf;
	s->states = conf->settings ? conf->settings : &snow_default_states;
	s->retry = *retry;
	r = http_client_new(&opts, &s->http);
	if (r < 0)
		goto fail;
	http_client_set_env(s->http, env);
	r = setup_auth(s);
	if (r < 0)
		goto fail;
	*ret_impl = s;
	return 0;
fail:
	snow_close(s);
	return r;
}

const char *snow_field(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	/* A reference field comes back as {"link", "value"} unless
	 * sysparm_exclude_reference_link is honoured; accept both. */
	if (cJSON_IsObject(v))
		v = cJSON_GetObjectItemCaseSensitive(v, "value");
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *snow_field_dup(const cJSON *obj, const char *name)
{
	const char *v = snow_field(obj, name);

	return v ? strdup(v) : NULL;
}

/* The error message of a ServiceNow error body, made safe for a log line. */
static void error_message(const struct http_response *resp, char *out, size_t size)
{
	const char *msg = NULL;
	cJSON *root = NULL;
	size_t i = 0;

	out[0] = '\0';
	if (resp->body && json_parse(resp->body, resp->len, &root) == 0)
		msg = json_str(cJSON_GetObjectItemCaseSensitive(root, "error"), "message");
	for (; msg && msg[i] && i + 1 < size; i++)
		out[i] = (unsigned char)msg[i] < 0x20 || msg[i] == 0x7f ? '?' : msg[i];
	out[i] = '\0';
	cJSON_Delete(root);
}

int snow_send(struct snow *s, const char *what, const char *method, const char *path, const char *content_type,
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
	struct http_response resp = { 0 };
	const cJSON *result;
	cJSON *root = NULL;
	char *url = NULL, msg[160];
	int r;

	if (asprintf(&url, "%s%s", s->conf->base_url, path) < 0)
		return -ENOMEM;
	req.url = url;
	r = http_send(s->http, &s->retry, &req, &resp);
	if (r == -EALREADY)
		goto done;
	if (r < 0) {
		log_warnx("servicenow: %s %s failed: %s", method, what, strerror(-r));
		if (http_classify(r, &resp) == HTTP_OUTCOME_TRANSIENT)
			r = -EAGAIN;
		goto done;
	}
	if (resp.status < 200 || resp.status >= 300) {
		error_message(&resp, msg, sizeof(msg));
		log_warnx("servicenow: %s %s answered HTTP %ld%s%s", method, what, resp.status, msg[0] ? ": " : "", msg);
		r = itsm_status_error(resp.status);
		goto done;
	}
	if (!ret_root)
		goto done;
	r = json_parse(resp.body, resp.len, &root);
	if (r < 0) {
		log_warnx("servicenow: %s %s: the answer is not valid JSON%s", method, what,
			  r == -E2BIG ? " (nested too deep)" : "");
		r = -EBADMSG;
		goto done;
	}
	result = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (!cJSON_IsArray(result) && !cJSON_IsObject(result)) {
		log_warnx("servicenow: %s %s: the answer has no result", method, what);
		cJSON_Delete(root);
		r = -EBADMSG;
		goto done;
	}
	*ret_root = root;
done:
	http_response_clear(&resp);
	free(url);
	return r;
}

int snow_get(struct snow *s, const char *what, const char *path, cJSON **ret_root)
{
	return snow_send(s, what, "GET", path, NULL, NULL, 0, NULL, NULL, ret_root);
}

/* The record pages ServiceNow documents ("Examples of navigating by URL",
 * doc/notifications.md): a form by its sys_id, or by a query on its number. */
static int snow_record_url(void *impl, enum itsm_record kind, const char *id, char **ret_url)
{
	struct snow *s = impl;
	char *url = NULL;
	int n;

	if (kind == ITSM_RECORD_REQUEST && snow_sys_id_ok(id))
		n = asprintf(&url, "%s/sc_req_item.do?sys_id=%s", s->conf->base_url, id);
	else if (kind == ITSM_RECORD_INCIDENT && snow_number_ok(id))
		n = asprintf(&url, "%s/incident.do?sysparm_query=number=%s", s->conf->base_url, id);
	else
		return -EINVAL;
	if (n < 0)
		return -ENOMEM;
	*ret_url = url;
	return 0;
}

const struct itsm_ops servicenow_ops = {
	.conf = {
		.kind = "servicenow",
		.keys = snow_conf_keys,
		.parse = snow_conf_parse,
		.free = snow_conf_free,
	},
	.open = snow_open,
	.close = snow_close,
	.poll_requests = snow_poll_requests,
	.find_request = snow_find_request,
	.poll_approvals = snow_poll_approvals,
	.find_user = snow_find_user,
	.find_open = snow_find_open,
	.create_approval = snow_create_approval,
	.cancel_approval = snow_cancel_approval,
	.set_phase = snow_set_phase,
	.add_note = snow_add_note,
	.add_comment = snow_add_comment,
	.attach = snow_attach,
	.create_incident = snow_create_incident,
	.record_url = snow_record_url,
};
