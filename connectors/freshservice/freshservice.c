/* SPDX-License-Identifier: Apache-2.0 */
/* Freshservice through API v2: the connector's instance, its API key (sent
 * as the Basic user name with "X" as the password), and the requests every
 * other file of the connector sends, paced by the account's rate limit.
 *
 * The limit is per minute and account-wide: every integration, key and
 * agent spends the same credits, and each answer says how many are left
 * (X-RateLimit-Remaining). A 429 stops the others too, so accessd stops
 * polling when only the reserve is left, and writes for requests already
 * under way stop at half of it; both start again a window later (there is
 * no reset header), or when a 429's Retry-After runs out. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "freshservice.h"
#include "util/civil.h"
#include "util/log.h"

/* The reserve when the configuration names none: a tenth of the total, and
 * never less than this. */
#define FS_RESERVE_MIN 10

static void fs_close(void *impl)
{
	struct fs *s = impl;

	if (!s)
		return;
	http_client_free(s->http);
	if (s->api_key)
		explicit_bzero(s->api_key, strlen(s->api_key));
	free(s->api_key);
	free(s->api);
	fs_caches_free(s);
	fs_poll_free(s);
	free(s);
}

static int key_apply(void *ctx, struct http_request *req, int refresh)
{
	struct fs *s = ctx;

	if (refresh)
		return -ENOTSUP;
	req->username = s->api_key;
	req->password = "X";
	return 0;
}

static void account(struct fs *s, const struct http_response *resp);

/* The pacer's two ends (http.h): every attempt http_send makes, retries
 * included, asks the budget first and tells it what the answer said. */
static int pace_before(void *ctx)
{
	struct fs *s = ctx;

	return fs_budget(s, s->use);
}

static void pace_after(void *ctx, const struct http_response *resp)
{
	account(ctx, resp);
}

static int fs_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
		   void **ret_impl)
{
	static const char *const rate_headers[] = { "X-RateLimit-Total", "X-RateLimit-Remaining", NULL };
	struct http_options opts = http_options_from_conn(conf);
	struct http_auth auth = { .apply = key_apply };
	struct http_pacer pacer = { .before = pace_before, .after = pace_after };
	struct fs *s;
	int r;

	if (conf->auth != AUTH_API_KEY)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->conf = conf;
	s->st = conf->settings ? conf->settings : &fs_default_settings;
	s->retry = *retry;
	s->rl_remaining = s->rl_total = -1;
	auth.ctx = s;
	pacer.ctx = s;
	opts.keep_headers = rate_headers;
	r = -ENOMEM;
	if (asprintf(&s->api, "%s/api/v2", conf->base_url) < 0) {
		s->api = NULL;
		goto fail;
	}
	r = conf_read_secret(&conf->api_key, &s->api_key);
	if (r < 0)
		goto fail;
	r = http_client_new(&opts, &s->http);
	if (r < 0)
		goto fail;
	http_client_set_env(s->http, env);
	http_client_set_auth(s->http, &auth);
	http_client_set_pacer(s->http, &pacer);
	*ret_impl = s;
	return 0;
fail:
	fs_close(s);
	return r;
}

int64_t fs_now(const struct fs *s)
{
	return clock_now(http_client_env(s->http)->clock);
}

static long reserve(const struct fs *s)
{
	if (s->st->rate_reserve >= 0)
		return s->st->rate_reserve;
	return s->rl_total / 10 > FS_RESERVE_MIN ? s->rl_total / 10 : FS_RESERVE_MIN;
}

