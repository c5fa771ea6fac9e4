/* SPDX-License-Identifier: Apache-2.0 */
/* Named time zones: TZif parsing, POSIX TZ rules, the Windows names, and
 * local time to UTC around changes of offset, against the system's
 * database (tzdata, a check dependency) and against fixture files. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/posixtz.h"
#include "util/tzdb.h"
#include "util/tzif.h"
#include "util/tzwin.h"
#include "util/civil.h"

#define HOUR_MS INT64_C(3600000)
#define LOCAL(y, mo, d, h, mi) ((((civil_days(y, mo, d) * 24 + (h)) * 60) + (mi)) * INT64_C(60000))
/* 2026-11-25T09:00:00Z */
#define NOW_MS INT64_C(1795597200000)

struct conversion {
	const char *zone;
	int64_t local_ms, want_ms;
};

static void expect_conversions(struct tzdb *db, const struct conversion *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t got = 0;

		print_message("%s %lld\n", c[i].zone, (long long)c[i].local_ms);
		assert_int_equal(tzdb_to_utc(db, c[i].zone, c[i].local_ms, &got), 0);
		assert_int_equal(got, c[i].want_ms);
	}
}

static void test_iana_names(void **state)
{
	const struct conversion cases[] = {
		/* Berlin, spring: 01:30 is still CET; 02:00-03:00 does not
		 * exist, and 02:30 is read in CET, which is 03:30 CEST. */
		{ "Europe/Berlin", LOCAL(2026, 3, 29, 1, 30), INT64_C(1774744200000) },
		{ "Europe/Berlin", LOCAL(2026, 3, 29, 2, 30), INT64_C(1774747800000) },
		{ "Europe/Berlin", LOCAL(2026, 3, 29, 3, 30), INT64_C(1774747800000) },
		/* Berlin, autumn: 02:30 happens twice; the first is CEST. */
		{ "Europe/Berlin", LOCAL(2026, 10, 25, 2, 30), INT64_C(1792888200000) },
		{ "Europe/Berlin", LOCAL(2026, 10, 25, 3, 0), INT64_C(1792893600000) },
		/* After the file's last transition (2037): the footer's rule. */
		{ "Europe/Berlin", LOCAL(2050, 7, 1, 12, 0), INT64_C(2540282400000) },
		{ "Europe/Berlin", LOCAL(2050, 1, 1, 12, 0), INT64_C(2524647600000) },
		/* Before the first transition: local mean time, +00:53:28. */
		{ "Europe/Berlin", LOCAL(1800, 1, 1, 0, 0), INT64_C(-5364665608000) },
		/* Los Angeles falls back: 01:30 twice, first PDT; 02:30 is PST. */
		{ "America/Los_Angeles", LOCAL(2026, 11, 1, 1, 30), INT64_C(1793521800000) },
		{ "America/Los_Angeles", LOCAL(2026, 11, 1, 2, 30), INT64_C(1793529000000) },
		{ "America/Los_Angeles", LOCAL(2026, 3, 8, 2, 30), INT64_C(1772965800000) },
		{ "Asia/Kolkata", LOCAL(2026, 11, 25, 14, 30), NOW_MS },
		/* Sydney: DST in January, not in July; ends 5 April (03:00 to
		 * 02:00), starts 4 October (02:00 to 03:00). */
		{ "Australia/Sydney", LOCAL(2026, 1, 15, 12, 0), INT64_C(1768438800000) },
		{ "Australia/Sydney", LOCAL(2026, 7, 15, 12, 0), INT64_C(1784080800000) },
		{ "Australia/Sydney", LOCAL(2026, 4, 5, 2, 30), INT64_C(1775316600000) },
		{ "Australia/Sydney", LOCAL(2026, 10, 4, 2, 30), INT64_C(1791045000000) },
		/* Milliseconds survive. */
		{ "Asia/Kolkata", LOCAL(2026, 11, 25, 14, 30) + 999, NOW_MS + 999 },
		{ "Etc/UTC", NOW_MS, NOW_MS },
	};
	struct tzdb *db = NULL;

	(void)state;
	assert_int_equal(tzdb_new(NULL, &db), 0);
	expect_conversions(db, cases, sizeof(cases) / sizeof(cases[0]));
	/* Again, from the cache. */
	expect_conversions(db, cases, sizeof(cases) / sizeof(cases[0]));
	tzdb_free(db);
}

