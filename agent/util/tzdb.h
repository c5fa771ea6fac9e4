/* SPDX-License-Identifier: Apache-2.0 */
/* Named time zones from the system's time zone database: the TZif files
 * under /usr/share/zoneinfo (the tzdata package), read with bounds and
 * cached per zone. No setenv("TZ")/tzset()/mktime(): those change the
 * whole process. The directory is injected, so tests can use fixtures. */
#ifndef ACCESSD_TZDB_H
#define ACCESSD_TZDB_H

#include <stdint.h>

#define TZDB_DIR "/usr/share/zoneinfo"

/* A zone file larger than this is refused (real ones are under 4 KiB). */
#define TZDB_MAX_FILE (64 * 1024)

/* Zones kept parsed; a file that changes on disk is read again. */
#define TZDB_CACHE_SIZE 32

struct tzdb;

/* A database reading the files under DIR (NULL: TZDB_DIR). Nothing is
 * read until a zone is asked for, so a missing database shows as zones
 * that cannot be resolved. Returns 0 and *RET, which the caller frees with
 * tzdb_free, or -ENOMEM. */
int tzdb_new(const char *dir, struct tzdb **ret);

/* Free DB and its cache (NULL is fine); returns NULL. */
struct tzdb *tzdb_free(struct tzdb *db);

/* Whether NAME may name a zone file: 1 to 255 characters of
 * [A-Za-z0-9_+/-], no "..", no leading or doubled '/', not "localtime". */
int tzdb_name_ok(const char *name);

/* The UTC instant of wall-clock time LOCAL_MS (milliseconds since the
 * epoch, counted as if the wall clock were UTC) in ZONE: a Windows zone
 * name as Graph gives it ("W. Europe Standard Time", see tzwin.h) or an
 * IANA name ("Europe/Berlin"). Times around a change of offset follow
 * tzif_local_to_utc (RFC 5545's rule). Returns 0 and *RET_UTC_MS; -EINVAL
 * for a name that may not name a file, -ENOENT for no such zone, -EBADMSG
 * for a malformed file, -EFBIG for one over TZDB_MAX_FILE, -EOPNOTSUPP for
 * one with leap seconds, -ERANGE for a time some 36 million years away,
 * -ENOMEM, or the errno of reading it. */
int tzdb_to_utc(struct tzdb *db, const char *zone, int64_t local_ms, int64_t *ret_utc_ms);

/* The UTC offset, in seconds east, in force in ZONE (named as for
 * tzdb_to_utc) at the instant UTC_MS. Returns 0 and *RET_OFFSET_S, or the
 * errors of tzdb_to_utc. */
int tzdb_offset_at(struct tzdb *db, const char *zone, int64_t utc_ms, int32_t *ret_offset_s);

#endif
