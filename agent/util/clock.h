/* SPDX-License-Identifier: Apache-2.0 */
/* Time is injected: the core asks a struct clock, never the system, so tests
 * can run a 24-hour escalation in milliseconds. Only clock.c reads the real
 * clock. Times are milliseconds since the Unix epoch, UTC. */
#ifndef ACCESSD_CLOCK_H
#define ACCESSD_CLOCK_H

#include <stdint.h>

struct clock {
	int64_t (*now_ms)(void *ctx);
	void *ctx;
};

static inline int64_t clock_now(const struct clock *c)
{
	return c->now_ms(c->ctx);
}

/* The wall clock (CLOCK_REALTIME). */
extern const struct clock clock_system;

#endif
