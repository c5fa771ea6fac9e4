/* Out of office from a mailbox's automatic-replies setting, evaluated
 * against the injected now: pure, so the rule is tested table-driven. */
#ifndef ACCESSD_AUTOREPLY_H
#define ACCESSD_AUTOREPLY_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "model.h"

/* What Graph's automaticRepliesSetting SETTING means at NOW_MS: "disabled"
 * is AVAILABLE, "alwaysEnabled" is AWAY, "scheduled" is AWAY from
 * scheduledStartDateTime (inclusive) to scheduledEndDateTime (exclusive)
 * and AVAILABLE outside. A missing or unknown status, a date that does not
 * parse, or a time zone other than UTC gives PRESENCE_UNKNOWN: never AWAY
 * on a guess. */
enum presence autoreply_presence(const cJSON *setting, int64_t now_ms);

/* Parse "YYYY-MM-DDTHH:MM:SS[.fraction][Z]" as UTC into milliseconds since
 * the epoch. Returns 0, or -EINVAL. */
int autoreply_parse_utc(const char *s, int64_t *ret_ms);

#endif
