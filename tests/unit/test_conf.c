/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "connectors/connectors.h"
#include "connectors/directory.h"
#include "connectors/notify.h"
#include "connectors/servicenow/servicenow.h"
#include "conf/conf_parse.h"
#include "util/text.h"

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		int ok;
		int64_t ms;
	} cases[] = {
		{ "90s", 1, 90000 },
		{ "15m", 1, 900000 },
		{ "24h", 1, 86400000 },
		{ "7d", 1, 604800000 },
		{ "0s", 1, 0 },
		{ "10", 0, 0 },
		{ "s", 0, 0 },
		{ "-5m", 0, 0 },
		{ "5 m", 0, 0 },
		{ "5mm", 0, 0 },
		{ "5w", 0, 0 },
		{ "", 0, 0 },
		{ "99999999999999999d", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -1;
		int r = conf_parse_duration(cases[i].text, &ms);

		if (cases[i].ok) {
			assert_int_equal(r, 0);
			assert_int_equal(ms, cases[i].ms);
		} else {
			assert_int_equal(r, -EINVAL);
		}
	}
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/accessd-conf-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_valid(void **state)
{
	char *path = write_temp("daemon = { poll_interval = \"2m\"; log_level = \"debug\"; };\n"
				"itsm = { kind = \"servicenow\"; base_url = \"https://x.service-now.com/\";\n"
				"  auth = { method = \"basic\"; username = \"u\"; password_file = \"/etc/p\"; }; };\n"
				"policy = { items = ( { name = \"VPN Access\"; }, { name = \"B\"; sys_id = \"abc\"; } ); };\n");
	struct diag d = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(cfg->poll_interval_ms, 120000);
	assert_int_equal(cfg->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(cfg->itsm.base_url, "https://x.service-now.com");
	assert_string_equal(cfg->itsm.password.file, "/etc/p");
	assert_null(cfg->itsm.password.credential);
	assert_int_equal(cfg->n_items, 2);
	assert_string_equal(cfg->items[1].sys_id, "abc");
	assert_int_equal(cfg->items[1].line, 4);
	assert_string_equal(cfg->state_directory, LOCALSTATEDIR "/lib/accessd");
	conf_free(cfg);
	unlink(path);
	free(path);
}

static void test_every_problem_is_reported(void **state)
{
	char *path = write_temp("daemon = { poll_interval = \"soon\"; log_level = \"loud\"; };\n"
				"itsm = { kind = \"servicenow\"; base_url = \"https://x\";\n"
				"  auth = { method = \"basic\"; password_file = \"/a\"; password_credential = \"b\"; }; };\n"
				"policy = { items = ( 5 ); };\n");
	struct diag d = { 0 };
	struct config *cfg = NULL;
	char expect[512];

	(void)state;
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), -EINVAL);
	assert_null(cfg);
	assert_int_equal(d.n, 5);
	snprintf(expect, sizeof(expect), "%s:1: 'poll_interval' must be a duration", path);
	assert_memory_equal(d.msgs[0], expect, strlen(expect));
	snprintf(expect, sizeof(expect), "%s:1: unknown log_level \"loud\"", path);
	assert_memory_equal(d.msgs[1], expect, strlen(expect));
	snprintf(expect, sizeof(expect), "%s:3: 'username' is missing here", path);
	assert_memory_equal(d.msgs[2], expect, strlen(expect));
	snprintf(expect, sizeof(expect), "%s:3: both password_file and password_credential are set", path);
	assert_memory_equal(d.msgs[3], expect, strlen(expect));
	snprintf(expect, sizeof(expect), "%s:4: each item must be a group", path);
	assert_memory_equal(d.msgs[4], expect, strlen(expect));
	diag_clear(&d);
	unlink(path);
	free(path);
}

static void test_auth_methods(void **state)
{
	char *path = write_temp("itsm = { kind = \"servicenow\"; base_url = \"https://x\";\n"
				"  auth = { method = \"kerberos\"; }; };\n"
				"directory = { kind = \"entra\"; base_url = \"https://graph.microsoft.com/v1.0\";\n"
				"  auth = { method = \"client_credentials\"; client_id = \"c\"; client_secret_credential = \"e\"; }; };\n"
				"retry = { max_attempts = 0; budget = \"2m\"; };\n"
				"policy = { items = ( { name = \"A\"; } ); };\n");
	struct diag d = { 0 };
	struct config *cfg = NULL;
	char expect[512];

	(void)state;
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), -EINVAL);
	assert_int_equal(d.n, 2);
	snprintf(expect, sizeof(expect), "%s:2: unknown method \"kerberos\"", path);
	assert_memory_equal(d.msgs[0], expect, strlen(expect));
	snprintf(expect, sizeof(expect), "%s:5: 'max_attempts' must be a whole number from 1 to 100", path);
	assert_memory_equal(d.msgs[1], expect, strlen(expect));
	diag_clear(&d);
	unlink(path);
	free(path);
}

