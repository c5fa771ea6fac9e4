/* SPDX-License-Identifier: Apache-2.0 */
/* Text helpers: lists of names for a sentence end in "and N more" rather
 * than cut a name. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/text.h"

static void expect_list(const char *const *v, size_t n, size_t max, const char *want)
{
	char *got = text_list(v, n, max);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_lists_join_for_a_sentence(void **state)
{
	static const char *const names[] = { "Mia (mia@contoso.example)", "Sam (sam@contoso.example)",
					     "Victor (victor@contoso.example)" };

	(void)state;
	expect_list(names, 0, 100, "");
	expect_list(names, 1, 100, "Mia (mia@contoso.example)");
	expect_list(names, 2, 100, "Mia (mia@contoso.example) and Sam (sam@contoso.example)");
	expect_list(names, 3, 200,
		    "Mia (mia@contoso.example), Sam (sam@contoso.example) and Victor (victor@contoso.example)");
}

/* Exactly at the limit all fit; a byte less and the last becomes a count;
 * the first name is given whole even past the limit. */
static void test_lists_never_cut_a_name(void **state)
{
	static const char *const names[] = { "aaaa", "bbbb", "cccc", "dddd" };
	size_t all = strlen("aaaa, bbbb, cccc and dddd");

	(void)state;
	expect_list(names, 4, all, "aaaa, bbbb, cccc and dddd");
	expect_list(names, 4, all - 1, "aaaa, bbbb and 2 more");
	expect_list(names, 4, strlen("aaaa and 3 more"), "aaaa and 3 more");
	expect_list(names, 4, 3, "aaaa and 3 more");
	expect_list(names, 2, 3, "aaaa and 1 more");
	for (size_t max = 0; max < all + 2; max++) {
		char *got = text_list(names, 4, max);

		assert_non_null(got);
		assert_true(strlen(got) <= max || strcmp(got, "aaaa and 3 more") == 0);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists_join_for_a_sentence),
		cmocka_unit_test(test_lists_never_cut_a_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
