/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "emu.h"
#include "fake_env.h"
#include "net/http.h"

static struct emu emu;
static struct fake_env fake;
static const struct retry_config fast = {
	.max_attempts = 4,
	.initial_backoff_ms = 100,
	.max_backoff_ms = 1000,
	.budget_ms = 10000,
};

static void test_loopback_detection(void **state)
{
	static const struct {
		const char *url;
		int loopback;
	} cases[] = {
		{ "http://127.0.0.1:8080/api", 1 },
		{ "http://127.1.2.3/", 1 },
		{ "http://localhost:1/", 1 },
		{ "http://[::1]:9/x", 1 },
		{ "http://127.0.0.1.evil.example/", 0 },
		{ "http://localhost.evil.example/", 0 },
		{ "http://10.0.0.1/", 0 },
		{ "https://127.0.0.1/", 0 },
		{ "http://user@evil.example/?127.0.0.1", 0 },
		{ "not a url", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(http_url_is_loopback(cases[i].url), cases[i].loopback);
}

static void test_plain_http_refused_off_loopback(void **state)
{
	struct http_options opts = { .connect_timeout_ms = 1000, .timeout_ms = 1000, .max_response_bytes = 1024 };
	struct http_request req = { .method = "GET", .url = "http://example.com/api" };
	struct http_response resp;
	struct http_client *c = NULL;

	(void)state;
	assert_int_equal(http_client_new(&opts, &c), 0);
	assert_int_equal(http_perform(c, &req, &resp), -EPROTONOSUPPORT);
	assert_null(resp.body);
	req.url = "ftp://example.com/file";
	assert_int_equal(http_perform(c, &req, &resp), -EPROTONOSUPPORT);
	http_client_free(c);
}

static void test_header_injection_refused(void **state)
{
	struct http_options opts = { .connect_timeout_ms = 1000, .timeout_ms = 1000, .max_response_bytes = 1024 };
	struct http_header h = { "X-Test", "a\r\nInjected: yes" };
	struct http_request req = { .method = "GET", .url = "http://127.0.0.1:1/", .headers = &h, .n_headers = 1 };
	struct http_response resp;
	struct http_client *c = NULL;

	(void)state;
	assert_int_equal(http_client_new(&opts, &c), 0);
	assert_int_equal(http_perform(c, &req, &resp), -EINVAL);
	http_client_free(c);
}

static int start_emu(void **state)
{
	(void)state;
	return emu_start(&emu) == 0 ? 0 : -1;
}

static int stop_emu(void **state)
{
	(void)state;
	emu_stop(&emu);
	return 0;
}

static int get(size_t max, struct http_response *resp)
{
	struct http_options opts = { .connect_timeout_ms = 5000, .timeout_ms = 10000, .max_response_bytes = max };
	struct http_request req = { .method = "GET", .username = "svc", .password = "pw" };
	struct http_client *c = NULL;
	char url[256];
	int r;

	snprintf(url, sizeof(url), "%s/api/now/table/sc_req_item", emu.url);
	req.url = url;
	assert_int_equal(http_client_new(&opts, &c), 0);
	r = http_perform(c, &req, resp);
	http_client_free(c);
	return r;
}

static void test_response_cap_and_transport_errors(void **state)
{
	struct http_response resp;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/seed", "{\"servicenow\": {\"users\": {\"svc\": \"pw\"}}}"), 0);
	assert_int_equal(get(4096, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.total_count, 0);
	assert_non_null(strstr(resp.body, "\"result\""));
	http_response_clear(&resp);

	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"oversize\", \"bytes\": 100000}"), 0);
	assert_int_equal(get(4096, &resp), -EFBIG);
	assert_null(resp.body);

	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"reset\"}"), 0);
	assert_int_equal(get(4096, &resp), -ECONNRESET);

	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"ratelimit\", \"retry_after\": 3}"), 0);
	assert_int_equal(get(4096, &resp), 0);
	assert_int_equal(resp.status, 429);
	assert_string_equal(resp.retry_after, "3");
	http_response_clear(&resp);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 4);
}

/* A client on the fake environment, the emulator seeded with the service
 * account and no faults or logged requests. */
