/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "posixtz.h"
#include "civil.h"

#define HOUR_S 3600

/* A zone name: three or more letters, or "<...>" of letters, digits, '+'
 * and '-'. Returns the rest of the string, or NULL. */
static const char *parse_name(const char *p)
{
	const char *q = p;

	if (*p == '<') {
		for (q = p + 1; (*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
				*q == '+' || *q == '-';
		     q++)
			;
		return *q == '>' && q - p - 1 >= 3 ? q + 1 : NULL;
	}
	while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
		q++;
	return q - p >= 3 ? q : NULL;
}

static const char *parse_number(const char *p, int min, int max, int *ret)
{
	int v = 0, digits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
		v = v * 10 + (*p - '0');
	if (digits == 0 || v < min || v > max)
		return NULL;
	*ret = v;
	return p;
}

/* [+-]hh[:mm[:ss]] with hh up to MAX_H, as seconds. */
static const char *parse_time(const char *p, int max_h, int32_t *ret)
{
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!(p = parse_number(p, 0, max_h, &h)))
		return NULL;
	if (*p == ':' && !(p = parse_number(p + 1, 0, 59, &m)))
		return NULL;
	if (*p == ':' && !(p = parse_number(p + 1, 0, 59, &s)))
		return NULL;
	*ret = sign * (h * HOUR_S + m * 60 + s);
	return p;
}

static const char *parse_date(const char *p, struct posixtz_date *ret)
{
	struct posixtz_date d = { .secs = 2 * HOUR_S };

	if (*p == 'J') {
		d.kind = 'J';
		p = parse_number(p + 1, 1, 365, &d.n);
	} else if (*p == 'M') {
		d.kind = 'M';
		if ((p = parse_number(p + 1, 1, 12, &d.m)) && *p == '.' && (p = parse_number(p + 1, 1, 5, &d.w)) &&
		    *p == '.')
			p = parse_number(p + 1, 0, 6, &d.d);
		else
			p = NULL;
	} else {
		d.kind = 'D';
		p = parse_number(p, 0, 365, &d.n);
	}
	if (p && *p == '/')
		p = parse_time(p + 1, 167, &d.secs);
	if (!p)
		return NULL;
	*ret = d;
	return p;
}

int posixtz_parse(const char *s, struct posixtz *ret)
{
	struct posixtz tz = { 0 };
	const char *p = s;
	int32_t off;

	if (!p || !(p = parse_name(p)) || !(p = parse_time(p, 24, &off)))
		return -EINVAL;
	/* POSIX offsets count west of Greenwich. */
	tz.std_off = -off;
	tz.dst_off = tz.std_off;
	if (*p) {
		if (!(p = parse_name(p)))
			return -EINVAL;
		tz.has_dst = 1;
		tz.dst_off = tz.std_off + HOUR_S;
		if (*p != ',') {
			if (!(p = parse_time(p, 24, &off)))
				return -EINVAL;
			tz.dst_off = -off;
		}
		if (*p != ',' || !(p = parse_date(p + 1, &tz.start)) || *p != ',' || !(p = parse_date(p + 1, &tz.end)) ||
		    *p)
			return -EINVAL;
	}
	*ret = tz;
	return 0;
}

/* The day (since the epoch) D names in year Y. */
static int64_t rule_day(const struct posixtz_date *d, int64_t y)
{
	int64_t first;
	int day;

	switch (d->kind) {
	case 'J':
		return civil_days(y, 1, d->n) + (civil_is_leap(y) && d->n >= 60);
	case 'D':
		return civil_days(y, 1, d->n + 1);
	default:
		first = civil_days(y, d->m, 1);
		day = (d->d - civil_weekday(first) + 7) % 7 + (d->w - 1) * 7;
		if (day >= civil_month_days(y, d->m))
			day -= 7;
		return first + day;
	}
}

/* The changes of the years around T, in time order; on a tie the start of
 * daylight saving time comes last, so "0/0,J365/25" (DST all year) stays
 * in DST. */
struct change {
	int64_t t;
	int to_dst;
};

static void changes_around(const struct posixtz *tz, int64_t t, struct change out[6])
{
	int64_t y = civil_year(civil_floor_div(t, CIVIL_DAY_S));
	struct change c;
	size_t n = 0;

	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		/* Each rule time is in the local time then in force. */
		out[n++] = (struct change){ rule_day(&tz->start, yy) * CIVIL_DAY_S + tz->start.secs - tz->std_off, 1 };
		out[n++] = (struct change){ rule_day(&tz->end, yy) * CIVIL_DAY_S + tz->end.secs - tz->dst_off, 0 };
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (out[j].t < out[j - 1].t || (out[j].t == out[j - 1].t && !out[j].to_dst));
		     j--) {
			c = out[j];
			out[j] = out[j - 1];
			out[j - 1] = c;
		}
}

int32_t posixtz_offset_at(const struct posixtz *tz, int64_t t)
{
	struct change c[6];
	int dst = 0;

	if (!tz->has_dst)
		return tz->std_off;
	changes_around(tz, t, c);
	for (size_t i = 0; i < 6 && c[i].t <= t; i++)
		dst = c[i].to_dst;
	return dst ? tz->dst_off : tz->std_off;
}

int posixtz_next_change(const struct posixtz *tz, int64_t t, int64_t *ret_t)
{
	struct change c[6];

	if (!tz->has_dst)
		return -ENOENT;
	changes_around(tz, t, c);
	for (size_t i = 0; i < 6; i++)
		if (c[i].t > t) {
			*ret_t = c[i].t;
			return 0;
		}
	return -ENOENT;
}
