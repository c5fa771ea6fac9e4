/* SPDX-License-Identifier: Apache-2.0 */
/* Time zone data in the TZif format (RFC 8536, versions 1 to 4): the
 * transitions of one zone, and local time to UTC with them. Pure: the
 * bytes come from the caller (tzdb.c reads the files). */
#ifndef ACCESSD_TZIF_H
#define ACCESSD_TZIF_H

#include <stddef.h>
#include <stdint.h>

struct tzif;

/* Parse BUF[0..LEN), a whole TZif file: from version 2 on the 64-bit data
 * and the footer's TZ rule, in version 1 the 32-bit data. Every count,
 * index, offset and the order of the transitions is checked. Returns 0
 * and *RET, which the caller frees with tzif_free; -EBADMSG when the data
 * is malformed or truncated, -EOPNOTSUPP for a zone that counts leap
 * seconds ("right/..."), -ENOMEM. */
int tzif_parse(const uint8_t *buf, size_t len, struct tzif **ret);

/* Free Z (NULL is fine); returns NULL. */
struct tzif *tzif_free(struct tzif *z);

/* The UTC offset, in seconds east, in force at T (seconds since the epoch). */
int32_t tzif_offset_at(const struct tzif *z, int64_t t);

/* The UTC instant of wall-clock time LOCAL in the zone (both in seconds,
 * LOCAL counted as if the wall clock were UTC). Around a change of offset,
 * the rule of RFC 5545 section 3.3.5: a time that happens twice (the clock
 * goes back) is the first of the two, the earlier instant; a time that
 * never happens (the clock jumps forward) is read with the offset in force
 * before the jump, so 02:30 on a night that skips from 02:00 to 03:00 is
 * 03:30 in the new offset. */
int64_t tzif_local_to_utc(const struct tzif *z, int64_t local);

#endif
