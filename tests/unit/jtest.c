/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jtest.h"

#define T0 1764000000000LL

char *jtest_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (asprintf(&dir, "%s/accessd-journal-XXXXXX", base && *base ? base : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *jtest_path(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

void jtest_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = jtest_path(dir, e->d_name);
		if (p)
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

size_t jtest_record(const struct state *s, uint64_t i, uint16_t *ret_type, char *buf, size_t cap)
{
	return jtest_record_pool(s, i, JTEST_REQUESTS, ret_type, buf, cap);
}

size_t jtest_record_pool(const struct state *s, uint64_t i, unsigned pool, uint16_t *ret_type, char *buf,
			 size_t cap)
{
	unsigned long long n = (unsigned long long)i;
	/* a request gets runs of eight records, one of each kind */
	unsigned req = (unsigned)(i / 8 % pool);
	char id[32], action[48];
	const struct state_request *r;
	int len;

	snprintf(id, sizeof(id), "r%u", req);
	snprintf(action, sizeof(action), "r%u/grant%u", req, (unsigned)(i % 3));
	r = state_request_find(s, "sn", id);
	if (i % 61 == 0) {
		*ret_type = STATE_FORGET;
		len = snprintf(buf, cap, "{\"source\":\"sn\",\"id\":\"%s\"}", id);
	} else if (i % 8 == 6) {
		*ret_type = STATE_WATERMARK;
		len = snprintf(buf, cap, "{\"source\":\"sn\",\"watermark\":\"2026-11-25 %llu\"}", n);
	} else if (!r || i % 8 == 0) {
		*ret_type = STATE_REQUEST;
		len = snprintf(buf, cap,
			       "{\"source\":\"sn\",\"id\":\"%s\",\"number\":\"RITM%07u\",\"state\":\"stage%llu\","
			       "\"stage\":%llu,\"data\":{\"n\":%llu,\"gone\":null}}",
			       id, req, n % 5, n % 3, n);
	} else if (i % 8 == 1) {
		*ret_type = STATE_APPROVAL;
		len = snprintf(buf, cap,
			       "{\"source\":\"sn\",\"id\":\"%s\",\"approval\":\"a%llu\",\"approver\":\"u%llu\","
			       "\"decision\":\"approved\",\"stage\":1,\"at\":%lld}",
			       id, n % 5, n % 11, T0 + (long long)n);
	} else if (i % 8 == 2) {
		*ret_type = STATE_TIMER;
		len = snprintf(buf, cap, "{\"source\":\"sn\",\"id\":\"%s\",\"kind\":\"%s\",\"due\":%lld}", id,
			       state_timer_name((enum state_timer_kind)(n % STATE_TIMER_KINDS)),
			       n % 7 ? T0 + (long long)n * 1000 : 0);
	} else if (i % 8 == 3 || !state_action_find(s, action)) {
		*ret_type = STATE_INTENT;
		len = snprintf(buf, cap,
			       "{\"source\":\"sn\",\"id\":\"%s\",\"action\":\"%s\",\"intent\":{\"op\":\"add_member\","
			       "\"group\":\"g%llu\",\"n\":%llu}}",
			       id, action, n % 4, n);
	} else if (i % 8 == 4) {
		*ret_type = STATE_OUTCOME;
		len = snprintf(buf, cap, "{\"action\":\"%s\",\"outcome\":{\"ok\":true,\"request_id\":\"q%llu\"}}",
			       action, n);
	} else {
		*ret_type = STATE_RETRY;
		len = snprintf(buf, cap, "{\"source\":\"sn\",\"id\":\"%s\",\"key\":\"k%llu\",\"attempts\":%llu,\"next\":%lld}",
			       id, n % 3, n % 4, T0 + (long long)n);
	}
	return len < 0 || (size_t)len >= cap ? 0 : (size_t)len;
}

int jtest_apply_range(struct state *s, uint64_t from, uint64_t to)
{
	char buf[512];

	for (uint64_t i = from; i <= to; i++) {
		uint16_t type;
		size_t len = jtest_record(s, i, &type, buf, sizeof(buf));
		int r = state_apply(s, type, buf, len);

		if (r < 0)
			return r;
	}
	return 0;
}


static int dump_emit(uint16_t type, const char *payload, size_t len, void *ctx)
{
	FILE *f = ctx;

	fprintf(f, "%s %.*s\n", state_type_name(type), (int)len, payload);
	return 0;
}

char *jtest_dump(struct state *s)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	int r;

	if (!f)
		return NULL;
	r = state_snapshot(s, dump_emit, f);
	fclose(f);
	if (r < 0) {
		free(data);
		return NULL;
	}
	return data;
}

char *jtest_read_file(const char *path, size_t *ret_len)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	long len;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
		goto done;
	data = malloc((size_t)len + 1);
	if (!data)
		goto done;
	if (fread(data, 1, (size_t)len, fp) != (size_t)len) {
		free(data);
		data = NULL;
		goto done;
	}
	data[len] = '\0';
	*ret_len = (size_t)len;
done:
	fclose(fp);
	return data;
}
