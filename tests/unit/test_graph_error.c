/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/entra/graph_error.h"

#define GROUP "0f8fad5b-d9cb-469f-a165-70867728950e"
#define USER "7c9e6679-7425-40de-944b-e07fc1f90ae7"

static const char *envelope(const char *code, const char *message)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"innerError\":"
		 "{\"date\":\"2026-11-25T09:00:00\",\"request-id\":\"inner-rid\",\"client-request-id\":\"c\"}}}",
		 code, message);
	return buf;
}

static void test_classification_table(void **state)
{
	static const struct {
		enum graph_call call;
		long status;
		const char *code, *message;
		enum directory_outcome outcome;
		int error, unchanged;
	} cases[] = {
		{ GRAPH_ADD_MEMBER, 204, NULL, NULL, DIRECTORY_OK, 0, 0 },
		{ GRAPH_ADD_MEMBER, 400, "Request_BadRequest",
		  "One or more added object references already exist for the following modified properties: 'members'.",
		  DIRECTORY_OK, 0, 1 },
		{ GRAPH_ADD_MEMBER, 400, "Request_BadRequest",
		  "Cannot Update a mail-enabled security groups and or distribution list.", DIRECTORY_PERMANENT, -EPERM, 0 },
		{ GRAPH_ADD_MEMBER, 400, "Request_BadRequest",
		  "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects "
		  "currently undergoing migration.",
		  DIRECTORY_PERMANENT, -EPERM, 0 },
		{ GRAPH_ADD_MEMBER, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.",
		  DIRECTORY_PERMANENT, -EACCES, 0 },
		{ GRAPH_ADD_MEMBER, 404, "Request_ResourceNotFound",
		  "Resource '" GROUP "' does not exist or one of its queried reference-property objects are not present.",
		  DIRECTORY_PERMANENT, -ENOENT, 0 },
		{ GRAPH_ADD_MEMBER, 429, "TooManyRequests", "Too many requests", DIRECTORY_TRANSIENT, -EAGAIN, 0 },
		{ GRAPH_ADD_MEMBER, 503, "serviceNotAvailable", "Service unavailable", DIRECTORY_TRANSIENT, -EAGAIN, 0 },
		{ GRAPH_ADD_MEMBER, 504, "gatewayTimeout", "Gateway timeout", DIRECTORY_TRANSIENT, -EAGAIN, 0 },
		{ GRAPH_REMOVE_MEMBER, 204, NULL, NULL, DIRECTORY_OK, 0, 0 },
		{ GRAPH_REMOVE_MEMBER, 404, "Request_ResourceNotFound",
		  "Resource '" USER "' does not exist or one of its queried reference-property objects are not present.",
		  DIRECTORY_OK, 0, 1 },
		{ GRAPH_REMOVE_MEMBER, 404, "Request_ResourceNotFound",
		  "Resource '" GROUP "' does not exist or one of its queried reference-property objects are not present.",
		  DIRECTORY_PERMANENT, -ENOENT, 0 },
		{ GRAPH_ASSIGN_APP_ROLE, 201, NULL, NULL, DIRECTORY_OK, 0, 0 },
		{ GRAPH_ASSIGN_APP_ROLE, 400, "Request_BadRequest", "Permission being assigned already exists on the object.",
		  DIRECTORY_OK, 0, 1 },
		{ GRAPH_ASSIGN_APP_ROLE, 400, "Request_BadRequest", "Permission being assigned was not found on application",
		  DIRECTORY_PERMANENT, -EPERM, 0 },
		{ GRAPH_REMOVE_APP_ROLE, 404, "Request_ResourceNotFound", "Resource 'x' does not exist", DIRECTORY_OK, 0, 1 },
		{ GRAPH_READ, 404, "Request_ResourceNotFound", "Resource 'x' does not exist", DIRECTORY_PERMANENT, -ENOENT, 0 },
		{ GRAPH_READ, 401, "InvalidAuthenticationToken", "Access token has expired", DIRECTORY_PERMANENT, -EACCES, 0 },
		{ GRAPH_READ, 400, "Request_BadRequest", "already exist", DIRECTORY_PERMANENT, -EPERM, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct directory_result res = { 0 };
		cJSON *body = cases[i].code ? cJSON_Parse(envelope(cases[i].code, cases[i].message)) : NULL;
		int r;

		r = graph_result_set(&res, cases[i].call, GROUP, cases[i].status, body, NULL, "7", 1000);
		assert_int_equal(r, cases[i].error);
		assert_int_equal(res.error, cases[i].error);
		assert_int_equal(res.outcome, cases[i].outcome);
		assert_int_equal(res.unchanged, cases[i].unchanged);
		assert_int_equal(res.status, cases[i].status);
		assert_int_equal(res.at_ms, 1000);
		if (cases[i].code) {
			assert_string_equal(res.error_code, cases[i].code);
			assert_string_equal(res.request_id, "inner-rid");
		}
		assert_int_equal(res.retry_after_ms, res.outcome == DIRECTORY_TRANSIENT ? 7000 : -1);
		directory_result_clear(&res);
		cJSON_Delete(body);
	}
}

static void test_request_id_header_wins(void **state)
{
	struct directory_result res = { 0 };
	cJSON *body = cJSON_Parse(envelope("TooManyRequests", "slow down"));

	(void)state;
	assert_int_equal(graph_result_set(&res, GRAPH_READ, NULL, 429, body, "hdr-rid", "Wed, 21 Oct 2015 07:28:00 GMT", 5),
			 -EAGAIN);
	assert_string_equal(res.request_id, "hdr-rid");
	assert_string_equal(res.error_message, "slow down");
	/* A date decades after NOW is past any believable wait: "not said". */
	assert_int_equal(res.retry_after_ms, -1);
	directory_result_clear(&res);
	cJSON_Delete(body);
}

static void test_no_answer(void **state)
{
	struct directory_result res = { 0 };

	(void)state;
	assert_int_equal(graph_result_fail(&res, -ETIMEDOUT, 9), -EAGAIN);
	assert_int_equal(res.outcome, DIRECTORY_TRANSIENT);
	assert_int_equal(graph_result_fail(&res, -ECONNRESET, 9), -EAGAIN);
	assert_int_equal(graph_result_fail(&res, -EACCES, 9), -EACCES);
	assert_int_equal(res.outcome, DIRECTORY_PERMANENT);
	assert_int_equal(graph_result_fail(&res, -EINVAL, 9), -EINVAL);
	assert_int_equal(res.outcome, DIRECTORY_PERMANENT);
	assert_int_equal(graph_result_fail(&res, -EBADMSG, 9), -EBADMSG);
	assert_int_equal(res.outcome, DIRECTORY_TRANSIENT);
	assert_int_equal(res.status, 0);
	assert_null(res.request_id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classification_table),
		cmocka_unit_test(test_request_id_header_wins),
		cmocka_unit_test(test_no_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
