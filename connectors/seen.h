/* SPDX-License-Identifier: Apache-2.0 */
/* The records an ITSM connector delivered in recent polls, so that the
 * overlap the next poll reaches back over (itsm.h) does not deliver them
 * again. A key starts with the record's change time in UTC, "YYYY-MM-DD
 * HH:MM:SS", followed by whatever tells the record apart ("|<id>").
 *
 * A record delivered counts as seen only once the caller has kept what the
 * poll brought: that is, when the next poll starts from the watermark this
 * one handed back. A caller that could not keep it (its cycle failed after
 * the poll, or the poll itself failed half way) polls again from the older
 * watermark, and then gets those records again rather than never. */
#ifndef ACCESSD_SEEN_H
#define ACCESSD_SEEN_H

#include <stddef.h>

struct itsm_seen {
	char **keys;
	size_t n, cap;
	size_t kept;   /* keys[0..kept) are seen; the rest await the next poll */
	char *offered; /* the watermark the last poll handed back, or NULL */
	int offered_none; /* the last poll handed back none (NULL) */
};

/* Start a poll from SINCE (NULL: from the beginning): keep the keys of the
 * last poll when SINCE is the watermark it handed back, else forget them;
 * then forget the keys before LOW ("YYYY-MM-DD HH:MM:SS"; NULL: none), which
 * the poll does not reach back to. Returns 1 when the last poll was kept,
 * 0 when its records are to be delivered again. */
int itsm_seen_begin(struct itsm_seen *seen, const char *since, const char *low);

/* End a poll that succeeded with WATERMARK (may be NULL). 0 or -ENOMEM. */
int itsm_seen_end(struct itsm_seen *seen, const char *watermark);

/* Whether KEY was added. */
int itsm_seen_has(const struct itsm_seen *seen, const char *key);

/* Add a copy of KEY. 0 or -ENOMEM. */
int itsm_seen_add(struct itsm_seen *seen, const char *key);

/* Free the keys and empty SEEN. */
void itsm_seen_free(struct itsm_seen *seen);

#endif
