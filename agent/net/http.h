/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP for every connector: libcurl with one reused handle per client
 * (connection reuse per host), TLS verification always on, HTTPS only except
 * for loopback URLs, connect and total timeouts, a proxy from the
 * configuration or the standard variables (http_proxy, https_proxy,
 * no_proxy), "User-Agent: accessd/VERSION", and a cap on the response size
 * (a larger body is an error, never an allocation).
 *
 * Two entry points:
 *   http_perform  one attempt, no retry, no auth beyond what REQ carries;
 *   http_send     the one connectors use: credentials from the client's
 *                 http_auth (refreshed once on a 401), and retries of
 *                 transient failures (connect errors, timeouts, 429, 502,
 *                 503, 504) with backoff and Retry-After (retry.h), bounded by
 *                 a struct retry_config. A request that is not idempotent is
 *                 retried after an ambiguous failure only when its
 *                 took_effect check says the first attempt did not land.
 * http_classify tells the caller whether what came back is worth trying
 * again later (transient) or not (permanent). */
#ifndef ACCESSD_HTTP_H
#define ACCESSD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

#include "retry.h"

struct http_client;

struct http_options {
	const char *ca_bundle; /* NULL: the system's CA store */
	const char *proxy;     /* NULL: the standard proxy variables */
	const char *no_proxy;  /* hosts reached directly; NULL: the no_proxy variable */
	const char *system;    /* who is asked ("servicenow", "entra", "teams"), for
				* the metrics; NULL: "other" */
	int64_t connect_timeout_ms;
	int64_t timeout_ms;
	size_t max_response_bytes;
	/* Further response headers to keep (the rate limits an API states,
	 * for instance), by name, NULL-terminated; NULL: none. The array must
	 * outlive the client. */
	const char *const *keep_headers;
};

struct http_header {
	const char *name;
	const char *value;
};

struct http_request {
	const char *method; /* "GET", "POST", "PATCH", "PUT", "DELETE" */
	const char *url;
	const char *username; /* Basic auth when set, with password */
	const char *password;
	const char *bearer; /* "Authorization: Bearer" when set */
	const char *content_type;
	const char *body;
	size_t body_len;
	const struct http_header *headers; /* extra headers, n_headers of them */
	size_t n_headers;
	/* http_send only. For a request that is not idempotent (every POST, and
	 * any request that sets this, e.g. a PATCH appending a journal entry):
	 * called before another attempt after a failure that may have taken
	 * effect (timeout, reset, 502/503/504). Returns 1 when the earlier
	 * attempt did take effect, 0 when it did not, or a negative errno.
	 * NULL on a POST: no retry after such a failure. */
	int (*took_effect)(void *ctx);
	void *took_effect_ctx;
};

/* A header of http_options.keep_headers that an answer carried. */
struct http_kept {
	const char *name; /* as keep_headers spells it */
	char *value;      /* CR/LF stripped */
};

struct http_response {
	long status;
	char *body; /* NUL-terminated; owned by the response */
	size_t len;
	char *retry_after; /* the Retry-After header, CR/LF stripped, or NULL */
	char *request_id;  /* the request-id header (Graph), or NULL */
	char *link;        /* the Link header (paging), or NULL */
	long total_count;  /* X-Total-Count, or -1 */
	struct http_kept *kept; /* the kept headers it carried, n_kept of them */
	size_t n_kept;
};

/* Credentials for http_send: APPLY puts them into REQ (username/password
 * or bearer, pointing at memory the auth context owns). REFRESH is 1 after
 * the server answered 401 to the credentials given before: fetch new ones,
 * or return -ENOTSUP when there is nothing to refresh (Basic). Returns 0
 * or a negative errno. */
struct http_auth {
	int (*apply)(void *ctx, struct http_request *req, int refresh);
	void *ctx;
};

/* Pacing for an API that states its limits (requests per window) and
 * wants clients to stay under them: http_send calls BEFORE ahead of every
 * attempt it makes, which may wait (through the client's env) or refuse
 * with a negative errno that http_send then returns, and AFTER with every
 * answer it receives, whatever its status. */
