/* SPDX-License-Identifier: Apache-2.0 */
/* Out of office from a mailbox's automatic-replies setting, evaluated
 * against the injected now: pure, so the rule is tested table-driven. */
#ifndef ACCESSD_AUTOREPLY_H
#define ACCESSD_AUTOREPLY_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "core/model.h"

/* Converts wall-clock time LOCAL_MS (milliseconds since the epoch,
 * counted as if the wall clock were UTC) in the time zone ZONE, as Graph
 * names it, to UTC milliseconds: 0, or a negative errno when the zone
 * cannot be resolved (the Entra connector resolves through tzdb.h). */
typedef int (*autoreply_zone_fn)(void *ctx, const char *zone, int64_t local_ms, int64_t *ret_utc_ms);

/* What Graph's automaticRepliesSetting SETTING means at NOW_MS: "disabled"
 * is AVAILABLE, "alwaysEnabled" is AWAY, "scheduled" is AWAY from
 * scheduledStartDateTime (inclusive) to scheduledEndDateTime (exclusive)
 * and AVAILABLE outside. The schedule's times are in UTC or in a zone
 * TO_UTC (with CTX; NULL: none) resolves. A missing or unknown status, a
 * date that does not parse, or a zone that cannot be resolved gives
 * PRESENCE_UNKNOWN: never AWAY on a guess. */
enum presence autoreply_presence(const cJSON *setting, int64_t now_ms, autoreply_zone_fn to_utc, void *ctx);

/* Parse "YYYY-MM-DDTHH:MM:SS[.fraction][Z]" as UTC into milliseconds since
 * the epoch (a wall-clock time of another zone: as if it were UTC).
 * Returns 0, or -EINVAL. */
int autoreply_parse_utc(const char *s, int64_t *ret_ms);

#endif
