/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "retry.h"

static void system_sleep(void *ctx, int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	(void)ctx;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* xorshift64*: jitter needs spread, not secrecy. Seeded once from getrandom
 * so that agents restarted together do not retry in step. */
static uint32_t system_random(void *ctx)
{
	static uint64_t state;

	(void)ctx;
	while (state == 0)
		if (getrandom(&state, sizeof(state), 0) != sizeof(state))
			state = 0x9e3779b97f4a7c15ull;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dull) >> 32);
}

const struct retry_env retry_env_system = {
	.clock = &clock_system,
	.sleep_ms = system_sleep,
	.random = system_random,
};

int64_t retry_backoff_ms(const struct retry_config *cfg, int attempt, uint32_t rnd)
{
	int64_t cap = cfg->initial_backoff_ms > 0 ? cfg->initial_backoff_ms : 0;

	for (int i = 1; i < attempt && cap < cfg->max_backoff_ms; i++)
		cap *= 2;
	if (cap > cfg->max_backoff_ms)
		cap = cfg->max_backoff_ms;
	if (cap <= 0)
		return 0;
	return (int64_t)(rnd % (uint64_t)(cap + 1));
}

int retry_after_parse(const char *value, int64_t now_ms, int64_t *ret_ms)
{
	char *end;
	long long secs;
	int64_t wait;
	time_t when;

	if (!value || !*value)
		return -EINVAL;
	if (value[0] >= '0' && value[0] <= '9') {
		errno = 0;
		secs = strtoll(value, &end, 10);
		if (errno || *end || secs > RETRY_AFTER_MAX_MS / 1000)
			return -EINVAL;
		*ret_ms = secs * 1000;
		return 0;
	}
	/* curl_getdate parses the three HTTP date formats; it does not read
	 * the clock for absolute dates. */
	when = curl_getdate(value, NULL);
	if (when < 0)
		return -EINVAL;
	wait = (int64_t)when * 1000 > now_ms ? (int64_t)when * 1000 - now_ms : 0;
	if (wait > RETRY_AFTER_MAX_MS)
		return -EINVAL;
	*ret_ms = wait;
	return 0;
}

int retry_next_wait(const struct retry_config *cfg, const struct retry_env *env, int attempt,
		    const char *retry_after, int64_t waited_ms, int64_t *ret_ms)
{
	int64_t wait;

	if (retry_after_parse(retry_after, clock_now(env->clock), &wait) < 0)
		wait = retry_backoff_ms(cfg, attempt, env->random(env->ctx));
	if (waited_ms + wait > cfg->budget_ms)
		return -ETIME;
	*ret_ms = wait;
	return 0;
}
