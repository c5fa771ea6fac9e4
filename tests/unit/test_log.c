#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_lines_carry_the_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_text_cannot_forge_a_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
