/* SPDX-License-Identifier: Apache-2.0 */
/* Entra ID through Microsoft Graph: the connection. An OAuth2
 * client-credentials token, cached until shortly before it expires and
 * renewed once after a 401, and one HTTP client for every call. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entra.h"
#include "odata.h"
#include "util/json.h"
#include "util/log.h"

/* accountEnabled and the rest beyond id, mail and userPrincipalName come
 * back only when named here; employeeLeaveDateTime reads as null unless the
 * application holds User-LifeCycleInfo.Read.All (doc/directory.md). */
#define ENTRA_USER_FIELDS \
	"id,accountEnabled,userType,employeeType,mail,userPrincipalName,displayName,employeeHireDate,employeeLeaveDateTime"
#define ENTRA_MAX_ATTRIBUTE 120

int64_t entra_now(const struct entra *e)
{
	return clock_now(e->clock);
}

static void entra_close(void *impl)
{
	struct entra *e = impl;

	if (!e)
		return;
	oauth_token_clear(&e->token);
	http_client_free(e->http);
	if (e->secret) {
		explicit_bzero(e->secret, strlen(e->secret));
		free(e->secret);
	}
	free(e->token_url);
	free(e->scope);
	free(e->select);
	tzdb_free(e->tzdb);
	free(e);
}

/* Whether S has 1 to MAX characters, each a letter, a digit or in EXTRA:
 * a tenant goes into the token URL and an attribute into $select, so
 * nothing else may. */
static int name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr(extra, s[i])))
			return 0;
	return 1;
}

static char *join3(const char *a, const char *b, const char *c)
{
	size_t need = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(need);

	if (s)
		snprintf(s, need, "%s%s%s", a, b, c);
	return s;
}

/* The token URL and scope: configured, else Entra's endpoint for the
 * tenant and "<Graph's origin>/.default", so a national cloud's base_url
 * gets its own scope. */
static int endpoints(struct entra *e, const struct conn_config *conf, const struct directory_params *params)
{
	if (conf->token_url) {
		e->token_url = strdup(conf->token_url);
	} else if (name_ok(params->tenant, 253, "-.")) {
		e->token_url = join3("https://login.microsoftonline.com/", params->tenant, "/oauth2/v2.0/token");
	} else {
		log_error("directory: no usable token endpoint; set auth.token_url, or give the tenant id or domain");
		return -EINVAL;
	}
	if (conf->scope) {
		e->scope = strdup(conf->scope);
	} else {
		/* base_url is scheme://host[:port]/version: keep the origin. */
		const char *host = strstr(conf->base_url, "://");
		const char *path = host ? strchr(host + 3, '/') : NULL;
		int n = path ? (int)(path - conf->base_url) : (int)strlen(conf->base_url);

		e->scope = malloc((size_t)n + sizeof("/.default"));
		if (e->scope)
			snprintf(e->scope, (size_t)n + sizeof("/.default"), "%.*s/.default", n, conf->base_url);
	}
	return e->token_url && e->scope ? 0 : -ENOMEM;
}

static int build_select(struct entra *e, const struct directory_params *params)
{
	size_t need = sizeof(ENTRA_USER_FIELDS);

	for (size_t i = 0; i < params->n_attributes; i++) {
		if (!name_ok(params->attributes[i], ENTRA_MAX_ATTRIBUTE, "_")) {
			log_error("directory: extra attribute \"%.64s\" is not a Graph property name; "
				  "write letters, digits and '_' only",
				  params->attributes[i] ? params->attributes[i] : "");
			return -EINVAL;
		}
		need += strlen(params->attributes[i]) + 1;
	}
	e->select = malloc(need);
	if (!e->select)
		return -ENOMEM;
	strcpy(e->select, ENTRA_USER_FIELDS);
	for (size_t i = 0; i < params->n_attributes; i++) {
		strcat(e->select, ",");
		strcat(e->select, params->attributes[i]);
	}
	e->attrs = params->attributes;
	e->n_attrs = params->n_attributes;
	return 0;
}