static void test_windows_names(void **state)
{
	const struct conversion cases[] = {
		{ "W. Europe Standard Time", LOCAL(2026, 3, 29, 1, 30), INT64_C(1774744200000) },
		{ "W. Europe Standard Time", LOCAL(2026, 11, 25, 10, 0), NOW_MS },
		{ "Pacific Standard Time", LOCAL(2026, 11, 1, 1, 30), INT64_C(1793521800000) },
		{ "India Standard Time", LOCAL(2026, 11, 25, 14, 30), NOW_MS },
		{ "AUS Eastern Standard Time", LOCAL(2026, 1, 15, 12, 0), INT64_C(1768438800000) },
		{ "China Standard Time", LOCAL(2026, 11, 25, 17, 0), NOW_MS },
		{ "Tokyo Standard Time", LOCAL(2026, 11, 25, 18, 0), NOW_MS },
		{ "Eastern Standard Time", LOCAL(2026, 11, 25, 4, 0), NOW_MS },
		{ "GMT Standard Time", LOCAL(2026, 11, 25, 9, 0), NOW_MS },
		/* "UTC-11" is Etc/GMT+11: POSIX signs are the other way round. */
		{ "UTC-11", LOCAL(2026, 11, 24, 22, 0), NOW_MS },
		{ "UTC", NOW_MS, NOW_MS },
	};
	const char *windows, *iana;
	struct tzdb *db = NULL;
	int64_t got;
	size_t n;

	(void)state;
	assert_int_equal(tzdb_new(TZDB_DIR, &db), 0);
	expect_conversions(db, cases, sizeof(cases) / sizeof(cases[0]));
	/* Every name of the table is a zone the system's database has. */
	for (n = 0; tzwin_entry(n, &windows, &iana) == 0; n++) {
		print_message("%s -> %s\n", windows, iana);
		assert_ptr_equal(tzwin_to_iana(windows), iana);
		assert_true(tzdb_name_ok(iana));
		assert_int_equal(tzdb_to_utc(db, windows, NOW_MS, &got), 0);
	}
	assert_true(n >= 139);
	assert_null(tzwin_to_iana("Nowhere Standard Time"));
	assert_null(tzwin_to_iana("w. europe standard time"));
	assert_null(tzwin_to_iana(NULL));
	tzdb_free(db);
}

static void test_names_refused(void **state)
{
	static const char *const hostile[] = {
		"../../etc/passwd", "/etc/passwd", "Europe/../../../etc/passwd", "Europe/..", "..", "Europe//Berlin",
		"Europe/Berlin\n", "Europe/Berlin%00", "Europe\\Berlin", "Nowhere Standard Time", "", "Europe/Ber lin",
		"localtime",
	};
	char long_name[300];
	struct tzdb *db = NULL;
	int64_t got = 42;

	(void)state;
	assert_int_equal(tzdb_new(NULL, &db), 0);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		assert_false(tzdb_name_ok(hostile[i]));
		assert_int_equal(tzdb_to_utc(db, hostile[i], NOW_MS, &got), -EINVAL);
	}
	memset(long_name, 'A', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	assert_int_equal(tzdb_to_utc(db, long_name, NOW_MS, &got), -EINVAL);
	assert_int_equal(tzdb_to_utc(db, NULL, NOW_MS, &got), -EINVAL);
	/* Well-formed but unknown, or a directory of zones. */
	assert_int_equal(tzdb_to_utc(db, "Mars/Olympus_Mons", NOW_MS, &got), -ENOENT);
	assert_int_equal(tzdb_to_utc(db, "Europe", NOW_MS, &got), -ENOENT);
	assert_int_equal(tzdb_to_utc(db, "Europe/Berlin/x", NOW_MS, &got), -ENOENT);
	assert_int_equal(tzdb_to_utc(db, "Europe/Berlin", INT64_MAX, &got), -ERANGE);
	assert_int_equal(tzdb_to_utc(db, "Europe/Berlin", INT64_MIN, &got), -ERANGE);
	assert_int_equal(got, 42);
	assert_true(tzdb_name_ok("America/Port-au-Prince"));
	assert_true(tzdb_name_ok("Etc/GMT+11"));
	tzdb_free(db);
}

