/* SPDX-License-Identifier: Apache-2.0 */
/* The TOPdesk connector's text rules: FIQL values that cannot break out of
 * their quotes, TOPdesk's dates, HTML escaped for incident actions and
 * plain text for change memos, the marks that find an earlier write, the
 * answers a portal form writes, and the names a tenant's list resolves.
 * And the connector against the emulator: authorization activities made
 * once, withdrawn, and made again; people found by their mapped name; the
 * pages of records; a record the caller did not keep delivered again. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/itsm.h"
#include "connectors/topdesk/topdesk.h"
#include "emu.h"
#include "fake_env.h"

#define OPERATOR "0ace5d00-0000-4000-8000-000000000001"
#define MIA "5e000000-0000-4000-8000-000000000001"
#define BOB "5e000000-0000-4000-8000-000000000002"
#define TEMPLATE "7e000000-0000-4000-8000-000000000001"
#define CHANGE "c4000000-0000-4000-8000-000000000001"
#define DECIDED "ac000000-0000-4000-8000-000000000001"

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

static struct emu emu;
static struct fake_env fake;
static char secret_path[128], base_url[96];
static struct conn_config conf;
static const struct retry_config retry = {
	.max_attempts = 3,
	.initial_backoff_ms = 100,
	.max_backoff_ms = 1000,
	.budget_ms = 10000,
};
static struct item_config vpn_item = { .name = "VPN Access" };

static int setup(void **state)
{
	(void)state;
	if (emu_start(&emu) < 0)
		return -1;
	snprintf(base_url, sizeof(base_url), "%s/tas/api", emu.url);
	return emu_secret_file(&emu, "secret", "app-pw", secret_path, sizeof(secret_path)) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(secret_path);
	emu_stop(&emu);
	return 0;
}

/* A tenant with one template, two persons (mia a manager), the operator
 * accessd works as, a change of bob's and a decided activity; and the
 * connector open on it. */
static struct itsm *open_topdesk(void)
{
	struct itsm *itsm = NULL;

	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	assert_int_equal(emu_post(&emu, "/_emu/config/topdesk",
				  "{\"users\": {\"svc\": {\"password\": \"app-pw\", \"operator\": \"" OPERATOR "\"}},"
				  " \"change_templates\": [{\"id\": \"" TEMPLATE "\", \"number\": \"WS 001\","
				  " \"briefDescription\": \"VPN Access\"}]}"),
			 0);
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"topdesk\": {\"operators\": [{\"id\": \"" OPERATOR "\", \"email\": \"svc@contoso.example\","
				  " \"loginName\": \"svc\"}],"
				  " \"persons\": [{\"id\": \"" MIA "\", \"email\": \"mia@contoso.example\", \"isManager\": true},"
				  "  {\"id\": \"" BOB "\", \"email\": \"bob@contoso.example\"}],"
				  " \"changes\": [{\"id\": \"" CHANGE "\", \"template\": {\"id\": \"" TEMPLATE "\"},"
				  "  \"requester\": {\"id\": \"" BOB "\"}, \"briefDescription\": \"VPN for bob\","
				  "  \"modificationDate\": \"2026-11-20T10:00:00Z\"}],"
				  " \"activities\": [{\"id\": \"" DECIDED "\", \"change\": {\"id\": \"" CHANGE "\"},"
				  "  \"activityType\": \"authorization\", \"briefDescription\": \"decided\","
				  "  \"processingStatus\": \"authorized\", \"finalDate\": \"2026-11-21T10:00:00Z\","
				  "  \"assignee\": {\"id\": \"" MIA "\", \"type\": \"manager\"}}]}}"),
			 0);
	conf = (struct conn_config){
		.kind = "topdesk",
		.base_url = base_url,
		.auth = AUTH_BASIC,
		.username = "svc",
		.password = { .file = secret_path },
		.connect_timeout_ms = 5000,
		.timeout_ms = 10000,
		.max_response_bytes = 256 * 1024,
		.user_attribute = "user_name", /* the core's default: TOPdesk reads it as email */
		.poll_overlap_ms = 60 * 1000,
		.page_size = 10,
	};
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	assert_int_equal(itsm_open(&conf, &retry, &fake.env, &itsm), 0);
	return itsm;
}

static int count_request(const struct request *req, void *userdata)
{
	(void)req;
	(*(int *)userdata)++;
	return 0;
}

static int count_approval(const struct approval *a, void *userdata)
{
	(void)a;
	(*(int *)userdata)++;
	return 0;
}

/* The processing status of activity ID in the emulator's store. */
static int activity_is(const char *id, const char *status)
{
	char *body = NULL, needle[160];
	int found;

	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/topdesk", NULL, &body), 200);
	snprintf(needle, sizeof(needle), "\"id\": \"%s\"", id);
	found = strstr(body, needle) && strstr(strstr(body, needle), status) != NULL;
	free(body);
	return found;
}

