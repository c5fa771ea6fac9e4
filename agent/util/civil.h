/* SPDX-License-Identifier: Apache-2.0 */
/* Calendar arithmetic on days since 1970-01-01 in the proleptic Gregorian
 * calendar: what converting dates and time zone rules needs, without the
 * C library's time functions (which read the process's time zone). */
#ifndef ACCESSD_CIVIL_H
#define ACCESSD_CIVIL_H

#include <stdint.h>

#define CIVIL_DAY_S INT64_C(86400)

/* Days from 1970-01-01 to Y-M-D (M 1..12; D may run past the month's end
 * and counts on into the next). */
int64_t civil_days(int64_t y, int m, int d);

/* The year that day DAYS falls in. */
int64_t civil_year(int64_t days);

/* The weekday of day DAYS: 0 is Sunday. */
int civil_weekday(int64_t days);

/* Whether Y is a leap year, and how many days month M (1..12) of Y has. */
int civil_is_leap(int64_t y);
int civil_month_days(int64_t y, int m);

/* Floor division, for times before the epoch. */
int64_t civil_floor_div(int64_t a, int64_t b);

/* The year, month (1..12) and day of day DAYS. */
void civil_from_days(int64_t days, int64_t *ret_y, int *ret_m, int *ret_d);

/* The ways the ITSMs, Graph and the policy write a time, all in UTC. */
enum civil_form {
	CIVIL_DATE = 1 << 0,      /* "YYYY-MM-DD": the day's first instant */
	CIVIL_DATE_TIME = 1 << 1, /* "YYYY-MM-DD HH:MM:SS" (ServiceNow, catalog variables) */
	CIVIL_ISO = 1 << 2,       /* "YYYY-MM-DDTHH:MM:SS", with a fraction (dropped) and a
	                           * "Z" or neither (Graph's dateTime) */
	CIVIL_ISO_OFFSET = 1 << 3, /* the same with a zone offset "+HHMM" or "+HH:MM" (or
	                            * "-"), converted to UTC (TOPdesk's "...T10:09:00.000+0000") */
};

/* The one parser of dates: S in one of FORMS (an OR of enum civil_form) as
 * milliseconds since the epoch. Every field has exactly its digits, and the
 * date must exist (no 30 February, no hour 24). Returns 0, or -EINVAL with
 * *RET_MS untouched. */
int civil_parse(const char *s, unsigned forms, int64_t *ret_ms);

/* MS as "YYYY-MM-DD HH:MM:SS" (UTC, the fraction dropped) into OUT. Returns
 * 0, or -EINVAL for a time outside the years 0000 to 9999. */
int civil_format(int64_t ms, char out[static 20]);

#endif