static void test_unreadable_file(void **state)
{
	struct diag d = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(conf_load("/nonexistent/accessd.conf", &connectors_builtin, &cfg, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "/nonexistent/accessd.conf: cannot read the configuration file: No such file or directory");
	diag_clear(&d);
}

/* A valid configuration, one setting per line where the cases below change
 * one line each. */
static const char *const base_lines[] = {
	/* 1 */ "daemon = { poll_interval = \"60s\"; log_level = \"info\"; };",
	/* 2 */ "itsm = { kind = \"servicenow\"; base_url = \"https://x.service-now.com\";",
	/* 3 */ "  auth = { method = \"basic\"; username = \"u\"; password_file = \"/etc/p\"; }; };",
	/* 4 */ "directory = { kind = \"entra\"; base_url = \"https://graph.microsoft.com/v1.0\";",
	/* 5 */ "  auth = { method = \"client_credentials\"; client_id = \"c\"; client_secret_file = \"/etc/s\"; }; };",
	/* 6 */ "retry = { max_attempts = 5; };",
	/* 7 */ "policy = {",
	/* 8 */ "  approvals = \"create\";",
	/* 9 */ "  partial_failure = \"rollback\";",
	/* 10 */ "  incident = { assignment_group = \"IAM\"; impact = 2; };",
	/* 11 */ "  contractors = { match = ( { attribute = \"employeeType\"; values = ( \"Contractor\" ); } );",
	/* 12 */ "    max_duration = \"90d\"; end_date_required = true; sponsor_required = true; };",
	/* 13 */ "  targets = (",
	/* 14 */ "    { name = \"VPN-Users\"; kind = \"group\"; group_id = \"70940853-3a35-40c8-aef5-a5aced4a31fc\"; },",
	/* 15 */ "    { name = \"VPN-Contractors\"; kind = \"group\"; group_id = \"7800b657-0b95-4283-8209-652cebccdcd0\"; },",
	/* 16 */ "    { name = \"Admins\"; kind = \"group\"; class = \"privileged\"; group_id = \"1ada63b6-44c6-442a-b397-d7ec8c7e4380\"; owner = \"e6766da0-7ebf-43f0-84b7-a026cf4f4678\"; },",
	/* 17 */ "    { name = \"Mailbox\"; kind = \"mailbox\"; group_id = \"b0a42d18-699f-4f11-89b2-6a7f971a081d\"; owner = \"7cf9fc67-6d20-49c2-ad63-81a962c05601\"; backup_owner = \"7d8f20a6-4e83-4e5b-84b2-d98ee9dd93e3\"; },",
	/* 18 */ "    { name = \"Role\"; kind = \"app_role\"; resource_id = \"bd69c59e-3a2f-4f0f-9553-21a154aed9f4\"; app_role_id = \"fcbf36d5-13f5-4118-a1ce-a49940e208f1\"; }",
	/* 19 */ "  );",
	/* 20 */ "  privileged_stages = ( { name = \"security\"; approvers = ( \"group:c04ae1be-6a78-47ef-b99e-6777171d5de0\" ); backup = ( \"user:e0ab2f8d-e8d3-423d-9602-0f53c5f6e5da\" ); escalate_after = \"24h\"; } );",
	/* 21 */ "  items = (",
	/* 22 */ "    { name = \"VPN Access\"; allow = ( \"VPN-Users\", \"VPN-Contractors\" ); target = \"VPN-Users\"; contractor_target = \"VPN-Contractors\";",
	/* 23 */ "      variables = { justification = \"why\"; end_date = \"end_date\"; sponsor = \"sponsor\"; };",
	/* 24 */ "      stages = ( { name = \"manager\"; approvers = ( \"manager\" ); backup = ( \"user:d420265c-e4c3-405f-8f92-f5fb6894fdbd\" ); remind_after = \"8h\"; escalate_after = \"24h\"; expire_after = \"5d\"; } ); },",
	/* 25 */ "    { name = \"Add to Group\"; allow = ( \"Admins\", \"Role\" ); variables = { target = \"group\"; justification = \"why\"; end_date = \"end_date\"; sponsor = \"sponsor\"; };",
	/* 26 */ "      stages = ( { name = \"manager\"; approvers = ( \"manager\" ); } ); },",
	/* 27 */ "    { name = \"Shared Mailbox Access\"; allow = ( \"Mailbox\" ); variables = { target = \"mailbox\"; duration = \"duration\"; sponsor = \"sponsor\"; }; time_bound = true;",
	/* 28 */ "      stages = ( { name = \"owner\"; approvers = ( \"target_owner\" ); backup = ( \"backup_owner\" ); escalate_after = \"24h\"; } ); }",
	/* 29 */ "  );",
	/* 30 */ "};",
};
#define N_BASE (sizeof(base_lines) / sizeof(base_lines[0]))

/* The base configuration with line LINE (1-based; 0: none) replaced. */
static char *write_variant(size_t line, const char *replacement)
{
	size_t size = 1;
	char *text, *path;

	for (size_t i = 0; i < N_BASE; i++)
		size += strlen(i + 1 == line ? replacement : base_lines[i]) + 1;
	text = calloc(1, size);
	assert_non_null(text);
	for (size_t i = 0; i < N_BASE; i++) {
		strcat(text, i + 1 == line ? replacement : base_lines[i]);
		strcat(text, "\n");
	}
	path = write_temp(text);
	free(text);
	return path;
}

static void test_base_is_valid(void **state)
{
	char *path = write_variant(0, NULL);
	struct diag d = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	assert_int_equal(cfg->policy.n_targets, 5);
	assert_int_equal(cfg->policy.targets[2].class, TARGET_PRIVILEGED);
	assert_int_equal(cfg->policy.targets[4].kind, TARGET_APP_ROLE);
	assert_string_equal(cfg->policy.targets[4].app_role_id, "fcbf36d5-13f5-4118-a1ce-a49940e208f1");
	assert_int_equal(cfg->policy.contractor.n_match, 1);
	assert_int_equal(cfg->policy.contractor.max_duration_ms, 90 * 86400000LL);
	assert_true(cfg->policy.contractor.sponsor_required);
	assert_int_equal(cfg->policy.incident.impact, 2);
	assert_int_equal(cfg->n_items, 3);
	assert_ptr_equal(cfg->items[0].target, &cfg->policy.targets[0]);
	assert_ptr_equal(cfg->items[0].contractor_target, &cfg->policy.targets[1]);
	assert_int_equal(cfg->items[0].stages[0].escalate_after_ms, 86400000);
	assert_int_equal(cfg->items[0].stages[0].backups[0].kind, APPROVER_USER);
	assert_int_equal(cfg->items[2].stages[0].approvers[0].kind, APPROVER_TARGET_OWNER);
	assert_int_equal(cfg->items[2].stages[0].backups[0].kind, APPROVER_BACKUP_OWNER);
	assert_true(cfg->items[2].time_bound);
	assert_int_equal(cfg->policy.privileged_stages[0].approvers[0].kind, APPROVER_GROUP);
	conf_free(cfg);
	unlink(path);
	free(path);
}

/* Case I: the base with LINE replaced by TEXT is refused with the one or
 * two messages EXPECT (after "FILE:"), whole and in order. */
static void expect_problems(size_t i, size_t line, const char *text, const char *const expect[2])
{
	char *path = write_variant(line, text);
	struct diag d = { 0 };
	struct config *cfg = NULL;
	size_t want = expect[1] ? 2 : 1;

	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), -EINVAL);
	assert_null(cfg);
	if (d.n != want)
		for (size_t k = 0; k < d.n; k++)
			print_message("case %zu: %s\n", i, d.msgs[k]);
	assert_int_equal(d.n, want);
	for (size_t k = 0; k < want; k++) {
		char full[1024];

		snprintf(full, sizeof(full), "%s:%s", path, expect[k]);
		assert_string_equal(d.msgs[k], full);
	}
	diag_clear(&d);
	unlink(path);
	free(path);
}

