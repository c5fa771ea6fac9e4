/* SPDX-License-Identifier: Apache-2.0 */
/* Howard Hinnant's days_from_civil and civil_from_days
 * (https://howardhinnant.github.io/date_algorithms.html). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"

int64_t civil_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t civil_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int64_t *ret_y, int *ret_m, int *ret_d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*ret_d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*ret_m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*ret_y = yoe + era * 400 + (mp >= 10);
}

int64_t civil_year(int64_t days)
{
	int64_t y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	return y;
}

int civil_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday. */
	int64_t r = (days + 4) % 7;

	return (int)(r < 0 ? r + 7 : r);
}

int civil_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int civil_month_days(int64_t y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return mdays[m - 1] + (m == 2 && civil_is_leap(y));
}

/* The value of the N digits at S, or -1 when one of them is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The zone offset at P ("+HHMM" or "+HH:MM", or "-"), in minutes east of
 * UTC into *RET_MIN; returns what follows it, or P itself (which the caller
 * then refuses) when it is not one. */
static const char *zone_offset(const char *p, int *ret_min)
{
	int colon = p[1] && p[2] && p[3] == ':', h = digits(p + 1, 2), m = h < 0 ? -1 : digits(p + 3 + colon, 2);

	if (h < 0 || h > 23 || m < 0 || m > 59)
		return p;
	*ret_min = (p[0] == '-' ? -1 : 1) * (h * 60 + m);
	return p + 5 + colon;
}

int civil_parse(const char *s, unsigned forms, int64_t *ret_ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, off_min = 0;
	const char *p;

	if (!s || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	p = s + 10;
	if (*p == '\0') {
		if (!(forms & CIVIL_DATE))
			return -EINVAL;
	} else if ((*p == ' ' && (forms & CIVIL_DATE_TIME)) || (*p == 'T' && (forms & (CIVIL_ISO | CIVIL_ISO_OFFSET)))) {
		if (strlen(p) < 9 || p[3] != ':' || p[6] != ':')
			return -EINVAL;
		h = digits(p + 1, 2);
		mi = digits(p + 4, 2);
		sec = digits(p + 7, 2);
		p += 9;
		if (s[10] == 'T') {
			if (*p == '.')
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
			if (*p == 'Z' && (forms & CIVIL_ISO))
				p++;
			else if ((*p == '+' || *p == '-') && (forms & CIVIL_ISO_OFFSET))
				p = zone_offset(p, &off_min);
		}
		if (*p)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > civil_month_days(y, mo) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 59)
		return -EINVAL;
	*ret_ms = ((civil_days(y, mo, d) * 24 + h) * 60 + mi - off_min) * INT64_C(60000) + (int64_t)sec * 1000;
	return 0;
}

int civil_format(int64_t ms, char out[static 20])
{
	int64_t secs = civil_floor_div(ms, 1000), days = civil_floor_div(secs, CIVIL_DAY_S), y;
	int64_t rest = secs - days * CIVIL_DAY_S;
	char buf[64]; /* the widest ints: the compiler cannot see the ranges */
	int m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", (int)y, m, d, (int)(rest / 3600),
		 (int)(rest / 60 % 60), (int)(rest % 60));
	memcpy(out, buf, 20);
	return 0;
}
