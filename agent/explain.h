/* SPDX-License-Identifier: Apache-2.0 */
/* What accessd would do with a request, and why, told to a person and
 * touching nothing: `accessctl explain REQUEST` and `accessd --dry-run
 * --once`. It reads the live ticket and the live directory (GET requests,
 * and the token requests reading needs), reads the journal as a file, and
 * evaluates with the pure core: the verdict and its sentences, the
 * approval chain with every substitution and why, each stage's rule,
 * deadlines, the grant's steps, and the exact actions the next cycle would
 * take. It writes no journal record, no audit line, no status or metrics
 * file, and nothing to the ITSM, the directory or Teams. */
#ifndef ACCESSD_EXPLAIN_H
#define ACCESSD_EXPLAIN_H

#include <stdio.h>

struct agent;

/* Tell OUT about the request NUMBER of A's ITSM: what the
 * policy says of it now, what the journal holds, and what the next cycle
 * would do. A's state is read from its journal file. Returns 0, -ENOENT
 * when the ITSM has no such request among the governed items (said on
 * OUT), or another negative errno (logged). */
int explain_one(struct agent *a, const char *number, FILE *out);

/* accessd --dry-run --once: tell OUT what one cycle would do now, for every
 * request the poll would bring and every journaled request with a deadline
 * due. Returns 0 or a negative errno (logged). */
int explain_dry_run(struct agent *a, FILE *out);

#endif
