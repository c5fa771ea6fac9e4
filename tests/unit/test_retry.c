/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_env.h"
#include "net/retry.h"

static const struct retry_config cfg = {
	.max_attempts = 5,
	.initial_backoff_ms = 500,
	.max_backoff_ms = 4000,
	.budget_ms = 10000,
};

static void test_backoff_doubles_up_to_the_cap_with_full_jitter(void **state)
{
	(void)state;
	/* The largest draw gives the ceiling of each attempt. */
	assert_int_equal(retry_backoff_ms(&cfg, 1, UINT32_MAX), UINT32_MAX % 501);
	assert_int_equal(retry_backoff_ms(&cfg, 1, 500), 500);
	assert_int_equal(retry_backoff_ms(&cfg, 2, 1000), 1000);
	assert_int_equal(retry_backoff_ms(&cfg, 3, 2000), 2000);
	assert_int_equal(retry_backoff_ms(&cfg, 4, 4000), 4000);
	assert_int_equal(retry_backoff_ms(&cfg, 30, 4000), 4000);
	assert_int_equal(retry_backoff_ms(&cfg, 30, 4001), 0);
	/* Full jitter: any value from 0 up. */
	assert_int_equal(retry_backoff_ms(&cfg, 3, 0), 0);
	assert_int_equal(retry_backoff_ms(&cfg, 3, 1234), 1234);
	for (uint32_t rnd = 0; rnd < 100000; rnd += 997)
		assert_in_range(retry_backoff_ms(&cfg, 9, rnd), 0, 4000);
}

static void test_retry_after_seconds_and_dates(void **state)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT */
	const int64_t then = 784111777LL * 1000;
	int64_t ms = -1;

	(void)state;
	assert_int_equal(retry_after_parse("120", 0, &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(retry_after_parse("0", 0, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", then - 3000, &ms), 0);
	assert_int_equal(ms, 3000);
	assert_int_equal(retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", then - 1000, &ms), 0);
	assert_int_equal(ms, 1000);
	assert_int_equal(retry_after_parse("Sun Nov  6 08:49:37 1994", then - 2000, &ms), 0);
	assert_int_equal(ms, 2000);
	/* A date in the past: no wait. */
	assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", then + 5000, &ms), 0);
	assert_int_equal(ms, 0);
	ms = 7;
	assert_int_equal(retry_after_parse("", 0, &ms), -EINVAL);
	assert_int_equal(retry_after_parse(NULL, 0, &ms), -EINVAL);
	assert_int_equal(retry_after_parse("12abc", 0, &ms), -EINVAL);
	assert_int_equal(retry_after_parse("-5", 0, &ms), -EINVAL);
	assert_int_equal(retry_after_parse("99999999999999999999", 0, &ms), -EINVAL);
	assert_int_equal(retry_after_parse("soon", 0, &ms), -EINVAL);
	assert_int_equal(ms, 7);
}

/* One cap for every connector: a wait longer than a day is not believed,
 * whichever way it is written. */
static void test_retry_after_is_believed_for_a_day_at_most(void **state)
{
	const int64_t now = 784111777LL * 1000;
	int64_t ms = -1;

	(void)state;
	assert_int_equal(retry_after_parse("86400", 0, &ms), 0);
	assert_int_equal(ms, RETRY_AFTER_MAX_MS);
	ms = 7;
	assert_int_equal(retry_after_parse("86401", 0, &ms), -EINVAL);
	assert_int_equal(retry_after_parse("604800", 0, &ms), -EINVAL);
	/* Sun, 06 Nov 1994 08:49:37 GMT, seen from a day, and from a day
	 * and a second, before. */
	assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", now - 86400000 - 1000, &ms), -EINVAL);
	assert_int_equal(ms, 7);
	assert_int_equal(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", now - 86400000, &ms), 0);
	assert_int_equal(ms, RETRY_AFTER_MAX_MS);
}

static void test_next_wait_prefers_retry_after_and_keeps_the_budget(void **state)
{
	struct fake_env f;
	int64_t wait = -1;

	(void)state;
	fake_env_init(&f, 1000000);
	f.random = 300;
	assert_int_equal(retry_next_wait(&cfg, &f.env, 1, NULL, 0, &wait), 0);
	assert_int_equal(wait, 300);
	assert_int_equal(retry_next_wait(&cfg, &f.env, 1, "7", 0, &wait), 0);
	assert_int_equal(wait, 7000);
	/* Unparseable Retry-After: the backoff. */
	assert_int_equal(retry_next_wait(&cfg, &f.env, 2, "later", 0, &wait), 0);
	assert_int_equal(wait, 300);
	/* Past the budget: no retry, WAIT untouched. */
	wait = -1;
	assert_int_equal(retry_next_wait(&cfg, &f.env, 1, "11", 0, &wait), -ETIME);
	assert_int_equal(retry_next_wait(&cfg, &f.env, 1, "3", 8000, &wait), -ETIME);
	assert_int_equal(wait, -1);
	assert_int_equal(retry_next_wait(&cfg, &f.env, 1, "2", 8000, &wait), 0);
	assert_int_equal(wait, 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_up_to_the_cap_with_full_jitter),
		cmocka_unit_test(test_retry_after_seconds_and_dates),
		cmocka_unit_test(test_retry_after_is_believed_for_a_day_at_most),
		cmocka_unit_test(test_next_wait_prefers_retry_after_and_keeps_the_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
