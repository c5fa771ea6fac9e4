/* SPDX-License-Identifier: Apache-2.0 */
/* The one hash: FNV-1a as its authors define it. The digest of a request
 * and the tag of a person in an action id are journaled, so these values
 * must never change. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/hash.h"

static void test_fnv1a_vectors(void **state)
{
	(void)state;
	/* From the FNV reference test suite. */
	assert_true(hash_fnv32(HASH_FNV32_INIT, "", 0) == UINT32_C(0x811c9dc5));
	assert_true(hash_fnv32(HASH_FNV32_INIT, "a", 1) == UINT32_C(0xe40c292c));
	assert_true(hash_fnv32(HASH_FNV32_INIT, "foobar", 6) == UINT32_C(0xbf9cf968));
	assert_true(hash_fnv64(HASH_FNV64_INIT, "", 0) == UINT64_C(0xcbf29ce484222325));
	assert_true(hash_fnv64(HASH_FNV64_INIT, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
	assert_true(hash_fnv64(HASH_FNV64_INIT, "foobar", 6) == UINT64_C(0x85944171f73967e8));
	/* Continued in pieces, the same as at once. */
	assert_true(hash_fnv64(hash_fnv64(HASH_FNV64_INIT, "foo", 3), "bar", 3) ==
		    hash_fnv64(HASH_FNV64_INIT, "foobar", 6));
	assert_true(hash_fnv32(hash_fnv32(HASH_FNV32_INIT, "foo", 3), "bar", 3) ==
		    hash_fnv32(HASH_FNV32_INIT, "foobar", 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv1a_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
