/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

/* stderr goes to a file for the test; returns what was written. */
struct capture {
	FILE *file;
	int saved;
	char text[8192];
};

static int setup(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->file = tmpfile();
	c->saved = dup(STDERR_FILENO);
	if (!c->file || c->saved < 0 || dup2(fileno(c->file), STDERR_FILENO) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct capture *c = *state;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	fclose(c->file);
	free(c);
	return 0;
}

static const char *captured(struct capture *c)
{
	size_t n;

	fflush(stderr);
	rewind(c->file);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->file);
	c->text[n] = '\0';
	return c->text;
}

static void test_request_lines_carry_the_number(void **state)
{
	struct capture *c = *state;

	unsetenv("JOURNAL_STREAM");
	log_init("accessd", LOG_LEVEL_INFO);
	log_request(LOG_LEVEL_NOTICE, "RITM0010001", NULL, "approved by %s", "bob");
	log_request(LOG_LEVEL_INFO, "RITM0010002", "a1b2", "granted");
	log_request(LOG_LEVEL_DEBUG, "RITM0010003", NULL, "not shown at info level");
	assert_string_equal(captured(c), "accessd: notice: RITM0010001: approved by bob\n"
					 "accessd: info: RITM0010002 action a1b2: granted\n");
}

static void test_remote_text_cannot_forge_a_line(void **state)
{
	struct capture *c = *state;

	unsetenv("JOURNAL_STREAM");
	log_init("accessd", LOG_LEVEL_INFO);
	log_request(LOG_LEVEL_INFO, "RITM1\naccessd: error: forged", "x\ry", "a\nb");
	assert_string_equal(captured(c), "accessd: info: RITM1?accessd: error: forged action x?y: a?b\n");
}

/* journald itself cannot run here: the link wraps sd_journal_send
 * (-Wl,--wrap) and this records the fields it was given. Every format the
 * code passes holds exactly one %s or %d. */
static char journal_fields[2048];
static int journal_result;

int __wrap_sd_journal_send(const char *format, ...);
int __wrap_sd_journal_send(const char *format, ...)
{
	size_t n = strlen(journal_fields);
	va_list ap;

	va_start(ap, format);
	for (const char *f = format; f; f = va_arg(ap, const char *)) {
		char field[512];

		if (strstr(f, "%d"))
			snprintf(field, sizeof(field), "%.*s%d\n", (int)(strchr(f, '%') - f), f, va_arg(ap, int));
		else
			snprintf(field, sizeof(field), "%.*s%s\n", (int)(strchr(f, '%') - f), f, va_arg(ap, const char *));
		snprintf(journal_fields + n, sizeof(journal_fields) - n, "%s", field);
		n = strlen(journal_fields);
	}
	va_end(ap);
	return journal_result;
}

/* Pretend stderr is the stream systemd connected to the journal. */
static void connect_journal(void)
{
	struct stat st;
	char stream[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
	log_init("accessd", LOG_LEVEL_INFO);
	journal_fields[0] = '\0';
	journal_result = 0;
}

static void test_journal_gets_request_fields(void **state)
{
	struct capture *c = *state;

	connect_journal();
	log_request(LOG_LEVEL_NOTICE, "RITM0010001", "a1b2", "granted to %s", "alice");
	log_request(LOG_LEVEL_INFO, "RITM0010002", NULL, "seen");
	log_info("a plain line");
	unsetenv("JOURNAL_STREAM");
	assert_string_equal(journal_fields, "MESSAGE=RITM0010001 action a1b2: granted to alice\n"
					    "PRIORITY=5\n"
					    "SYSLOG_IDENTIFIER=accessd\n"
					    "ACCESSD_REQUEST=RITM0010001\n"
					    "ACCESSD_ACTION=a1b2\n"
					    "MESSAGE=RITM0010002: seen\n"
					    "PRIORITY=6\n"
					    "SYSLOG_IDENTIFIER=accessd\n"
					    "ACCESSD_REQUEST=RITM0010002\n");
	/* Plain events keep to the stream, with the priority prefix. */
	assert_string_equal(captured(c), "<6>a plain line\n");
}

static void test_journal_refusal_still_logs_the_line(void **state)
{
	struct capture *c = *state;

	connect_journal();
	journal_result = -EMSGSIZE;
	log_request(LOG_LEVEL_WARNING, "RITM0010001", NULL, "reminder sent");
	unsetenv("JOURNAL_STREAM");
	assert_string_equal(captured(c), "<4>RITM0010001: reminder sent\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_lines_carry_the_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_text_cannot_forge_a_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_gets_request_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_refusal_still_logs_the_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
