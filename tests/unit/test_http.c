#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_detection),
		cmocka_unit_test(test_plain_http_refused_off_loopback),
		cmocka_unit_test(test_header_injection_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