/* Each case is one mistake; every message is checked whole. */
static void test_broken_configurations(void **state)
{
	static const struct {
		size_t line;
		const char *text;
		const char *expect[2]; /* after "FILE:" */
	} cases[] = {
		{ 1, "daemon = { pol_interval = \"60s\"; };",
		  { "1: unknown setting 'pol_interval' in daemon; write 'poll_interval' instead" } },
		{ 1, "daemon = { poll_interval = 60; };",
		  { "1: 'poll_interval' must be a duration; write it as a string like \"90s\", \"15m\", \"24h\" or \"7d\"" } },
		{ 1, "daemon = { log_level = \"verbose\"; };",
		  { "1: unknown log_level \"verbose\"; write one of: error, warning, notice, info, debug" } },
		{ 2, "itsm = { kind = \"servicenwo\"; base_url = \"https://x.service-now.com\";",
		  { "2: unknown kind \"servicenwo\"; write kind = \"servicenow\";" } },
		{ 3, "  auth = { method = \"basic\"; username = \"u\"; password = \"hunter2\"; }; };",
		  { "3: a secret is never written in the configuration; write password_file = \"/etc/accessd/...\"; "
		    "(readable only by accessd) or password_credential = \"name\"; (a systemd credential)",
		    "3: no password given; write password_file = \"/etc/accessd/...\"; or password_credential = "
		    "\"name\"; (a systemd credential)" } },
		{ 5, "  auth = { method = \"client_credentials\"; client_id = \"c\"; client_secret_file = \"/etc/s\"; username = \"u\"; }; };",
		  { "5: 'username' is not used with method \"client_credentials\"; remove it, or change the method" } },
		{ 6, "retry = { max_attempts = 0; };",
		  { "6: 'max_attempts' must be a whole number from 1 to 100; write max_attempts = 1;" } },
		{ 8, "  approvals = \"observ\";", { "8: unknown approvals \"observ\"; write approvals = \"observe\";" } },
		{ 9, "  partial_failure = \"undo\";",
		  { "9: unknown partial_failure \"undo\"; write one of: rollback, compensate" } },
		{ 10, "  incident = { assignment_group = \"IAM\"; impact = 5; };",
		  { "10: 'impact' must be a whole number from 1 to 3; write impact = 3;" } },
		{ 12, "    max_duration = \"90d\"; end_date_required = \"yes\"; sponsor_required = true; };",
		  { "12: 'end_date_required' must be true or false (no quotes); write end_date_required = true;" } },
		{ 12, "    max_duration = \"0d\"; end_date_required = true; sponsor_required = true; };",
		  { "12: max_duration must be longer than 0s; write a duration like \"24h\", or remove max_duration "
		    "for no limit" } },
		{ 14, "    { name = \"VPN-Users\"; kind = \"group\"; group_id = \"VPN-Users\"; },",
		  { "14: group_id \"VPN-Users\" is not a GUID; write the object id of the group, like group_id = "
		    "\"3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f\";" } },
		{ 15, "    { name = \"VPN-Contractors\"; kind = \"group\"; group_id = \"70940853-3A35-40C8-AEF5-A5ACED4A31FC\"; },",
		  { "15: target \"VPN-Contractors\" names the same object as \"VPN-Users\" on line 14; keep one of them" } },
		{ 16, "    { name = \"Admins\"; kind = \"group\"; class = \"priviledged\"; group_id = \"1ada63b6-44c6-442a-b397-d7ec8c7e4380\"; owner = \"e6766da0-7ebf-43f0-84b7-a026cf4f4678\"; },",
		  { "16: unknown class \"priviledged\"; write class = \"privileged\";" } },
		{ 18, "    { name = \"Role\"; kind = \"app_role\"; resource_id = \"bd69c59e-3a2f-4f0f-9553-21a154aed9f4\"; }",
		  { "18: 'app_role_id' is missing here; add app_role_id = \"...\";" } },
		{ 18, "    { name = \"Role\"; kind = \"role\"; resource_id = \"bd69c59e-3a2f-4f0f-9553-21a154aed9f4\"; }",
		  { "18: unknown kind \"role\"; write one of: group, app_role, mailbox" } },
		{ 20, "  privileged_stages = ( { name = \"security\"; } );",
		  { "20: this stage has no approvers; add approvers = ( \"manager\" ); (or \"target_owner\", "
		    "\"user:<object id>\", \"group:<object id>\")" } },
		{ 14, "    { name = \"VPN-Users\"; kind = \"group\"; group_id = \"70940853-3a35-40c8-aef5-a5aced4a31fc\"; also = ( \"Nope\" ); },",
		  { "14: also names \"Nope\", which is not defined in policy.targets; write one of: \"VPN-Users\", "
		    "\"VPN-Contractors\", \"Admins\", \"Mailbox\", \"Role\"" } },
		{ 14, "    { name = \"VPN-Users\"; kind = \"group\"; group_id = \"70940853-3a35-40c8-aef5-a5aced4a31fc\"; also = ( \"VPN-Users\" ); },",
		  { "14: also names the target itself; name other targets, or remove also" } },
		{ 14, "    { name = \"VPN-Users\"; kind = \"group\"; group_id = \"70940853-3a35-40c8-aef5-a5aced4a31fc\"; also = ( \"Role\", \"Role\" ); },",
		  { "14: also names \"Role\" twice; list each target once" } },
		{ 20, "  privileged_stages = ( { name = \"security\"; approvers = ( \"group:c04ae1be-6a78-47ef-b99e-6777171d5de0\" ); backup = ( \"user:alice\" ); } );",
		  { "20: \"user:alice\" in backup does not end in a GUID; write \"user:3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f\" "
		    "with the directory object id" } },
		{ 20, "",
		  { "25: item \"Add to Group\" allows a privileged target but no privileged stage exists; add "
		    "privileged_stages = ( { name = \"security\"; approvers = ( \"group:<object id>\" ); } ); to the policy" } },
		{ 22, "    { name = \"VPN Access\"; allow = ( \"VPN-Users\", \"VPN-Contractors\", \"Guests\" ); target = \"VPN-Users\"; contractor_target = \"VPN-Contractors\";",
		  { "22: allow names \"Guests\", which is not defined in policy.targets; define it there, or write one "
		    "of: \"VPN-Users\", \"VPN-Contractors\", \"Admins\", \"Mailbox\", \"Role\"" } },
		{ 22, "    { name = \"VPN Access\"; allow = ( \"VPN-Users\", \"VPN-Contractors\" ); target = \"Admins\"; contractor_target = \"VPN-Contractors\";",
		  { "22: target \"Admins\" is not on this item's allow list; add it to allow, or write one of: "
		    "\"VPN-Users\", \"VPN-Contractors\"",
		    "22: nothing says which target a request for \"VPN Access\" gets; write target = \"VPN-Users\"; or "
		    "variables = { target = \"<catalog variable>\"; };" } },
		{ 24, "      stages = ( { name = \"manager\"; approvers = ( \"manger\" ); } ); },",
		  { "24: unknown approver \"manger\" in approvers; write \"manager\" instead" } },
		{ 24, "      stages = ( { name = \"manager\"; approvers = ( \"manager\" ); backup = ( \"user:d420265c-e4c3-405f-8f92-f5fb6894fdbd\" ); remind_after = \"48h\"; escalate_after = \"24h\"; } ); },",
		  { "24: remind_after must be shorter than escalate_after of the same stage; shorten remind_after or "
		    "lengthen escalate_after" } },
		{ 25, "    { name = \"VPN Access\"; allow = ( \"Admins\", \"Role\" ); variables = { target = \"group\"; justification = \"why\"; end_date = \"end_date\"; sponsor = \"sponsor\"; };",
		  { "25: catalog item \"VPN Access\" is already governed on line 22; merge the two, or tell them apart "
		    "with sys_id" } },
		{ 26, "      stages = ( { name = \"manager\"; approvers = ( \"manager\" ); escalate_after = \"1d\"; } ); },",
		  { "26: escalate_after is set but the stage has no backup to escalate to; add backup = ( "
		    "\"user:<object id>\" ); or remove escalate_after" } },
		{ 26, "      stages = ( { name = \"security\"; approvers = ( \"manager\" ); } ); },",
		  { "20: stage name \"security\" is already used on line 26 in this approval chain; give each stage "
		    "its own name" } },
		{ 26, "      stages = ( { name = \"manager\"; approvers = ( \"manager\" ); quorum = \"most\"; } ); },",
		  { "26: unknown quorum \"most\"; write one of: any, all" } },
		{ 27, "    { name = \"Shared Mailbox Access\"; allow = ( \"Mailbox\" ); variables = { target = \"mailbox\"; duration = \"duration\"; }; time_bound = true;",
		  { "27: contractors need a sponsor, but item \"Shared Mailbox Access\" has no sponsor variable; add "
		    "variables = { sponsor = \"...\"; }; or sponsor_required = false; to the item, or "
		    "manager_as_sponsor = true; to policy.contractors" } },
		{ 27, "    { name = \"Shared Mailbox Access\"; allow = ( \"Mailbox\" ); variables = { target = \"mailbox\"; duration = \"duration\"; sponsor = \"sponsor\"; }; time_bound = true; verification = { group = \"x\"; };",
		  { "27: group \"x\" is not a GUID; write the object id of the service-desk group whose members verify "
		    "requesters, like group = \"3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f\";",
		    "27: verification names no catalog variable; add variable = \"verified_by\"; (the variable naming "
		    "the agent who verified the requester)" } },
		{ 27, "    { name = \"Shared Mailbox Access\"; allow = ( \"Mailbox\" ); variables = { target = \"mailbox\"; duration = \"duration\"; sponsor = \"sponsor\"; }; timebound = true;",
		  { "27: unknown setting 'timebound' in an item; write 'time_bound' instead" } },
		{ 27, "    { name = \"Shared Mailbox Access\"; allow = ( \"Role\" ); variables = { target = \"mailbox\"; duration = \"duration\"; sponsor = \"sponsor\"; }; time_bound = true;",
		  { "28: stage \"owner\" asks the target owner, but target \"Role\" has none; add owner = \"<object "
		    "id>\"; to the target (line 18)",
		    "28: stage \"owner\" asks the backup owner, but target \"Role\" has none; add backup_owner = "
		    "\"<object id>\"; to the target (line 18)" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_problems(i, cases[i].line, cases[i].text, cases[i].expect);
}

/* notify.events: which kinds of card are sent; all when it is absent, and
 * an unknown kind refused with its line and the nearest one. */
static void test_notify_events(void **state)
{
	static const struct {
		const char *events; /* NULL: absent */
		unsigned want;
	} good[] = {
		{ NULL, (1u << NOTIFY_EVENT_COUNT) - 1 },
		{ "( \"blocked\", \"expired\" )", (1u << NOTIFY_BLOCKED) | (1u << NOTIFY_EXPIRED) },
		{ "\"rejected\"", 1u << NOTIFY_REJECTED },
		{ "( )", 0 },
	};
	static const char *const bad[][2] = {
		{ "( \"blocked\", \"complete\" )", "6: unknown kind \"complete\" in events; write \"completed\" instead" },
		{ "( \"sms\" )", "6: unknown kind \"sms\" in events; write some of \"completed\", \"blocked\", "
				 "\"escalated\", \"reminder\", \"rejected\", \"expired\"" },
	};
	char line[512];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct diag d = { 0 };
		struct config *cfg = NULL;
		char *path;

		snprintf(line, sizeof(line), "retry = { max_attempts = 5; }; notify = { kind = \"teams\"; "
					     "webhook_url_file = \"/etc/w\";%s%s%s };",
			 good[i].events ? " events = " : "", good[i].events ? good[i].events : "", good[i].events ? ";" : "");
		path = write_variant(6, line);
		assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
		assert_int_equal(cfg->notify.events, good[i].want);
		conf_free(cfg);
		unlink(path);
		free(path);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *expect[2] = { bad[i][1], NULL };

		snprintf(line, sizeof(line), "retry = { max_attempts = 5; }; notify = { kind = \"teams\"; "
					     "webhook_url_file = \"/etc/w\"; events = %s; };", bad[i][0]);
		expect_problems(i, 6, line, expect);
	}
	assert_string_equal(notify_event_name(NOTIFY_COMPLETED), "completed");
	assert_null(notify_event_name(NOTIFY_EVENT_COUNT));
}

/* Line 26 (the "Add to Group" manager stage) with RULES as its
 * auto_approve_when, into BUF. */
static const char *stage_with(char *buf, size_t size, const char *rules)
{
	snprintf(buf, size,
		 "      stages = ( { name = \"manager\"; approvers = ( \"manager\" ); auto_approve_when = %s; } ); },",
		 rules);
	return buf;
}

/* Rules as data: each mistake named with its line and what to write. */
static void test_rule_problems(void **state)
{
	static const struct {
		size_t line;
		const char *rules; /* line 26's auto_approve_when, or the whole line when it starts with a blank */
		const char *expect[2];
	} cases[] = {
		{ 26, "{ name = \"r\"; departement = \"IT\"; }",
		  { "26: unknown setting 'departement' in a rule; write 'department' instead",
		    "26: this rule has no condition, so it would match every request; add one, like department = "
		    "\"Finance\";" } },
		{ 26, "{ name = \"r\"; }",
		  { "26: this rule has no condition, so it would match every request; add one, like department = "
		    "\"Finance\";" } },
		{ 26, "{ department = \"IT\"; }", { "26: 'name' is missing here; add name = \"...\";" } },
		{ 26, "( { name = \"r\"; department = \"IT\"; }, { name = \"r\"; department = \"HR\"; } )",
		  { "26: rule name \"r\" is already used on line 26; give each rule its own name" } },
		{ 26, "{ name = \"r\"; user_type = \"Gest\"; }", { "26: user_type \"Gest\" is not known; write \"Guest\"" } },
		{ 26, "{ name = \"r\"; requester = \"boss\"; }",
		  { "26: requester \"boss\" is not known; write one of \"subject\", \"manager\"" } },
		{ 26, "{ name = \"r\"; department = ( ); }",
		  { "26: 'department' needs one to 1000 values; write department = ( \"...\" );" } },
		{ 26, "{ name = \"r\"; company_name = \"\"; }",
		  { "26: 'company_name' has an empty value, which no fact matches; remove it" } },
		{ 26, "{ name = \"r\"; member_of = \"group:c04ae1be-6a78-47ef-b99e-6777171d5de0\"; }",
		  { "26: member_of \"group:c04ae1be-6a78-47ef-b99e-6777171d5de0\" is not a GUID; write the group's "
		    "object id, like member_of = ( \"3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f\" );" } },
		{ 26, "{ name = \"r\"; target = \"VPN-Users\"; }",
		  { "26: target \"VPN-Users\" is not a target this item allows; write \"Admins\", \"Role\"" } },
		{ 26, "{ name = \"r\"; holds = \"Nope\"; }",
		  { "26: holds \"Nope\" is not defined in policy.targets; write a name from policy.targets" } },
		{ 26, "{ name = \"r\"; target_class = \"admin\"; }",
		  { "26: unknown target_class \"admin\"; write one of: standard, privileged" } },
		{ 26, "{ name = \"r\"; duration_at_most = \"0s\"; }",
		  { "26: duration_at_most must be longer than 0s, or no request matches; write a duration like \"30d\"" } },
		{ 26, "{ name = \"r\"; duration_at_most = \"a month\"; }",
		  { "26: 'duration_at_most' must be a duration; write it as a string like \"90s\", \"15m\", \"24h\" or "
		    "\"7d\"" } },
		{ 26, "{ name = \"r\"; time = { zone = \"Mars/Olympus_Mons\"; hours = \"08:00-18:00\"; }; }",
		  { "26: time zone \"Mars/Olympus_Mons\" is not in the time zone database (/usr/share/zoneinfo; is "
		    "tzdata installed?); write an IANA name like zone = \"Europe/Amsterdam\";" } },
		{ 26, "{ name = \"r\"; time = { zone = \"../etc/passwd\"; hours = \"08:00-18:00\"; }; }",
		  { "26: \"../etc/passwd\" is not a time zone name; write an IANA name like zone = \"Europe/Amsterdam\";" } },
		{ 26, "{ name = \"r\"; time = { zone = \"Europe/Amsterdam\"; hours = \"8-18\"; }; }",
		  { "26: hours \"8-18\" is not a span of the day; write hours = \"08:00-18:00\";" } },
		{ 26, "{ name = \"r\"; time = { zone = \"Europe/Amsterdam\"; hours = \"08:00-08:00\"; }; }",
		  { "26: hours \"08:00-08:00\" starts where it ends, so it never holds; write hours = \"08:00-18:00\";" } },
		{ 26, "{ name = \"r\"; time = { zone = \"Europe/Amsterdam\"; }; }",
		  { "26: 'time' says neither days nor hours, so it would hold at any time; add days = ( \"mon\", ... ); "
		    "or hours = \"08:00-18:00\";" } },
		{ 26, "{ name = \"r\"; time = { zone = \"Europe/Amsterdam\"; days = ( \"mon\", \"fry\" ); }; }",
		  { "26: days \"fry\" is not known; write \"fri\"" } },
		{ 26, "{ name = \"r\"; any = ( ); }",
		  { "26: 'any' must be a list of one to 1000 condition groups; write any = ( { department = \"Finance\"; "
		    "}, { department = \"IT\"; } );" } },
		{ 26, "{ name = \"r\"; all = ( { any = ( { all = ( { any = ( { all = ( { department = \"IT\"; } ); } ); } ); "
		      "} ); } ); }",
		  { "26: 'all' nests deeper than 4 levels of all and any; write the rule flatter, or split it into two "
		    "rules" } },
		{ 26, "{ name = \"r\"; any = ( { deparment = \"IT\"; department = \"HR\"; } ); }",
		  { "26: unknown setting 'deparment' in a condition group; write 'department' instead" } },
		{ 26, " stages = ( { name = \"manager\"; approvers = ( \"manager\" ); auto_approve_privileged = true; "
		      "auto_approve_when = { name = \"r\"; department = \"IT\"; }; } ); },",
		  { "26: auto_approve_privileged is for the stages a privileged target adds; remove it from stage "
		    "\"manager\"" } },
		{ 20, " privileged_stages = ( { name = \"security\"; approvers = ( \"group:c04ae1be-6a78-47ef-b99e-6777171d5de0\" ); "
		      "auto_approve_when = { name = \"r\"; department = \"IT\"; }; } );",
		  { "20: stage \"security\" is added for privileged targets, and a rule approves it only when the stage "
		    "says so; add auto_approve_privileged = true; or remove auto_approve_when" } },
		{ 20, " privileged_stages = ( { name = \"security\"; approvers = ( \"group:c04ae1be-6a78-47ef-b99e-6777171d5de0\" ); "
		      "auto_approve_privileged = true; } );",
		  { "20: auto_approve_privileged is set but stage \"security\" has no auto_approve_when; add the rule, or "
		    "remove auto_approve_privileged" } },
		{ 24, " stages = ( { name = \"manager\"; approvers = ( \"manager\" ); auto_approve_when = { name = \"r\"; "
		      "department = \"IT\"; }; } ); auto_reject_when = { name = \"r\"; employee_type = \"Contractor\"; }; },",
		  { "24: rule name \"r\" is already used on line 24; give each rule its own name, so that a decision "
		    "names the one that made it" } },
		{ 25, " { name = \"Add to Group\"; allow = ( \"Admins\", \"Role\" ); variables = { target = \"group\"; "
		      "justification = \"why\"; sponsor = \"sponsor\"; }; auto_reject_when = { name = \"short\"; "
		      "duration_at_most = \"1d\"; };",
		  { "25: requests for \"Add to Group\" carry no end date or duration, so duration_at_most never matches; "
		    "add variables = { duration = \"...\"; }; to the item, or remove duration_at_most",
		    "25: contractors need an end date, but item \"Add to Group\" has no end_date or duration variable; "
		    "add variables = { end_date = \"...\"; };" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[2048];

		expect_problems(i, cases[i].line,
				cases[i].rules[0] == ' ' ? cases[i].rules : stage_with(line, sizeof(line), cases[i].rules),
				cases[i].expect);
	}
}

/* A rule as the policy reads it: named, its conditions in order, nested
 * groups kept, words turned into masks and minutes. */
static void test_rules_parsed(void **state)
{
	char line[2048], *path;
	struct diag d = { 0 };
	struct config *cfg = NULL;
	const struct rule_config *r;
	const struct rule_cond *c;

	(void)state;
	path = write_variant(26, stage_with(line, sizeof(line),
					    "( { name = \"it-admins\"; department = ( \"IT\", \"Ops\" ); requester = ( "
					    "\"subject\", \"manager\" ); any = ( { member_of = "
					    "\"c04ae1be-6a78-47ef-b99e-6777171d5de0\"; }, { holds = \"VPN-Users\"; } ); "
					    "duration_at_most = \"30d\"; time = { zone = \"Europe/Amsterdam\"; days = ( \"mon\", "
					    "\"fri\" ); hours = \"22:00-06:00\"; }; target = \"Admins\"; target_class = "
					    "\"privileged\"; }, { name = \"guests\"; user_type = \"guest\"; } )"));
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	assert_int_equal(cfg->items[1].stages[0].n_auto_approve, 2);
	r = &cfg->items[1].stages[0].auto_approve[0];
	assert_string_equal(r->name, "it-admins");
	assert_int_equal(r->line, 26);
	assert_int_equal(r->when.kind, RULE_ALL);
	assert_int_equal(r->when.n_children, 7);
	c = r->when.children;
	assert_int_equal(c[0].kind, RULE_DEPARTMENT);
	assert_int_equal(c[0].n_values, 2);
	assert_string_equal(c[0].values[1], "Ops");
	assert_int_equal(c[1].kind, RULE_REQUESTER);
	assert_int_equal(c[1].requester, RULE_BY_SUBJECT | RULE_BY_MANAGER);
	assert_int_equal(c[2].kind, RULE_ANY);
	assert_int_equal(c[2].n_children, 2);
	assert_int_equal(c[2].children[0].kind, RULE_ALL);
	assert_int_equal(c[2].children[0].children[0].kind, RULE_MEMBER_OF);
	assert_int_equal(c[2].children[1].children[0].kind, RULE_HOLDS);
	assert_ptr_equal(c[2].children[1].children[0].targets[0], &cfg->policy.targets[0]);
	assert_int_equal(c[3].kind, RULE_DURATION);
	assert_int_equal(c[3].duration_ms, 30 * 86400000LL);
	assert_int_equal(c[4].kind, RULE_TIME);
	assert_string_equal(c[4].zone, "Europe/Amsterdam");
	assert_int_equal(c[4].days, 1u << 0 | 1u << 4);
	assert_int_equal(c[4].from_min, 22 * 60);
	assert_int_equal(c[4].to_min, 6 * 60);
	assert_int_equal(c[5].kind, RULE_TARGET);
	assert_ptr_equal(c[5].targets[0], &cfg->policy.targets[2]);
	assert_int_equal(c[6].kind, RULE_TARGET_CLASS);
	assert_int_equal(c[6].target_class, TARGET_PRIVILEGED);
	assert_int_equal(cfg->items[1].stages[0].auto_approve[1].when.children[0].kind, RULE_USER_TYPE);
	assert_true(conf_rules_use(cfg, RULE_DEPARTMENT));
	assert_false(conf_rules_use(cfg, RULE_COMPANY));
	conf_free(cfg);
	unlink(path);
	free(path);
}

/* A target's also lists further steps of the same grant, in order. */
static void test_also_adds_steps(void **state)
{
	char *path = write_variant(14, "    { name = \"VPN-Users\"; kind = \"group\"; group_id = "
				       "\"70940853-3a35-40c8-aef5-a5aced4a31fc\"; also = ( \"Mailbox\", \"Role\" ); },");
	struct diag d = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	assert_int_equal(cfg->policy.targets[0].n_also, 2);
	assert_ptr_equal(cfg->policy.targets[0].also[0], &cfg->policy.targets[3]);
	assert_ptr_equal(cfg->policy.targets[0].also[1], &cfg->policy.targets[4]);
	assert_int_equal(cfg->policy.targets[1].n_also, 0);
	conf_free(cfg);
	unlink(path);
	free(path);
}

/* Who may request, an item's own rules, sponsors and verification. */
static void test_requesters_sponsor_and_verification(void **state)
{
	char *path = write_variant(27, "    { name = \"Shared Mailbox Access\"; allow = ( \"Mailbox\" ); variables = { "
				       "target = \"mailbox\"; duration = \"duration\"; }; time_bound = true; "
				       "sponsor_required = false; requesters = ( \"manager\", "
				       "\"group:5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e\" ); verification = { variable = "
				       "\"verified_by\"; group = \"5E7D1C2B-8A9F-4B3C-9D2E-1F0A3B4C5D6E\"; };");
	const struct requester_rule *rules;
	struct diag d = { 0 };
	struct config *cfg = NULL;
	size_t n;

	(void)state;
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	/* Nothing said at the policy: the person and their manager. */
	rules = conf_item_requesters(cfg, &cfg->items[0], &n);
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].kind, REQUESTER_SUBJECT);
	assert_int_equal(rules[1].kind, REQUESTER_MANAGER);
	assert_true(conf_item_sponsor_required(cfg, &cfg->items[0]));
	rules = conf_item_requesters(cfg, &cfg->items[2], &n);
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].kind, REQUESTER_MANAGER);
	assert_int_equal(rules[1].kind, REQUESTER_GROUP);
	assert_string_equal(rules[1].group_id, "5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e");
	assert_false(conf_item_sponsor_required(cfg, &cfg->items[2]));
	assert_string_equal(cfg->items[2].verification_variable, "verified_by");
	assert_string_equal(cfg->items[2].verification_group, "5E7D1C2B-8A9F-4B3C-9D2E-1F0A3B4C5D6E");
	assert_false(cfg->policy.contractor.manager_as_sponsor);
	conf_free(cfg);
	unlink(path);
	free(path);

	/* The manager as sponsor lets an item do without a sponsor variable. */
	path = write_variant(12, "    max_duration = \"90d\"; end_date_required = true; sponsor_required = true; "
				 "manager_as_sponsor = true; };");
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	assert_true(cfg->policy.contractor.manager_as_sponsor);
	conf_free(cfg);
	unlink(path);
	free(path);
}

