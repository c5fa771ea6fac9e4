/* What every accessctl command that reads the agent's state shares: the
 * journal replayed into a state, and the words for a file it cannot read
 * (who may read the state directory, and how to become one of them). */
#ifndef ACCESSD_CTL_STATE_H
#define ACCESSD_CTL_STATE_H

#include "store/journal.h"
#include "store/state.h"

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

/* Say on stderr that the scan of PATH stopped at damage. */
void ctl_state_damaged(const char *path, const struct journal_scan *scan);

#endif
