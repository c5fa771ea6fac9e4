/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "ctl_explain.h"
#include "explain.h"
#include "util/exitcode.h"
#include "util/log.h"

#define DEFAULT_CONFIG SYSCONFDIR "/accessd/accessd.conf"

void ctl_explain_usage(FILE *out)
{
	fprintf(out, "  explain [-c FILE] [--credentials-directory=DIR] REQUEST\n"
		     "                   what accessd would do with REQUEST (its number) and why,\n"
		     "                   from the live ticket and directory and FILE's policy\n"
		     "                   (default " DEFAULT_CONFIG "): the verdict,\n"
		     "                   the approval chain with each substitution, deadlines,\n"
		     "                   the grant, the next cycle's actions; writes nothing.\n"
		     "                   It reads the secrets the configuration names: as root,\n"
		     "                   or with DIR holding the credentials\n");
}

int ctl_explain(int argc, char **argv)
{
	enum { OPT_CREDENTIALS = 256 };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "credentials-directory", required_argument, NULL, OPT_CREDENTIALS },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG, *credentials = NULL;
	struct diag diag = { 0 };
	struct config *cfg = NULL;
	struct agent *agent = NULL;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+c:", options, NULL)) != -1) {
		if (c == 'c')
			config_path = optarg;
		else if (c == OPT_CREDENTIALS)
			credentials = optarg;
		else
			goto usage;
	}
	if (argc - optind != 1)
		goto usage;
	/* Where the secrets named *_credential are read, as systemd would say. */
	if (credentials && setenv("CREDENTIALS_DIRECTORY", credentials, 1) < 0) {
		fprintf(stderr, "accessctl: out of memory\n");
		return EXIT_RUNTIME;
	}
	log_init("accessctl", LOG_LEVEL_WARNING);
	if (agent_conf_load(config_path, &cfg, &diag) < 0) {
		diag_print(&diag, stderr);
		diag_clear(&diag);
		return EXIT_USAGE;
	}
	diag_clear(&diag);
	if (agent_new(cfg, &clock_system, &agent) < 0)
		return EXIT_USAGE;
	r = explain_one(agent, argv[optind], stdout);
	agent_free(agent);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
usage:
	fprintf(stderr, "accessctl: usage: accessctl explain [-c FILE] [--credentials-directory=DIR] REQUEST\n"
			"Try 'accessctl --help' for more information.\n");
	return EXIT_USAGE;
}
