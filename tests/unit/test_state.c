/* SPDX-License-Identifier: Apache-2.0 */
/* The state records rebuild: each type's effect, what is refused, and the
 * snapshot that compaction writes. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jtest.h"
#include "store/jsonflat.h"
#include "store/state.h"
#include "util/json.h"

/* Member NAME of the JSON object TEXT, as a string; "" when absent. The
 * result is the caller's to free. */
static char *member(const char *text, const char *name)
{
	cJSON *tree = NULL;
	const char *v;
	char *copy;

	assert_int_equal(json_parse(text, strlen(text), &tree), 0);
	v = json_str(tree, name);
	copy = strdup(v ? v : "");
	assert_non_null(copy);
	cJSON_Delete(tree);
	return copy;
}

static void assert_member(const char *text, const char *name, const char *want)
{
	char *got = member(text, name);

	assert_string_equal(got, want);
	free(got);
}

static int apply(struct state *s, uint16_t type, const char *text)
{
	return state_apply(s, type, text, strlen(text));
}

static int setup(void **state)
{
	struct state *s = NULL;

	assert_int_equal(state_new(&s), 0);
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"number\":\"RITM0010001\","
						"\"state\":\"validating\",\"data\":{\"target\":\"vpn\",\"user\":\"ada\"}}"),
			 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	state_free(*state);
	return 0;
}

static void test_request_upsert_and_data_merge(void **state)
{
	struct state *s = *state;
	const struct state_request *r;

	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"stage\":1,"
						"\"data\":{\"user\":null,\"end\":\"2026-12-01\"},\"future\":true}"),
			 0);
	r = state_request_find(s, "sn", "abc");
	assert_non_null(r);
	assert_string_equal(r->number, "RITM0010001");
	assert_string_equal(r->workflow, "validating");
	assert_int_equal(r->stage, 1);
	assert_member(r->data, "target", "vpn");
	assert_member(r->data, "end", "2026-12-01");
	assert_member(r->data, "user", "");
	assert_null(strstr(r->data, "user"));
	assert_null(state_request_find(s, "other", "abc"));
	assert_int_equal(state_request_count(s), 1);
}

static void test_approvals_timers_retries(void **state)
{
	struct state *s = *state;
	const struct state_request *r;

	assert_int_equal(apply(s, STATE_APPROVAL, "{\"source\":\"sn\",\"id\":\"abc\",\"approval\":\"ap1\","
						 "\"approver\":\"boss\",\"decision\":\"requested\",\"stage\":0}"),
			 0);
	assert_int_equal(apply(s, STATE_APPROVAL, "{\"source\":\"sn\",\"id\":\"abc\",\"approval\":\"ap1\","
						 "\"decision\":\"approved\",\"at\":1764000000000}"),
			 0);
	assert_int_equal(apply(s, STATE_TIMER, "{\"source\":\"sn\",\"id\":\"abc\",\"kind\":\"escalate\","
					      "\"due\":1764086400000}"),
			 0);
	assert_int_equal(apply(s, STATE_TIMER, "{\"source\":\"sn\",\"id\":\"abc\",\"kind\":\"end_date\",\"due\":5}"), 0);
	assert_int_equal(apply(s, STATE_TIMER, "{\"source\":\"sn\",\"id\":\"abc\",\"kind\":\"end_date\",\"due\":0}"), 0);
	assert_int_equal(apply(s, STATE_RETRY, "{\"source\":\"sn\",\"id\":\"abc\",\"key\":\"grant\",\"attempts\":2,"
					      "\"next\":1764000060000}"),
			 0);
	assert_int_equal(apply(s, STATE_RETRY, "{\"source\":\"sn\",\"id\":\"abc\",\"key\":\"note\",\"attempts\":1}"), 0);
	assert_int_equal(apply(s, STATE_RETRY, "{\"source\":\"sn\",\"id\":\"abc\",\"key\":\"note\",\"attempts\":0}"), 0);
	r = state_request_find(s, "sn", "abc");
	assert_int_equal(r->n_approvals, 1);
	assert_string_equal(r->approvals[0].approver, "boss");
	assert_string_equal(r->approvals[0].decision, "approved");
	assert_int_equal(r->approvals[0].at_ms, 1764000000000LL);
	assert_int_equal(r->timers[STATE_TIMER_ESCALATE], 1764086400000LL);
	assert_int_equal(r->timers[STATE_TIMER_END_DATE], 0);
	assert_int_equal(r->n_retries, 1);
	assert_string_equal(r->retries[0].key, "grant");
	assert_int_equal(r->retries[0].attempts, 2);
	assert_int_equal(r->retries[0].next_ms, 1764000060000LL);
}

