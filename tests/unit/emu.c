/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;
	char *grown = realloc(b->data, b->len + n + 1);

	if (!grown)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* The number in the file PATH into *PORT; 0 when it is there. */
static int read_port(const char *path, int *port)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -ENOENT;
	ok = fscanf(f, "%d", port) == 1;
	fclose(f);
	return ok ? 0 : -EAGAIN;
}

static int start(struct emu *e, const char *cert, const char *key)
{
	const char *python = getenv("PYTHON3");
	const char *srcdir = getenv("ACCESSD_SRCDIR");
	char script[4096], port_file[128], tls_port_file[128];
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int tls_port;

	memset(e, 0, sizeof(*e));
	if (!python || !*python)
		python = "python3";
	if (!srcdir)
		srcdir = ".";
	snprintf(script, sizeof(script), "%s/tests/emulator/emulator.py", srcdir);
	snprintf(e->dir, sizeof(e->dir), "/tmp/accessd-emu-XXXXXX");
	if (!mkdtemp(e->dir))
		return -errno;
	snprintf(port_file, sizeof(port_file), "%s/port", e->dir);
	snprintf(tls_port_file, sizeof(tls_port_file), "%s/tls-port", e->dir);
	e->pid = fork();
	if (e->pid < 0)
		return -errno;
	if (e->pid == 0) {
		if (cert)
			execlp(python, python, script, "--port", "0", "--port-file", port_file, "--tls-cert", cert,
			       "--tls-key", key, "--tls-port-file", tls_port_file, (char *)NULL);
		else
			execlp(python, python, script, "--port", "0", "--port-file", port_file, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 750; i++) {
		if (read_port(port_file, &e->port) == 0) {
			snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->port);
			if (!cert)
				return 0;
			if (read_port(tls_port_file, &tls_port) < 0)
				break;
			snprintf(e->tls_url, sizeof(e->tls_url), "https://127.0.0.1:%d", tls_port);
			return 0;
		}
		if (waitpid(e->pid, NULL, WNOHANG) == e->pid) {
			e->pid = 0;
			return -ECHILD;
		}
		nanosleep(&pause, NULL);
	}
	emu_stop(e);
	return -ETIMEDOUT;
}

int emu_start(struct emu *e)
{
	return start(e, NULL, NULL);
}

int emu_start_tls(struct emu *e, const char *cert, const char *key)
{
	return start(e, cert, key);
}

void emu_stop(struct emu *e)
{
	char path[128];

	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		waitpid(e->pid, NULL, 0);
		e->pid = 0;
	}
	if (e->dir[0]) {
		snprintf(path, sizeof(path), "%s/port", e->dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/tls-port", e->dir);
		unlink(path);
		rmdir(e->dir);
		e->dir[0] = '\0';
	}
}

int emu_call(struct emu *e, const char *method, const char *path, const char *body, char **ret_body)
{
	struct curl_slist *headers = NULL;
	struct buf b = { 0 };
	char url[1024];
	long status = 0;
	CURL *h;
	int r;

	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%s", e->url, path);
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(h) != CURLE_OK) {
		r = -EIO;
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r = (int)status;
	if (ret_body) {
		*ret_body = b.data ? b.data : strdup("");
		b.data = NULL;
	}
done:
	free(b.data);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	return r;
}

int emu_secret_file(struct emu *e, const char *name, const char *value, char *path, size_t size)
{
	FILE *f;
	int fd;

	snprintf(path, size, "%s/%s", e->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	fprintf(f, "%s\n", value);
	return fclose(f) == 0 ? 0 : -EIO;
}

int emu_post(struct emu *e, const char *path, const char *json)
{
	return emu_call(e, "POST", path, json, NULL) == 200 ? 0 : -EIO;
}

cJSON *emu_requests(struct emu *e)
{
	char *body = NULL;
	cJSON *log = NULL;

	if (emu_call(e, "GET", "/_emu/requests", NULL, &body) == 200)
		log = cJSON_Parse(body);
	free(body);
	return log;
}

int emu_count(struct emu *e, const char *method, const char *path_part)
{
	cJSON *log = emu_requests(e), *entry;
	int n = 0;

	if (!log)
		return -1;
	cJSON_ArrayForEach(entry, log) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "method"));
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(entry, "path"));

		if (method && (!m || strcmp(m, method) != 0))
			continue;
		if (path_part && (!p || !strstr(p, path_part)))
			continue;
		n++;
	}
	cJSON_Delete(log);
	return n;
}
