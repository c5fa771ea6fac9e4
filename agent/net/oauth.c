/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth.h"
#include "util/json.h"
#include "util/log.h"

static void free_wiped(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void oauth_token_clear(struct oauth_token *t)
{
	free_wiped(t->access_token);
	free_wiped(t->refresh_token);
	memset(t, 0, sizeof(*t));
}

int oauth_token_fresh(const struct oauth_token *t, int64_t now_ms)
{
	return t->access_token && now_ms + OAUTH_EXPIRY_MARGIN_MS < t->expires_at_ms;
}

/* Append "&name=escaped(value)" to the form in *buf; the form holds secrets,
 * so every buffer it lived in is wiped. */
static int form_add(char **buf, size_t *len, const char *name, const char *value)
{
	char *esc, *grown;
	size_t need;

	if (!value)
		return 0;
	esc = http_escape(value, NULL);
	if (!esc)
		return -ENOMEM;
	need = *len + strlen(name) + strlen(esc) + 3;
	grown = malloc(need);
	if (!grown) {
		free_wiped(esc);
		return -ENOMEM;
	}
	snprintf(grown, need, "%s%s%s=%s", *buf ? *buf : "", *len ? "&" : "", name, esc);
	free_wiped(esc);
	free_wiped(*buf);
	*buf = grown;
	*len = strlen(grown);
	return 0;
}

static int parse_token(const char *body, size_t len, int64_t now_ms, struct oauth_token *ret)
{
	const cJSON *expires;
	const char *access, *refresh;
	cJSON *root = NULL;
	double seconds;
	int r;

	r = json_parse(body, len, &root);
	if (r < 0)
		return -EBADMSG;
	access = json_str(root, "access_token");
	refresh = json_str(root, "refresh_token");
	expires = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (cJSON_IsNumber(expires))
		seconds = expires->valuedouble;
	else if (cJSON_IsString(expires))
		seconds = strtod(expires->valuestring, NULL);
	else
		seconds = -1;
	if (!access || !*access || seconds <= 0 || seconds > 86400 * 365) {
		r = -EBADMSG;
		goto done;
	}
	ret->access_token = strdup(access);
	ret->refresh_token = refresh ? strdup(refresh) : NULL;
	if (!ret->access_token || (refresh && !ret->refresh_token)) {
		oauth_token_clear(ret);
		r = -ENOMEM;
		goto done;
	}
	ret->expires_at_ms = now_ms + (int64_t)(seconds * 1000);
	r = 0;
done:
	cJSON_Delete(root);
	return r;
}

int oauth_fetch(struct http_client *http, const struct oauth_params *p, int64_t now_ms, struct oauth_token *ret)
{
	struct http_request req = {
		.method = "POST",
		.url = p->token_url,
		.content_type = "application/x-www-form-urlencoded",
	};
	struct oauth_token tok = { 0 };
	struct http_response resp;
	char *form = NULL;
	size_t len = 0;
	int r;

	if ((r = form_add(&form, &len, "grant_type", p->grant_type)) < 0 ||
	    (r = form_add(&form, &len, "client_id", p->client_id)) < 0 ||
	    (r = form_add(&form, &len, "client_secret", p->client_secret)) < 0 ||
	    (r = form_add(&form, &len, "username", p->username)) < 0 ||
	    (r = form_add(&form, &len, "password", p->password)) < 0 ||
	    (r = form_add(&form, &len, "refresh_token", p->refresh_token)) < 0 ||
	    (r = form_add(&form, &len, "scope", p->scope)) < 0)
		goto done;
	req.body = form;
	req.body_len = len;
	r = http_perform(http, &req, &resp);
	if (r < 0)
		goto done;
	if (resp.status == 200)
		r = parse_token(resp.body, resp.len, now_ms, &tok);
	else if (resp.status == 400 || resp.status == 401)
		r = -EACCES;
	else
		r = -EIO;
	/* The body holds the token: wipe it before it is freed. */
	if (resp.body)
		explicit_bzero(resp.body, resp.len);
	http_response_clear(&resp);
	if (r == 0)
		*ret = tok;
done:
	free_wiped(form);
	return r;
}

struct oauth_session {
	struct http_client *http;
	const struct oauth_params *params;
	struct oauth_token token;
};

int oauth_session_new(struct http_client *http, const struct oauth_params *p, struct oauth_session **ret)
{
	struct oauth_session *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->http = http;
	s->params = p;
	*ret = s;
	return 0;
}

struct oauth_session *oauth_session_free(struct oauth_session *s)
{
	if (!s)
		return NULL;
	oauth_token_clear(&s->token);
	free(s);
	return NULL;
}

int oauth_session_token(struct oauth_session *s, int force, const char **ret)
{
	int64_t now = clock_now(http_client_env(s->http)->clock);
	struct oauth_token fresh = { 0 };
	int r = -EACCES;

	if (!force && oauth_token_fresh(&s->token, now)) {
		*ret = s->token.access_token;
		return 0;
	}
	if (s->token.refresh_token) {
		struct oauth_params refresh = {
			.token_url = s->params->token_url,
			.grant_type = "refresh_token",
			.client_id = s->params->client_id,
			.client_secret = s->params->client_secret,
			.refresh_token = s->token.refresh_token,
		};

		r = oauth_fetch(s->http, &refresh, now, &fresh);
		if (r == 0 && !fresh.refresh_token) {
			/* Some servers keep the refresh token: hold on to it. */
			fresh.refresh_token = s->token.refresh_token;
			s->token.refresh_token = NULL;
		}
	}
	/* A refused refresh token (expired, revoked) falls back to the grant
	 * the session was made with. */
	if (r == -EACCES)
		r = oauth_fetch(s->http, s->params, now, &fresh);
	if (r < 0)
		return r;
	oauth_token_clear(&s->token);
	s->token = fresh;
	log_debug("oauth: new access token from %s, valid for %lld s", s->params->token_url,
		 (long long)((fresh.expires_at_ms - now) / 1000));
	*ret = s->token.access_token;
	return 0;
}

static int session_apply(void *ctx, struct http_request *req, int refresh)
{
	const char *token;
	int r = oauth_session_token(ctx, refresh, &token);

	if (r < 0)
		return r;
	req->bearer = token;
	return 0;
}

void oauth_session_auth(struct oauth_session *s, struct http_auth *ret)
{
	ret->apply = session_apply;
	ret->ctx = s;
}
