/* SPDX-License-Identifier: Apache-2.0 */
/* The TOPdesk connector's text rules: FIQL values that cannot break out of
 * their quotes, TOPdesk's dates, HTML escaped for incident actions and
 * plain text for change memos, the marks that find an earlier write, the
 * answers a portal form writes, and the names a tenant's list resolves. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/topdesk/topdesk.h"

static void test_fiql_values_stay_quoted(void **state)
{
	static const struct {
		const char *value;
		const char *quoted; /* NULL: refused */
	} cases[] = {
		{ "VPN Access", "\"VPN Access\"" },
		{ "a;b,c==d", "\"a;b,c==d\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "(x)=in=(y)", "\"(x)=in=(y)\"" },
		{ "'single'", "\"'single'\"" },
		{ "", NULL },
		{ "line\nbreak", NULL },
		{ "nul\x1a", NULL },
		{ "del\x7f", NULL },
	};
	char longer[TD_FIQL_VALUE_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = NULL;
		int r = td_fiql_eq(&q, "category.name", cases[i].value);

		if (!cases[i].quoted) {
			assert_int_equal(r, -EINVAL);
		} else {
			char want[128];

			assert_int_equal(r, 0);
			snprintf(want, sizeof(want), "category.name==%s", cases[i].quoted);
			assert_string_equal(q, want);
		}
		free(q);
	}
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	{
		char *q = NULL;

		assert_int_equal(td_fiql_value(&q, longer), -EINVAL);
		longer[TD_FIQL_VALUE_MAX] = '\0';
		assert_int_equal(td_fiql_value(&q, longer), 0);
		assert_int_equal(strlen(q), TD_FIQL_VALUE_MAX + 2);
		free(q);
	}
}

static void test_dates_as_topdesk_writes_them(void **state)
{
	char out[21];
	int64_t ms;

	(void)state;
	/* The incident API, its iso8601 form, the change API. */
	assert_int_equal(td_date_neutral("2026-11-23T08:30:00.000+0000", out), 0);
	assert_string_equal(out, "2026-11-23 08:30:00");
	assert_int_equal(td_date_neutral("2026-11-23T08:30:00Z", out), 0);
	assert_string_equal(out, "2026-11-23 08:30:00");
	assert_int_equal(td_date_neutral("2026-11-23T10:30:00+0200", out), 0);
	assert_string_equal(out, "2026-11-23 08:30:00");
	assert_int_equal(td_date_neutral("23-11-2026 08:30", out), -EINVAL);
	assert_int_equal(td_date_neutral("2026-11-23T08:30:00+02", out), -EINVAL);
	/* FIQL takes whole seconds with a zone. */
	assert_int_equal(td_date_parse("2026-11-23T08:30:00.999+0000", &ms), 0);
	assert_int_equal(td_fiql_date(ms, out), 0);
	assert_string_equal(out, "2026-11-23T08:30:00Z");
}

static void test_html_and_plain_text(void **state)
{
	char *html, *plain;

	(void)state;
	html = td_html("<img src=x onerror=\"alert(1)\"> & 'q'\nnext\x01line");
	assert_non_null(html);
	assert_string_equal(html, "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;q&#39;<br>nextline");
	free(html);
	plain = td_plain("keep <b>this</b>\n\tand\x1b[31m drop");
	assert_non_null(plain);
	assert_string_equal(plain, "keep <b>this</b>\n\tand[31m drop");
	free(plain);
}

static void test_marks_find_earlier_writes(void **state)
{
	char *bare;

	(void)state;
	assert_true(td_has_mark("Done.\n\n[accessd action C_1.r0.note]", "C_1.r0.note"));
	assert_true(td_has_mark("Done.\n\n[accessd action C_1.r0.note]  \n", "C_1.r0.note"));
	assert_true(td_has_mark("Done.<br><br>[accessd action C_1.r0.note]", "C_1.r0.note"));
	assert_false(td_has_mark("Done.\n\n[accessd action C_1.r0.note]", "C_1.r0"));
	assert_false(td_has_mark("Done.\n\n[accessd action C_1.r0.note] and more", "C_1.r0.note"));
	/* Quoting an earlier mark is not having one: only the last counts. */
	assert_false(td_has_mark("[accessd action C_1.r0.note] said\n\n[accessd action C_1.r1.note]", "C_1.r0.note"));
	assert_false(td_has_mark(NULL, "C_1.r0.note"));
	bare = td_unmarked("Completed: granted.\n\n[accessd action C_1.r0.complete.note]");
	assert_string_equal(bare, "Completed: granted.");
	free(bare);
	bare = td_unmarked("no mark");
	assert_string_equal(bare, "no mark");
	free(bare);
}