static void test_intent_outcome_and_forget(void **state)
{
	struct state *s = *state;
	const struct state_action *a;

	assert_int_equal(apply(s, STATE_INTENT, "{\"source\":\"sn\",\"id\":\"abc\",\"action\":\"abc/grant\","
					       "\"intent\":{\"op\":\"add_member\",\"group\":\"g\"}}"),
			 0);
	a = state_action_find(s, "abc/grant");
	assert_non_null(a);
	assert_null(a->outcome);
	assert_member(a->intent, "op", "add_member");
	assert_int_equal(apply(s, STATE_OUTCOME, "{\"action\":\"abc/grant\",\"outcome\":{\"ok\":true}}"), 0);
	a = state_action_find(s, "abc/grant");
	assert_non_null(a->outcome);
	/* a new intent for the action is a new attempt */
	assert_int_equal(apply(s, STATE_INTENT, "{\"source\":\"sn\",\"id\":\"abc\",\"action\":\"abc/grant\","
					       "\"intent\":{\"op\":\"add_member\"}}"),
			 0);
	assert_null(state_action_find(s, "abc/grant")->outcome);
	/* an action belongs to one request */
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"other\"}"), 0);
	assert_int_equal(apply(s, STATE_INTENT, "{\"source\":\"sn\",\"id\":\"other\",\"action\":\"abc/grant\","
					       "\"intent\":{}}"),
			 -EINVAL);

	assert_int_equal(apply(s, STATE_FORGET, "{\"source\":\"sn\",\"id\":\"abc\"}"), 0);
	assert_null(state_request_find(s, "sn", "abc"));
	assert_null(state_action_find(s, "abc/grant"));
	assert_int_equal(state_action_count(s), 0);
	assert_int_equal(state_request_count(s), 1);
	assert_int_equal(apply(s, STATE_FORGET, "{\"source\":\"sn\",\"id\":\"abc\"}"), 0);
}

static void test_watermarks(void **state)
{
	struct state *s = *state;

	assert_null(state_watermark(s, "sn"));
	assert_int_equal(apply(s, STATE_WATERMARK, "{\"source\":\"sn\",\"watermark\":\"2026-11-25 07:00:00\"}"), 0);
	assert_int_equal(apply(s, STATE_WATERMARK, "{\"source\":\"sn\",\"watermark\":\"2026-11-25 07:05:00\"}"), 0);
	assert_string_equal(state_watermark(s, "sn"), "2026-11-25 07:05:00");
}

static void test_refused_records_change_nothing(void **state)
{
	static const struct {
		uint16_t type;
		const char *text;
		int err;
	} bad[] = {
		{ STATE_REQUEST, "[]", -EBADMSG },
		{ STATE_REQUEST, "{\"source\":\"sn\"}", -EBADMSG },
		{ STATE_REQUEST, "{\"source\":\"sn\",\"id\":7}", -EBADMSG },
		{ STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"stage\":1.5}", -EINVAL },
		{ STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"stage\":-1}", -EINVAL },
		{ STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"state\":\"0123456789012345678901234567890123\"}", -E2BIG },
		{ STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"data\":[1]}", -EBADMSG },
		{ STATE_REQUEST, "{\"source\":", -EBADMSG },
		{ STATE_APPROVAL, "{\"source\":\"sn\",\"id\":\"nope\",\"approval\":\"a\"}", -ENOENT },
		{ STATE_TIMER, "{\"source\":\"sn\",\"id\":\"abc\",\"kind\":\"someday\",\"due\":1}", -EINVAL },
		{ STATE_TIMER, "{\"source\":\"sn\",\"id\":\"abc\",\"kind\":\"remind\",\"due\":1e300}", -EINVAL },
		{ STATE_INTENT, "{\"source\":\"sn\",\"id\":\"abc\",\"action\":\"x\"}", -EBADMSG },
		{ STATE_OUTCOME, "{\"action\":\"never\",\"outcome\":{}}", -ENOENT },
		{ STATE_RETRY, "{\"source\":\"sn\",\"id\":\"abc\",\"key\":\"k\"}", -EBADMSG },
		{ STATE_WATERMARK, "{\"source\":\"sn\"}", -EBADMSG },
		{ 99, "{}", -EPROTONOSUPPORT },
	};
	struct state *s = *state;
	char *before = jtest_dump(s), *after;

	assert_non_null(before);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s %s\n", state_type_name(bad[i].type) ? state_type_name(bad[i].type) : "?", bad[i].text);
		assert_int_equal(apply(s, bad[i].type, bad[i].text), bad[i].err);
	}
	after = jtest_dump(s);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_limits(void **state)
{
	struct state *s = *state;
	char text[256];

	for (int i = 0; i < STATE_MAX_APPROVALS; i++) {
		snprintf(text, sizeof(text), "{\"source\":\"sn\",\"id\":\"abc\",\"approval\":\"a%d\"}", i);
		assert_int_equal(apply(s, STATE_APPROVAL, text), 0);
	}
	assert_int_equal(apply(s, STATE_APPROVAL, "{\"source\":\"sn\",\"id\":\"abc\",\"approval\":\"one more\"}"), -E2BIG);
	/* an update of one already seen is fine */
	assert_int_equal(apply(s, STATE_APPROVAL, "{\"source\":\"sn\",\"id\":\"abc\",\"approval\":\"a0\"}"), 0);
}

/* The merge splices texts: members keep their places, null removes one,
 * nested values are replaced whole, names keep their escapes, and of a name
 * given twice the first counts. */
