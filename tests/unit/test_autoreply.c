/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/entra/autoreply.h"

/* 2026-11-25T09:00:00Z */
#define NOW_MS INT64_C(1795597200000)

static void test_parse_utc(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(autoreply_parse_utc("1970-01-01T00:00:00", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(autoreply_parse_utc("2026-11-25T09:00:00.0000000", &ms), 0);
	assert_int_equal(ms, NOW_MS);
	assert_int_equal(autoreply_parse_utc("2026-11-25T09:00:00Z", &ms), 0);
	assert_int_equal(ms, NOW_MS);
	assert_int_equal(autoreply_parse_utc("2024-02-29T00:00:01", &ms), 0);
	assert_int_equal(ms, INT64_C(1709164801000));
	assert_int_equal(autoreply_parse_utc("2026-11-25 09:00:00", &ms), -EINVAL);
	assert_int_equal(autoreply_parse_utc("2026-13-25T09:00:00", &ms), -EINVAL);
	assert_int_equal(autoreply_parse_utc("2026-11-25T09:00:00+02:00", &ms), -EINVAL);
	assert_int_equal(autoreply_parse_utc(NULL, &ms), -EINVAL);
}

static void test_presence_table(void **state)
{
	static const struct {
		const char *json;
		enum presence want;
	} cases[] = {
		{ "{\"status\":\"disabled\"}", PRESENCE_AVAILABLE },
		{ "{\"status\":\"alwaysEnabled\"}", PRESENCE_AWAY },
		/* now inside the window */
		{ "{\"status\":\"scheduled\","
		  "\"scheduledStartDateTime\":{\"dateTime\":\"2026-11-24T00:00:00.0000000\",\"timeZone\":\"UTC\"},"
		  "\"scheduledEndDateTime\":{\"dateTime\":\"2026-11-27T00:00:00.0000000\",\"timeZone\":\"UTC\"}}",
		  PRESENCE_AWAY },
		/* the start is inclusive */
		{ "{\"status\":\"scheduled\","
		  "\"scheduledStartDateTime\":{\"dateTime\":\"2026-11-25T09:00:00\",\"timeZone\":\"UTC\"},"
		  "\"scheduledEndDateTime\":{\"dateTime\":\"2026-11-27T00:00:00\",\"timeZone\":\"UTC\"}}",
		  PRESENCE_AWAY },
		/* the end is exclusive */
		{ "{\"status\":\"scheduled\","
		  "\"scheduledStartDateTime\":{\"dateTime\":\"2026-11-20T00:00:00\",\"timeZone\":\"UTC\"},"
		  "\"scheduledEndDateTime\":{\"dateTime\":\"2026-11-25T09:00:00\",\"timeZone\":\"UTC\"}}",
		  PRESENCE_AVAILABLE },
		/* scheduled, but later */
		{ "{\"status\":\"scheduled\","
		  "\"scheduledStartDateTime\":{\"dateTime\":\"2026-12-01T00:00:00\",\"timeZone\":\"UTC\"},"
		  "\"scheduledEndDateTime\":{\"dateTime\":\"2026-12-02T00:00:00\",\"timeZone\":\"UTC\"}}",
		  PRESENCE_AVAILABLE },
		/* without a resolver, a zone other than UTC is not a guess */
		{ "{\"status\":\"scheduled\","
		  "\"scheduledStartDateTime\":{\"dateTime\":\"2026-11-24T00:00:00\",\"timeZone\":\"Pacific Standard Time\"},"
		  "\"scheduledEndDateTime\":{\"dateTime\":\"2026-11-27T00:00:00\",\"timeZone\":\"Pacific Standard Time\"}}",
		  PRESENCE_UNKNOWN },
		{ "{\"status\":\"scheduled\"}", PRESENCE_UNKNOWN },
		{ "{\"status\":\"sometimes\"}", PRESENCE_UNKNOWN },
		{ "{}", PRESENCE_UNKNOWN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *setting = cJSON_Parse(cases[i].json);

		assert_non_null(setting);
		assert_int_equal(autoreply_presence(setting, NOW_MS, NULL, NULL), cases[i].want);
		cJSON_Delete(setting);
	}
}

/* A resolver that knows one zone, two hours east of UTC, and counts its
 * calls. */
static int fake_zone(void *ctx, const char *zone, int64_t local_ms, int64_t *ret_utc_ms)
{
	int *calls = ctx;

	(*calls)++;
	if (strcmp(zone, "Plus Two Standard Time") != 0)
		return -ENOENT;
	*ret_utc_ms = local_ms - 2 * 3600000;
	return 0;
}

static void test_presence_zones(void **state)
{
	static const struct {
		const char *start, *end, *zone;
		enum presence want;
	} cases[] = {
		/* 09:00Z is 11:00 at +02:00: inside 10:30-12:00, which read as
		 * UTC would not be. */
		{ "2026-11-25T10:30:00", "2026-11-25T12:00:00", "Plus Two Standard Time", PRESENCE_AWAY },
		/* and outside 08:00-10:30 there, which read as UTC would hold it */
		{ "2026-11-25T08:00:00", "2026-11-25T10:30:00", "Plus Two Standard Time", PRESENCE_AVAILABLE },
		{ "2026-11-25T08:00:00", "2026-11-25T10:30:00", "Unknown Standard Time", PRESENCE_UNKNOWN },
		/* UTC needs no resolver */
		{ "2026-11-25T08:00:00", "2026-11-25T10:30:00", "UTC", PRESENCE_AWAY },
	};
	char json[512];
	int calls = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *setting;

		snprintf(json, sizeof(json),
			 "{\"status\":\"scheduled\","
			 "\"scheduledStartDateTime\":{\"dateTime\":\"%s\",\"timeZone\":\"%s\"},"
			 "\"scheduledEndDateTime\":{\"dateTime\":\"%s\",\"timeZone\":\"%s\"}}",
			 cases[i].start, cases[i].zone, cases[i].end, cases[i].zone);
		setting = cJSON_Parse(json);
		assert_non_null(setting);
		assert_int_equal(autoreply_presence(setting, NOW_MS, fake_zone, &calls), cases[i].want);
		cJSON_Delete(setting);
	}
	assert_int_equal(calls, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_utc),
		cmocka_unit_test(test_presence_table),
		cmocka_unit_test(test_presence_zones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
