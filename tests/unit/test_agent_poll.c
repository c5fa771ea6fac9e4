/* SPDX-License-Identifier: Apache-2.0 */
/* agent_poll with an injected clock against the emulator: an idle cycle
 * logs nothing at info level, and a summary of the cycles comes at most
 * once an hour; each cycle leaves its facts in STATUS=, the status file and
 * the process's counters. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "connectors/connectors.h"
#include "emu.h"
#include "fake_env.h"
#include "util/stats.h"

#define HOUR_MS (3600 * 1000LL)

static struct emu emu;
static struct fake_env fake;
static char dir[64], log_path[128];
static int saved_stderr = -1;

static int setup(void **state)
{
	char path[128], conf[2048];
	FILE *f;
	int fd;

	(void)state;
	if (emu_start(&emu) < 0 || emu_post(&emu, "/_emu/seed", "{\"servicenow\": {\"users\": {\"svc\": \"pw\"}}}") < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/accessd-poll-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/password", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "pw\n", 3) != 3)
		return -1;
	close(fd);
	snprintf(conf, sizeof(conf),
		 "daemon = { state_directory = \"%s/state\"; };\n"
		 "itsm = { kind = \"servicenow\"; base_url = \"%s\";\n"
		 "  auth = { method = \"basic\"; username = \"svc\"; password_file = \"%s\"; }; };\n"
		 "policy = { items = ( { name = \"VPN Access\"; } ); };\n",
		 dir, emu.url, path);
	snprintf(path, sizeof(path), "%s/accessd.conf", dir);
	f = fopen(path, "we");
	if (!f || fputs(conf, f) < 0 || fclose(f) != 0)
		return -1;
	/* What the agent logs goes to a file the test reads. */
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	fd = open(log_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (saved_stderr < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	log_init("test_agent_poll", LOG_LEVEL_INFO);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	fflush(stderr);
	if (saved_stderr >= 0)
		dup2(saved_stderr, STDERR_FILENO);
	emu_stop(&emu);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* What was logged since the last call. */
static char *logged(void)
{
	static long seen;
	char *text;
	long size;
	FILE *f;

	fflush(stderr);
	f = fopen(log_path, "re");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	text = calloc(1, (size_t)(size - seen) + 1);
	assert_non_null(text);
	fseek(f, seen, SEEK_SET);
	assert_int_equal(fread(text, 1, (size_t)(size - seen), f), (size_t)(size - seen));
	fclose(f);
	seen = size;
	return text;
}

static void test_idle_cycles_and_the_hourly_summary(void **state)
{
	struct diag diag = { 0 };
	struct config *cfg = NULL;
	struct agent *a = NULL;
	char path[128];
	char *text;
	struct stat st;

	(void)state;
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	snprintf(path, sizeof(path), "%s/accessd.conf", dir);
	assert_int_equal(conf_load(path, &connectors_builtin, &cfg, &diag), 0);
	assert_int_equal(agent_new(cfg, &fake.clock, &a), 0);
	assert_int_equal(agent_open_journal(a, false), 0);
	free(logged());

	/* Idle cycles within the hour: nothing at info level. */
	for (int i = 0; i < 3; i++) {
		fake.now_ms += 60 * 1000;
		assert_int_equal(agent_poll(a), 0);
	}
	text = logged();
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(a->status.last_poll_result, 0);
	assert_true(a->status.last_ok_poll_ms == fake.now_ms);
	assert_int_equal(stats_get("accessd_cycles_total", "result=\"ok\""), 3);
	snprintf(path, sizeof(path), "%s/state/status.json", dir);
	assert_int_equal(stat(path, &st), 0);

	/* The hour is over: one summary line, then silence again. */
	fake.now_ms += HOUR_MS;
	assert_int_equal(agent_poll(a), 0);
	text = logged();
	assert_non_null(strstr(text, "info: since the start: 4 poll cycles (0 failed), 0 requests and 0 approvals "
				     "changed\n"));
	assert_null(strchr(strchr(text, '\n') + 1, '\n'));
	free(text);
	fake.now_ms += 60 * 1000;
	assert_int_equal(agent_poll(a), 0);
	text = logged();
	assert_string_equal(text, "");
	free(text);

	/* A failed cycle counts in the next summary. */
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"status\", \"status\": 400, \"times\": 1}"), 0);
	fake.now_ms += 60 * 1000;
	assert_true(agent_poll(a) < 0);
	free(logged());
	fake.now_ms += HOUR_MS;
	assert_int_equal(agent_poll(a), 0);
	text = logged();
	assert_non_null(strstr(text, "info: since the last summary: 3 poll cycles (1 failed), 0 requests and 0 "
				     "approvals changed\n"));
	free(text);
	assert_int_equal(stats_get("accessd_cycles_total", "result=\"failed\""), 1);
	agent_free(a);
	stats_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_cycles_and_the_hourly_summary),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
