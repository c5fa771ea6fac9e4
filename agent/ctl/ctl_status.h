/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "status" command: the agent at a glance. */
#ifndef ACCESSD_CTL_STATUS_H
#define ACCESSD_CTL_STATUS_H

#include <stdio.h>

/* Run "status [--json] [DIR]" (ARGV[0] is "status"). Returns the exit
 * status: EXIT_OK (also before the first start), EXIT_RUNTIME when the
 * journal cannot be read or is damaged, EXIT_USAGE. */
int ctl_status(int argc, char **argv);

/* The command's lines for accessctl --help. */
void ctl_status_usage(FILE *out);

#endif
