/* SPDX-License-Identifier: Apache-2.0 */
/* The pure evaluation of rules (core/rules.h): each condition true and
 * false, the combinations, the words a decision is recorded with, and a
 * missing fact, which never matches. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/rules.h"

#define SUBJ "0a1b2c3d-0000-4000-8000-0000000a11ce"
#define MGR "0a1b2c3d-0000-4000-8000-00000000000a"
#define OTHER "0a1b2c3d-0000-4000-8000-000000000b0b"
#define G1 "c04ae1be-6a78-47ef-b99e-6777171d5de0"
#define G2 "70940853-3a35-40c8-aef5-a5aced4a31fc"
/* Wednesday 2026-11-25 09:00:00 UTC. */
#define NOW_MS INT64_C(1795597200000)
#define DAY_MS INT64_C(86400000)
#define HOUR_MS INT64_C(3600000)

#define VALUES(...) ((char *[]){ __VA_ARGS__, NULL })

static struct target_config vpn = { .name = "VPN-Users", .class = TARGET_STANDARD };
static struct target_config admins = { .name = "Server-Admins", .class = TARGET_PRIVILEGED };
static struct target_config wiki = { .name = "Wiki", .class = TARGET_STANDARD };

static struct variable attrs[] = { { "department", "Finance" }, { "companyName", "Contoso Ltd" } };
static struct person subject = { .exists = 1, .id = SUBJ, .upn = "alice@contoso.example", .enabled = 1,
				 .user_type = "Member", .employee_type = "Employee", .manager_id = MGR,
				 .attrs = attrs, .n_attrs = 2 };
static struct person manager = { .exists = 1, .id = MGR, .upn = "mia@contoso.example", .enabled = 1 };
static struct person other = { .exists = 1, .id = OTHER, .upn = "bob@contoso.example", .enabled = 1 };
static const char *const groups[] = { G2 };
static struct rule_holding holdings[] = { { &vpn, 1, 1 }, { &wiki, 1, 0 }, { &admins, 0, 0 } };
static struct rule_zone zones[] = { { "Europe/Amsterdam", 1, 3600 }, { "Asia/Kolkata", 1, 19800 },
				    { "Mars/Olympus_Mons", 0, 0 } };

/* Everything known: Alice of Finance asks herself for VPN-Users for 14 days. */
static struct rule_facts full(void)
{
	return (struct rule_facts){
		.subject = &subject,
		.requester = &subject,
		.target = &vpn,
		.duration_ms = 14 * DAY_MS,
		.member_of_known = 1,
		.member_of = groups,
		.n_member_of = 1,
		.holdings = holdings,
		.n_holdings = 3,
		.zones = zones,
		.n_zones = 3,
		.now_ms = NOW_MS,
	};
}

