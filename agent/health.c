/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "health.h"
#include "util/civil.h"
#include "util/log.h"

/* One datagram per event, so the service manager sees READY=1 and the
 * STATUS= that explains it together. */
static void send_state(const char *state)
{
	int r = sd_notify(0, state);

	if (r < 0)
		log_debug("sd_notify failed: %s, ignoring", strerror(-r));
}

static int format_time(int64_t ms, char *buf, size_t len)
{
	char utc[20];

	if (civil_format(ms, utc) < 0 || (size_t)snprintf(buf, len, "%s UTC", utc) >= len)
		return -EINVAL;
	return 0;
}

int health_format_status(const struct health_status *st, char *buf, size_t len)
{
	char when[64];
	size_t n = 0;
	int k;

	if (len == 0)
		return -ENOBUFS;
	if (st->last_poll_ms <= 0)
		k = snprintf(buf, len, "no poll yet");
	else if (format_time(st->last_poll_ms, when, sizeof(when)) < 0)
		k = snprintf(buf, len, "last poll at an invalid time");
	else if (st->last_poll_result == 0)
		k = snprintf(buf, len, "last poll %s ok", when);
	else
		k = snprintf(buf, len, "last poll %s failed: %s", when, strerror(-st->last_poll_result));
	if (k < 0 || (size_t)k >= len)
		return -ENOBUFS;
	n = (size_t)k;

	k = snprintf(buf + n, len - n, "; %zu request%s, %zu awaiting approval, %zu blocked", st->requests_seen,
		     st->requests_seen == 1 ? "" : "s", st->awaiting_approval, st->blocked);
	if (k < 0 || (size_t)k >= len - n)
		return -ENOBUFS;
	n += (size_t)k;

	if (st->next_escalation_ms > 0 && format_time(st->next_escalation_ms, when, sizeof(when)) == 0) {
		k = snprintf(buf + n, len - n, "; next escalation %s", when);
		if (k < 0 || (size_t)k >= len - n)
			return -ENOBUFS;
		n += (size_t)k;
	}
	if (st->reload_failed) {
		k = snprintf(buf + n, len - n, "; configuration reload failed, see the journal");
		if (k < 0 || (size_t)k >= len - n)
			return -ENOBUFS;
	}
	return 0;
}

/* Sends PREFIX followed by "STATUS=" and the status line. */
static void send_with_status(const char *prefix, const struct health_status *st)
{
	char line[512];
	char msg[600];

	if (health_format_status(st, line, sizeof(line)) < 0)
		log_debug("the status line was cut, sending what fits");
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, line);
	send_state(msg);
}

void health_ready(const struct health_status *st)
{
	send_with_status("READY=1\n", st);
}

void health_status(const struct health_status *st)
{
	send_with_status("", st);
}

void health_reloading(uint64_t now_usec)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading the configuration",
		 now_usec);
	send_state(msg);
}

void health_stopping(void)
{
	send_state("STOPPING=1\nSTATUS=stopping");
}

void health_extend_timeout(uint64_t usec, const char *what)
{
	char msg[512];

	if (what)
		snprintf(msg, sizeof(msg), "EXTEND_TIMEOUT_USEC=%" PRIu64 "\nSTATUS=%s", usec, what);
	else
		snprintf(msg, sizeof(msg), "EXTEND_TIMEOUT_USEC=%" PRIu64, usec);
	send_state(msg);
}

void health_watchdog(void)
{
	send_state("WATCHDOG=1");
}

int health_watchdog_usec(uint64_t *ret_usec)
{
	uint64_t usec = 0;
	int r = sd_watchdog_enabled(0, &usec);

	if (r < 0)
		return r;
	*ret_usec = r > 0 ? usec : 0;
	return 0;
}
