/* HTTP for every connector: libcurl with one reused handle per client
 * (connection reuse per host), TLS verification always on, HTTPS only except
 * for loopback URLs, connect and total timeouts, and a cap on the response
 * size (a larger body is an error, never an allocation). */
#ifndef ACCESSD_HTTP_H
#define ACCESSD_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http_client;

struct http_options {
	const char *ca_bundle; /* NULL: the system's CA store */
	const char *proxy;     /* NULL: the standard proxy variables */
	int64_t connect_timeout_ms;
	int64_t timeout_ms;
	size_t max_response_bytes;
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
};

struct http_response {
	long status;
	char *body; /* NUL-terminated; owned by the response */
	size_t len;
	char *retry_after; /* the Retry-After header, CR/LF stripped, or NULL */
	char *request_id;  /* the request-id header (Graph), or NULL */
	char *link;        /* the Link header (ServiceNow paging), or NULL */
	long total_count;  /* X-Total-Count, or -1 */
};

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

/* Whether URL is plain http to a loopback address (allowed for tests). */
int http_url_is_loopback(const char *url);

#endif
