/* SPDX-License-Identifier: Apache-2.0 */
/* A retry environment for tests: a clock that only moves when told or when
 * slept on, sleeps that are recorded instead of taken, and a fixed random
 * number, so retry timing is asserted exactly and runs in no time. */
#ifndef ACCESSD_TEST_FAKE_ENV_H
#define ACCESSD_TEST_FAKE_ENV_H

#include <stdint.h>

#include "net/retry.h"

#define FAKE_ENV_MAX_SLEEPS 64

struct fake_env {
	struct clock clock;
	struct retry_env env;
	int64_t now_ms;
	uint32_t random; /* what every draw returns */
	int64_t sleeps[FAKE_ENV_MAX_SLEEPS];
	int n_sleeps;
};

/* Set F up at NOW_MS (the emulator's HTTP dates need the real time). */
void fake_env_init(struct fake_env *f, int64_t now_ms);

#endif