struct http_pacer {
	int (*before)(void *ctx);
	void (*after)(void *ctx, const struct http_response *resp);
	void *ctx;
};

/* What a result means for the caller. */
enum http_outcome {
	HTTP_OUTCOME_OK,        /* a 2xx answer */
	HTTP_OUTCOME_TRANSIENT, /* transport failure, timeout, 429, 502, 503, 504: try again later */
	HTTP_OUTCOME_PERMANENT, /* anything else: trying again will not help */
};

/* The HTTP options a connection's configuration gives. */
struct http_options http_options_from_conn(const struct conn_config *conf);

/* Create a client. Returns 0 and a client the caller owns (free with
 * http_client_free), or a negative errno. */
int http_client_new(const struct http_options *opts, struct http_client **ret);
struct http_client *http_client_free(struct http_client *c);

/* Perform one request; no retry here. Returns 0 when a response arrived
 * (any status; RESP is filled and must be cleared with http_response_clear),
 * or a negative errno with RESP cleared:
 *   -EPROTONOSUPPORT  the URL is not https:// (plain http only to loopback)
 *   -EFBIG            the body is larger than max_response_bytes
 *   -ETIMEDOUT        connect or total timeout
 *   -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH  transport failures
 *   -EIO              any other transport failure */
int http_perform(struct http_client *c, const struct http_request *req, struct http_response *resp);

void http_response_clear(struct http_response *resp);

/* The value of the kept header NAME (any case) in RESP, or NULL when the
 * answer did not carry it (or the client does not keep it). */
const char *http_response_header(const struct http_response *resp, const char *name);

/* Use AUTH (copied; its context must outlive the client) for http_send. */
void http_client_set_auth(struct http_client *c, const struct http_auth *auth);

/* Pace http_send as PACER says (copied; its context must outlive the
 * client). */
void http_client_set_pacer(struct http_client *c, const struct http_pacer *pacer);

/* Use ENV (which must outlive the client) for the waits and the clock of
 * http_send; the default is retry_env_system. */
void http_client_set_env(struct http_client *c, const struct retry_env *env);

/* The client's environment (for the clock of token caches and the like),
 * its credentials (NULL apply when none were set) and its pacing (NULL
 * members when none was set). */
const struct retry_env *http_client_env(const struct http_client *c);
const struct http_auth *http_client_auth(const struct http_client *c);
const struct http_pacer *http_client_pacer(const struct http_client *c);

/* Send REQ with the client's credentials and pacing, retrying as RETRY
 * allows.
 * Returns like http_perform (0 with the last answer in RESP, whatever its
 * status; the caller clears it; RESP is cleared on any failure), and also:
 *   -EALREADY  a non-idempotent request whose response was lost, and its
 *              took_effect check found it did take effect: look it up
 *   the negative errno of the auth's apply, of the pacer's before or of
 *   took_effect.
 * Retries are logged at info level, without credentials. */
int http_send(struct http_client *c, const struct retry_config *retry, const struct http_request *req,
	      struct http_response *resp);

/* Classify the result R of http_perform/http_send with its response. */
enum http_outcome http_classify(int r, const struct http_response *resp);

/* Whether REQ is not idempotent: a POST, or a request with a took_effect
 * check. Such a request always gets a new connection (libcurl would
 * otherwise resend it by itself when a reused connection was dead) and is
 * retried by http_send only after its check. */
int http_request_is_write(const struct http_request *req);

/* Whether URL is plain http to a loopback address (allowed for tests). */
int http_url_is_loopback(const char *url);

/* The one percent-encoder, for a path segment, a query value or a form
 * field: S with every byte but the unreserved ones (letters, digits and
 * "-._~", RFC 3986) encoded by libcurl, except the characters of KEEP
 * (NULL: none), which the caller knows are legal where the result goes.
 * Returns a string the caller frees, or NULL when out of memory; curl's own
 * copy is wiped, so S may be a secret (the caller wipes the result). */
char *http_escape(const char *s, const char *keep);

#endif