static void test_nearest_and_guid(void **state)
{
	static const char *const known[] = { "poll_interval", "log_level", "state_directory", "kind", NULL };

	(void)state;
	assert_string_equal(conf_nearest("poll_intervall", known), "poll_interval");
	assert_string_equal(conf_nearest("Log_Level", known), "log_level");
	assert_string_equal(conf_nearest("state_dir", known) ? "x" : "none", "none");
	assert_string_equal(conf_nearest("knd", known), "kind");
	assert_null(conf_nearest("colour", known));
	assert_true(text_is_guid("70940853-3a35-40c8-aef5-a5aced4a31fc"));
	assert_true(text_is_guid("70940853-3A35-40C8-AEF5-A5ACED4A31FC"));
	assert_false(text_is_guid("70940853-3a35-40c8-aef5-a5aced4a31f"));
	assert_false(text_is_guid("70940853-3a35-40c8-aef5-a5aced4a31fcc"));
	assert_false(text_is_guid("70940853_3a35-40c8-aef5-a5aced4a31fc"));
	assert_false(text_is_guid("g0940853-3a35-40c8-aef5-a5aced4a31fc"));
	assert_false(text_is_guid(""));
}

static void test_tenant_sets_token_url(void **state)
{
	char *path = write_variant(4, "directory = { kind = \"entra\"; base_url = \"https://graph.microsoft.com/v1.0\"; "
				      "tenant_id = \"b4dbfff9-4097-4dfd-8988-c823b329885b\";");
	struct diag d = { 0 };
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	assert_string_equal(cfg->directory.token_url,
			    "https://login.microsoftonline.com/b4dbfff9-4097-4dfd-8988-c823b329885b/oauth2/v2.0/token");
	conf_free(cfg);
	unlink(path);
	free(path);
}

