/* SPDX-License-Identifier: Apache-2.0 */
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
#include <unistd.h>

#include <cmocka.h>

#include "util/secret.h"

static char dir[] = "/tmp/accessd-secret-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *put(const char *name, const char *content, size_t len, mode_t mode)
{
	static char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_reads_private_file_without_newline(void **state)
{
	char *s = NULL;

	(void)state;
	assert_int_equal(secret_read_file(put("ok", "hunter2\n", 8, 0600), &s), 0);
	assert_string_equal(s, "hunter2");
	secret_free(s);
	assert_int_equal(secret_read_file(put("ro", "x\r\n", 3, 0400), &s), 0);
	assert_string_equal(s, "x");
	secret_free(s);
}

static void test_refuses_shared_empty_and_huge_files(void **state)
{
	static char big[SECRET_MAX + 2];
	char *s = NULL;

	(void)state;
	assert_int_equal(secret_read_file(put("g", "x", 1, 0640), &s), -EACCES);
	assert_int_equal(secret_read_file(put("o", "x", 1, 0604), &s), -EACCES);
	assert_int_equal(secret_read_file(put("e", "\n", 1, 0600), &s), -ENODATA);
	memset(big, 'a', sizeof(big));
	assert_int_equal(secret_read_file(put("big", big, sizeof(big), 0600), &s), -EFBIG);
	assert_int_equal(secret_read_file("/nonexistent/secret", &s), -ENOENT);
	assert_null(s);
}

static void test_credentials_directory(void **state)
{
	char *s = NULL;

	(void)state;
	put("snow", "pw", 2, 0400);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(secret_read_credential("snow", &s), -ENXIO);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	assert_int_equal(secret_read_credential("snow", &s), 0);
	assert_string_equal(s, "pw");
	secret_free(s);
	assert_int_equal(secret_read_credential("../etc/passwd", &s), -EINVAL);
	assert_int_equal(secret_read_credential("..", &s), -EINVAL);
	unsetenv("CREDENTIALS_DIRECTORY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_private_file_without_newline),
		cmocka_unit_test(test_refuses_shared_empty_and_huge_files),
		cmocka_unit_test(test_credentials_directory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