static int entra_open(const struct conn_config *conf, const struct directory_params *params, void **ret_impl)
{
	struct http_options opts = http_options_from_conn(conf);
	struct entra *e;
	int r;

	if (conf->auth != AUTH_CLIENT_CREDENTIALS || !conf->client_id || !params->clock) {
		log_error("directory: Entra needs auth.method = \"client_credentials\" with a client_id");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->conf = conf;
	e->clock = params->clock;
	if ((r = endpoints(e, conf, params)) < 0 || (r = build_select(e, params)) < 0 ||
	    (r = tzdb_new(params->zoneinfo_dir, &e->tzdb)) < 0)
		goto fail;
	r = conf_read_secret(&conf->client_secret, &e->secret);
	if (r < 0) {
		log_error("directory: cannot read the client secret: %s", strerror(-r));
		goto fail;
	}
	r = http_client_new(&opts, &e->http);
	if (r < 0)
		goto fail;
	*ret_impl = e;
	return 0;
fail:
	entra_close(e);
	return r;
}

/* A token good for the margin, fetched when the cached one is not. */
static int token(struct entra *e)
{
	struct oauth_params p = {
		.token_url = e->token_url,
		.grant_type = "client_credentials",
		.client_id = e->conf->client_id,
		.client_secret = e->secret,
		.scope = e->scope,
	};
	struct oauth_token fresh = { 0 };
	int64_t now = entra_now(e);
	int r;

	if (oauth_token_fresh(&e->token, now))
		return 0;
	r = oauth_fetch(e->http, &p, now, &fresh);
	if (r < 0)
		return r;
	oauth_token_clear(&e->token);
	e->token = fresh;
	return 0;
}

static char *graph_url(const struct entra *e, const char *url)
{
	size_t n = strlen(e->conf->base_url);

	if (strncmp(url, e->conf->base_url, n) == 0 && url[n] == '/')
		return strdup(url);
	if (strstr(url, "://"))
		return NULL;
	return join3(e->conf->base_url, "/", url);
}

int entra_send(struct entra *e, const char *method, const char *url, const char *body, struct http_response *resp,
	       struct directory_result *res)
{
	struct http_request req = {
		.method = method,
		.content_type = body ? "application/json" : NULL,
		.body = body,
		.body_len = body ? strlen(body) : 0,
	};
	char *full = graph_url(e, url);
	int r;

	if (!full) {
		r = strstr(url, "://") ? -EINVAL : -ENOMEM;
		goto done;
	}
	req.url = full;
	for (int attempt = 0; attempt < 2; attempt++) {
		r = token(e);
		if (r < 0)
			goto done;
		req.bearer = e->token.access_token;
		r = http_perform(e->http, &req, resp);
		if (r < 0 || resp->status != 401 || attempt == 1)
			goto done;
		/* Revoked or expired early: one new token, one more try. */
		http_response_clear(resp);
		oauth_token_clear(&e->token);
	}
done:
	free(full);
	if (r < 0)
		graph_result_fail(res, r, entra_now(e));
	return r;
}

int entra_call(struct entra *e, enum graph_call call, const char *target_id, const char *method, const char *url,
	       const char *body, cJSON **ret_body, struct directory_result *res)
{
	struct http_response resp;
	cJSON *root = NULL;
	int r;

	r = entra_send(e, method, url, body, &resp, res);
	if (r < 0)
		return r;
	if (resp.len > 0 && json_parse(resp.body, resp.len, &root) < 0)
		root = NULL;
	r = graph_result_set(res, call, target_id, resp.status, root, resp.request_id, resp.retry_after,
			     entra_now(e));
	if (r == 0 && resp.status != 204 && resp.len > 0 && !root) {
		res->outcome = DIRECTORY_TRANSIENT;
		r = res->error = -EBADMSG;
	}
	http_response_clear(&resp);
	if (r == 0 && ret_body) {
		*ret_body = root;
		root = NULL;
	}
	cJSON_Delete(root);
	return r;
}

/* A nextLink goes back into a request line: printable ASCII only. */
static int link_ok(const char *link)
{
	for (const char *p = link; *p; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return *link != '\0';
}

int entra_list(struct entra *e, const char *first, int max_pages, entra_item_fn each, void *ctx,
	       struct directory_result *res)
{
	char *next = NULL;
	int r = 0;

	for (int page = 0;; page++) {
		const cJSON *list, *item;
		const char *link;
		cJSON *root = NULL;

		if (page == max_pages) {
			r = -E2BIG;
			break;
		}
		directory_result_clear(res);
		r = entra_call(e, GRAPH_READ, NULL, "GET", next ? next : first, NULL, &root, res);
		free(next);
		next = NULL;
		if (r < 0)
			return r;
		list = cJSON_GetObjectItemCaseSensitive(root, "value");
		if (!cJSON_IsArray(list))
			r = -EBADMSG;
		else
			cJSON_ArrayForEach(item, list)
				if ((r = each(item, ctx)) != 0)
					break;
		link = json_str(root, "@odata.nextLink");
		if (r == 0 && link)
			r = !link_ok(link) ? -EBADMSG : !(next = strdup(link)) ? -ENOMEM : 0;
		cJSON_Delete(root);
		if (r != 0 || !next)
			break;
	}
	free(next);
	if (r < 0)
		return graph_result_fail(res, r, entra_now(e));
	return 0;
}

const struct directory_ops entra_ops = {
	.conf = { .kind = "entra" },
	.open = entra_open,
	.close = entra_close,
	.get_user = entra_get_user,
	.get_manager = entra_get_manager,
	.get_presence = entra_get_presence,
	.get_group = entra_get_group,
	.get_members = entra_get_members,
	.is_member = entra_is_member,
	.get_member_of = entra_get_member_of,
	.apply = entra_apply,
	.apply_batch = entra_apply_batch,
	.find_assignment = entra_find_assignment,
};
