/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "explain" command: what accessd would do with one request,
 * and why, from the live ticket and directory, writing nothing
 * (explain.h). */
#ifndef ACCESSD_CTL_EXPLAIN_H
#define ACCESSD_CTL_EXPLAIN_H

#include <stdio.h>

/* Run "explain [-c FILE] [--credentials-directory DIR] REQUEST" (ARGV[0]
 * is "explain"). Returns the exit status: EXIT_OK, EXIT_RUNTIME (no such
 * request, the ITSM or the journal unreadable), or EXIT_USAGE (also a
 * configuration that does not load, or a secret that cannot be read). */
int ctl_explain(int argc, char **argv);

/* The command's lines for accessctl --help. */
void ctl_explain_usage(FILE *out);

#endif