int fs_budget(struct fs *s, enum fs_use use)
{
	const struct retry_env *env = http_client_env(s->http);
	int64_t now = fs_now(s), wait = s->rl_low_until_ms - now;
	char until[20];

	if (!s->rl_low_until_ms || wait <= 0) {
		s->rl_low_until_ms = 0;
		s->rl_logged = 0;
		return 0;
	}
	if (use == FS_WRITE && s->rl_remaining > reserve(s) / 2)
		return 0;
	if (!s->rl_logged) {
		if (civil_format(s->rl_low_until_ms, until) < 0)
			snprintf(until, sizeof(until), "?");
		log_notice("freshservice: %ld API credits left of the account's %ld (shared with every integration); "
			   "accessd waits until %s UTC to leave %ld to the others",
			   s->rl_remaining < 0 ? 0 : s->rl_remaining, s->rl_total, until, reserve(s));
		s->rl_logged = 1;
	}
	/* A poll ends here and comes again next cycle. A write belongs to a
	 * step under way, whose retries a refusal would spend: it waits for
	 * the next window, as for a Retry-After, within the same budget. */
	if (use != FS_WRITE || wait > s->retry.budget_ms)
		return -EAGAIN;
	env->sleep_ms(env->ctx, wait);
	s->rl_low_until_ms = 0;
	s->rl_logged = 0;
	return 0;
}

/* What an answer says about the budget: credits left, and on a 429 how
 * long to wait. */
static void account(struct fs *s, const struct http_response *resp)
{
	const char *total = http_response_header(resp, "X-RateLimit-Total");
	const char *left = http_response_header(resp, "X-RateLimit-Remaining");
	int64_t now = fs_now(s), wait;
	char *end;
	long v;

	if (total && (v = strtol(total, &end, 10)) >= 0 && *end == '\0')
		s->rl_total = v;
	if (left && (v = strtol(left, &end, 10)) >= 0 && *end == '\0')
		s->rl_remaining = v;
	if (resp->status == 429) {
		s->rl_remaining = 0;
		if (!resp->retry_after || retry_after_parse(resp->retry_after, now, &wait) < 0)
			wait = s->st->rate_window_ms;
		if (now + wait > s->rl_low_until_ms)
			s->rl_low_until_ms = now + wait;
		return;
	}
	if (s->rl_remaining >= 0 && s->rl_remaining <= reserve(s) && !s->rl_low_until_ms)
		s->rl_low_until_ms = now + s->st->rate_window_ms;
}

/* The message of a Freshservice error body, made safe for a log line:
 * "description: field: message" for a validation error, else "message".
 * *ATTACHMENTS is set when a validation error names the attachments. */
static void error_message(const struct http_response *resp, char *out, size_t size, int *attachments)
{
	const cJSON *e;
	cJSON *root = NULL;
	size_t used = 0;

	out[0] = '\0';
	*attachments = 0;
	if (!resp->body || json_parse(resp->body, resp->len, &root) < 0)
		return;
	if (json_str(root, "description"))
		used += (size_t)snprintf(out, size, "%s", json_str(root, "description"));
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "errors")) {
		const char *field = json_str(e, "field"), *msg = json_str(e, "message");

		if (field && strcmp(field, "attachments") == 0)
			*attachments = 1;
		if (used < size)
			used += (size_t)snprintf(out + used, size - used, "%s%s%s%s", used ? "; " : "",
						 field ? field : "", field ? ": " : "", msg ? msg : "?");
	}
	if (!used && json_str(root, "message"))
		snprintf(out, size, "%s", json_str(root, "message"));
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	cJSON_Delete(root);
}

/* The URL of the Link header's rel="next", when it points below our own
 * API (a link elsewhere would carry the API key there): *RET is NULL when
 * there is none. -EBADMSG for a link that does not. */
static int next_link(const struct fs *s, const char *link, char **ret)
{
	const char *rel, *open, *close;
	size_t n = strlen(s->api);

	*ret = NULL;
	if (!link || !(rel = strstr(link, "rel=\"next\"")))
		return 0;
	for (open = rel; open > link && *open != '<'; open--)
		;
	close = strchr(open, '>');
	if (*open != '<' || !close || close > rel)
		return -EBADMSG;
	if ((size_t)(close - open - 1) <= n || strncmp(open + 1, s->api, n) != 0 || open[1 + n] != '/' ||
	    memchr(open + 1, ' ', (size_t)(close - open - 1)))
		return -EBADMSG;
	*ret = strndup(open + 1, (size_t)(close - open - 1));
	return *ret ? 0 : -ENOMEM;
}

