/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl_state.h"
#include "status_file.h"
#include "core/model.h"
#include "util/civil.h"
#include "util/exitcode.h"
#include "util/json.h"

int ctl_read_error(const char *path, int r)
{
	char *copy = strdup(path), *dir = copy ? dirname(copy) : NULL;
	const struct group *g;
	struct stat st;

	fprintf(stderr, "accessctl: cannot read %s: %s\n", path, strerror(-r));
	if (r == -EACCES && dir && stat(dir, &st) == 0) {
		g = getgrgid(st.st_gid);
		if (g)
			fprintf(stderr, "accessctl: %s is readable by root and by the members of the group %s; add "
					"yourself with: usermod -aG %s \"$USER\" (then log in again)\n",
				dir, g->gr_name, g->gr_name);
		else
			fprintf(stderr, "accessctl: %s is readable by root and by the members of the group %lu\n", dir,
				(unsigned long)st.st_gid);
	}
	free(copy);
	return EXIT_RUNTIME;
}

int ctl_state_load(const char *path, struct state **ret, struct journal_scan *scan)
{
	struct state *s = NULL;
	int r;

	r = state_new(&s);
	if (r == 0)
		r = journal_scan_file(path, state_apply_record, s, scan);
	if (r < 0) {
		state_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int ctl_state_not_started(const char *path, int r)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	struct stat st;
	char *dir;
	int yes;

	if (r != -ENOENT || strcmp(name, JOURNAL_FILE_NAME) != 0)
		return 0;
	dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	yes = dir && stat(dir[0] ? dir : "/", &st) == 0 && S_ISDIR(st.st_mode);
	free(dir);
	return yes;
}

int ctl_status_file_read(const char *dir, cJSON **ret)
{
	char *path = NULL, *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (asprintf(&path, "%s/%s", dir, STATUS_FILE_NAME) < 0)
		return -ENOMEM;
	f = fopen(path, "re");
	free(path);
	if (!f)
		return -errno;
	r = getdelim(&text, &len, '\0', f) < 0 ? (ferror(f) ? -EIO : -EBADMSG) : 0;
	fclose(f);
	if (r == 0 && json_parse(text, strlen(text), ret) < 0)
		r = -EBADMSG;
	free(text);
	return r;
}

int ctl_daemon_running(long pid)
{
	char path[64], name[32] = "";
	FILE *f;

	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	if (!fgets(name, sizeof(name), f))
		name[0] = '\0';
	fclose(f);
	return strcmp(name, "accessd\n") == 0;
}

size_t ctl_waiting_for(const struct state_request *sr, const char **who, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sr->n_approvals && n < max; i++) {
		const struct state_approval *ap = &sr->approvals[i];

		if (ap->stage == sr->stage && ap->approver &&
		    approval_decision_from_name(ap->decision) == APPROVAL_REQUESTED)
			who[n++] = ap->approver;
	}
	return n;
}

const char *ctl_utc(int64_t ms, int iso, char buf[24])
{
	if (ms <= 0 || civil_format(ms, buf) < 0)
		return NULL;
	if (iso) {
		buf[10] = 'T';
		strcat(buf, "Z");
	}
	return buf;
}

int ctl_add_str(cJSON *o, const char *name, const char *value)
{
	return (value ? cJSON_AddStringToObject(o, name, value) : cJSON_AddNullToObject(o, name)) != NULL;
}

void ctl_state_damaged(const char *path, const struct journal_scan *scan)
{
	fprintf(stderr, "accessctl: %s is damaged (%s at offset %llu): what follows stops there; see accessctl "
			"journal verify\n",
		path, journal_damage_name(scan->damage), (unsigned long long)scan->offset);
}
