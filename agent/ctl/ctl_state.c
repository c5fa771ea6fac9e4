#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl_state.h"
#include "util/exitcode.h"

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

void ctl_state_damaged(const char *path, const struct journal_scan *scan)
{
	fprintf(stderr, "accessctl: %s is damaged (%s at offset %llu): what follows stops there; see accessctl "
			"journal verify\n",
		path, journal_damage_name(scan->damage), (unsigned long long)scan->offset);
}
