/* SPDX-License-Identifier: Apache-2.0 */
/* What every accessctl command that reads the agent's state shares: the
 * journal replayed into a state, and the words for a file it cannot read
 * (who may read the state directory, and how to become one of them). */
#ifndef ACCESSD_CTL_STATE_H
#define ACCESSD_CTL_STATE_H

#include <cjson/cJSON.h>

#include "store/journal.h"
#include "store/state.h"

/* The state directory when none is given. */
#define CTL_STATE_DEFAULT_DIR LOCALSTATEDIR "/lib/accessd"

/* Say on stderr that PATH cannot be read (R, a negative errno): for a
 * permission denied, also that the state directory is readable by root and
 * by the members of its group, and how to join it. Returns EXIT_RUNTIME. */
int ctl_read_error(const char *path, int r);

/* Replay the journal file PATH into a new state. Returns 0 with *RET
 * (state_free) and *SCAN, or a negative errno (-ENOENT: no journal yet,
 * the agent has not started), reported by the caller. */
int ctl_state_load(const char *path, struct state **ret, struct journal_scan *scan);

/* Whether R (from ctl_state_load of PATH) means the agent has not started
 * yet: PATH is the journal's usual name in a directory that exists, and
 * there is no journal. */
int ctl_state_not_started(const char *path, int r);

/* The agent's status file in the state directory DIR (status_file.h),
 * parsed. Returns 0 and *RET (cJSON_Delete), or a negative errno (-ENOENT:
 * the agent has not finished a cycle there yet; -EBADMSG: not JSON). */
int ctl_status_file_read(const char *dir, cJSON **ret);

/* Whether the process PID runs accessd now: it exists (a process of
 * another user counts) and, where /proc tells, its name is accessd. */
int ctl_daemon_running(long pid);

/* The approvers asked in SR's current stage who have not decided yet,
 * up to MAX of them into WHO (pointing into SR). Returns how many. */
size_t ctl_waiting_for(const struct state_request *sr, const char **who, size_t max);

/* MS in UTC as "YYYY-MM-DD HH:MM:SS", or with ISO as "YYYY-MM-DDTHH:MM:SSZ",
 * into BUF; NULL for 0 (never). */
const char *ctl_utc(int64_t ms, int iso, char buf[24]);

/* Add the string member NAME to O, or null when VALUE is NULL. Returns 0
 * when out of memory, else 1. */
int ctl_add_str(cJSON *o, const char *name, const char *value);

/* Say on stderr that the scan of PATH stopped at damage. */
void ctl_state_damaged(const char *path, const struct journal_scan *scan);

#endif
