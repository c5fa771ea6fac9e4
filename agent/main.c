/* accessd: the daemon's command line. Everything else lives in libaccessd. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "conf.h"
#include "exitcode.h"
#include "log.h"

#define DEFAULT_CONFIG SYSCONFDIR "/accessd/accessd.conf"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: accessd [OPTION]...\n"
		"Make access requests finish: poll the ITSM, enforce the policy and the\n"
		"approver chain, grant in Entra ID, and record every step.\n"
		"\n"
		"  -c, --config=FILE    configuration file (default " DEFAULT_CONFIG ")\n"
		"      --check-config   validate the configuration, print a summary, exit\n"
		"      --once           run one poll cycle and exit\n"
		"      --repair         when the journal is corrupt, keep a copy of it and cut\n"
		"                       it at the damage instead of refusing to start\n"
		"  -d, --debug          log at debug level\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n"
		"See accessd(8) and accessd.conf(5).\n");
}

static void print_summary(const struct config *cfg)
{
	printf("%s: configuration OK\n", cfg->path);
	printf("itsm: %s at %s\n", cfg->itsm.kind, cfg->itsm.base_url);
	for (size_t i = 0; i < cfg->n_items; i++)
		printf("governs: \"%s\"\n", cfg->items[i].name);
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK_CONFIG = 256, OPT_ONCE, OPT_REPAIR };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG;
	int check_only = 0, once = 0, debug = 0, repair = 0, c, r;
	struct diag diag = { 0 };
	struct config *cfg = NULL;
	struct agent *agent = NULL;

	while ((c = getopt_long(argc, argv, "c:dhV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_CHECK_CONFIG:
			check_only = 1;
			break;
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_REPAIR:
			repair = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("accessd %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'accessd --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "accessd: unexpected argument '%s'\nTry 'accessd --help' for more information.\n",
			argv[optind]);
		return EXIT_USAGE;
	}

	log_init("accessd", LOG_LEVEL_INFO);
	r = conf_load(config_path, &cfg, &diag);
	if (r < 0) {
		diag_print(&diag, stderr);
		diag_clear(&diag);
		return EXIT_USAGE;
	}
	diag_clear(&diag);
	if (check_only) {
		print_summary(cfg);
		conf_free(cfg);
		return EXIT_OK;
	}
	log_set_level(debug ? LOG_LEVEL_DEBUG : cfg->log_level);

	r = agent_new(cfg, &clock_system, &agent);
	if (r < 0)
		return EXIT_RUNTIME;
	r = agent_open_journal(agent, repair);
	if (r < 0) {
		agent_free(agent);
		return EXIT_RUNTIME;
	}
	r = once ? agent_cycle(agent) : agent_run(agent);
	agent_free(agent);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
