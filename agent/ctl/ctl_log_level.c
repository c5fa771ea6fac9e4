/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_log_level.h"
#include "ctl_state.h"
#include "util/exitcode.h"
#include "util/json.h"
#include "util/log.h"

/* How long the agent may take to show the new level: it handles signals
 * between poll cycles, and a cycle may take a while. */
#define ANSWER_MS (60 * 1000)

void ctl_log_level_usage(FILE *out)
{
	fprintf(out, "  log-level LEVEL [DIR]\n"
		     "                   set the running agent's log level (error, warning,\n"
		     "                   notice, info or debug) until its next reload or restart;\n"
		     "                   as root or as the user accessd\n");
}

/* Wait until the status file in DIR shows LEVEL. */
static int shown(const char *dir, const char *level)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	for (int waited = 0; waited < ANSWER_MS; waited += 100) {
		cJSON *st = NULL;
		int same = ctl_status_file_read(dir, &st) == 0 && json_str(st, "log_level") &&
			   strcmp(json_str(st, "log_level"), level) == 0;

		cJSON_Delete(st);
		if (same)
			return 1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

int ctl_log_level(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : CTL_STATE_DEFAULT_DIR;
	enum log_level level;
	cJSON *st = NULL;
	long pid;
	int r;

	if (argc < 2 || argc > 3 || log_level_parse(argv[1], &level) < 0) {
		fprintf(stderr, "accessctl: usage: accessctl log-level error|warning|notice|info|debug [DIR]\n"
				"Try 'accessctl --help' for more information.\n");
		return EXIT_USAGE;
	}
	r = ctl_status_file_read(dir, &st);
	if (r == -ENOENT) {
		fprintf(stderr, "accessctl: accessd is not running in %s (it has no status file there)\n", dir);
		return EXIT_RUNTIME;
	}
	if (r < 0) {
		fprintf(stderr, "accessctl: cannot read the status file in %s: %s\n", dir, strerror(-r));
		return EXIT_RUNTIME;
	}
	pid = (long)json_int(st, "pid");
	cJSON_Delete(st);
	if (!ctl_daemon_running(pid)) {
		fprintf(stderr, "accessctl: accessd is not running (its status file in %s names pid %ld)\n", dir, pid);
		return EXIT_RUNTIME;
	}
	if (sigqueue((pid_t)pid, SIGUSR2, (union sigval){ .sival_int = (int)level }) < 0) {
		r = errno;
		fprintf(stderr, "accessctl: cannot signal accessd (pid %ld): %s%s\n", pid, strerror(r),
			r == EPERM ? "; run accessctl log-level as root or as the user accessd runs as" : "");
		return EXIT_RUNTIME;
	}
	if (!shown(dir, log_level_name(level))) {
		fprintf(stderr, "accessctl: accessd (pid %ld) was sent the new level but does not show it yet; see "
				"accessctl status\n",
			pid);
		return EXIT_RUNTIME;
	}
	printf("accessd (pid %ld): log level %s\n", pid, log_level_name(level));
	return EXIT_OK;
}