/* The offset at an instant, the other way round: what a rule's "time"
 * condition reads. Berlin changes to CEST at 01:00 UTC on 29 March 2026. */
static void test_offsets(void **state)
{
	struct tzdb *db = NULL;
	int32_t off = 42;

	(void)state;
	assert_int_equal(tzdb_new(NULL, &db), 0);
	assert_int_equal(tzdb_offset_at(db, "Europe/Berlin", INT64_C(1774745999999), &off), 0);
	assert_int_equal(off, 3600);
	assert_int_equal(tzdb_offset_at(db, "Europe/Berlin", INT64_C(1774746000000), &off), 0);
	assert_int_equal(off, 7200);
	assert_int_equal(tzdb_offset_at(db, "W. Europe Standard Time", NOW_MS, &off), 0);
	assert_int_equal(off, 3600);
	assert_int_equal(tzdb_offset_at(db, "Asia/Kolkata", NOW_MS, &off), 0);
	assert_int_equal(off, 19800);
	assert_int_equal(tzdb_offset_at(db, "America/Los_Angeles", NOW_MS, &off), 0);
	assert_int_equal(off, -28800);
	off = 42;
	assert_int_equal(tzdb_offset_at(db, "Mars/Olympus_Mons", NOW_MS, &off), -ENOENT);
	assert_int_equal(tzdb_offset_at(db, "../etc/passwd", NOW_MS, &off), -EINVAL);
	assert_int_equal(tzdb_offset_at(db, "Europe/Berlin", INT64_MAX, &off), -ERANGE);
	assert_int_equal(off, 42);
	tzdb_free(db);
}

static void test_civil(void **state)
{
	(void)state;
	assert_int_equal(civil_days(1970, 1, 1), 0);
	assert_int_equal(civil_days(2026, 11, 25) * 86400000, NOW_MS - 9 * HOUR_MS);
	assert_int_equal(civil_weekday(civil_days(2026, 11, 25)), 3);
	assert_int_equal(civil_weekday(-1), 3);
	assert_int_equal(civil_weekday(civil_days(1600, 1, 2)), 0);
	assert_int_equal(civil_year(civil_days(2024, 12, 31)), 2024);
	assert_int_equal(civil_year(civil_days(2025, 1, 1)), 2025);
	assert_int_equal(civil_year(-1), 1969);
	assert_int_equal(civil_month_days(2024, 2), 29);
	assert_int_equal(civil_month_days(2100, 2), 28);
	assert_int_equal(civil_month_days(2000, 2), 29);
	assert_int_equal(civil_floor_div(-1, 1000), -1);
	assert_int_equal(civil_floor_div(1999, 1000), 1);
}

/* The one parser of dates: each form only where it is asked for, every
 * field exact, and the day real; the format is its inverse. */