int fs_send(struct fs *s, enum fs_use use, const char *what, const char *method, const char *url,
	    const char *content_type, const void *body, size_t len, int (*took_effect)(void *ctx), void *ctx,
	    int flags, cJSON **ret_root, char **ret_next)
{
	struct http_request req = {
		.method = method,
		.url = url,
		.content_type = content_type,
		.body = body,
		.body_len = len,
		.took_effect = took_effect,
		.took_effect_ctx = ctx,
	};
	struct http_response resp = { 0 };
	cJSON *root = NULL;
	char msg[256], *next = NULL;
	int attachments, r;

	s->use = use;
	r = http_send(s->http, &s->retry, &req, &resp);
	if (r == -EALREADY || (r == -EAGAIN && s->rl_low_until_ms))
		goto done;
	if (r < 0) {
		log_warnx("freshservice: %s %s failed: %s", method, what, strerror(-r));
		if (http_classify(r, &resp) == HTTP_OUTCOME_TRANSIENT)
			r = -EAGAIN;
		goto done;
	}
	if (resp.status < 200 || resp.status >= 300) {
		error_message(&resp, msg, sizeof(msg), &attachments);
		r = resp.status == 400 && attachments ? -EFBIG : itsm_status_error(resp.status);
		if (r != -ENOENT || !(flags & FS_QUIET_404))
			log_warnx("freshservice: %s %s answered HTTP %ld%s%s", method, what, resp.status,
				  msg[0] ? ": " : "", msg);
		goto done;
	}
	if (ret_next && (r = next_link(s, resp.link, &next)) < 0) {
		log_warnx("freshservice: %s %s: the next page's link does not point below %s; not followed", method,
			  what, s->api);
		goto done;
	}
	if (ret_root) {
		r = json_parse(resp.body, resp.len, &root);
		if (r < 0 || !cJSON_IsObject(root)) {
			log_warnx("freshservice: %s %s: the answer is not a JSON object%s", method, what,
				  r == -E2BIG ? " (nested too deep)" : "");
			cJSON_Delete(root);
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
	return r;
}

int fs_get(struct fs *s, enum fs_use use, const char *what, const char *path, int flags, cJSON **ret_root,
	   char **ret_next)
{
	char *url = NULL;
	int r;

	if (asprintf(&url, "%s%s", s->api, path) < 0)
		return -ENOMEM;
	r = fs_send(s, use, what, "GET", url, NULL, NULL, 0, NULL, NULL, flags, ret_root, ret_next);
	free(url);
	return r;
}

int fs_pages(struct fs *s, enum fs_use use, const char *what, const char *path, const char *name,
	     int (*each)(struct fs *s, const cJSON *rec, void *ctx), int (*keep)(cJSON *root, void *ctx), void *ctx)
{
	const char *per = strstr(path, "per_page=");
	long full = per ? strtol(per + 9, NULL, 10) : FS_PAGE_DEFAULT;
	char *url = NULL, *next = NULL;
	int64_t first = -1;
	int r;

	if (asprintf(&url, "%s%s", s->api, path) < 0)
		return -ENOMEM;
	for (long page = 1;; page++) {
		const cJSON *rec, *list;
		cJSON *root = NULL;
		int64_t id = -1;
		long n = 0;

		r = fs_send(s, use, what, "GET", url, NULL, NULL, 0, NULL, NULL, FS_QUIET_404, &root, &next);
		free(url);
		url = NULL;
		if (r < 0)
			break;
		list = cJSON_GetObjectItemCaseSensitive(root, name);
		if (!cJSON_IsArray(list)) {
			log_warnx("freshservice: GET %s: the answer has no %s list", what, name);
			r = -EBADMSG;
			list = NULL;
		}
		/* A page number the API ignores would bring the first page
		 * again: that is the end. */
		if (list && page > 1 && fs_id(cJSON_GetArrayItem(list, 0), "id", &id) == 0 && id == first)
			list = NULL;
		else if (list && page == 1 && fs_id(cJSON_GetArrayItem(list, 0), "id", &id) == 0)
			first = id;
		cJSON_ArrayForEach(rec, list) {
			n++;
			if ((r = each(s, rec, ctx)) != 0)
				break;
		}
		if (keep) {
			int k = keep(root, ctx);

			r = r < 0 ? r : k;
		} else {
			cJSON_Delete(root);
		}
		if (r != 0)
			break;
		/* Lists say where the next page is; where an answer does not
		 * (conversations, a ticket's approvals: not documented), a full
		 * page is followed by the next by number. */
		if (!next && n == full && page < FS_PAGES_MAX &&
		    asprintf(&next, "%s%s%spage=%ld", s->api, path, strchr(path, '?') ? "&" : "?", page + 1) < 0) {
			next = NULL;
			r = -ENOMEM;
			break;
		}
		if (!next)
			break;
		url = next;
		next = NULL;
	}
	free(url);
	free(next);
	return r;
}

int fs_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap * 2 : 16;
	void *bigger;

	if (n < *cap)
		return 0;
	bigger = realloc(*v, want * size);
	if (!bigger)
		return -ENOMEM;
	*v = bigger;
	*cap = want;
	return 0;
}

/* Ids are below 2^53, where a double is exact. */
#define FS_ID_MAX 9007199254740992.0

int fs_id(const cJSON *obj, const char *name, int64_t *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= FS_ID_MAX ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return -EBADMSG;
	*ret = (int64_t)v->valuedouble;
	return 0;
}

int fs_id_parse(const char *s, int64_t *ret)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return 0;
	*ret = strtoll(s, NULL, 10);
	return 1;
}

