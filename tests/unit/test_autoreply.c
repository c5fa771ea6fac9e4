#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "autoreply.h"

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
		/* a zone we do not convert is not a guess */
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
		assert_int_equal(autoreply_presence(setting, NOW_MS), cases[i].want);
		cJSON_Delete(setting);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_utc),
		cmocka_unit_test(test_presence_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
