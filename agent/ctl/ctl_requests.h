/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "requests" command: the requests in the journal, what each
 * waits for. */
#ifndef ACCESSD_CTL_REQUESTS_H
#define ACCESSD_CTL_REQUESTS_H

#include <stdio.h>

/* Run "requests [--all] [--json] [PATH]" (ARGV[0] is "requests"). Returns
 * the exit status: EXIT_OK (also when there is no journal yet: nothing has
 * started), EXIT_RUNTIME when the journal is unreadable or damaged (the
 * requests before the damage are listed), or EXIT_USAGE. */
int ctl_requests(int argc, char **argv);

/* The command's lines for accessctl --help. */
void ctl_requests_usage(FILE *out);

#endif