static void test_data_merge_text(void **state)
{
	struct state *s = *state;
	const struct state_request *r = state_request_find(s, "sn", "abc");

	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"data\":{ \"user\" : null, "
						"\"end\":\"2026-12-01\",\"target\":{\"a\":[1, 2]},\"na\\\"me\":\"x\","
						"\"d\":1,\"d\":2}}"),
			 0);
	assert_string_equal(r->data, "{\"target\":{\"a\":[1, 2]},\"end\":\"2026-12-01\",\"na\\\"me\":\"x\",\"d\":1}");
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"data\":{\"target\":null,"
						"\"end\":null,\"na\\\"me\":null,\"d\":null}}"),
			 0);
	assert_string_equal(r->data, "{}");
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"data\":{\"gone\":null,\"e\":\"\\u00e9\"}}"),
			 0);
	assert_string_equal(r->data, "{\"e\":\"\\u00e9\"}");
	assert_member(r->data, "e", "\xc3\xa9");

	assert_int_equal(apply(s, STATE_APPROVAL, "{\"source\":\"sn\",\"id\":\"abc\",\"approval\":\"ap1\","
						 "\"data\":{\"asked\":true}}"),
			 0);
	assert_int_equal(apply(s, STATE_APPROVAL, "{\"source\":\"sn\",\"id\":\"abc\",\"approval\":\"ap1\","
						 "\"data\":{\"comments\":\"not \\\"now\\\"\"}}"),
			 0);
	assert_string_equal(r->approvals[0].data, "{\"asked\":true,\"comments\":\"not \\\"now\\\"\"}");
}

/* Data may grow to JSONFLAT_MAX_MEMBERS members, so that it can always be
 * merged into again; a record that would pass that is refused whole, before
 * it is journaled. */
static void test_data_member_limit(void **state)
{
	struct state *s = *state;
	const struct state_request *r = state_request_find(s, "sn", "abc");
	char text[512], *before, *after;

	/* "target" and "user" are there: 62 more fit */
	for (int i = 0; i < JSONFLAT_MAX_MEMBERS - 2; i += 2) {
		snprintf(text, sizeof(text), "{\"source\":\"sn\",\"id\":\"abc\",\"data\":{\"m%d\":%d,\"m%d\":%d}}", i, i,
			 i + 1, i + 1);
		assert_int_equal(apply(s, STATE_REQUEST, text), 0);
	}
	assert_member(r->data, "user", "ada");
	before = jtest_dump(s);
	assert_non_null(before);
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"data\":{\"one more\":1}}"), -E2BIG);
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"stage\":3,"
						"\"data\":{\"user\":null,\"one more\":1,\"two more\":2}}"),
			 -E2BIG);
	after = jtest_dump(s);
	assert_string_equal(before, after);
	free(after);
	/* replacing and removing need no room */
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"data\":{\"m0\":\"x\",\"m1\":null}}"),
			 0);
	assert_int_equal(apply(s, STATE_REQUEST, "{\"source\":\"sn\",\"id\":\"abc\",\"data\":{\"one more\":1}}"), 0);
	assert_member(r->data, "m0", "x");
	free(before);
}

/* The snapshot rebuilds an equal state, from any point of the stream. */
static void test_snapshot_rebuilds_the_state(void **unused)
{
	struct state *s = NULL, *copy = NULL;

	assert_int_equal(state_new(&s), 0);
	for (uint64_t upto = 0; upto <= 3000; upto += 250) {
		char *a, *b;

		assert_int_equal(jtest_apply_range(s, upto ? upto - 249 : 1, upto), 0);
		assert_int_equal(state_new(&copy), 0);
		a = jtest_dump(s);
		assert_non_null(a);
		/* replay the snapshot's own records, as after a compaction */
		for (char *line = a, *end; *line; line = end + 1) {
			char *space = strchr(line, ' ');

			end = strchr(line, '\n');
			assert_non_null(space);
			assert_non_null(end);
			*space = '\0';
			assert_int_equal(state_apply(copy, state_type_from_name(line), space + 1, (size_t)(end - space - 1)),
					 0);
			*space = ' ';
		}
		b = jtest_dump(copy);
		assert_non_null(b);
		assert_string_equal(a, b);
		assert_int_equal(state_request_count(s), state_request_count(copy));
		assert_int_equal(state_action_count(s), state_action_count(copy));
		free(a);
		free(b);
		copy = state_free(copy);
	}
	state_free(s);
}

static void test_names(void **unused)
{
	enum state_timer_kind k;

	for (uint16_t t = 1; t <= STATE_RECORD_TYPES; t++)
		assert_int_equal(state_type_from_name(state_type_name(t)), t);
	assert_null(state_type_name(0));
	assert_int_equal(state_type_from_name("NOPE"), 0);
	for (int i = 0; i < STATE_TIMER_KINDS; i++) {
		assert_int_equal(state_timer_from_name(state_timer_name((enum state_timer_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_upsert_and_data_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_merge_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_member_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approvals_timers_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intent_outcome_and_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watermarks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_records_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test(test_snapshot_rebuilds_the_state),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
