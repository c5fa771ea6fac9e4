/* SPDX-License-Identifier: Apache-2.0 */
/* http_send: credentials, one refresh on 401, and retries around
 * http_perform. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "util/log.h"

enum http_outcome http_classify(int r, const struct http_response *resp)
{
	if (r < 0) {
		switch (r) {
		case -ETIMEDOUT:
		case -ECONNREFUSED:
		case -ECONNRESET:
		case -EHOSTUNREACH:
		case -EIO:
			return HTTP_OUTCOME_TRANSIENT;
		default:
			return HTTP_OUTCOME_PERMANENT;
		}
	}
	if (resp->status >= 200 && resp->status < 300)
		return HTTP_OUTCOME_OK;
	switch (resp->status) {
	case 429:
	case 502:
	case 503:
	case 504:
		return HTTP_OUTCOME_TRANSIENT;
	default:
		return HTTP_OUTCOME_PERMANENT;
	}
}

/* Whether a failed attempt may have reached the server and taken effect:
 * a refused connection or a 429 certainly did not; a timeout, a reset or a
 * gateway error may have. */
static int maybe_took_effect(int r, const struct http_response *resp)
{
	if (r < 0)
		return r != -ECONNREFUSED && r != -EHOSTUNREACH;
	return resp->status != 429;
}

static const char *describe(int r, const struct http_response *resp, char *buf, size_t size)
{
	if (r < 0)
		return strerror(-r);
	snprintf(buf, size, "HTTP %ld", resp->status);
	return buf;
}

int http_send(struct http_client *c, const struct retry_config *retry, const struct http_request *req,
	      struct http_response *resp)
{
	const struct http_auth *auth = http_client_auth(c);
	const struct http_pacer *pacer = http_client_pacer(c);
	const struct retry_env *env = http_client_env(c);
	int not_idempotent = http_request_is_write(req);
	struct http_request attempt = *req;
	struct http_response one;
	int64_t waited = 0, wait;
	int fresh = 0, refreshed = 0;
	char what[32];
	int r;

	memset(resp, 0, sizeof(*resp));
	resp->total_count = -1;
	for (int n = 1;; n++) {
		if (auth->apply && !fresh) {
			r = auth->apply(auth->ctx, &attempt, 0);
			if (r < 0)
				return r;
		}
		fresh = 0;
		if (pacer->before) {
			r = pacer->before(pacer->ctx);
			if (r < 0)
				return r;
		}
		r = http_perform(c, &attempt, &one);
		if (r == 0 && pacer->after)
			pacer->after(pacer->ctx, &one);
		if (r == 0 && one.status == 401 && auth->apply && !refreshed) {
			/* An expired or revoked token: once more with a fresh
			 * one. A 401 means the request was not carried out. */
			refreshed = 1;
			r = auth->apply(auth->ctx, &attempt, 1);
			if (r == -ENOTSUP) {
				r = 0;
				break;
			}
			http_response_clear(&one);
			if (r < 0)
				return r;
			fresh = 1;
			n--;
			continue;
		}
		if (http_classify(r, &one) != HTTP_OUTCOME_TRANSIENT || n >= retry->max_attempts)
			break;
		if (not_idempotent && maybe_took_effect(r, &one) && !req->took_effect)
			break;
		if (retry_next_wait(retry, env, n, r == 0 ? one.retry_after : NULL, waited, &wait) < 0)
			break;
		log_info("%s %s: %s; attempt %d of %d in %lld ms", req->method, req->url, describe(r, &one, what, sizeof(what)),
			 n + 1, retry->max_attempts, (long long)wait);
		env->sleep_ms(env->ctx, wait);
		waited += wait;
		if (not_idempotent && maybe_took_effect(r, &one)) {
			int landed = req->took_effect(req->took_effect_ctx);

			if (landed != 0) {
				if (r == 0)
					http_response_clear(&one);
				return landed < 0 ? landed : -EALREADY;
			}
		}
		if (r == 0)
			http_response_clear(&one);
	}
	/* On failure http_perform left ONE cleared. */
	*resp = one;
	return r;
}