static struct http_client *fresh_client(const char *proxy)
{
	struct http_options opts = {
		.proxy = proxy,
		.connect_timeout_ms = 5000,
		.timeout_ms = 10000,
		.max_response_bytes = 1 << 20,
	};
	struct http_client *c = NULL;

	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	assert_int_equal(emu_post(&emu, "/_emu/seed", "{\"servicenow\": {\"users\": {\"svc\": \"pw\"}}}"), 0);
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	assert_int_equal(http_client_new(&opts, &c), 0);
	http_client_set_env(c, &fake.env);
	return c;
}

static int send_to(struct http_client *c, const char *method, const char *path, const char *body,
		   struct http_request *req, struct http_response *resp)
{
	static char url[256];

	snprintf(url, sizeof(url), "%s%s", emu.url, path);
	req->method = method;
	req->url = url;
	req->username = "svc";
	req->password = "pw";
	if (body) {
		req->content_type = "application/json";
		req->body = body;
		req->body_len = strlen(body);
	}
	return http_send(c, &fast, req, resp);
}

static void test_send_honours_retry_after_on_429_and_503(void **state)
{
	struct http_client *c = fresh_client(NULL);
	struct http_request req = { 0 };
	struct http_response resp;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"ratelimit\", \"retry_after\": 2}"), 0);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"status\", \"status\": 503, \"headers\": {\"Retry-After\": \"1\"}}"),
			 0);
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(http_classify(0, &resp), HTTP_OUTCOME_OK);
	http_response_clear(&resp);
	assert_int_equal(fake.n_sleeps, 2);
	assert_int_equal(fake.sleeps[0], 2000);
	assert_int_equal(fake.sleeps[1], 1000);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 3);
	http_client_free(c);
}

static void test_send_honours_retry_after_as_a_date(void **state)
{
	struct http_client *c = fresh_client(NULL);
	struct http_request req = { 0 };
	struct http_response resp;
	int64_t started = fake.now_ms, answered;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"ratelimit\", \"retry_after\": \"http-date\", \"retry_after_seconds\": 5}"),
			 0);
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), 0);
	answered = (int64_t)time(NULL) * 1000;
	assert_int_equal(resp.status, 200);
	http_response_clear(&resp);
	assert_int_equal(fake.n_sleeps, 1);
	/* The date has whole seconds and is made by the emulator in real time,
	 * which goes on while the (fake) clock stands still: 5 s plus however
	 * long the real exchange took on a busy machine. */
	assert_in_range(fake.sleeps[0], 3000, 5000 + (answered - started));
	http_client_free(c);
}

static void test_send_stops_at_the_budget_and_at_max_attempts(void **state)
{
	struct http_client *c = fresh_client(NULL);
	struct http_request req = { 0 };
	struct http_response resp;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"status\", \"status\": 503, \"times\": 0, \"headers\": {\"Retry-After\": \"6\"}}"),
			 0);
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), 0);
	/* 6 s, then another 6 s would pass the 10 s budget. */
	assert_int_equal(resp.status, 503);
	assert_int_equal(http_classify(0, &resp), HTTP_OUTCOME_TRANSIENT);
	http_response_clear(&resp);
	assert_int_equal(fake.n_sleeps, 1);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 2);
	http_client_free(c);

	c = fresh_client(NULL);
	fake.random = 50;
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"reset\", \"times\": 0}"), 0);
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), -ECONNRESET);
	assert_int_equal(http_classify(-ECONNRESET, &resp), HTTP_OUTCOME_TRANSIENT);
	assert_int_equal(fake.n_sleeps, fast.max_attempts - 1);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), fast.max_attempts);
	http_client_free(c);
}

/* A pacer that records what it saw and refuses once told to. */
struct pacing {
	int before, after, refuse;
	char remaining[16];
};

static int pace_before(void *ctx)
{
	struct pacing *p = ctx;

	p->before++;
	return p->refuse ? -EAGAIN : 0;
}

static void pace_after(void *ctx, const struct http_response *resp)
{
	struct pacing *p = ctx;
	const char *v = http_response_header(resp, "X-RateLimit-Remaining");

	p->after++;
	snprintf(p->remaining, sizeof(p->remaining), "%s", v ? v : "");
}

