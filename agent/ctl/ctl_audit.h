/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "audit" commands: verify the hash chain of the audit file and
 * tell one request's story from it. */
#ifndef ACCESSD_CTL_AUDIT_H
#define ACCESSD_CTL_AUDIT_H

#include <stdio.h>

#include "store/audit.h"

/* The audit file when no PATH is given. */
#define CTL_AUDIT_DEFAULT_PATH LOCALSTATEDIR "/lib/accessd/" AUDIT_FILE_NAME

/* Run "audit ARGV[1]..." (ARGV[0] is "audit"). Returns the exit status:
 * EXIT_OK, EXIT_RUNTIME (broken chain, unreadable file, nothing found) or
 * EXIT_USAGE. */
int ctl_audit(int argc, char **argv);

/* The audit commands' lines for accessctl --help. */
void ctl_audit_usage(FILE *out);

#endif
