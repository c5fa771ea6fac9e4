/* SPDX-License-Identifier: Apache-2.0 */
/* The flat JSON object scanner that replay reads payloads with. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/jsonflat.h"
#include "util/json.h"

static int parse(struct jsonflat *f, const char *text)
{
	return jsonflat_parse(f, text, strlen(text));
}

static void test_members_and_kinds(void **unused)
{
	struct jsonflat f = { 0 };
	const struct jsonflat_member *m;

	assert_int_equal(parse(&f, " { \"s\" : \"x\", \"n\":-12, \"o\":{\"a\":[1,{\"b\":null}]}, \"a\":[],"
				   "\"t\":true,\"f\":false,\"z\":null, \"s\":\"second\" } "),
			 0);
	assert_int_equal(f.n, 8);
	m = jsonflat_get(&f, "s");
	assert_int_equal(m->kind, JSONFLAT_STRING);
	assert_string_equal(m->str, "x"); /* the first of a name given twice */
	assert_int_equal(jsonflat_get(&f, "n")->kind, JSONFLAT_NUMBER);
	m = jsonflat_get(&f, "o");
	assert_int_equal(m->kind, JSONFLAT_OBJECT);
	assert_int_equal(m->raw_len, strlen("{\"a\":[1,{\"b\":null}]}"));
	assert_memory_equal(m->raw, "{\"a\":[1,{\"b\":null}]}", m->raw_len);
	assert_int_equal(jsonflat_get(&f, "a")->kind, JSONFLAT_ARRAY);
	assert_int_equal(jsonflat_get(&f, "t")->kind, JSONFLAT_TRUE);
	assert_int_equal(jsonflat_get(&f, "f")->kind, JSONFLAT_FALSE);
	assert_int_equal(jsonflat_get(&f, "z")->kind, JSONFLAT_NULL);
	assert_null(jsonflat_get(&f, "missing"));
	assert_int_equal(parse(&f, "{}"), 0);
	assert_int_equal(f.n, 0);
	jsonflat_release(&f);
}

static void test_escapes(void **unused)
{
	struct jsonflat f = { 0 };

	assert_int_equal(parse(&f, "{\"k\\u0065y\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"}"), 0);
	assert_string_equal(jsonflat_get(&f, "key")->str, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	jsonflat_release(&f);
}

static void test_refused(void **unused)
{
	static const char *const bad[] = {
		"", "[]", "\"s\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":01}",
		"{\"a\":1.}", "{\"a\":-}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u00zz\"}", "{\"a\":\"\\u0000\"}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"tab\there\"}", "{\"a\":[1,]}", "{\"a\":{\"b\"}}",
		"{\"a\":[}", "{\"a\":1} x", "{\"a\":\"unterminated}",
	};
	struct jsonflat f = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s\n", bad[i]);
		assert_int_equal(parse(&f, bad[i]), -EBADMSG);
	}
	jsonflat_release(&f);
}

/* An object holding K arrays, one inside the other. */
static void nested(char *text, int k)
{
	size_t n = (size_t)sprintf(text, "{\"a\":");

	for (int i = 0; i < k; i++)
		text[n++] = '[';
	for (int i = 0; i < k; i++)
		text[n++] = ']';
	strcpy(text + n, "}");
}

static void test_limits(void **unused)
{
	struct jsonflat f = { 0 };
	char text[4096];
	size_t n;

	nested(text, JSON_MAX_DEPTH - 1);
	assert_int_equal(parse(&f, text), 0);
	nested(text, JSON_MAX_DEPTH);
	assert_int_equal(parse(&f, text), -E2BIG);

	n = (size_t)snprintf(text, sizeof(text), "{");
	for (int i = 0; i <= JSONFLAT_MAX_MEMBERS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"m%d\":%d", i ? "," : "", i, i);
	snprintf(text + n, sizeof(text) - n, "}");
	assert_int_equal(parse(&f, text), -E2BIG);
	jsonflat_release(&f);
}

static void test_integers(void **unused)
{
	static const struct {
		const char *text;
		int err;
		int64_t value;
	} cases[] = {
		{ "{\"n\":0}", 0, 0 },
		{ "{\"n\":-7}", 0, -7 },
		{ "{\"n\":1764000000000}", 0, 1764000000000LL },
		{ "{\"n\":9007199254740992}", 0, 9007199254740992LL },
		{ "{\"n\":9007199254740993}", -EINVAL, 0 },
		{ "{\"n\":99999999999999999999999}", -EINVAL, 0 },
		{ "{\"n\":1.0}", 0, 1 },
		{ "{\"n\":1.5e3}", 0, 1500 },
		{ "{\"n\":1.5}", -EINVAL, 0 },
		{ "{\"n\":1e300}", -EINVAL, 0 },
		{ "{\"n\":\"1\"}", -EINVAL, 0 },
	};
	struct jsonflat f = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -1;

		print_message("%s\n", cases[i].text);
		assert_int_equal(parse(&f, cases[i].text), 0);
		assert_int_equal(jsonflat_int(jsonflat_get(&f, "n"), &v), cases[i].err);
		if (cases[i].err == 0)
			assert_int_equal(v, cases[i].value);
	}
	jsonflat_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_and_kinds),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_integers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
