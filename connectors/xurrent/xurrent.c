/* SPDX-License-Identifier: Apache-2.0 */
/* Xurrent through the REST API v1: the connector's instance, its bearer
 * token (a personal access token, or one from the OAuth client credentials
 * grant) with the account header, and the requests every other file of the
 * connector sends, paced under the rate limits. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/secret.h"
#include "xurrent.h"

static void xr_close(void *impl)
{
	struct xr *x = impl;

	if (!x)
		return;
	oauth_session_free(x->session);
	http_client_free(x->http);
	http_client_free(x->storage);
	secret_free(x->token);
	secret_free(x->client_secret);
	free(x->api);
	xr_rate_free(&x->rate);
	xr_people_free(x);
	xr_approvals_free(x);
	free(x->templates);
	free(x->flows);
	poll_seen_free(&x->seen_requests);
	poll_seen_free(&x->seen_tasks);
	poll_seen_free(&x->seen_approvals);
	free(x);
}

static int token_apply(void *ctx, struct http_request *req, int refresh)
{
	struct xr *x = ctx;

	/* A personal access token has nothing to renew: a 401 stands. */
	if (refresh)
		return -ENOTSUP;
	req->bearer = x->token;
	return 0;
}

static int setup_auth(struct xr *x)
{
	const struct conn_config *conf = x->conf;
	struct http_auth auth = { .apply = token_apply, .ctx = x };
	int r;

	if (conf->auth == AUTH_API_KEY) {
		r = conf_read_secret(&conf->api_key, &x->token);
		if (r < 0)
			return r;
		/* It goes into a header line: nothing may end that line early. */
		if (strpbrk(x->token, "\r\n") || strlen(x->token) > 900) {
			log_warnx("xurrent: the token holds a line break or is over 900 bytes");
			return -EINVAL;
		}
		http_client_set_auth(x->http, &auth);
		return 0;
	}
	r = conf_read_secret(&conf->client_secret, &x->client_secret);
	if (r < 0)
		return r;
	x->oauth = (struct oauth_params){
		.token_url = conf->token_url ? conf->token_url : x->set->token_url,
		.grant_type = "client_credentials",
		.client_id = conf->client_id,
		.client_secret = x->client_secret,
		.scope = conf->scope,
	};
	if (!x->oauth.token_url)
		return -EINVAL;
	r = oauth_session_new(x->http, &x->oauth, &x->session);
	if (r < 0)
		return r;
	oauth_session_auth(x->session, &auth);
	http_client_set_auth(x->http, &auth);
	return 0;
}

static int xr_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
		   void **ret_impl)
{
	struct http_options opts = http_options_from_conn(conf);
	struct xr *x;
	int r;

	if (conf->auth != AUTH_API_KEY && conf->auth != AUTH_CLIENT_CREDENTIALS)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->conf = conf;
	x->set = conf->settings ? conf->settings : &xr_default_settings;
	x->retry = *retry;
	r = -EINVAL;
	if (!x->set->account)
		goto fail;
	r = -ENOMEM;
	if (asprintf(&x->api, "%s/v1", conf->base_url) < 0) {
		x->api = NULL;
		goto fail;
	}
	x->account[0] = (struct http_header){ "X-Xurrent-Account", x->set->account };
	opts.keep_headers = xr_rate_headers;
	r = http_client_new(&opts, &x->http);
	if (r == 0)
		r = http_client_new(&opts, &x->storage);
	if (r < 0)
		goto fail;
	http_client_set_env(x->http, env);
	http_client_set_env(x->storage, env);
	r = xr_rate_init(&x->rate, x->set, env, x->http);
	if (r == 0)
		r = setup_auth(x);
	if (r < 0)
		goto fail;
	*ret_impl = x;
	return 0;
fail:
	xr_close(x);
	return r;
}

/* The message of an error body ({"message", "errors": [[field, text]]}),
 * made safe for a log line. */
static void error_message(const struct http_response *resp, char *out, size_t size)
{
	const cJSON *pair;
	cJSON *root = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (!resp->body || json_parse(resp->body, resp->len, &root) < 0)
		return;
	if (json_str(root, "message"))
		used += (size_t)snprintf(out, size, "%s", json_str(root, "message"));
	cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(root, "errors")) {
		const cJSON *field = cJSON_GetArrayItem(pair, 0), *text = cJSON_GetArrayItem(pair, 1);

		if (used >= size || !cJSON_IsString(field) || !cJSON_IsString(text))
			continue;
		used += (size_t)snprintf(out + used, size - used, "; %s: %s", field->valuestring, text->valuestring);
	}
	for (size_t i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	cJSON_Delete(root);
}