int fs_time(const cJSON *obj, const char *name, int64_t *ret_ms)
{
	const char *v = json_str(obj, name);

	/* Exactly "YYYY-MM-DDTHH:MM:SSZ": the form the API documents. */
	if (!v || strlen(v) != 20 || v[19] != 'Z' || civil_parse(v, CIVIL_ISO, ret_ms) < 0)
		return -EBADMSG;
	return 0;
}

/* A ticket's page in the agent portal: service requests and incidents
 * alike are tickets, and the incident is named by its number. */
static int fs_record_url(void *impl, enum itsm_record kind, const char *id, char **ret_url)
{
	struct fs *s = impl;
	char *url = NULL;
	int64_t ticket;

	if (kind == ITSM_RECORD_INCIDENT && id && strncmp(id, "INC-", 4) == 0)
		id += 4;
	if ((kind != ITSM_RECORD_REQUEST && kind != ITSM_RECORD_INCIDENT) || !fs_id_parse(id, &ticket))
		return -EINVAL;
	if (asprintf(&url, "%s/helpdesk/tickets/%lld", s->conf->base_url, (long long)ticket) < 0)
		return -ENOMEM;
	*ret_url = url;
	return 0;
}

const struct itsm_ops freshservice_ops = {
	.conf = {
		.kind = "freshservice",
		.keys = fs_conf_keys,
		.parse = fs_conf_parse,
		.free = fs_conf_free,
	},
	.open = fs_open,
	.close = fs_close,
	.poll_requests = fs_poll_requests,
	.poll_approvals = fs_poll_approvals,
	.find_request = fs_find_request,
	.find_user = fs_find_user,
	.find_open = fs_find_open,
	.create_approval = fs_create_approval,
	.cancel_approval = fs_cancel_approval,
	.remind_approval = fs_remind_approval,
	.set_phase = fs_set_phase,
	.add_note = fs_add_note,
	.add_comment = fs_add_comment,
	.attach = fs_attach,
	.create_incident = fs_create_incident,
	.record_url = fs_record_url,
};
