/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "health.h"

/* 2026-11-25 07:41:02 UTC */
#define T0_MS 1795592462000LL

static void test_status_before_the_first_poll(void **state)
{
	struct health_status st = { 0 };
	char buf[256];

	(void)state;
	assert_int_equal(health_format_status(&st, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "no poll yet; 0 requests, 0 awaiting approval, 0 blocked");
}

static void test_status_after_a_good_poll(void **state)
{
	struct health_status st = {
		.last_poll_ms = T0_MS,
		.requests_seen = 1,
		.awaiting_approval = 1,
		.next_escalation_ms = T0_MS + 86400000LL,
	};
	char buf[256];

	(void)state;
	assert_int_equal(health_format_status(&st, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "last poll 2026-11-25 07:41:02 UTC ok; 1 request, 1 awaiting approval, 0 blocked; "
				 "next escalation 2026-11-26 07:41:02 UTC");
}

static void test_status_after_a_failed_poll(void **state)
{
	struct health_status st = { .last_poll_ms = T0_MS, .last_poll_result = -ETIMEDOUT, .blocked = 2 };
	char buf[256];

	(void)state;
	assert_int_equal(health_format_status(&st, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "last poll 2026-11-25 07:41:02 UTC failed: "));
	assert_non_null(strstr(buf, strerror(ETIMEDOUT)));
	assert_non_null(strstr(buf, "2 blocked"));
	assert_null(strchr(buf, '\n'));
}

static void test_status_after_a_refused_reload(void **state)
{
	struct health_status st = { .reload_failed = true };
	char buf[256];

	(void)state;
	assert_int_equal(health_format_status(&st, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "no poll yet; 0 requests, 0 awaiting approval, 0 blocked; "
				 "configuration reload failed, see the journal");
}

static void test_status_too_long_for_the_buffer(void **state)
{
	struct health_status st = { .last_poll_ms = T0_MS };
	char buf[20];

	(void)state;
	assert_int_equal(health_format_status(&st, buf, sizeof(buf)), -ENOBUFS);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(health_format_status(&st, buf, 0), -ENOBUFS);
}

/* A service manager of our own: the datagrams sd_notify sends. */
struct manager {
	char dir[40];
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct manager *m = calloc(1, sizeof(*m));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!m)
		return -1;
	strcpy(m->dir, "/tmp/accessd-notify-XXXXXX");
	if (!mkdtemp(m->dir))
		return -1;
	snprintf(m->path, sizeof(m->path), "%s/notify", m->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->path);
	m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	setenv("NOTIFY_SOCKET", m->path, 1);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct manager *m = *state;

	unsetenv("NOTIFY_SOCKET");
	close(m->fd);
	unlink(m->path);
	rmdir(m->dir);
	free(m);
	return 0;
}

static const char *receive(struct manager *m)
{
	static char buf[1024];
	ssize_t n = recv(m->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void test_messages_reach_the_manager(void **state)
{
	struct manager *m = *state;
	struct health_status st = { 0 };
	uint64_t usec = 1;

	health_ready(&st);
	assert_string_equal(receive(m), "READY=1\nSTATUS=no poll yet; 0 requests, 0 awaiting approval, 0 blocked");
	health_reloading(123456789);
	assert_string_equal(receive(m), "RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading the configuration");
	health_extend_timeout(30000000, "replaying the journal");
	assert_string_equal(receive(m), "EXTEND_TIMEOUT_USEC=30000000\nSTATUS=replaying the journal");
	health_extend_timeout(5000000, NULL);
	assert_string_equal(receive(m), "EXTEND_TIMEOUT_USEC=5000000");
	health_watchdog();
	assert_string_equal(receive(m), "WATCHDOG=1");
	health_stopping();
	assert_string_equal(receive(m), "STOPPING=1\nSTATUS=stopping");

	unsetenv("WATCHDOG_USEC");
	assert_int_equal(health_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 0);
	setenv("WATCHDOG_USEC", "2000000", 1);
	setenv("WATCHDOG_PID", "1", 1); /* another process's watchdog */
	assert_int_equal(health_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 0);
	unsetenv("WATCHDOG_PID");
	assert_int_equal(health_watchdog_usec(&usec), 0);
	assert_int_equal(usec, 2000000);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_before_the_first_poll),
		cmocka_unit_test(test_status_after_a_good_poll),
		cmocka_unit_test(test_status_after_a_failed_poll),
		cmocka_unit_test(test_status_after_a_refused_reload),
		cmocka_unit_test(test_status_too_long_for_the_buffer),
		cmocka_unit_test_setup_teardown(test_messages_reach_the_manager, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
