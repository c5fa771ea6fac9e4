/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <time.h>

#include "clock.h"

static int64_t system_now_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct clock clock_system = { .now_ms = system_now_ms, .ctx = 0 };