int xr_send(struct xr *x, const char *what, const char *method, const char *path, const char *body,
	    int (*took_effect)(void *ctx), void *ctx, cJSON **ret_root, char **ret_next)
{
	struct http_request req = {
		.method = method,
		.content_type = body ? "application/json" : NULL,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.headers = x->account,
		.n_headers = 1,
		.took_effect = took_effect,
		.took_effect_ctx = ctx,
	};
	struct http_response resp = { 0 };
	char *url = NULL, *next = NULL, msg[512];
	cJSON *root = NULL;
	int r;

	/* A path below the API, or a next page's URL checked already. */
	if (path[0] == '/')
		r = asprintf(&url, "%s%s", x->api, path) < 0 ? -ENOMEM : 0;
	else
		r = (url = strdup(path)) ? 0 : -ENOMEM;
	if (r < 0)
		return r;
	req.url = url;
	r = http_send(x->http, &x->retry, &req, &resp);
	if (r == -EALREADY || r == -EAGAIN)
		goto done;
	if (r < 0) {
		log_warnx("xurrent: %s %s failed: %s", method, what, strerror(-r));
		if (http_classify(r, &resp) == HTTP_OUTCOME_TRANSIENT)
			r = -EAGAIN;
		goto done;
	}
	if (resp.status < 200 || resp.status >= 300) {
		error_message(&resp, msg, sizeof(msg));
		log_warnx("xurrent: %s %s answered HTTP %ld%s%s", method, what, resp.status, msg[0] ? ": " : "", msg);
		r = itsm_status_error(resp.status);
		goto done;
	}
	if (ret_next) {
		r = xr_link_next(resp.link, x->api, &next);
		if (r < 0) {
			log_warnx("xurrent: %s %s: the next page's link is not below %s; not followed", method, what,
				  x->api);
			goto done;
		}
	}
	if (ret_root) {
		r = json_parse(resp.body, resp.len, &root);
		if (r < 0) {
			log_warnx("xurrent: %s %s: the answer is not valid JSON%s", method, what,
				  r == -E2BIG ? " (nested too deep)" : "");
			r = -EBADMSG;
			goto done;
		}
		*ret_root = root;
	}
	if (ret_next) {
		*ret_next = next;
		next = NULL;
	}
done:
	free(next);
	http_response_clear(&resp);
	free(url);
	return r;
}

int xr_get(struct xr *x, const char *what, const char *path, cJSON **ret_root)
{
	cJSON *root = NULL;
	int r = xr_send(x, what, "GET", path, NULL, NULL, NULL, &root, NULL);

	if (r < 0)
		return r;
	if (!cJSON_IsObject(root)) {
		log_warnx("xurrent: GET %s: the answer is not a record", what);
		cJSON_Delete(root);
		return -EBADMSG;
	}
	*ret_root = root;
	return 0;
}

int xr_list(struct xr *x, const char *what, const char *path,
	    int (*each)(struct xr *x, const cJSON *page, void *ctx), void *ctx)
{
	char *url = strdup(path), *next = NULL;
	int r = 0;

	if (!url)
		return -ENOMEM;
	while (url && r == 0) {
		cJSON *page = NULL;

		r = xr_send(x, what, "GET", url, NULL, NULL, NULL, &page, &next);
		free(url);
		url = NULL;
		if (r < 0)
			break;
		if (!cJSON_IsArray(page)) {
			log_warnx("xurrent: GET %s: the answer is not a list", what);
			r = -EBADMSG;
		} else {
			r = each(x, page, ctx);
		}
		cJSON_Delete(page);
		url = next;
		next = NULL;
	}
	free(url);
	return r > 0 ? 0 : r;
}

int xr_me(struct xr *x, long *ret)
{
	cJSON *root = NULL;
	int r;

	if (x->me) {
		*ret = x->me;
		return 0;
	}
	r = xr_get(x, "me", "/me", &root);
	if (r < 0)
		return r;
	r = xr_int(root, "id", &x->me);
	cJSON_Delete(root);
	if (r < 0) {
		log_warnx("xurrent: /me answered without a person id");
		return r;
	}
	*ret = x->me;
	return 0;
}

/* A record's page: a request, and an incident (a request too), at
 * /requests/<id> of the account's own host (doc/itsm-xurrent.md, U25). */
static int xr_record_url(void *impl, enum itsm_record kind, const char *id, char **ret_url)
{
	struct xr *x = impl;
	char *ui = NULL;
	long n;
	int r;

	if ((kind != ITSM_RECORD_REQUEST && kind != ITSM_RECORD_INCIDENT) || xr_id_parse(id, &n) < 0)
		return -EINVAL;
	r = xr_ui_url(x->set, x->conf->base_url, &ui);
	if (r < 0)
		return r;
	r = asprintf(ret_url, "%s/requests/%ld", ui, n) < 0 ? -ENOMEM : 0;
	free(ui);
	return r;
}

const struct itsm_ops xurrent_ops = {
	.conf = {
		.kind = "xurrent",
		.keys = xr_conf_keys,
		.parse = xr_conf_parse,
		.free = xr_conf_free,
		.default_base_url = xr_conf_base_url,
	},
	.open = xr_open,
	.close = xr_close,
	.poll_requests = xr_poll_requests,
	.poll_approvals = xr_poll_approvals,
	.find_request = xr_find_request,
	.find_user = xr_find_user,
	.find_open = xr_find_open,
	.create_approval = xr_create_approval,
	.cancel_approval = xr_cancel_approval,
	.set_phase = xr_set_phase,
	.add_note = xr_add_note,
	.add_comment = xr_add_comment,
	.attach = xr_attach,
	.create_incident = xr_create_incident,
	.record_url = xr_record_url,
};
