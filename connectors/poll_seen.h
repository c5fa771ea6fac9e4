/* SPDX-License-Identifier: Apache-2.0 */
/* The records an ITSM connector's recent polls delivered, so that the
 * overlap of the next poll (which reaches back poll_overlap, for clock
 * skew) does not deliver them again. A key starts with the record's change
 * time as "YYYY-MM-DD HH:MM:SS" and goes on with whatever tells one
 * delivery from another (the record's id, a hash of what was read).
 *
 * Only what the caller kept counts: a record changed after the watermark
 * the caller passes (SINCE) is delivered again even when it was delivered
 * before, because a caller that did not journal the watermark of that poll
 * (a cycle that failed after the poll, a request held back) asks for it
 * again by passing the older watermark. */
#ifndef ACCESSD_POLL_SEEN_H
#define ACCESSD_POLL_SEEN_H

#include <stddef.h>

struct poll_seen {
	char **keys;
	size_t n, cap;
};

/* Whether KEY was delivered and is not changed after SINCE ("YYYY-MM-DD
 * HH:MM:SS"; NULL: nothing counts as delivered). */
int poll_seen_has(const struct poll_seen *seen, const char *key, const char *since);

/* Remember KEY (copied): 0 or -ENOMEM. */
int poll_seen_add(struct poll_seen *seen, const char *key);

/* Forget the keys of records changed before LOW ("YYYY-MM-DD HH:MM:SS"):
 * the next poll does not reach back that far. */
void poll_seen_prune(struct poll_seen *seen, const char *low);

/* Free the keys; the structure may be used again. */
void poll_seen_free(struct poll_seen *seen);

#endif