static void test_approvals_made_once_withdrawn_and_made_again(void **state)
{
	struct itsm *itsm = open_topdesk();
	char *wm = NULL, *user = NULL, *first = NULL, *again = NULL, *third = NULL;
	int n = 0, posts;

	(void)state;
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, count_request, &n, &wm), 0);
	assert_int_equal(n, 1);
	assert_string_equal(wm, "2026-11-20 10:00:00");
	free(wm);
	assert_int_equal(itsm_find_user(itsm, "MIA@contoso.example", &user), 0);
	assert_string_equal(user, MIA);
	assert_int_equal(itsm_find_user(itsm, "nobody@contoso.example", &wm), -ENOENT);
	assert_int_equal(itsm_create_approval(itsm, CHANGE, user, "C_1.r0.s0.0000aaaa.approve", &first), 0);
	posts = emu_count(&emu, "POST", "/operatorChangeActivities");
	assert_int_equal(posts, 1);
	/* Asked again (a restart): found by its description, not made twice. */
	assert_int_equal(itsm_create_approval(itsm, CHANGE, user, "C_1.r0.s0.0000aaaa.approve", &again), 0);
	assert_string_equal(first, again);
	assert_int_equal(emu_count(&emu, "POST", "/operatorChangeActivities"), 1);
	/* The same approver for a later stage gets an activity of their own. */
	assert_int_equal(itsm_create_approval(itsm, CHANGE, user, "C_1.r0.s1.0000aaaa.approve", &third), 0);
	assert_string_not_equal(first, third);
	free(third);
	third = NULL;
	/* Withdrawn: skipped, once; then asking again makes a new one. */
	assert_int_equal(itsm_cancel_approval(itsm, first, "C_1.r0.s0.cancel"), 0);
	assert_true(activity_is(first, "skipped"));
	assert_int_equal(itsm_cancel_approval(itsm, first, "C_1.r0.s0.cancel"), 0);
	assert_int_equal(emu_count(&emu, "PATCH", "/operatorChangeActivities/"), 1);
	assert_int_equal(itsm_create_approval(itsm, CHANGE, user, "C_1.r0.s0.0000aaaa.approve", &third), 0);
	assert_string_not_equal(first, third);
	/* A decided one is left alone. */
	assert_int_equal(itsm_cancel_approval(itsm, DECIDED, "C_1.r0.s0.cancel2"), -EBUSY);
	assert_true(activity_is(DECIDED, "authorized"));
	assert_int_equal(itsm_create_approval(itsm, CHANGE, "not-a-uuid", "C_1.r0.s0.x.approve", &wm), -EINVAL);
	free(user);
	free(first);
	free(again);
	free(third);
	itsm_close(itsm);
}

static void test_decisions_the_caller_did_not_keep_come_again(void **state)
{
	struct itsm *itsm = open_topdesk();
	char *wm = NULL, *wm2 = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, count_request, &n, &wm), 0);
	free(wm);
	n = 0;
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, NULL, count_approval, &n, &wm), 0);
	assert_int_equal(n, 1);
	assert_string_equal(wm, "2026-11-21 10:00:00");
	/* Kept: the overlap brings it back, it is not delivered. */
	n = 0;
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, wm, count_approval, &n, &wm2), 0);
	assert_int_equal(n, 0);
	free(wm2);
	/* Not kept: the caller asks from before it, and gets it again. */
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, "2026-11-20 00:00:00", count_approval, &n, &wm2), 0);
	assert_int_equal(n, 1);
	free(wm2);
	free(wm);
	itsm_close(itsm);
}

static void test_record_pages(void **state)
{
	struct itsm *itsm = open_topdesk();
	char *url = NULL, *wm = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, count_request, &n, &wm), 0);
	free(wm);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, CHANGE, &url), 0);
	assert_non_null(strstr(url, "/tas/secure/contained/newchange?action=show&unid=" CHANGE));
	assert_int_equal(strncmp(url, emu.url, strlen(emu.url)), 0);
	assert_null(strstr(url, "/tas/api"));
	free(url);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "I 2611 003", &url), 0);
	assert_non_null(strstr(url, "/tas/secure/incident?action=lookup&lookup=naam&lookupValue=I%202611%20003"));
	free(url);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "I 2611\n003", &url), -EINVAL);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, MIA, &url), -EINVAL);
	itsm_close(itsm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approvals_made_once_withdrawn_and_made_again),
		cmocka_unit_test(test_decisions_the_caller_did_not_keep_come_again),
		cmocka_unit_test(test_record_pages),
		cmocka_unit_test(test_fiql_values_stay_quoted),
		cmocka_unit_test(test_dates_as_topdesk_writes_them),
		cmocka_unit_test(test_html_and_plain_text),
		cmocka_unit_test(test_marks_find_earlier_writes),
		cmocka_unit_test(test_action_keys_fit_topdesk_fields),
		cmocka_unit_test(test_numbers_as_topdesk_writes_them),
		cmocka_unit_test(test_form_answers),
		cmocka_unit_test(test_tenant_names_resolve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
