/* SPDX-License-Identifier: Apache-2.0 */
/* The POSIX TZ rule a TZif file's footer carries, e.g.
 * "CET-1CEST,M3.5.0,M10.5.0/3": local time after the file's last
 * transition. Parsed and evaluated without the C library's tzset(), which
 * changes the whole process. */
#ifndef ACCESSD_POSIXTZ_H
#define ACCESSD_POSIXTZ_H

#include <stdint.h>

/* A day of the year on which daylight saving time starts or ends, and the
 * local time of day (in seconds, -167h..167h per RFC 8536) it happens at. */
struct posixtz_date {
	char kind; /* 'J': Julian day n (1..365, no Feb 29); 'D': day n (0..365); 'M': month m, week w, weekday d */
	int n, m, w, d;
	int32_t secs;
};

struct posixtz {
	int32_t std_off; /* seconds east of UTC */
	int32_t dst_off;
	int has_dst;
	struct posixtz_date start, end;
};

/* Parse S, a TZ string as RFC 8536 section 3.3 allows it (POSIX with
 * hours up to 167 and negative times in the rules). A DST name without
 * rules is refused, as zic never writes one. Returns 0 and fills *RET, or
 * -EINVAL. */
int posixtz_parse(const char *s, struct posixtz *ret);

/* The UTC offset, in seconds east, in force at T (seconds since the epoch). */
int32_t posixtz_offset_at(const struct posixtz *tz, int64_t t);

/* The first change of offset after T: 0 and *RET_T, or -ENOENT when the
 * rule has no daylight saving time. */
int posixtz_next_change(const struct posixtz *tz, int64_t t, int64_t *ret_t);

#endif
