/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#include "http.h"
#include "util/stats.h"

struct http_client {
	CURL *curl;
	struct http_options opts;
	struct http_auth auth;
	struct http_pacer pacer;
	const struct retry_env *env;
};

/* What the header callback fills. */
struct header_sink {
	struct http_response *resp;
	const char *const *keep;
};

struct body_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int too_big;
};

static int curl_global_done;

int http_request_is_write(const struct http_request *req)
{
	return strcmp(req->method, "POST") == 0 || req->took_effect;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *http_escape(const char *s, const char *keep)
{
	char *esc = curl_easy_escape(NULL, s, 0), *out, *o;
	size_t n;

	if (!esc)
		return NULL;
	n = strlen(esc);
	out = malloc(n + 1);
	o = out;
	for (size_t i = 0; out && i < n; i++) {
		int hi = esc[i] == '%' && i + 2 < n ? hex_value(esc[i + 1]) : -1;
		int lo = hi >= 0 ? hex_value(esc[i + 2]) : -1;

		/* curl writes '%' itself as "%25", so a kept character is
		 * never confused with an escape that was in S. */
		if (lo >= 0 && keep && hi * 16 + lo != 0 && strchr(keep, hi * 16 + lo)) {
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = esc[i];
		}
	}
	if (out)
		*o = '\0';
	explicit_bzero(esc, n);
	curl_free(esc);
	return out;
}

int http_url_is_loopback(const char *url)
{
	struct in6_addr a6;
	struct in_addr a4;
	char *scheme = NULL, *host = NULL;
	int loopback = 0;
	CURLU *u = curl_url();

	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || strcmp(scheme, "http") != 0)
		goto done;
	if (strcmp(host, "localhost") == 0)
		loopback = 1;
	else if (inet_pton(AF_INET, host, &a4) == 1)
		loopback = (ntohl(a4.s_addr) >> 24) == 127;
	else if (host[0] == '[' && strlen(host) < 64) {
		char bare[64];

		snprintf(bare, sizeof(bare), "%.*s", (int)strlen(host) - 2, host + 1);
		loopback = inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return loopback;
}

struct http_options http_options_from_conn(const struct conn_config *conf)
{
	return (struct http_options){
		.ca_bundle = conf->ca_bundle,
		.proxy = conf->proxy,
		.no_proxy = conf->no_proxy,
		.system = conf->kind,
		.connect_timeout_ms = conf->connect_timeout_ms,
		.timeout_ms = conf->timeout_ms,
		.max_response_bytes = conf->max_response_bytes,
	};
}

int http_client_new(const struct http_options *opts, struct http_client **ret)
{
	struct http_client *c;

	if (!curl_global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -EIO;
		curl_global_done = 1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->opts = *opts;
	c->env = &retry_env_system;
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

struct http_client *http_client_free(struct http_client *c)
{
	if (!c)
		return NULL;
	curl_easy_cleanup(c->curl);
	free(c);
	return NULL;
}

void http_client_set_auth(struct http_client *c, const struct http_auth *auth)
{
	c->auth = *auth;
}

void http_client_set_pacer(struct http_client *c, const struct http_pacer *pacer)
{
	c->pacer = *pacer;
}

const struct http_pacer *http_client_pacer(const struct http_client *c)
{
	return &c->pacer;
}

void http_client_set_env(struct http_client *c, const struct retry_env *env)
{
	c->env = env;
}

const struct retry_env *http_client_env(const struct http_client *c)
{
	return c->env;
}

const struct http_auth *http_client_auth(const struct http_client *c)
{
	return &c->auth;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body_buf *b = userdata;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (!grown)
			return 0;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Copy a header value without surrounding blanks and without CR/LF, so a
 * value can never inject a line into a log or a later request. */
static char *header_value(const char *v, size_t n)
{
	char *out, *o;

	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < n; i++)
		if (v[i] != '\r' && v[i] != '\n')
			*o++ = v[i];
	*o = '\0';
	return out;
}

/* Keep the value of the header NAME (NAME_LEN bytes) when SINK keeps it.
 * Returns 1 when it did (or ran out of memory trying: the header is then
 * missing, as if the server had not sent it), 0 when NAME is not kept. */
static int keep_header(struct header_sink *sink, const char *name, size_t name_len, const char *v, size_t n)
{
	struct http_response *resp = sink->resp;

	for (size_t i = 0; sink->keep && sink->keep[i]; i++) {
		struct http_kept *grown;
		char *value;

		if (strlen(sink->keep[i]) != name_len || strncasecmp(sink->keep[i], name, name_len) != 0)
			continue;
		for (size_t k = 0; k < resp->n_kept; k++)
			if (resp->kept[k].name == sink->keep[i]) {
				free(resp->kept[k].value);
				resp->kept[k].value = header_value(v, n);
				return 1;
			}
		value = header_value(v, n);
		grown = value ? realloc(resp->kept, (resp->n_kept + 1) * sizeof(*grown)) : NULL;
		if (!grown) {
			free(value);
			return 1;
		}
		resp->kept = grown;
		resp->kept[resp->n_kept++] = (struct http_kept){ sink->keep[i], value };
		return 1;
	}
	return 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct header_sink *sink = userdata;
	struct http_response *resp = sink->resp;
	size_t n = size * nitems;
	static const struct {
		const char *name;
		size_t off;
	} wanted[] = {
		{ "retry-after", offsetof(struct http_response, retry_after) },
		{ "request-id", offsetof(struct http_response, request_id) },
		{ "link", offsetof(struct http_response, link) },
	};
	const char *colon = memchr(buf, ':', n);
	size_t name_len;

	if (!colon)
		return n;
	name_len = (size_t)(colon - buf);
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char **slot = (char **)((char *)resp + wanted[i].off);

		if (strlen(wanted[i].name) != name_len || strncasecmp(buf, wanted[i].name, name_len) != 0)
			continue;
		free(*slot);
		*slot = header_value(colon + 1, n - name_len - 1);
		return n;
	}
	if (name_len == strlen("x-total-count") && strncasecmp(buf, "x-total-count", name_len) == 0) {
		char *v = header_value(colon + 1, n - name_len - 1);

		if (v)
			resp->total_count = strtol(v, NULL, 10);
		free(v);
		return n;
	}
	keep_header(sink, buf, name_len, colon + 1, n - name_len - 1);
	return n;
}

static int map_curl_error(CURLcode rc, const struct body_buf *b)
{
	switch (rc) {
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return b->too_big || rc == CURLE_FILESIZE_EXCEEDED ? -EFBIG : -ENOMEM;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EPROTONOSUPPORT;
	default:
		return -EIO;
	}
}

#define SETOPT(c, opt, val)                                        \
	do {                                                        \
		if (curl_easy_setopt((c), (opt), (val)) != CURLE_OK) { \
			r = -EINVAL;                                \
			goto done;                                  \
		}                                                   \
	} while (0)

/* The metrics of the request C's handle just performed: its answer's
 * status class ("error" when none came) and how long it took. */
static void count(struct http_client *c, int answered)
{
	const char *system = c->opts.system ? c->opts.system : "other";
	const char *cls = "error";
	char labels[96];
	curl_off_t usec = 0;
	long status = 0;

	if (answered && curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
		cls = status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : status >= 200 ? "2xx" : "error";
	snprintf(labels, sizeof(labels), "system=\"%s\",class=\"%s\"", system, cls);
	stats_count("accessd_http_requests_total", labels, 1);
	if (curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME_T, &usec) != CURLE_OK)
		return;
	snprintf(labels, sizeof(labels), "system=\"%s\"", system);
	stats_observe("accessd_http_request_duration_seconds", labels, (double)usec / 1e6);
}

int http_perform(struct http_client *c, const struct http_request *req, struct http_response *resp)
{
	const char *protocols = http_url_is_loopback(req->url) ? "http,https" : "https";
	struct body_buf body = { .max = c->opts.max_response_bytes };
	struct header_sink sink = { .resp = resp, .keep = c->opts.keep_headers };
	struct curl_slist *headers = NULL, *grown;
	char line[1024];
	CURLcode rc;
	CURL *h = c->curl;
	int r;

	memset(resp, 0, sizeof(*resp));
	resp->total_count = -1;
	if (strncasecmp(req->url, "https://", 8) != 0 && !http_url_is_loopback(req->url))
		return -EPROTONOSUPPORT;

	curl_easy_reset(h);
	SETOPT(h, CURLOPT_URL, req->url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, protocols);
	SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* libcurl silently sends a request again when a reused connection
	 * turns out dead; for a write that could do it twice behind
	 * took_effect's back, so writes get a connection of their own. */
	SETOPT(h, CURLOPT_FRESH_CONNECT, (long)http_request_is_write(req));
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_USERAGENT, "accessd/" PACKAGE_VERSION);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opts.connect_timeout_ms);
	SETOPT(h, CURLOPT_TIMEOUT_MS, (long)c->opts.timeout_ms);
	SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_response_bytes);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &body);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &sink);
	if (c->opts.ca_bundle)
		SETOPT(h, CURLOPT_CAINFO, c->opts.ca_bundle);
	if (c->opts.proxy)
		SETOPT(h, CURLOPT_PROXY, c->opts.proxy);
	if (c->opts.no_proxy)
		SETOPT(h, CURLOPT_NOPROXY, c->opts.no_proxy);
	if (req->username) {
		SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SETOPT(h, CURLOPT_USERNAME, req->username);
		SETOPT(h, CURLOPT_PASSWORD, req->password ? req->password : "");
	}
	if (strcmp(req->method, "GET") == 0) {
		SETOPT(h, CURLOPT_HTTPGET, 1L);
	} else {
		SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body) {
			SETOPT(h, CURLOPT_POSTFIELDS, req->body);
			SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		}
	}

	r = -ENOMEM;
	headers = curl_slist_append(NULL, "Accept: application/json");
	if (!headers)
		goto done;
	if (req->content_type) {
		if (strpbrk(req->content_type, "\r\n")) {
			r = -EINVAL;
			goto done;
		}
		snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
		if (!(grown = curl_slist_append(headers, line)))
			goto done;
		headers = grown;
	}
	if (req->bearer) {
		/* The stack copy holds a token: wipe it once curl has its own. */
		int n = snprintf(line, sizeof(line), "Authorization: Bearer %s", req->bearer);

		if (n < 0 || (size_t)n >= sizeof(line)) {
			r = -E2BIG;
			goto done;
		}
		grown = curl_slist_append(headers, line);
		explicit_bzero(line, sizeof(line));
		if (!grown)
			goto done;
		headers = grown;
	}
	for (size_t i = 0; i < req->n_headers; i++) {
		snprintf(line, sizeof(line), "%s: %s", req->headers[i].name, req->headers[i].value);
		if (strpbrk(line, "\r\n")) {
			r = -EINVAL;
			goto done;
		}
		if (!(grown = curl_slist_append(headers, line)))
			goto done;
		headers = grown;
	}
	SETOPT(h, CURLOPT_HTTPHEADER, headers);

	rc = curl_easy_perform(h);
	count(c, rc == CURLE_OK);
	if (rc != CURLE_OK) {
		r = map_curl_error(rc, &body);
		goto done;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK) {
		r = -EIO;
		goto done;
	}
	if (!body.data) {
		body.data = strdup("");
		if (!body.data) {
			r = -ENOMEM;
			goto done;
		}
	}
	resp->body = body.data;
	resp->len = body.len;
	body.data = NULL;
	r = 0;
done:
	/* The handle keeps pointers to our header list and credentials. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_PASSWORD, "");
	curl_slist_free_all(headers);
	free(body.data);
	if (r < 0)
		http_response_clear(resp);
	return r;
}

void http_response_clear(struct http_response *resp)
{
	free(resp->body);
	free(resp->retry_after);
	free(resp->request_id);
	free(resp->link);
	for (size_t i = 0; i < resp->n_kept; i++)
		free(resp->kept[i].value);
	free(resp->kept);
	memset(resp, 0, sizeof(*resp));
	resp->total_count = -1;
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_kept; i++)
		if (strcasecmp(resp->kept[i].name, name) == 0)
			return resp->kept[i].value;
	return NULL;
}
