/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tzdb.h"
#include "tzif.h"
#include "tzwin.h"
#include "civil.h"

#define TZDB_MAX_NAME 255
#define TZDB_MAX_MS (INT64_C(1) << 60)

/* A parsed zone, and the identity of the file it came from. */
struct tzdb_zone {
	char *name;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct tzif *tz;
};

struct tzdb {
	char *dir;
	struct tzdb_zone cache[TZDB_CACHE_SIZE];
	size_t next; /* the slot the next zone replaces */
};

int tzdb_new(const char *dir, struct tzdb **ret)
{
	struct tzdb *db = calloc(1, sizeof(*db));

	if (!db)
		return -ENOMEM;
	db->dir = strdup(dir ? dir : TZDB_DIR);
	if (!db->dir) {
		free(db);
		return -ENOMEM;
	}
	*ret = db;
	return 0;
}

static void zone_clear(struct tzdb_zone *z)
{
	free(z->name);
	tzif_free(z->tz);
	memset(z, 0, sizeof(*z));
}

struct tzdb *tzdb_free(struct tzdb *db)
{
	if (db) {
		for (size_t i = 0; i < TZDB_CACHE_SIZE; i++)
			zone_clear(&db->cache[i]);
		free(db->dir);
		free(db);
	}
	return NULL;
}

int tzdb_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	/* "localtime" is this host's zone (a link to /etc/localtime), not one
	 * a mailbox can name. */
	if (n == 0 || n > TZDB_MAX_NAME || name[0] == '/' || strstr(name, "..") || strstr(name, "//") ||
	    strcmp(name, "localtime") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || strchr("_+/-", name[i])))
			return 0;
	return 1;
}

static int same_file(const struct tzdb_zone *z, const struct stat *st)
{
	return z->dev == st->st_dev && z->ino == st->st_ino && z->size == st->st_size &&
	       z->mtime.tv_sec == st->st_mtim.tv_sec && z->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Read the regular file at PATH, up to TZDB_MAX_FILE bytes, and parse it. */
static int load(const char *path, struct stat *st, struct tzif **ret)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	if (fstat(fd, st) < 0) {
		r = -errno;
		goto done;
	}
	/* A directory ("Europe") or a device is no zone. */
	if (!S_ISREG(st->st_mode)) {
		r = -ENOENT;
		goto done;
	}
	if (st->st_size > TZDB_MAX_FILE) {
		r = -EFBIG;
		goto done;
	}
	/* One byte more than allowed, to notice a file that grew. */
	buf = malloc(TZDB_MAX_FILE + 1);
	if (!buf) {
		r = -ENOMEM;
		goto done;
	}
	while ((n = read(fd, buf + len, TZDB_MAX_FILE + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto done;
		}
		len += (size_t)n;
		if (len > TZDB_MAX_FILE) {
			r = -EFBIG;
			goto done;
		}
	}
	r = tzif_parse(buf, len, ret);
done:
	free(buf);
	close(fd);
	return r;
}

/* The parsed zone NAME (an IANA name), from the cache while its file is
 * unchanged. The cache owns it. */
static int zone_get(struct tzdb *db, const char *name, const struct tzif **ret)
{
	char path[PATH_MAX];
	struct tzdb_zone *slot = NULL;
	struct tzif *tz = NULL;
	struct stat st;
	char *copy;
	int r;

	if (!tzdb_name_ok(name))
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", db->dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	for (size_t i = 0; i < TZDB_CACHE_SIZE; i++)
		if (db->cache[i].name && strcmp(db->cache[i].name, name) == 0)
			slot = &db->cache[i];
	if (slot && stat(path, &st) == 0 && same_file(slot, &st)) {
		*ret = slot->tz;
		return 0;
	}
	r = load(path, &st, &tz);
	if (r < 0)
		return r;
	copy = strdup(name);
	if (!copy) {
		tzif_free(tz);
		return -ENOMEM;
	}
	if (!slot) {
		slot = &db->cache[db->next];
		db->next = (db->next + 1) % TZDB_CACHE_SIZE;
	}
	zone_clear(slot);
	*slot = (struct tzdb_zone){ copy, st.st_dev, st.st_ino, st.st_size, st.st_mtim, tz };
	*ret = tz;
	return 0;
}

int tzdb_to_utc(struct tzdb *db, const char *zone, int64_t local_ms, int64_t *ret_utc_ms)
{
	const char *iana = tzwin_to_iana(zone);
	const struct tzif *tz;
	int64_t secs = civil_floor_div(local_ms, 1000);
	int r;

	/* About 36 million years either way: the arithmetic cannot overflow. */
	if (local_ms < -TZDB_MAX_MS || local_ms > TZDB_MAX_MS)
		return -ERANGE;
	r = zone_get(db, iana ? iana : zone, &tz);
	if (r < 0)
		return r;
	*ret_utc_ms = tzif_local_to_utc(tz, secs) * 1000 + (local_ms - secs * 1000);
	return 0;
}

int tzdb_offset_at(struct tzdb *db, const char *zone, int64_t utc_ms, int32_t *ret_offset_s)
{
	const char *iana = tzwin_to_iana(zone);
	const struct tzif *tz;
	int r;

	if (utc_ms < -TZDB_MAX_MS || utc_ms > TZDB_MAX_MS)
		return -ERANGE;
	r = zone_get(db, iana ? iana : zone, &tz);
	if (r < 0)
		return r;
	*ret_offset_s = tzif_offset_at(tz, civil_floor_div(utc_ms, 1000));
	return 0;
}