static void test_kept_headers_and_pacing_on_every_attempt(void **state)
{
	static const char *const keep[] = { "x-ratelimit-remaining", "X-Other", NULL };
	struct http_options opts = {
		.connect_timeout_ms = 5000, .timeout_ms = 10000, .max_response_bytes = 1 << 20, .keep_headers = keep
	};
	struct pacing p = { 0 };
	struct http_pacer pacer = { pace_before, pace_after, &p };
	struct http_request req = { 0 };
	struct http_response resp;
	struct http_client *c = NULL;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	assert_int_equal(emu_post(&emu, "/_emu/seed", "{\"servicenow\": {\"users\": {\"svc\": \"pw\"}}}"), 0);
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	assert_int_equal(http_client_new(&opts, &c), 0);
	http_client_set_env(c, &fake.env);
	http_client_set_pacer(c, &pacer);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"status\", \"status\": 503, \"headers\": {\"Retry-After\": \"1\", "
				  "\"X-RateLimit-Remaining\": \"7\", \"X-Unkept\": \"no\"}}"),
			 0);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"status\", \"status\": 404, \"headers\": {\"x-ratelimit-REMAINING\": "
				  "\" 6\\r\", \"X-Other\": \"o\"}}"),
			 0);
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), 0);
	/* Both attempts were paced and seen, the retry's answer is the one kept. */
	assert_int_equal(resp.status, 404);
	assert_int_equal(p.before, 2);
	assert_int_equal(p.after, 2);
	assert_string_equal(p.remaining, "6");
	assert_string_equal(http_response_header(&resp, "X-RATELIMIT-remaining"), "6");
	assert_string_equal(http_response_header(&resp, "x-other"), "o");
	assert_null(http_response_header(&resp, "X-Unkept"));
	assert_null(http_response_header(&resp, "Retry-After"));
	http_response_clear(&resp);
	assert_int_equal(resp.n_kept, 0);

	/* A refusal is returned before anything is sent. */
	p.refuse = 1;
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), -EAGAIN);
	assert_null(resp.body);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 2);
	http_client_free(c);
}

static void test_permanent_errors_are_not_retried(void **state)
{
	struct http_client *c = fresh_client(NULL);
	struct http_request req = { 0 };
	struct http_response resp;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"status\", \"status\": 500, \"times\": 0}"),
			 0);
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), 0);
	assert_int_equal(resp.status, 500);
	assert_int_equal(http_classify(0, &resp), HTTP_OUTCOME_PERMANENT);
	http_response_clear(&resp);
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item/0123456789abcdef0123456789abcdef", NULL, &req,
				 &resp),
			 0);
	assert_int_equal(resp.status, 500);
	http_response_clear(&resp);
	assert_int_equal(fake.n_sleeps, 0);
	http_client_free(c);
}

struct check {
	int calls;
	int answer;
};

static int check_took_effect(void *ctx)
{
	struct check *k = ctx;

	k->calls++;
	return k->answer;
}

static int incidents(void)
{
	char *body = NULL;
	int n = 0;

	if (emu_call(&emu, "GET", "/_emu/state/servicenow", NULL, &body) == 200) {
		cJSON *root = cJSON_Parse(body);

		n = cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "tables"), "incident"));
		cJSON_Delete(root);
	}
	free(body);
	return n;
}

static void test_post_is_retried_only_after_checking(void **state)
{
	struct http_client *c = fresh_client(NULL);
	struct http_request req = { 0 };
	struct http_response resp;
	struct check k = { 0 };

	(void)state;
	/* No check: a POST whose answer was lost is not sent again. */
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"drop_response\", \"method\": \"POST\"}"), 0);
	assert_int_equal(send_to(c, "POST", "/api/now/table/incident", "{\"short_description\": \"x\"}", &req, &resp),
			 -ECONNRESET);
	assert_int_equal(emu_count(&emu, "POST", "incident"), 1);
	assert_int_equal(incidents(), 1);

	/* The check finds it landed: no second POST. */
	req.took_effect = check_took_effect;
	req.took_effect_ctx = &k;
	k.answer = 1;
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"drop_response\", \"method\": \"POST\"}"), 0);
	assert_int_equal(send_to(c, "POST", "/api/now/table/incident", "{\"short_description\": \"y\"}", &req, &resp),
			 -EALREADY);
	assert_int_equal(k.calls, 1);
	assert_int_equal(emu_count(&emu, "POST", "incident"), 2);
	assert_int_equal(incidents(), 2);

	/* The connection was reset before the server acted, and the check
	 * says so: sent again. */
	k = (struct check){ .answer = 0 };
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"reset\", \"method\": \"POST\"}"), 0);
	assert_int_equal(send_to(c, "POST", "/api/now/table/incident", "{\"short_description\": \"z\"}", &req, &resp),
			 0);
	assert_int_equal(resp.status, 201);
	http_response_clear(&resp);
	assert_int_equal(k.calls, 1);
	assert_int_equal(incidents(), 3);

	/* A 429 was refused, not carried out: retried without asking. */
	k = (struct check){ .answer = 1 };
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"ratelimit\", \"method\": \"POST\"}"), 0);
	assert_int_equal(send_to(c, "POST", "/api/now/table/incident", "{\"short_description\": \"w\"}", &req, &resp),
			 0);
	assert_int_equal(resp.status, 201);
	http_response_clear(&resp);
	assert_int_equal(k.calls, 0);
	assert_int_equal(incidents(), 4);
	http_client_free(c);
}

