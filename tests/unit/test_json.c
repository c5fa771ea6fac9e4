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
#include "util/text.h"

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

/* A string holding U+0000 keeps its full length, whatever member, nesting
 * or escape surrounds it, and then holds a control character. */
static void test_nul_never_shortens_a_string(void **state)
{
	static const struct {
		const char *json, *member, *want;
	} cases[] = {
		{ "{\"e\": \"victor@contoso.example\\u0000.mallory\"}", "e", "victor@contoso.example\x1a.mallory" },
		{ "{\"g\": \"Project-Apollo\\u0000Server-Admins\"}", "g", "Project-Apollo\x1aServer-Admins" },
		{ "{\"g\": \"\\u0000\\u0000x\"}", "g", "\x1a\x1ax" },
		{ "{\"k\\u0000\": 1, \"g\": \"a\\\\u0000\"}", "g", "a\\u0000" }, /* an escaped backslash, no NUL */
		{ "{\"r\": {\"l\": [\"x\"]}, \"g\": \"\\\"\\u0000\\\"\"}", "g", "\"\x1a\"" },
	};
	cJSON *root = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(json_parse(cases[i].json, strlen(cases[i].json), &root), 0);
		assert_string_equal(json_str(root, cases[i].member), cases[i].want);
		assert_int_equal(text_has_control(json_str(root, cases[i].member), 1),
				 strchr(cases[i].want, '\x1a') != NULL);
		cJSON_Delete(root);
		root = NULL;
	}
	/* A raw NUL byte is not JSON at all. */
	assert_int_equal(json_parse("{\"e\": \"a\0b\"}", 11, &root), -EBADMSG);
	assert_null(root);
}

static void test_control_characters(void **state)
{
	(void)state;
	assert_false(text_has_control(NULL, 0));
	assert_false(text_has_control("bob@contoso.example", 0));
	assert_false(text_has_control("Ünïcödé text", 0));
	assert_true(text_has_control("line\nbreak", 0));
	assert_false(text_has_control("line\nbreak\twith tab\r", 1));
	for (int c = 1; c < 0x20; c++) {
		char s[] = { 'a', (char)c, 'b', 0 };

		assert_true(text_has_control(s, c != '\t' && c != '\n' && c != '\r' ? 1 : 0));
	}
	assert_true(text_has_control("del\x7f", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depth_cap),
		cmocka_unit_test(test_brackets_in_strings_do_not_count),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_nul_never_shortens_a_string),
		cmocka_unit_test(test_control_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
