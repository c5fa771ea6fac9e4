/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"

static char *nested(int depth, const char *open, const char *close)
{
	char *s = malloc((size_t)depth * 2 + 1);

	assert_non_null(s);
	for (int i = 0; i < depth; i++) {
		s[i] = *open;
		s[depth * 2 - 1 - i] = *close;
	}
	s[depth * 2] = '\0';
	return s;
}

static void test_depth_cap(void **state)
{
	cJSON *root = NULL;
	char *ok = nested(JSON_MAX_DEPTH, "[", "]");
	char *deep = nested(JSON_MAX_DEPTH + 1, "[", "]");

	(void)state;
	assert_int_equal(json_parse(ok, strlen(ok), &root), 0);
	cJSON_Delete(root);
	root = NULL;
	assert_int_equal(json_parse(deep, strlen(deep), &root), -E2BIG);
	assert_null(root);
	free(ok);
	free(deep);
}

static void test_brackets_in_strings_do_not_count(void **state)
{
	const char *text = "{\"a\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}";
	cJSON *root = NULL;

	(void)state;
	assert_int_equal(json_parse(text, strlen(text), &root), 0);
	assert_non_null(json_str(root, "a"));
	assert_null(json_str(root, "b"));
	cJSON_Delete(root);
}

static void test_invalid(void **state)
{
	static const char *const bad[] = { "", "{", "{\"result\": [", "nul", "{\"a\":1,}" };
	cJSON *root = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(json_parse(bad[i], strlen(bad[i]), &root), -EBADMSG);
	assert_null(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depth_cap),
		cmocka_unit_test(test_brackets_in_strings_do_not_count),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
