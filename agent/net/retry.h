/* SPDX-License-Identifier: Apache-2.0 */
/* Retry timing for transient failures: exponential backoff with full jitter
 * (a random wait between 0 and min(max_backoff, initial * 2^(n-1))), a
 * server's Retry-After (seconds or an HTTP date) taking precedence, and the
 * sum of all waits of one request bounded by the budget.
 *
 * The sleep, the clock and the random source are injected (struct retry_env)
 * so tests run a 60-second budget in milliseconds. */
#ifndef ACCESSD_RETRY_H
#define ACCESSD_RETRY_H

#include <stdint.h>

#include "conf/conf.h"
#include "util/clock.h"

struct retry_env {
	const struct clock *clock;
	/* Wait MS milliseconds. */
	void (*sleep_ms)(void *ctx, int64_t ms);
	/* A uniformly distributed 32-bit random number. */
	uint32_t (*random)(void *ctx);
	void *ctx;
};

/* The real clock, nanosleep and a process-wide PRNG seeded from getrandom. */
extern const struct retry_env retry_env_system;

/* The jittered wait before retry number ATTEMPT (1 for the first retry),
 * given the random number RND: in [0, min(max_backoff, initial * 2^(ATTEMPT-1))]. */
int64_t retry_backoff_ms(const struct retry_config *cfg, int attempt, uint32_t rnd);

/* The longest wait a Retry-After is believed for. The throttles accessd
 * meets reset within an hour (Graph in seconds, Freshservice per minute,
 * ServiceNow's rate rules and Xurrent's token budget per hour); a day
 * leaves room for a maintenance window, and anything longer is more likely
 * a broken proxy than a plan: waiting a week for it would stall every
 * request, so the ordinary backoff applies instead. */
#define RETRY_AFTER_MAX_MS (86400 * INT64_C(1000))

/* The one parser of Retry-After, for every connector: delta-seconds
 * ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to
 * NOW_MS. Returns 0 and the wait in milliseconds (0 for a date in the
 * past), or -EINVAL for anything else or a wait over RETRY_AFTER_MAX_MS. */
int retry_after_parse(const char *value, int64_t now_ms, int64_t *ret_ms);

/* The wait before retry ATTEMPT: Retry-After when the server sent one that
 * parses (RETRY_AFTER may be NULL), else the jittered backoff. Returns 0 and
 * the wait, or -ETIME when that wait would take the total past the budget
 * (WAITED_MS is what was already waited for this request). */
int retry_next_wait(const struct retry_config *cfg, const struct retry_env *env, int attempt,
		    const char *retry_after, int64_t waited_ms, int64_t *ret_ms);

#endif
