#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "oauth.h"

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
	esc = curl_easy_escape(NULL, value, 0);
	if (!esc)
		return -ENOMEM;
	need = *len + strlen(name) + strlen(esc) + 3;
	grown = malloc(need);
	if (!grown) {
		explicit_bzero(esc, strlen(esc));
		curl_free(esc);
		return -ENOMEM;
	}
	snprintf(grown, need, "%s%s%s=%s", *buf ? *buf : "", *len ? "&" : "", name, esc);
	explicit_bzero(esc, strlen(esc));
	curl_free(esc);
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
