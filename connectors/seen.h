/* SPDX-License-Identifier: Apache-2.0 */
/* The records an ITSM connector delivered in recent polls, so that the
 * overlap the next poll reaches back over (itsm.h) does not deliver them
 * again. A key starts with the record's change time in UTC, "YYYY-MM-DD
 * HH:MM:SS", followed by whatever tells the record apart ("|<id>"). */
#ifndef ACCESSD_SEEN_H
#define ACCESSD_SEEN_H

#include <stddef.h>

struct itsm_seen {
	char **keys;
	size_t n, cap;
};

/* Whether KEY was added. */
int itsm_seen_has(const struct itsm_seen *seen, const char *key);

/* Add a copy of KEY. 0 or -ENOMEM. */
int itsm_seen_add(struct itsm_seen *seen, const char *key);

/* Forget the keys whose time is before LOW ("YYYY-MM-DD HH:MM:SS"): the
 * next poll does not reach back that far. */
void itsm_seen_prune(struct itsm_seen *seen, const char *low);

/* Free the keys and empty SEEN. */
void itsm_seen_free(struct itsm_seen *seen);

#endif
