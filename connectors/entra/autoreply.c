/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "autoreply.h"
#include "util/civil.h"
#include "util/json.h"

int autoreply_parse_utc(const char *s, int64_t *ret_ms)
{
	return civil_parse(s, CIVIL_ISO, ret_ms);
}

static int zone_is_utc(const char *tz)
{
	return tz && (strcasecmp(tz, "UTC") == 0 || strcasecmp(tz, "Etc/UTC") == 0 ||
		      strcasecmp(tz, "Coordinated Universal Time") == 0 || strcasecmp(tz, "tzone://Microsoft/Utc") == 0);
}

/* A {dateTime, timeZone} object as UTC milliseconds: UTC itself, any
 * other zone through TO_UTC. -EINVAL, or TO_UTC's error, otherwise. */
static int date_time_zone(const cJSON *v, autoreply_zone_fn to_utc, void *ctx, int64_t *ret_ms)
{
	const char *zone = json_str(v, "timeZone");
	int64_t local;
	int r;

	if (!cJSON_IsObject(v) || !zone)
		return -EINVAL;
	r = autoreply_parse_utc(json_str(v, "dateTime"), &local);
	if (r < 0)
		return r;
	if (zone_is_utc(zone)) {
		*ret_ms = local;
		return 0;
	}
	return to_utc ? to_utc(ctx, zone, local, ret_ms) : -EINVAL;
}

enum presence autoreply_presence(const cJSON *setting, int64_t now_ms, autoreply_zone_fn to_utc, void *ctx)
{
	const char *status = json_str(setting, "status");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(setting, "scheduledStartDateTime");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(setting, "scheduledEndDateTime");
	int64_t start, end;

	if (!status)
		return PRESENCE_UNKNOWN;
	if (strcmp(status, "disabled") == 0)
		return PRESENCE_AVAILABLE;
	if (strcmp(status, "alwaysEnabled") == 0)
		return PRESENCE_AWAY;
	if (strcmp(status, "scheduled") != 0)
		return PRESENCE_UNKNOWN;
	if (date_time_zone(from, to_utc, ctx, &start) < 0 || date_time_zone(to, to_utc, ctx, &end) < 0)
		return PRESENCE_UNKNOWN;
	return now_ms >= start && now_ms < end ? PRESENCE_AWAY : PRESENCE_AVAILABLE;
}