static void test_action_keys_fit_topdesk_fields(void **state)
{
	char key[80];
	const char *longer = "C_2611_001-1a2b3c4d.r12.s3.0a1b2c3d.4567890123456.ignore.and-more-than-sixty-chars";

	(void)state;
	td_action_key("C_2611_001-1a2b3c4d.r0.block", 60, key, sizeof(key));
	assert_string_equal(key, "C_2611_001-1a2b3c4d.r0.block");
	td_action_key(longer, 60, key, sizeof(key));
	assert_int_equal(strlen(key), strlen("accessd-") + 16);
	assert_memory_equal(key, "accessd-", 8);
	/* The same id, the same key: a retry finds what it made. */
	{
		char again[80];

		td_action_key(longer, 60, again, sizeof(again));
		assert_string_equal(key, again);
	}
}

static void test_numbers_as_topdesk_writes_them(void **state)
{
	(void)state;
	assert_true(td_number_ok("C 2611 001"));
	assert_true(td_number_ok("I 2611 001"));
	assert_false(td_number_ok(""));
	assert_false(td_number_ok(NULL));
	assert_false(td_number_ok("C 2611\x07 001"));
	assert_false(td_number_ok("C 2611 001\n"));
	assert_false(td_number_ok("01234567890123456789012345678901234567890"));
}

static void test_form_answers(void **state)
{
	const char *text = "Business justification<br/>- Support &lt;b&gt; &amp; more<br/><br/>End date<br/>- "
			   "2027-01-31<br/><br/>Sponsor<br />- bob@contoso.example\n"
			   "Mailbox<br>- finance@contoso.example<br><br>My End date<br/>- never";
	char *v;

	(void)state;
	assert_int_equal(td_form_value(text, "Business justification", &v), 0);
	assert_string_equal(v, "Support <b> & more");
	free(v);
	assert_int_equal(td_form_value(text, "End date", &v), 0);
	assert_string_equal(v, "2027-01-31");
	free(v);
	assert_int_equal(td_form_value(text, "Sponsor", &v), 0);
	assert_string_equal(v, "bob@contoso.example");
	free(v);
	assert_int_equal(td_form_value(text, "Mailbox", &v), 0);
	assert_string_equal(v, "finance@contoso.example");
	free(v);
	assert_int_equal(td_form_value(text, "Duration", &v), 0);
	assert_null(v);
	/* A label is a whole label: "End date" is not "My End date". */
	assert_int_equal(td_form_value("My End date<br/>- never", "End date", &v), 0);
	assert_null(v);
}

static void test_tenant_names_resolve(void **state)
{
	struct td_named v[] = {
		{ .id = "7e000000-0000-4000-8000-000000000001", .name = "VPN Access", .extra = "WS 001" },
		{ .id = "7e000000-0000-4000-8000-000000000002", .name = "Shared Mailbox Access", .extra = "WS 002" },
	};
	struct td_list l = { v, 2 };

	(void)state;
	assert_string_equal(td_list_find(&l, "VPN Access"), v[0].id);
	assert_string_equal(td_list_find(&l, "WS 002"), v[1].id);
	assert_string_equal(td_list_find(&l, "7E000000-0000-4000-8000-000000000001"), v[0].id);
	assert_null(td_list_find(&l, "vpn access"));
	assert_null(td_list_find(&l, NULL));
	assert_true(td_optional_field_ok("optionalFields1.text1"));
	assert_true(td_optional_field_ok("optionalFields2.searchlist5"));
	assert_false(td_optional_field_ok("optionalFields3.text1"));
	assert_false(td_optional_field_ok("optionalFields1.text6"));
	assert_false(td_optional_field_ok("optionalFields1.text1.x"));
	assert_true(td_base_url_ok("https://contoso.topdesk.net/tas/api"));
	assert_true(td_base_url_ok("https://contoso.topdesk.net/tas/api/"));
	assert_false(td_base_url_ok("https://contoso.topdesk.net"));
	assert_false(td_base_url_ok("/tas/api"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fiql_values_stay_quoted),
		cmocka_unit_test(test_dates_as_topdesk_writes_them),
		cmocka_unit_test(test_html_and_plain_text),
		cmocka_unit_test(test_marks_find_earlier_writes),
		cmocka_unit_test(test_action_keys_fit_topdesk_fields),
		cmocka_unit_test(test_numbers_as_topdesk_writes_them),
		cmocka_unit_test(test_form_answers),
		cmocka_unit_test(test_tenant_names_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
