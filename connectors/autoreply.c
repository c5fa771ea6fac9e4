#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "autoreply.h"
#include "json.h"

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int autoreply_parse_utc(const char *s, int64_t *ret_ms)
{
	int y, mo, d, h, mi, sec, n = 0;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -EINVAL;
	p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z')
		p++;
	if (*p)
		return -EINVAL;
	*ret_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000;
	return 0;
}

static int zone_is_utc(const char *tz)
{
	return tz && (strcasecmp(tz, "UTC") == 0 || strcasecmp(tz, "Etc/UTC") == 0 ||
		      strcasecmp(tz, "Coordinated Universal Time") == 0 || strcasecmp(tz, "tzone://Microsoft/Utc") == 0);
}

/* A {dateTime, timeZone} object as UTC milliseconds; -EINVAL otherwise. */
static int date_time_zone(const cJSON *v, int64_t *ret_ms)
{
	if (!cJSON_IsObject(v) || !zone_is_utc(json_str(v, "timeZone")))
		return -EINVAL;
	return autoreply_parse_utc(json_str(v, "dateTime"), ret_ms);
}

enum presence autoreply_presence(const cJSON *setting, int64_t now_ms)
{
	const char *status = json_str(setting, "status");
	int64_t start, end;

	if (!status)
		return PRESENCE_UNKNOWN;
	if (strcmp(status, "disabled") == 0)
		return PRESENCE_AVAILABLE;
	if (strcmp(status, "alwaysEnabled") == 0)
		return PRESENCE_AWAY;
	if (strcmp(status, "scheduled") != 0)
		return PRESENCE_UNKNOWN;
	if (date_time_zone(cJSON_GetObjectItemCaseSensitive(setting, "scheduledStartDateTime"), &start) < 0 ||
	    date_time_zone(cJSON_GetObjectItemCaseSensitive(setting, "scheduledEndDateTime"), &end) < 0)
		return PRESENCE_UNKNOWN;
	return now_ms >= start && now_ms < end ? PRESENCE_AWAY : PRESENCE_AVAILABLE;
}
