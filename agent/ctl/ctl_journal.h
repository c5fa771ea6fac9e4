/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "journal" commands: check the journal and print its records. */
#ifndef ACCESSD_CTL_JOURNAL_H
#define ACCESSD_CTL_JOURNAL_H

#include <stdio.h>

#include "ctl_state.h"
#include "store/journal.h"

/* The journal when no PATH is given. */
#define CTL_JOURNAL_DEFAULT_PATH CTL_STATE_DEFAULT_DIR "/" JOURNAL_FILE_NAME

/* Run "journal verify|dump [PATH]" (ARGV[0] is "journal"). Returns the exit
 * status: EXIT_OK when the journal is sound, EXIT_RUNTIME when it is
 * damaged or unreadable, EXIT_USAGE. */
int ctl_journal(int argc, char **argv);

/* PATH names the journal file, or the state directory holding it. Returns
 * the journal file's path, which the caller frees, or NULL without memory. */
char *ctl_journal_path(const char *path);

/* The journal commands' lines for accessctl --help. */
void ctl_journal_usage(FILE *out);

#endif
