/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl: the operator's command-line tool. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl_audit.h"
#include "ctl_explain.h"
#include "ctl_journal.h"
#include "ctl_log_level.h"
#include "ctl_requests.h"
#include "ctl_status.h"
#include "util/exitcode.h"

/* The commands, each in its own ctl_*.c. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
} commands[] = {
	{ "audit", ctl_audit, ctl_audit_usage },
	{ "explain", ctl_explain, ctl_explain_usage },
	{ "journal", ctl_journal, ctl_journal_usage },
	{ "log-level", ctl_log_level, ctl_log_level_usage },
	{ "requests", ctl_requests, ctl_requests_usage },
	{ "status", ctl_status, ctl_status_usage },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: accessctl [OPTION]... COMMAND [ARG]...\n"
		"Inspect accessd's state, explain what it would do with a request, and set\n"
		"the running agent's log level.\n"
		"\n"
		"Options:\n"
		"  -h, --help       show this help and exit\n"
		"  -V, --version    show the version and exit\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		commands[i].usage(out);
	fprintf(out,
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage error.\n"
		"journal verify, journal dump and requests exit 1 when the journal is\n"
		"damaged or unreadable.\n"
		"See accessctl(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("accessctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'accessctl --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "accessctl: no command given\nTry 'accessctl --help' for more information.\n");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].run(argc - optind, argv + optind);
	fprintf(stderr, "accessctl: unknown command '%s'\nTry 'accessctl --help' for more information.\n", argv[optind]);
	return EXIT_USAGE;
}
