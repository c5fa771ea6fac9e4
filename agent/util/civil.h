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

#endif