static void test_example_configuration(void **state)
{
	const char *srcdir = getenv("ACCESSD_SRCDIR");
	char path[4096];
	struct diag d = { 0 };
	struct config *cfg = NULL;
	const struct item_config *vpn, *mbx, *app;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/accessd.conf", srcdir ? srcdir : "../..");
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &d), 0);
	vpn = conf_find_item(cfg, NULL, "VPN Access");
	mbx = conf_find_item(cfg, "", "Shared Mailbox Access");
	app = conf_find_item(cfg, "2B7C4E91A3F04D5E8C1B6A7D9E0F1A2B", "renamed in the catalog");
	assert_non_null(vpn);
	assert_non_null(mbx);
	assert_non_null(app);
	assert_null(conf_find_item(cfg, NULL, "Application Access"));
	assert_null(conf_find_item(cfg, NULL, "vpn access"));
	assert_string_equal(vpn->contractor_target->name, "VPN-Users-Contractors");
	assert_int_equal(vpn->n_stages, 2);
	assert_true(mbx->time_bound);
	assert_int_equal(mbx->allow[0]->kind, TARGET_MAILBOX);
	assert_int_equal(mbx->stages[0].escalate_after_ms, 24 * 3600000);
	assert_int_equal(cfg->policy.approvals, APPROVALS_CREATE);
	assert_int_equal(cfg->notify.events, (1u << NOTIFY_EVENT_COUNT) - 1);
	conf_free(cfg);
}

