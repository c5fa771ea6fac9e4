/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void secret_free(char *s)
{
	if (!s)
		return;
	wipe(s, strlen(s));
	free(s);
}

int secret_read_file(const char *path, char **ret)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto done;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		r = -EACCES;
		goto done;
	}
	if (st.st_size > SECRET_MAX) {
		r = -EFBIG;
		goto done;
	}
	buf = malloc(SECRET_MAX + 1);
	if (!buf) {
		r = -ENOMEM;
		goto done;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, SECRET_MAX + 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SECRET_MAX) {
			r = -EFBIG;
			goto done;
		}
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		r = -ENODATA;
		goto done;
	}
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	r = 0;
done:
	if (buf) {
		wipe(buf, SECRET_MAX + 1);
		free(buf);
	}
	close(fd);
	return r;
}

int secret_read_credential(const char *name, char **ret)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[4096];
	int n;

	if (!dir || !*dir)
		return -ENXIO;
	if (strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return secret_read_file(path, ret);
}