static size_t count(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static struct rule_cond values(enum rule_kind kind, char **v)
{
	return (struct rule_cond){ .kind = kind, .values = v, .n_values = count(v) };
}

static struct rule_cond targets(enum rule_kind kind, const struct target_config **t, size_t n)
{
	return (struct rule_cond){ .kind = kind, .targets = t, .n_targets = n };
}

static struct rule_cond window(const char *zone, unsigned days, int from, int to)
{
	return (struct rule_cond){ .kind = RULE_TIME, .zone = (char *)zone, .days = days, .from_min = from, .to_min = to };
}

/* Whether the one condition C holds on F, its words in TEXT. */
static int holds(struct rule_cond c, const struct rule_facts *f, char *text)
{
	struct rule_config rule = { .name = "r", .when = { .kind = RULE_ALL, .children = &c, .n_children = 1 } };
	struct rule_verdict v;

	rules_evaluate(&rule, 1, f, &v);
	if (v.rule) {
		strcpy(text, v.text);
		return 1;
	}
	/* Without a match the text names the rule: "rule "r": ...". */
	assert_memory_equal(v.text, "rule \"r\": ", 10);
	strcpy(text, v.text + 10);
	return 0;
}

static void expect(struct rule_cond c, const struct rule_facts *f, int want, const char *words)
{
	char text[RULE_TEXT_MAX];

	assert_int_equal(holds(c, f, text), want);
	assert_string_equal(text, words);
}

static void test_attributes(void **state)
{
	struct rule_facts f = full();
	struct variable none[] = { { "department", NULL } };
	struct person bare = subject, gone = { 0 };

	(void)state;
	expect(values(RULE_DEPARTMENT, VALUES("Finance")), &f, 1, "department is \"Finance\"");
	expect(values(RULE_DEPARTMENT, VALUES("IT", "finance")), &f, 1, "department is \"Finance\"");
	expect(values(RULE_DEPARTMENT, VALUES("IT")), &f, 0, "department is \"Finance\", not \"IT\"");
	expect(values(RULE_DEPARTMENT, VALUES("IT", "HR")), &f, 0, "department is \"Finance\", not one of \"IT\", \"HR\"");
	expect(values(RULE_COMPANY, VALUES("Contoso Ltd")), &f, 1, "company is \"Contoso Ltd\"");
	expect(values(RULE_COMPANY, VALUES("Fabrikam")), &f, 0, "company is \"Contoso Ltd\", not \"Fabrikam\"");
	expect(values(RULE_EMPLOYEE_TYPE, VALUES("employee")), &f, 1, "employee type is \"Employee\"");
	expect(values(RULE_EMPLOYEE_TYPE, VALUES("Contractor")), &f, 0,
	       "employee type is \"Employee\", not \"Contractor\"");
	expect(values(RULE_USER_TYPE, VALUES("Member")), &f, 1, "user type is \"Member\"");
	expect(values(RULE_USER_TYPE, VALUES("Guest")), &f, 0, "user type is \"Member\", not \"Guest\"");

	/* Missing: an attribute the directory did not give, a null one, an
	 * empty one, a person who does not exist. */
	bare.attrs = NULL;
	bare.n_attrs = 0;
	bare.employee_type = NULL;
	bare.user_type = "";
	f.subject = &bare;
	expect(values(RULE_DEPARTMENT, VALUES("Finance")), &f, 0, "department is not known");
	expect(values(RULE_COMPANY, VALUES("Contoso Ltd")), &f, 0, "company is not known");
	expect(values(RULE_EMPLOYEE_TYPE, VALUES("Employee")), &f, 0, "employee type is not known");
	expect(values(RULE_USER_TYPE, VALUES("Member")), &f, 0, "user type is not known");
	bare.attrs = none;
	bare.n_attrs = 1;
	expect(values(RULE_DEPARTMENT, VALUES("Finance")), &f, 0, "department is not known");
	gone.employee_type = "Employee";
	f.subject = &gone;
	expect(values(RULE_EMPLOYEE_TYPE, VALUES("Employee")), &f, 0, "employee type is not known");
}

static void test_member_of(void **state)
{
	struct rule_facts f = full();

	(void)state;
	expect(values(RULE_MEMBER_OF, VALUES(G2)), &f, 1, "a direct member of group " G2);
	expect(values(RULE_MEMBER_OF, VALUES(G1, "70940853-3A35-40C8-AEF5-A5ACED4A31FC")), &f, 1,
	       "a direct member of group 70940853-3A35-40C8-AEF5-A5ACED4A31FC");
	expect(values(RULE_MEMBER_OF, VALUES(G1)), &f, 0, "not a direct member of group " G1);
	expect(values(RULE_MEMBER_OF, VALUES(G1, G1)), &f, 0, "not a direct member of any of the groups " G1 ", " G1);
	/* The directory could not say: the group in the list does not count. */
	f.member_of_known = 0;
	expect(values(RULE_MEMBER_OF, VALUES(G2)), &f, 0, "the person's group memberships are not known");
}

static void test_requester(void **state)
{
	struct rule_facts f = full();
	struct rule_cond by_self = { .kind = RULE_REQUESTER, .requester = RULE_BY_SUBJECT };
	struct rule_cond by_manager = { .kind = RULE_REQUESTER, .requester = RULE_BY_MANAGER };
	struct rule_cond either = { .kind = RULE_REQUESTER, .requester = RULE_BY_SUBJECT | RULE_BY_MANAGER };
	struct person no_manager = subject, gone = { 0 };

	(void)state;
	expect(by_self, &f, 1, "requested by the person themselves");
	expect(either, &f, 1, "requested by the person themselves");
	expect(by_manager, &f, 0, "requested by alice@contoso.example, not by the person's manager");
	f.requester = &manager;
	expect(by_manager, &f, 1, "requested by the person's manager");
	expect(either, &f, 1, "requested by the person's manager");
	expect(by_self, &f, 0, "requested by mia@contoso.example, not by the person themselves");
	f.requester = &other;
	expect(either, &f, 0, "requested by bob@contoso.example, not by the person or their manager");
	/* Missing: no requester in the directory, no manager known. */
	f.requester = &gone;
	expect(either, &f, 0, "who asked is not known");
	f.requester = &manager;
	no_manager.manager_id = NULL;
	f.subject = &no_manager;
	expect(by_manager, &f, 0, "requested by mia@contoso.example, not by the person's manager");
	f.subject = &gone;
	expect(either, &f, 0, "who asked is not known");
}

static void test_target_and_class(void **state)
{
	const struct target_config *vpn_or_wiki[] = { &wiki, &vpn }, *just_admins[] = { &admins };
	struct rule_facts f = full();

	(void)state;
	expect(targets(RULE_TARGET, vpn_or_wiki, 2), &f, 1, "the target is \"VPN-Users\"");
	expect(targets(RULE_TARGET, just_admins, 1), &f, 0, "the target is \"VPN-Users\", not \"Server-Admins\"");
	expect((struct rule_cond){ .kind = RULE_TARGET_CLASS, .target_class = TARGET_STANDARD }, &f, 1,
	       "the target is standard");
	expect((struct rule_cond){ .kind = RULE_TARGET_CLASS, .target_class = TARGET_PRIVILEGED }, &f, 0,
	       "the target is standard, not privileged");
	f.target = &admins;
	expect((struct rule_cond){ .kind = RULE_TARGET_CLASS, .target_class = TARGET_PRIVILEGED }, &f, 1,
	       "the target is privileged");
	f.target = NULL;
	expect(targets(RULE_TARGET, vpn_or_wiki, 2), &f, 0, "the target is not known");
	expect((struct rule_cond){ .kind = RULE_TARGET_CLASS, .target_class = TARGET_STANDARD }, &f, 0,
	       "the target is not known");
}

static void test_duration(void **state)
{
	struct rule_facts f = full();
	struct rule_cond month = { .kind = RULE_DURATION, .duration_ms = 30 * DAY_MS };

	(void)state;
	expect(month, &f, 1, "requested for 14d, at most 30d");
	f.duration_ms = 30 * DAY_MS;
	expect(month, &f, 1, "requested for 30d, at most 30d");
	f.duration_ms = 30 * DAY_MS + 1000;
	expect(month, &f, 0, "requested for 30d, more than 30d");
	f.duration_ms = 15 * DAY_MS + 16 * HOUR_MS;
	expect(month, &f, 1, "requested for 15d 16h, at most 30d");
	f.duration_ms = 2 * HOUR_MS + 30 * 60000;
	expect(month, &f, 1, "requested for 2h 30m, at most 30d");
	/* No end date: nothing to compare, so it does not match. */
	f.duration_ms = 0;
	expect(month, &f, 0, "the access has no end date");
}

static void test_time(void **state)
{
	const unsigned weekdays = 0x1f, weekend = 0x60, mon_wed_fri = 1u | 4u | 16u;
	struct rule_facts f = full();

	(void)state;
	/* 09:00 UTC is 10:00 in Amsterdam, 14:30 in Kolkata, on a Wednesday. */
	expect(window("Europe/Amsterdam", weekdays, 8 * 60, 18 * 60), &f, 1,
	       "Wed 10:00 in Europe/Amsterdam, within Mon-Fri 08:00-18:00");
	expect(window("Europe/Amsterdam", weekdays, 10 * 60, 18 * 60), &f, 1,
	       "Wed 10:00 in Europe/Amsterdam, within Mon-Fri 10:00-18:00");
	expect(window("Europe/Amsterdam", weekdays, 8 * 60, 10 * 60), &f, 0,
	       "Wed 10:00 in Europe/Amsterdam, outside Mon-Fri 08:00-10:00");
	expect(window("Asia/Kolkata", weekdays, 8 * 60, 14 * 60), &f, 0,
	       "Wed 14:30 in Asia/Kolkata, outside Mon-Fri 08:00-14:00");
	expect(window("Europe/Amsterdam", weekend, 0, 24 * 60), &f, 0, "Wed 10:00 in Europe/Amsterdam, outside Sat-Sun");
	expect(window("Europe/Amsterdam", mon_wed_fri, 0, 24 * 60), &f, 1,
	       "Wed 10:00 in Europe/Amsterdam, within Mon,Wed,Fri");
	expect(window("Europe/Amsterdam", 0x7f, 9 * 60, 17 * 60), &f, 1,
	       "Wed 10:00 in Europe/Amsterdam, within every day 09:00-17:00");
	/* Across midnight: 22:00-06:00 holds at 23:30 and 05:59, not at 06:00. */
	f.now_ms = NOW_MS + 12 * HOUR_MS + 30 * 60000;
	expect(window("Europe/Amsterdam", 0x7f, 22 * 60, 6 * 60), &f, 1,
	       "Wed 22:30 in Europe/Amsterdam, within every day 22:00-06:00");
	f.now_ms = NOW_MS + 19 * HOUR_MS + 59 * 60000;
	expect(window("Europe/Amsterdam", 0x7f, 22 * 60, 6 * 60), &f, 1,
	       "Thu 05:59 in Europe/Amsterdam, within every day 22:00-06:00");
	f.now_ms = NOW_MS + 20 * HOUR_MS;
	expect(window("Europe/Amsterdam", 0x7f, 22 * 60, 6 * 60), &f, 0,
	       "Thu 06:00 in Europe/Amsterdam, outside every day 22:00-06:00");
	/* Before 1970 the day still comes out right (floor division). */
	f.now_ms = -2 * HOUR_MS;
	expect(window("Europe/Amsterdam", 1u << 2, 0, 24 * 60), &f, 1, "Wed 23:00 in Europe/Amsterdam, within Wed");
	/* Missing: a zone the database could not resolve, or not gathered. */
	f.now_ms = NOW_MS;
	expect(window("Mars/Olympus_Mons", 0x7f, 0, 24 * 60), &f, 0, "the time in Mars/Olympus_Mons is not known");
	expect(window("Europe/Berlin", 0x7f, 0, 24 * 60), &f, 0, "the time in Europe/Berlin is not known");
}

static void test_holds(void **state)
{
	const struct target_config *one[] = { &vpn }, *two[] = { &wiki, &vpn }, *not_held[] = { &wiki },
				   *unknown[] = { &admins }, *never_asked[] = { &admins, &wiki };
	struct rule_facts f = full();

	(void)state;
	expect(targets(RULE_HOLDS, one, 1), &f, 1, "already holds \"VPN-Users\"");
	expect(targets(RULE_HOLDS, two, 2), &f, 1, "already holds \"VPN-Users\"");
	expect(targets(RULE_HOLDS, not_held, 1), &f, 0, "does not hold \"Wiki\"");
	expect(targets(RULE_HOLDS, unknown, 1), &f, 0, "whether the person holds \"Server-Admins\" is not known");
	expect(targets(RULE_HOLDS, never_asked, 2), &f, 0,
	       "whether the person holds \"Server-Admins\", \"Wiki\" is not known");
	f.n_holdings = 0;
	expect(targets(RULE_HOLDS, one, 1), &f, 0, "does not hold \"VPN-Users\"");
}

static void test_combinations(void **state)
{
	struct rule_cond finance = values(RULE_DEPARTMENT, VALUES("Finance"));
	struct rule_cond it = values(RULE_DEPARTMENT, VALUES("IT"));
	struct rule_cond employee = values(RULE_EMPLOYEE_TYPE, VALUES("Employee"));
	struct rule_cond month = { .kind = RULE_DURATION, .duration_ms = 30 * DAY_MS };
	struct rule_cond week = { .kind = RULE_DURATION, .duration_ms = 7 * DAY_MS };
	struct rule_cond pair[2], any_of[2], nested[2];
	struct rule_config rules[3];
	struct rule_facts f = full();
	struct rule_verdict v;

	(void)state;
	pair[0] = finance;
	pair[1] = month;
	expect((struct rule_cond){ .kind = RULE_ALL, .children = pair, .n_children = 2 }, &f, 1,
	       "department is \"Finance\"; requested for 14d, at most 30d");
	pair[1] = week;
	expect((struct rule_cond){ .kind = RULE_ALL, .children = pair, .n_children = 2 }, &f, 0,
	       "requested for 14d, more than 7d");
	any_of[0] = it;
	any_of[1] = month;
	expect((struct rule_cond){ .kind = RULE_ANY, .children = any_of, .n_children = 2 }, &f, 1,
	       "requested for 14d, at most 30d");
	any_of[1] = week;
	expect((struct rule_cond){ .kind = RULE_ANY, .children = any_of, .n_children = 2 }, &f, 0,
	       "none of (department is \"Finance\", not \"IT\" | requested for 14d, more than 7d)");
	/* all (employee, any (IT, all (Finance, month))) */
	pair[1] = month;
	any_of[1] = (struct rule_cond){ .kind = RULE_ALL, .children = pair, .n_children = 2 };
	nested[0] = employee;
	nested[1] = (struct rule_cond){ .kind = RULE_ANY, .children = any_of, .n_children = 2 };
	expect((struct rule_cond){ .kind = RULE_ALL, .children = nested, .n_children = 2 }, &f, 1,
	       "employee type is \"Employee\"; department is \"Finance\"; requested for 14d, at most 30d");

	/* The first rule that holds decides; without one, each says why not. */
	rules[0] = (struct rule_config){ .name = "it-staff", .when = { .kind = RULE_ALL, .children = &it, .n_children = 1 } };
	rules[1] = (struct rule_config){ .name = "short", .when = { .kind = RULE_ALL, .children = &month, .n_children = 1 } };
	rules[2] = (struct rule_config){ .name = "finance", .when = { .kind = RULE_ALL, .children = &finance, .n_children = 1 } };
	rules_evaluate(rules, 3, &f, &v);
	assert_ptr_equal(v.rule, &rules[1]);
	assert_string_equal(v.text, "requested for 14d, at most 30d");
	f.duration_ms = 60 * DAY_MS;
	rules_evaluate(rules, 3, &f, &v);
	assert_ptr_equal(v.rule, &rules[2]);
	rules_evaluate(rules, 2, &f, &v);
	assert_null(v.rule);
	assert_string_equal(v.text, "rule \"it-staff\": department is \"Finance\", not \"IT\"; rule \"short\": "
				    "requested for 60d, more than 30d");
	rules_evaluate(rules, 0, &f, &v);
	assert_null(v.rule);
	assert_string_equal(v.text, "");
}

/* With every fact missing, no condition matches, alone or combined: a
 * rule can only decide on what is known. */
static void test_missing_fact_never_matches(void **state)
{
	const struct target_config *t[] = { &vpn };
	struct person nobody = { 0 };
	struct rule_facts none = { .subject = &nobody, .requester = &nobody, .now_ms = NOW_MS };
	struct rule_cond leaves[] = {
		values(RULE_DEPARTMENT, VALUES("Finance")),
		values(RULE_COMPANY, VALUES("Contoso Ltd")),
		values(RULE_EMPLOYEE_TYPE, VALUES("Employee")),
		values(RULE_USER_TYPE, VALUES("Member", "Guest")),
		values(RULE_MEMBER_OF, VALUES(G2)),
		{ .kind = RULE_REQUESTER, .requester = RULE_BY_SUBJECT | RULE_BY_MANAGER },
		targets(RULE_TARGET, t, 1),
		{ .kind = RULE_TARGET_CLASS, .target_class = TARGET_STANDARD },
		{ .kind = RULE_DURATION, .duration_ms = INT64_MAX },
		window("Europe/Amsterdam", 0x7f, 0, 24 * 60),
		targets(RULE_HOLDS, t, 1),
	};
	const size_t n = sizeof(leaves) / sizeof(leaves[0]);
	struct rule_facts f = full();
	char text[RULE_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		print_message("condition kind %d\n", leaves[i].kind);
		/* Each holds on the full facts, and not on none of them. */
		assert_true(holds(leaves[i], &f, text));
		assert_false(holds(leaves[i], &none, text));
	}
	assert_false(holds((struct rule_cond){ .kind = RULE_ANY, .children = leaves, .n_children = n }, &none, text));
	assert_false(holds((struct rule_cond){ .kind = RULE_ALL, .children = leaves, .n_children = n }, &none, text));
	assert_true(holds((struct rule_cond){ .kind = RULE_ALL, .children = leaves, .n_children = n }, &f, text));
	/* Known to the directory, but not gathered for this request. */
	f.member_of_known = 0;
	f.n_holdings = 0;
	f.n_zones = 0;
	assert_false(holds(leaves[4], &f, text));
	assert_false(holds(leaves[9], &f, text));
	assert_false(holds(leaves[10], &f, text));
}

/* However long the values, the words fit and say they were cut. */
static void test_long_text_is_cut(void **state)
{
	char long_value[400], *v[] = { long_value, long_value, NULL };
	struct rule_cond c[2];
	struct rule_facts f = full();
	struct rule_config rule = { .name = "r", .when = { .kind = RULE_ALL, .children = c, .n_children = 2 } };
	struct rule_verdict out;

	(void)state;
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	c[0] = values(RULE_DEPARTMENT, VALUES("Finance"));
	c[1] = values(RULE_COMPANY, v);
	rules_evaluate(&rule, 1, &f, &out);
	assert_null(out.rule);
	assert_int_equal(strlen(out.text), RULE_TEXT_MAX - 1);
	assert_string_equal(out.text + RULE_TEXT_MAX - 4, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_member_of),
		cmocka_unit_test(test_requester),
		cmocka_unit_test(test_target_and_class),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_combinations),
		cmocka_unit_test(test_missing_fact_never_matches),
		cmocka_unit_test(test_long_text_is_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