/* A connector of another ITSM, which the tests register: it takes an API
 * key, and each item may say which form of that ITSM it is. */
static const char *const keyed_item_keys[] = { "form", NULL };

static int keyed_parse_item(struct conf_parser *p, const struct config_setting_t *item, void **ret)
{
	*ret = conf_get_string(p, item, "form", 0);
	return 0;
}

static const struct conf_connector keyed = {
	.kind = "keyed",
	.item_keys = keyed_item_keys,
	.parse_item = keyed_parse_item,
	.free_item = free,
};

static const struct conf_connector *keyed_list(size_t i)
{
	return i == 0 ? &keyed : NULL;
}

static void test_api_key_method(void **state)
{
	static const struct conf_connectors with_keyed = { keyed_list, directory_connector, notify_connector };
	static const char *const tail = "policy = { items = ( { name = \"VPN Access\"; } ); };\n";
	static const struct {
		const char *kind, *auth, *expect[2]; /* after "FILE:" */
	} cases[] = {
		{ "keyed", "method = \"api_key\"; api_key_file = \"/etc/accessd/key\";", { NULL } },
		{ "keyed", "method = \"api_key\"; api_key_credential = \"key\";", { NULL } },
		{ "servicenow", "method = \"api_key\"; api_key_file = \"/etc/accessd/key\";",
		  { "1: ServiceNow does not take an API key here; write method = \"basic\";, \"oauth2\"; or "
		    "\"client_credentials\";" } },
		{ "keyed", "method = \"api_key\"; api_key_file = \"/k\"; password_file = \"/p\";",
		  { "1: 'password_file' is not used with method \"api_key\"; remove it, or change the method" } },
		{ "keyed", "method = \"basic\"; username = \"u\"; password_file = \"/p\"; api_key_file = \"/k\";",
		  { "1: 'api_key_file' is not used with method \"basic\"; remove it, or change the method" } },
		{ "keyed", "method = \"api_key\"; api_key = \"hunter2\";",
		  { "1: a secret is never written in the configuration; write api_key_file = \"/etc/accessd/...\"; "
		    "(readable only by accessd) or api_key_credential = \"name\"; (a systemd credential)",
		    "1: no api_key given; write api_key_file = \"/etc/accessd/...\"; or api_key_credential = \"name\"; "
		    "(a systemd credential)" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], expect[1024], *path;
		struct diag d = { 0 };
		struct config *cfg = NULL;

		snprintf(text, sizeof(text), "itsm = { kind = \"%s\"; base_url = \"https://x\"; auth = { %s }; };\n%s",
			 cases[i].kind, cases[i].auth, tail);
		path = write_temp(text);
		if (!cases[i].expect[0]) {
			assert_int_equal(conf_load(path, &with_keyed, &cfg, &d), 0);
			assert_int_equal(cfg->itsm.auth, AUTH_API_KEY);
			assert_true(cfg->itsm.api_key.file || cfg->itsm.api_key.credential);
			conf_free(cfg);
		} else {
			assert_int_equal(conf_load(path, strcmp(cases[i].kind, "keyed") == 0 ? &with_keyed
											    : &connectors_builtin,
						   &cfg, &d), -EINVAL);
			assert_int_equal(d.n, cases[i].expect[1] ? 2 : 1);
			for (size_t k = 0; k < d.n; k++) {
				snprintf(expect, sizeof(expect), "%s:%s", path, cases[i].expect[k]);
				assert_string_equal(d.msgs[k], expect);
			}
		}
		diag_clear(&d);
		unlink(path);
		free(path);
	}
}

/* An item's settings of the ITSM connector are read by the connector, and
 * refused when another connector is configured; the catalog item's id is
 * "id" (or "sys_id", as before). */
static void test_item_settings_of_the_connector(void **state)
{
	static const struct conf_connectors with_keyed = { keyed_list, directory_connector, notify_connector };
	static const struct {
		const char *kind, *item, *expect; /* after "FILE:" */
	} cases[] = {
		{ "keyed", "name = \"VPN Access\"; id = \"201\"; form = \"vpn-form\";", NULL },
		{ "servicenow", "name = \"VPN Access\"; sys_id = \"201\";", NULL },
		{ "servicenow", "name = \"VPN Access\"; form = \"vpn-form\";",
		  "2: unknown setting 'form' in an item; remove it, or use one of: name, id, sys_id, allow, target, "
		  "contractor_target, variables, time_bound, max_duration, stages, privileged_stages, auto_reject_when, requesters, sponsor_required, verification" },
		{ "keyd", "name = \"VPN Access\"; form = \"vpn-form\";",
		  "1: unknown kind \"keyd\"; write kind = \"keyed\";" },
		{ "keyed", "name = \"VPN Access\"; id = \"201\"; sys_id = \"201\";",
		  "2: id and sys_id both name the catalog item; keep id" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], expect[1024], *path;
		struct diag d = { 0 };
		struct config *cfg = NULL;
		int r;

		snprintf(text, sizeof(text),
			 "itsm = { kind = \"%s\"; base_url = \"https://x\"; auth = { method = \"basic\"; username = "
			 "\"u\"; password_file = \"/p\"; }; };\npolicy = { items = ( { %s } ); };\n",
			 cases[i].kind, cases[i].item);
		path = write_temp(text);
		r = conf_load(path, strcmp(cases[i].kind, "servicenow") == 0 ? &connectors_builtin : &with_keyed, &cfg,
			      &d);
		if (!cases[i].expect) {
			assert_int_equal(r, 0);
			assert_string_equal(cfg->items[0].sys_id, "201");
			if (strcmp(cases[i].kind, "keyed") == 0)
				assert_string_equal(cfg->items[0].settings, "vpn-form");
			else
				assert_null(cfg->items[0].settings);
			conf_free(cfg);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(d.n, 1);
			snprintf(expect, sizeof(expect), "%s:%s", path, cases[i].expect);
			assert_string_equal(d.msgs[0], expect);
		}
		diag_clear(&d);
		unlink(path);
		free(path);
	}
}

/* The example's commented ServiceNow states, written out, are the
 * defaults the connector uses without them: the documentation cannot drift
 * from the code. */
static void test_servicenow_states_as_documented(void **state)
{
	const char *srcdir = getenv("ACCESSD_SRCDIR");
	const struct snow_states *st, *def = &snow_default_states;
	char path[4096], line[512], *text = NULL, *written;
	size_t size = 0;
	FILE *in, *out = open_memstream(&text, &size);
	struct diag d = { 0 };
	struct config *cfg = NULL;
	int on = 0, found = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/accessd.conf", srcdir ? srcdir : "../..");
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		on |= strncmp(line, "  # states = {", 14) == 0;
		if (on && strncmp(line, "  # ", 4) == 0) {
			fprintf(out, "  %s", line + 4);
			found++;
			on = !strstr(line, "cancelled = \"cancelled\"; };");
		} else {
			fputs(line, out);
		}
	}
	fclose(in);
	fclose(out);
	assert_true(found > 10);
	written = write_temp(text);
	free(text);
	assert_int_equal(conf_load(written, &connectors_builtin, &cfg, &d), 0);
	st = cfg->itsm.settings;
	assert_non_null(st);
	for (int p = 0; p < TICKET_PHASES; p++) {
		assert_true((st->state[p] == NULL) == (def->state[p] == NULL));
		assert_true((st->stage[p] == NULL) == (def->stage[p] == NULL));
		if (def->state[p])
			assert_string_equal(st->state[p], def->state[p]);
		if (def->stage[p])
			assert_string_equal(st->stage[p], def->stage[p]);
	}
	for (size_t i = 0; def->closed[i] || st->closed[i]; i++) {
		assert_true(st->closed[i] && def->closed[i]);
		assert_string_equal(st->closed[i], def->closed[i]);
	}
	for (int dec = APPROVAL_REQUESTED; dec < APPROVAL_DECISIONS; dec++)
		for (size_t i = 0; def->approval[dec][i] || st->approval[dec][i]; i++) {
			assert_true(st->approval[dec][i] && def->approval[dec][i]);
			assert_string_equal(st->approval[dec][i], def->approval[dec][i]);
		}
	conf_free(cfg);
	unlink(written);
	free(written);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_every_problem_is_reported),
		cmocka_unit_test(test_auth_methods),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_base_is_valid),
		cmocka_unit_test(test_broken_configurations),
		cmocka_unit_test(test_notify_events),
		cmocka_unit_test(test_rule_problems),
		cmocka_unit_test(test_rules_parsed),
		cmocka_unit_test(test_also_adds_steps),
		cmocka_unit_test(test_requesters_sponsor_and_verification),
		cmocka_unit_test(test_nearest_and_guid),
		cmocka_unit_test(test_tenant_sets_token_url),
		cmocka_unit_test(test_example_configuration),
		cmocka_unit_test(test_servicenow_states_as_documented),
		cmocka_unit_test(test_api_key_method),
		cmocka_unit_test(test_item_settings_of_the_connector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
