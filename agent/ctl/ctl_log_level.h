/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "log-level" command: change the running agent's log level
 * without editing the configuration or reloading it. */
#ifndef ACCESSD_CTL_LOG_LEVEL_H
#define ACCESSD_CTL_LOG_LEVEL_H

#include <stdio.h>

/* Run "log-level LEVEL [DIR]" (ARGV[0] is "log-level"): send the agent
 * whose status file is in DIR SIGUSR2 with LEVEL as its value, and wait
 * for its status file to show it. Returns the exit status: EXIT_OK,
 * EXIT_RUNTIME (not running, not allowed to signal it, no answer), or
 * EXIT_USAGE. */
int ctl_log_level(int argc, char **argv);

/* The command's lines for accessctl --help. */
void ctl_log_level_usage(FILE *out);

#endif
