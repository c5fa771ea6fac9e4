/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <string.h>

#include "fake_env.h"

static int64_t fake_now(void *ctx)
{
	return ((struct fake_env *)ctx)->now_ms;
}

static void fake_sleep(void *ctx, int64_t ms)
{
	struct fake_env *f = ctx;

	if (f->n_sleeps < FAKE_ENV_MAX_SLEEPS)
		f->sleeps[f->n_sleeps++] = ms;
	f->now_ms += ms;
}

static uint32_t fake_random(void *ctx)
{
	return ((struct fake_env *)ctx)->random;
}

void fake_env_init(struct fake_env *f, int64_t now_ms)
{
	memset(f, 0, sizeof(*f));
	f->now_ms = now_ms;
	f->random = 0xffffffffu;
	f->clock = (struct clock){ .now_ms = fake_now, .ctx = f };
	f->env = (struct retry_env){ .clock = &f->clock, .sleep_ms = fake_sleep, .random = fake_random, .ctx = f };
}