static void test_civil_parse_and_format(void **state)
{
	static const struct {
		const char *text;
		unsigned forms;
		int64_t ms; /* -1: refused */
	} cases[] = {
		{ "2026-11-25", CIVIL_DATE, NOW_MS - 9 * HOUR_MS },
		{ "2026-11-25 09:00:00", CIVIL_DATE_TIME, NOW_MS },
		{ "2026-11-25T09:00:00", CIVIL_ISO, NOW_MS },
		{ "2026-11-25T09:00:00.1234567Z", CIVIL_ISO, NOW_MS },
		{ "2026-11-25T09:00:00Z", CIVIL_ISO | CIVIL_DATE, NOW_MS },
		{ "2024-02-29 23:59:59", CIVIL_DATE_TIME, INT64_C(1709251199000) },
		{ "1969-12-31 23:59:59", CIVIL_DATE_TIME, -1000 },
		{ "2026-11-25", CIVIL_DATE_TIME | CIVIL_ISO, -1 },
		{ "2026-11-25 09:00:00", CIVIL_ISO | CIVIL_DATE, -1 },
		{ "2026-11-25T09:00:00", CIVIL_DATE_TIME, -1 },
		{ "2026-11-25 09:00:00Z", CIVIL_DATE_TIME, -1 },
		{ "2026-11-25T09:00:00+01:00", CIVIL_ISO, -1 },
		/* TOPdesk: an offset, with or without a colon and a fraction. */
		{ "2026-11-25T09:00:00.000+0000", CIVIL_ISO_OFFSET, NOW_MS },
		{ "2026-11-25T10:30:00+01:30", CIVIL_ISO_OFFSET, NOW_MS },
		{ "2026-11-25T07:00:00-0200", CIVIL_ISO | CIVIL_ISO_OFFSET, NOW_MS },
		{ "2026-11-25T09:00:00Z", CIVIL_ISO | CIVIL_ISO_OFFSET, NOW_MS },
		{ "2026-11-25T09:00:00Z", CIVIL_ISO_OFFSET, -1 },
		{ "2026-11-25T09:00:00+2400", CIVIL_ISO_OFFSET, -1 },
		{ "2026-11-25T09:00:00+01", CIVIL_ISO_OFFSET, -1 },
		{ "2026-11-25T09:00:00+01:00x", CIVIL_ISO_OFFSET, -1 },
		{ "2025-02-29", CIVIL_DATE, -1 },
		{ "2026-04-31", CIVIL_DATE, -1 },
		{ "2026-1-05", CIVIL_DATE, -1 },
		{ "2026-01-05 24:00:00", CIVIL_DATE_TIME, -1 },
		{ "2026-01-05 23:60:00", CIVIL_DATE_TIME, -1 },
		{ "2026-01-05 23:00:60", CIVIL_DATE_TIME, -1 },
		{ "2026-01-05 2:00:00", CIVIL_DATE_TIME, -1 },
		{ "2026-01-05 02:00:0x", CIVIL_DATE_TIME, -1 },
		{ "+026-01-05", CIVIL_DATE, -1 },
		{ "", CIVIL_DATE, -1 },
	};
	char out[20];
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = 7;
		if (cases[i].ms == -1) {
			assert_int_equal(civil_parse(cases[i].text, cases[i].forms, &ms), -EINVAL);
			assert_int_equal(ms, 7);
		} else {
			assert_int_equal(civil_parse(cases[i].text, cases[i].forms, &ms), 0);
			assert_int_equal(ms, cases[i].ms);
		}
	}
	assert_int_equal(civil_parse(NULL, CIVIL_DATE, &ms), -EINVAL);
	assert_int_equal(civil_format(NOW_MS + 999, out), 0);
	assert_string_equal(out, "2026-11-25 09:00:00");
	assert_int_equal(civil_format(-1, out), 0);
	assert_string_equal(out, "1969-12-31 23:59:59");
	assert_int_equal(civil_format(INT64_C(253402300800000), out), -EINVAL);
	assert_int_equal(civil_format(INT64_C(253402300799000), out), 0);
	assert_string_equal(out, "9999-12-31 23:59:59");
}

