/* SPDX-License-Identifier: Apache-2.0 */
/* What the service manager knows of the agent. Every sd_notify call lives in
 * health.c (after Knot's systemd.c), so the protocol is in one place. Without
 * NOTIFY_SOCKET (not started by systemd, or not Type=notify) every call does
 * nothing; a failed notification is logged at debug level and ignored, since
 * the agent's work does not depend on it. */
#ifndef ACCESSD_HEALTH_H
#define ACCESSD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The facts the one STATUS= line shows. The loop fills the poll fields, the
 * workflow the request counts and the next escalation. */
struct health_status {
	int64_t last_poll_ms;       /* wall clock of the last finished poll; 0: none yet */
	int last_poll_result;       /* 0, or the negative errno it failed with */
	int64_t last_ok_poll_ms;    /* wall clock of the last poll that succeeded; 0: none */
	size_t requests_seen;       /* governed requests the last poll found */
	size_t awaiting_approval;   /* requests waiting for an approver */
	size_t blocked;             /* requests the policy or a failure holds */
	int64_t next_escalation_ms; /* wall clock of the next reminder; 0: none */
	bool reload_failed;         /* the last reload was refused: the old configuration runs */
};

/* Write ST as one line for an operator into BUF (LEN bytes, NUL-terminated),
 * e.g. "last poll 2026-11-25 07:41:02 UTC ok; 3 requests, 1 awaiting
 * approval, 0 blocked; next escalation 2026-11-26 09:00:00 UTC", ending in
 * "; configuration reload failed, see the journal" after a refused reload.
 * Returns 0, or -ENOBUFS when LEN is too small (BUF then holds a cut line). */
int health_format_status(const struct health_status *st, char *buf, size_t len);

/* The configuration is valid and the state is loaded: READY=1 with STATUS=. */
void health_ready(const struct health_status *st);

/* STATUS= alone, after a poll or when the counts change. */
void health_status(const struct health_status *st);

/* Start of a reload (SIGHUP): RELOADING=1 and MONOTONIC_USEC=NOW_USEC, the
 * CLOCK_MONOTONIC time the reload began (systemd >= 253 matches it to the
 * reload it asked for). Follow with health_ready() whatever the outcome. */
void health_reloading(uint64_t now_usec);

/* The agent is stopping: STOPPING=1. Send it once the action in flight is
 * finished or safely abandoned. */
void health_stopping(void);

/* Ask for USEC more before the start (or stop) times out, with WHAT as the
 * STATUS= line (NULL: none), e.g. while a long journal is replayed. Call it
 * again before USEC has passed to extend once more. */
void health_extend_timeout(uint64_t usec, const char *what);

/* WATCHDOG=1: the loop is turning. Only the event loop calls it. */
void health_watchdog(void);

/* Whether systemd expects watchdog pings (WATCHDOG_USEC, and WATCHDOG_PID
 * naming this process when set). Returns 0 and the interval in *RET_USEC,
 * 0 when no pings are expected, or a negative errno for a malformed
 * variable (*RET_USEC untouched). */
int health_watchdog_usec(uint64_t *ret_usec);

#endif
