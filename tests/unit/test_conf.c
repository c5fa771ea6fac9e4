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

#include "conf.h"

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
	assert_int_equal(conf_load(path, &cfg, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(cfg->poll_interval_ms, 120000);
	assert_int_equal(cfg->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(cfg->itsm.base_url, "https://x.service-now.com");
	assert_string_equal(cfg->itsm.password.file, "/etc/p");
	assert_null(cfg->itsm.password.credential);
	assert_int_equal(cfg->n_items, 2);
	assert_string_equal(cfg->items[1].sys_id, "abc");
	assert_int_equal(cfg->items[1].line, 4);
	assert_string_equal(cfg->state_directory, "/var/lib/accessd");
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
	assert_int_equal(conf_load(path, &cfg, &d), -EINVAL);
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
	assert_int_equal(conf_load(path, &cfg, &d), -EINVAL);
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
	assert_int_equal(conf_load("/nonexistent/accessd.conf", &cfg, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "/nonexistent/accessd.conf: cannot read the configuration file: No such file or directory");
	diag_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_every_problem_is_reported),
		cmocka_unit_test(test_auth_methods),
		cmocka_unit_test(test_unreadable_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
