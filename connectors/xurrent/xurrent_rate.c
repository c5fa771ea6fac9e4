/* SPDX-License-Identifier: Apache-2.0 */
/* Staying under Xurrent's rate limits before they bite. Two limits apply
 * to the token's person: 3,600 requests an hour, which every answer
 * states (X-RateLimit-Limit, -Remaining, and -Reset in epoch seconds), and
 * a burst limit of 20 requests in 2 seconds, which no header states. So
 * the connector keeps the times of its own last requests and waits before
 * one that would make BURST in the window (19 by default, as the works4me
 * client does), and once an answer says the hour has no more than the
 * reserve left, it sends nothing until the hour resets: the call fails with
 * -EAGAIN and the cycle is tried again later. The reserve leaves room for
 * the people and integrations that share the person's limit. A 429 that
 * gets through anyway is retried by http_send after its Retry-After. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/civil.h"
#include "util/log.h"
#include "xurrent.h"

/* Waited beyond the window: the server counts a request when it arrives,
 * a little after it was sent, and the clock has whole milliseconds. */
#define XR_BURST_MARGIN_MS 100

const char *const xr_rate_headers[] = { "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", NULL };

/* A header value as a whole number, or -1. */
static long header_number(const struct http_response *resp, const char *name)
{
	const char *v = http_response_header(resp, name);
	char *end;
	long n;

	if (!v || *v < '0' || *v > '9')
		return -1;
	n = strtol(v, &end, 10);
	return *end == '\0' && n >= 0 && n < 4000000000L ? n : -1;
}

static int rate_before(void *ctx)
{
	struct xr_rate *rate = ctx;
	int64_t now = clock_now(rate->env->clock), oldest;
	char when[20];

	if (rate->reset_ms && now >= rate->reset_ms) {
		rate->remaining = -1;
		rate->reset_ms = 0;
		if (rate->held)
			log_info("xurrent: the hourly rate limit has reset; requests resume");
		rate->held = 0;
	}
	if (rate->reset_ms && rate->remaining >= 0 && rate->remaining <= rate->reserve) {
		if (!rate->held) {
			if (civil_format(rate->reset_ms, when) < 0)
				strcpy(when, "?");
			log_warnx("xurrent: %ld requests of this hour's limit are left, the reserve of %d is reached; "
				  "nothing is sent until it resets at %s UTC",
				  rate->remaining, rate->reserve, when);
			rate->held = 1;
		}
		return -EAGAIN;
	}
	if (rate->n == (size_t)rate->burst) {
		oldest = rate->sent[rate->next];
		if (now - oldest < rate->window_ms + XR_BURST_MARGIN_MS) {
			rate->env->sleep_ms(rate->env->ctx, rate->window_ms + XR_BURST_MARGIN_MS - (now - oldest));
			now = clock_now(rate->env->clock);
		}
	} else {
		rate->n++;
	}
	rate->sent[rate->next] = now;
	rate->next = (rate->next + 1) % (size_t)rate->burst;
	return 0;
}

static void rate_after(void *ctx, const struct http_response *resp)
{
	struct xr_rate *rate = ctx;
	long remaining = header_number(resp, "X-RateLimit-Remaining");
	long reset = header_number(resp, "X-RateLimit-Reset");

	if (remaining < 0 || reset < 0)
		return;
	rate->remaining = remaining;
	rate->reset_ms = (int64_t)reset * 1000;
}

int xr_rate_init(struct xr_rate *rate, const struct xr_settings *set, const struct retry_env *env,
		 struct http_client *http)
{
	struct http_pacer pacer = { rate_before, rate_after, rate };

	memset(rate, 0, sizeof(*rate));
	rate->env = env;
	rate->burst = set->burst > 0 ? set->burst : 1;
	rate->window_ms = set->burst_window_ms;
	rate->reserve = set->hourly_reserve;
	rate->remaining = -1;
	rate->sent = calloc((size_t)rate->burst, sizeof(*rate->sent));
	if (!rate->sent)
		return -ENOMEM;
	http_client_set_pacer(http, &pacer);
	return 0;
}

void xr_rate_free(struct xr_rate *rate)
{
	free(rate->sent);
	rate->sent = NULL;
}