static void test_posix_rules(void **state)
{
	static const char *const good[] = {
		"CET-1CEST,M3.5.0,M10.5.0/3", "IST-5:30", "<+0530>-5:30", "EST5EDT,M3.2.0,M11.1.0",
		"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "XXX-1YYY,0/0,J365/25", "AAA3BBB2:30,J60/1:00:01,300/167",
	};
	static const char *const bad[] = {
		"", "CET", "C-1", "CET-1CEST", "CET-1CEST,M13.5.0,M10.5.0", "CET-25", "CET-1CEST,M3.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "<AB>-1", "CET-1CEST,M3.5.0,M10.5.0/168", "CET-1x",
	};
	struct posixtz tz;
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(posixtz_parse(good[i], &tz), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(posixtz_parse(bad[i], &tz), -EINVAL);

	assert_int_equal(posixtz_parse("IST-5:30", &tz), 0);
	assert_int_equal(posixtz_offset_at(&tz, 0), 19800);
	assert_int_equal(posixtz_next_change(&tz, 0, &t), -ENOENT);

	/* DST all year, RFC 8536 section 3.3.1's example. */
	assert_int_equal(posixtz_parse("XXX-1YYY,0/0,J365/25", &tz), 0);
	assert_int_equal(posixtz_offset_at(&tz, LOCAL(2026, 1, 1, 0, 30) / 1000), 7200);
	assert_int_equal(posixtz_offset_at(&tz, LOCAL(2026, 7, 1, 0, 0) / 1000), 7200);

	/* Greenland: changes at -01:00 local, that is, the evening before. */
	assert_int_equal(posixtz_parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", &tz), 0);
	assert_int_equal(posixtz_next_change(&tz, LOCAL(2026, 3, 1, 0, 0) / 1000, &t), 0);
	assert_int_equal(t, LOCAL(2026, 3, 28, 23, 0) / 1000 + 2 * 3600);
}

/* A TZif file with the given data: version 1 (VERSION 0) or 2+ with
 * FOOTER. Returns its size in OUT. */
struct fixture_zone {
	char version;
	size_t n_trans, n_types, n_leap;
	const int64_t *trans;
	const uint8_t *idx;
	const int32_t *utoff;
	const char *footer;
};

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *put_block(uint8_t *p, const struct fixture_zone *z, int wide)
{
	uint32_t counts[6] = { 0, 0, (uint32_t)z->n_leap, (uint32_t)z->n_trans, (uint32_t)z->n_types, 4 };

	memcpy(p, "TZif", 4);
	p[4] = (uint8_t)z->version;
	memset(p + 5, 0, 15);
	p += 20;
	for (size_t i = 0; i < 6; i++)
		p = put32(p, counts[i]);
	for (size_t i = 0; i < z->n_trans; i++) {
		if (wide)
			p = put32(p, (uint32_t)((uint64_t)z->trans[i] >> 32));
		p = put32(p, (uint32_t)z->trans[i]);
	}
	for (size_t i = 0; i < z->n_trans; i++)
		*p++ = z->idx[i];
	for (size_t i = 0; i < z->n_types; i++) {
		p = put32(p, (uint32_t)z->utoff[i]);
		*p++ = 0;
		*p++ = 0;
	}
	memcpy(p, "ZZZ", 4);
	p += 4;
	memset(p, 0, z->n_leap * (wide ? 12 : 8));
	return p + z->n_leap * (wide ? 12 : 8);
}

static size_t build_zone(const struct fixture_zone *z, uint8_t *out)
{
	uint8_t *p = put_block(out, z, 0);

	if (z->version) {
		p = put_block(p, z, 1);
		p += sprintf((char *)p, "\n%s\n", z->footer);
	}
	return (size_t)(p - out);
}

struct dir {
	char path[64];
};

static void write_file(const struct dir *d, const char *name, const void *data, size_t len)
{
	char path[256], tmp[280], sub[256];
	char *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	snprintf(sub, sizeof(sub), "%s", path);
	slash = strrchr(sub, '/');
	*slash = 0;
	mkdir(sub, 0700);
	/* Replace by rename, as a package upgrade does. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(rename(tmp, path), 0);
}

static size_t read_system(const char *zone, uint8_t *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", TZDB_DIR, zone);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, size);
	close(fd);
	assert_true(n > 0 && (size_t)n < size);
	return (size_t)n;
}

static void remove_tree(const char *path)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void test_fixture_files(void **state)
{
	static const int32_t plus2[] = { 7200 }, plus3[] = { 10800 }, two[] = { 3600, 7200 };
	static const int64_t trans[] = { 100, 50 };
	static const uint8_t idx_ok[] = { 0, 1 }, idx_bad[] = { 0, 2 };
	struct fixture_zone fixed = { .n_types = 1, .utoff = plus2 };
	struct fixture_zone cet = { .version = '2', .n_types = 1, .utoff = plus2,
				    .footer = "CET-1CEST,M3.5.0,M10.5.0/3" };
	struct fixture_zone sydney = { .version = '3', .n_types = 1, .utoff = plus2,
				       .footer = "AEST-10AEDT,M10.1.0,M4.1.0/3" };
	const struct conversion from_rules[] = {
		{ "Fixed/Plus2", LOCAL(2026, 11, 25, 11, 0), NOW_MS },
		{ "Rule/CET", LOCAL(2026, 3, 29, 1, 30), INT64_C(1774744200000) },
		{ "Rule/CET", LOCAL(2026, 3, 29, 2, 30), INT64_C(1774747800000) },
		{ "Rule/CET", LOCAL(2026, 10, 25, 2, 30), INT64_C(1792888200000) },
		{ "Rule/Sydney", LOCAL(2026, 1, 15, 12, 0), INT64_C(1768438800000) },
		{ "Rule/Sydney", LOCAL(2026, 7, 15, 12, 0), INT64_C(1784080800000) },
		{ "Rule/Sydney", LOCAL(2026, 4, 5, 2, 30), INT64_C(1775316600000) },
		{ "Rule/Sydney", LOCAL(2026, 10, 4, 2, 30), INT64_C(1791045000000) },
	};
	struct fixture_zone z;
	struct dir d = { "/tmp/accessd-tzdb-XXXXXX" };
	uint8_t buf[8192], berlin[8192];
	struct tzdb *db = NULL;
	size_t n, n_berlin;
	int64_t got = 42;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(d.path));
	write_file(&d, "Fixed/Plus2", buf, build_zone(&fixed, buf));
	write_file(&d, "Rule/CET", buf, build_zone(&cet, buf));
	write_file(&d, "Rule/Sydney", buf, build_zone(&sydney, buf));
	assert_int_equal(tzdb_new(d.path, &db), 0);
	expect_conversions(db, from_rules, sizeof(from_rules) / sizeof(from_rules[0]));
	/* The injected directory is the only one read. */
	assert_int_equal(tzdb_to_utc(db, "Europe/Berlin", NOW_MS, &got), -ENOENT);
	assert_int_equal(tzdb_to_utc(db, "W. Europe Standard Time", NOW_MS, &got), -ENOENT);

	/* A zone file replaced on disk is read again. */
	fixed.utoff = plus3;
	write_file(&d, "Fixed/Plus2", buf, build_zone(&fixed, buf));
	assert_int_equal(tzdb_to_utc(db, "Fixed/Plus2", LOCAL(2026, 11, 25, 12, 0), &got), 0);
	assert_int_equal(got, NOW_MS);

	/* Broken files. */
	n_berlin = read_system("Europe/Berlin", berlin, sizeof(berlin));
	write_file(&d, "Bad/Truncated", berlin, n_berlin / 2);
	assert_int_equal(tzdb_to_utc(db, "Bad/Truncated", NOW_MS, &got), -EBADMSG);
	write_file(&d, "Bad/Tail", berlin, n_berlin - 1);
	assert_int_equal(tzdb_to_utc(db, "Bad/Tail", NOW_MS, &got), -EBADMSG);
	write_file(&d, "Bad/Magic", "TZxf2 not a zone file at all, but long enough to hold a header", 62);
	assert_int_equal(tzdb_to_utc(db, "Bad/Magic", NOW_MS, &got), -EBADMSG);
	write_file(&d, "Bad/Empty", "", 0);
	assert_int_equal(tzdb_to_utc(db, "Bad/Empty", NOW_MS, &got), -EBADMSG);
	z = cet;
	z.footer = "CET-1CEST,M3.5.0";
	write_file(&d, "Bad/Footer", buf, build_zone(&z, buf));
	assert_int_equal(tzdb_to_utc(db, "Bad/Footer", NOW_MS, &got), -EBADMSG);
	z = (struct fixture_zone){ .n_trans = 2, .trans = (const int64_t[]){ 50, 100 }, .idx = idx_bad, .n_types = 2,
				   .utoff = two };
	write_file(&d, "Bad/Index", buf, build_zone(&z, buf));
	assert_int_equal(tzdb_to_utc(db, "Bad/Index", NOW_MS, &got), -EBADMSG);
	z.trans = trans;
	z.idx = idx_ok;
	write_file(&d, "Bad/Order", buf, build_zone(&z, buf));
	assert_int_equal(tzdb_to_utc(db, "Bad/Order", NOW_MS, &got), -EBADMSG);
	z = (struct fixture_zone){ .n_types = 1, .utoff = (const int32_t[]){ 100000 } };
	write_file(&d, "Bad/Offset", buf, build_zone(&z, buf));
	assert_int_equal(tzdb_to_utc(db, "Bad/Offset", NOW_MS, &got), -EBADMSG);
	z = fixed;
	z.n_leap = 1;
	write_file(&d, "Bad/Leap", buf, build_zone(&z, buf));
	assert_int_equal(tzdb_to_utc(db, "Bad/Leap", NOW_MS, &got), -EOPNOTSUPP);
	/* A zone file over the limit is not read. */
	n = build_zone(&fixed, buf);
	write_file(&d, "Bad/Big", buf, n);
	snprintf((char *)buf, sizeof(buf), "%s/Bad/Big", d.path);
	fd = open((char *)buf, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, TZDB_MAX_FILE + 1), 0);
	close(fd);
	assert_int_equal(tzdb_to_utc(db, "Bad/Big", NOW_MS, &got), -EFBIG);

	tzdb_free(db);
	remove_tree(d.path);
}

/* Every prefix of a real file is refused, and every single-byte change
 * either is refused or gives a zone that converts: nothing crashes. */
static void test_damaged_data(void **state)
{
	uint8_t file[8192], copy[8192];
	struct tzif *z = NULL;
	size_t n;

	(void)state;
	n = read_system("Europe/Berlin", file, sizeof(file));
	assert_int_equal(tzif_parse(file, n, &z), 0);
	assert_int_equal(tzif_local_to_utc(z, LOCAL(2026, 11, 25, 10, 0) / 1000) * 1000, NOW_MS);
	z = tzif_free(z);
	for (size_t len = 0; len < n; len++)
		assert_int_equal(tzif_parse(file, len, &z), -EBADMSG);
	for (size_t i = 0; i < n; i++) {
		memcpy(copy, file, n);
		copy[i] ^= 0xa5;
		if (tzif_parse(copy, n, &z) == 0) {
			tzif_local_to_utc(z, LOCAL(2026, 3, 29, 2, 30) / 1000);
			tzif_local_to_utc(z, LOCAL(1900, 1, 1, 0, 0) / 1000);
			z = tzif_free(z);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iana_names),    cmocka_unit_test(test_windows_names),
		cmocka_unit_test(test_names_refused), cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_civil), cmocka_unit_test(test_civil_parse_and_format),
		cmocka_unit_test(test_posix_rules),
		cmocka_unit_test(test_fixture_files), cmocka_unit_test(test_damaged_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
