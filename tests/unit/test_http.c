#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu.h"
#include "http.h"

static struct emu emu;

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_detection),
		cmocka_unit_test(test_plain_http_refused_off_loopback),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_response_cap_and_transport_errors),
	};

	return cmocka_run_group_tests(tests, start_emu, stop_emu);
}
