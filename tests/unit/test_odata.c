/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/entra/odata.h"
#include "util/text.h"

static void test_guid(void **state)
{
	(void)state;
	assert_true(text_is_guid("0f8fad5b-d9cb-469f-a165-70867728950e"));
	assert_true(text_is_guid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
	assert_false(text_is_guid("0f8fad5b-d9cb-469f-a165-70867728950"));
	assert_false(text_is_guid("0f8fad5b-d9cb-469f-a165-70867728950e0"));
	assert_false(text_is_guid("0f8fad5bxd9cb-469f-a165-70867728950e"));
	assert_false(text_is_guid("0f8fad5b-d9cb-469f-a165-7086772895/e"));
	assert_false(text_is_guid("../../groups/0f8fad5b-d9cb-469f-a1"));
	assert_false(text_is_guid(""));
	assert_false(text_is_guid(NULL));
}

static void test_base64url(void **state)
{
	(void)state;
	assert_true(odata_is_base64url("2jM4ab3yb0eAlMu9eFOkjh4MnMwLMyhLqZ3C1Xan-mo"));
	assert_true(odata_is_base64url("abc_DEF-0123456789"));
	assert_false(odata_is_base64url("2jM4ab3yb0eAlMu9eFOkjh4MnMwLMyhLqZ3C1Xan+mo"));
	assert_false(odata_is_base64url("2jM4ab3yb0eAlMu9eFOkjh4MnMwLMyhLqZ3C1Xan=="));
	assert_false(odata_is_base64url("2jM4ab3yb0eAlMu9/../eFOkjh4MnMwLMyhLqZ3C1Xan"));
	assert_false(odata_is_base64url("short"));
	assert_false(odata_is_base64url(NULL));
}

static void expect_path(const char *in, const char *want)
{
	char *out = NULL;

	assert_int_equal(odata_user_path(in, &out), 0);
	assert_string_equal(out, want);
	free(out);
}

static void expect_refused(const char *in)
{
	char *out = NULL;

	assert_int_equal(odata_user_path(in, &out), -EINVAL);
	assert_null(out);
}

static void test_user_path(void **state)
{
	(void)state;
	expect_path("0f8fad5b-d9cb-469f-a165-70867728950e", "users/0f8fad5b-d9cb-469f-a165-70867728950e");
	expect_path("ada.lovelace@contoso.com", "users/ada.lovelace@contoso.com");
	expect_path("o'brien@contoso.com", "users/o%27brien@contoso.com");
	expect_path("a#b@contoso.com", "users/a%23b@contoso.com");
	expect_path("$adm@contoso.com", "users('$adm@contoso.com')");
	expect_path("$o'x@contoso.com", "users('$o%27%27x@contoso.com')");
	/* Hostile values cannot leave the segment or add a query. */
	expect_refused("../groups/x@contoso.com");
	expect_refused("a/b@contoso.com");
	expect_refused("a?$select=id@contoso.com");
	expect_refused("a@contoso.com?$filter=x");
	expect_refused("a b@contoso.com");
	expect_refused("a%2Fb@contoso.com");
	expect_refused("a@b@contoso.com");
	expect_refused("no-at-sign");
	expect_refused("x$@contoso.com");
	expect_refused("a\n@contoso.com");
	expect_refused("");
}

static void test_string_literal(void **state)
{
	char *out = NULL;
	char long_value[ODATA_MAX_NAME + 2];

	(void)state;
	assert_int_equal(odata_string_literal("ada@contoso.com", &out), 0);
	assert_string_equal(out, "'ada@contoso.com'");
	free(out);
	/* A quote is doubled, so it cannot end the literal; & and # cannot
	 * start a new parameter or a fragment. */
	assert_int_equal(odata_string_literal("x' or mail ne 'y", &out), 0);
	assert_string_equal(out, "'x%27%27%20or%20mail%20ne%20%27%27y'");
	free(out);
	assert_int_equal(odata_string_literal("a&$top=999#@x", &out), 0);
	assert_string_equal(out, "'a%26$top%3D999%23@x'");
	free(out);
	out = NULL;
	assert_int_equal(odata_string_literal("a\r\nb", &out), -EINVAL);
	assert_int_equal(odata_string_literal("", &out), -EINVAL);
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	assert_int_equal(odata_string_literal(long_value, &out), -EINVAL);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_user_path),
		cmocka_unit_test(test_string_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