static void test_proxy_from_config_and_environment(void **state)
{
	/* Port 1 on loopback answers nobody: only the proxy (the emulator,
	 * which serves absolute-form requests) can answer. */
	struct http_client *c = fresh_client(emu.url);
	struct http_request req = { .method = "GET", .url = "http://127.0.0.1:1/api/now/table/sc_req_item",
				    .username = "svc", .password = "pw" };
	struct http_response resp;

	(void)state;
	assert_int_equal(http_send(c, &fast, &req, &resp), 0);
	assert_int_equal(resp.status, 200);
	http_response_clear(&resp);
	http_client_free(c);

	c = fresh_client(NULL);
	setenv("http_proxy", emu.url, 1);
	assert_int_equal(http_perform(c, &req, &resp), 0);
	unsetenv("http_proxy");
	assert_int_equal(resp.status, 200);
	http_response_clear(&resp);
	assert_int_equal(emu_count(&emu, "GET", "sc_req_item"), 1);
	http_client_free(c);
}

static void test_user_agent(void **state)
{
	struct http_client *c = fresh_client(NULL);
	struct http_request req = { 0 };
	struct http_response resp;
	cJSON *log;

	(void)state;
	assert_int_equal(send_to(c, "GET", "/api/now/table/sc_req_item", NULL, &req, &resp), 0);
	http_response_clear(&resp);
	log = emu_requests(&emu);
	assert_non_null(log);
	assert_string_equal(
		cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "headers"),
							 "user-agent")),
		"accessd/" PACKAGE_VERSION);
	cJSON_Delete(log);
	http_client_free(c);
}

/* The one percent-encoder: libcurl's, with the characters the caller may
 * keep restored and nothing else. */
static void test_escape(void **state)
{
	static const struct {
		const char *in, *keep, *out;
	} cases[] = {
		{ "a-b.c_d~e", NULL, "a-b.c_d~e" },
		{ "x y&z=1?#/", NULL, "x%20y%26z%3D1%3F%23%2F" },
		{ "ada@contoso.com", NULL, "ada%40contoso.com" },
		{ "ada@contoso.com", "@$", "ada@contoso.com" },
		{ "$top=1", "@$", "$top%3D1" },
		/* A percent sign stays escaped: "%40" in the input is not an '@'. */
		{ "%40@", "@", "%2540@" },
		{ "\xc3\xa9", "@", "%C3%A9" },
		{ "", NULL, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = http_escape(cases[i].in, cases[i].keep);

		assert_non_null(out);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_detection),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_plain_http_refused_off_loopback),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_response_cap_and_transport_errors),
		cmocka_unit_test(test_send_honours_retry_after_on_429_and_503),
		cmocka_unit_test(test_send_honours_retry_after_as_a_date),
		cmocka_unit_test(test_send_stops_at_the_budget_and_at_max_attempts),
		cmocka_unit_test(test_permanent_errors_are_not_retried),
		cmocka_unit_test(test_kept_headers_and_pacing_on_every_attempt),
		cmocka_unit_test(test_post_is_retried_only_after_checking),
		cmocka_unit_test(test_proxy_from_config_and_environment),
		cmocka_unit_test(test_user_agent),
	};

	return cmocka_run_group_tests(tests, start_emu, stop_emu);
}
