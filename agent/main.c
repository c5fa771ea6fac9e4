/* SPDX-License-Identifier: Apache-2.0 */
/* accessd: the daemon's command line. Everything else lives in libaccessd. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "conf/conf.h"
#include "connectors/connectors.h"
#include "explain.h"
#include "util/exitcode.h"
#include "util/log.h"

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
		"      --dry-run        with --once: read the ITSM, the directory and the\n"
		"                       journal, and print what the cycle would do and why;\n"
		"                       write nothing anywhere\n"
		"      --credentials-directory=DIR\n"
		"                       read the secrets named *_credential from DIR instead\n"
		"                       of $CREDENTIALS_DIRECTORY (e.g. "
		SYSCONFDIR "/accessd/credentials,\n"
		"                       as root: the unit's own)\n"
		"      --repair         when the journal is corrupt, keep a copy of it and cut\n"
		"                       it at the damage instead of refusing to start\n"
		"  -d, --debug          log at debug level\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage or configuration error,\n"
		"or a start that a restart cannot fix (a secret missing, a connector not\n"
		"built in, a corrupt journal).\n"
		"See accessd(8) and accessd.conf(5).\n");
}

static void print_stages(const char *label, const struct stage_config *st, size_t n)
{
	static const char *const kinds[] = { "manager", "target owner", "backup owner", "user", "group" };
	const char *const what[] = { "remind", "escalate", "expire" };

	printf("  %s:", label);
	for (size_t i = 0; i < n; i++) {
		const int64_t after[] = { st[i].remind_after_ms, st[i].escalate_after_ms, st[i].expire_after_ms };

		printf("%s %s (", i ? " ->" : "", st[i].name);
		for (size_t a = 0; a < st[i].n_approvers; a++)
			printf("%s%s", a ? " + " : "", kinds[st[i].approvers[a].kind]);
		printf(", %s", st[i].quorum == QUORUM_ALL ? "all" : "any");
		if (st[i].n_backups)
			printf(", %zu backup%s", st[i].n_backups, st[i].n_backups > 1 ? "s" : "");
		for (size_t k = 0; k < 3; k++) {
			char d[32];

			if (!after[k])
				continue;
			conf_format_duration(after[k], d, sizeof(d));
			printf(", %s %s", what[k], d);
		}
		/* Worth seeing: such a stage waits for a decision forever. */
		printf("%s", st[i].expire_after_ms ? "" : ", never expires");
		for (size_t r = 0; r < st[i].n_auto_approve; r++)
			printf("%s%s", r ? " / " : ", or by rule ", st[i].auto_approve[r].name);
		printf(")");
	}
	printf("\n");
}

/* Who may ask for ITEM, whether an agent must verify them, and who
 * sponsors a contractor, on one line. */
static void print_requesters(const struct config *cfg, const struct item_config *it)
{
	size_t n;
	const struct requester_rule *rules = conf_item_requesters(cfg, it, &n);

	printf("  requested by:");
	for (size_t i = 0; i < n; i++)
		printf("%s %s%s", i ? "," : "", rules[i].kind == REQUESTER_SUBJECT ? "the person"
					       : rules[i].kind == REQUESTER_MANAGER ? "their manager"
										 : "members of group ",
		       rules[i].group_id ? rules[i].group_id : "");
	if (it->verification_variable)
		printf("; verified by an agent of group %s named in \"%s\"", it->verification_group,
		       it->verification_variable);
	if (cfg->policy.contractor.n_match > 0 && !conf_item_sponsor_required(cfg, it))
		printf("; contractors need no sponsor");
	else if (cfg->policy.contractor.n_match > 0 && it->vars.sponsor)
		printf("; contractors' sponsor named in \"%s\"", it->vars.sponsor);
	else if (cfg->policy.contractor.n_match > 0)
		printf("; contractors' sponsor: their manager");
	printf("\n");
}

/* How a start that failed with R exits. What a restart may cure -- memory,
 * the network, a disk that fills, another accessd holding the state --
 * exits 1, which the unit restarts; anything else needs the administrator
 * (a secret missing, empty or readable by others, a connector kind not
 * built in, a corrupt journal, a state directory it may not write) and
 * exits 2, which the unit does not restart (RestartPreventExitStatus=2):
 * systemd stops at once instead of looping until "start request repeated
 * too quickly". */
static int start_exit_code(int r)
{
	static const int transient[] = { ENOMEM, EAGAIN, EINTR, EIO, EBUSY, ENOSPC, EDQUOT, ETIMEDOUT,
					 ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, ECANCELED };

	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		if (r == -transient[i])
			return EXIT_RUNTIME;
	return EXIT_USAGE;
}

/* What --check-config shows: the governed items and their approval chains. */
static void print_summary(const struct config *cfg)
{
	printf("%s: configuration OK\n", cfg->path);
	printf("itsm: %s at %s\n", cfg->itsm.kind, cfg->itsm.base_url);
	if (cfg->directory.kind)
		printf("directory: %s at %s\n", cfg->directory.kind, cfg->directory.base_url);
	printf("approvals: %s; partial failure: %s\n",
	       cfg->policy.approvals == APPROVALS_OBSERVE ? "observe" : "create",
	       cfg->policy.partial_failure == PARTIAL_COMPENSATE ? "compensate" : "rollback");
	for (size_t i = 0; i < cfg->n_items; i++) {
		const struct item_config *it = &cfg->items[i];
		int privileged = 0;

		printf("governs: \"%s\"", it->name);
		if (it->n_allow == 0)
			printf(" (grants nothing: no allow list)");
		for (size_t t = 0; t < it->n_allow; t++) {
			privileged |= it->allow[t]->class == TARGET_PRIVILEGED;
			printf("%s%s%s", t ? ", " : " -> ", it->allow[t]->name,
			       it->allow[t]->class == TARGET_PRIVILEGED ? " (privileged)" : "");
			for (size_t k = 0; k < it->allow[t]->n_also; k++)
				printf(" + %s", it->allow[t]->also[k]->name);
		}
		if (it->contractor_target)
			printf("; contractors get %s", it->contractor_target->name);
		printf("\n");
		if (it->n_allow)
			print_requesters(cfg, it);
		for (size_t r = 0; r < it->n_auto_reject; r++)
			printf("%s%s", r ? " / " : "  rejected by rule ", it->auto_reject[r].name);
		if (it->n_auto_reject)
			printf("\n");
		if (it->n_stages)
			print_stages("approval", it->stages, it->n_stages);
		if (privileged && it->n_privileged_stages)
			print_stages("privileged targets add", it->privileged_stages, it->n_privileged_stages);
		else if (privileged)
			print_stages("privileged targets add", cfg->policy.privileged_stages,
				     cfg->policy.n_privileged_stages);
	}
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK_CONFIG = 256, OPT_ONCE, OPT_REPAIR, OPT_DRY_RUN, OPT_CREDENTIALS };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "credentials-directory", required_argument, NULL, OPT_CREDENTIALS },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG;
	int check_only = 0, once = 0, dry_run = 0, debug = 0, repair = 0, c, r;
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
		case OPT_DRY_RUN:
			dry_run = 1;
			break;
		case OPT_CREDENTIALS:
			/* Where secret_read_credential looks, as systemd would say. */
			if (setenv("CREDENTIALS_DIRECTORY", optarg, 1) < 0) {
				fprintf(stderr, "accessd: out of memory\n");
				return EXIT_RUNTIME;
			}
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
	if (dry_run && (!once || repair)) {
		fprintf(stderr, "accessd: --dry-run goes with --once, and never with --repair\n"
				"Try 'accessd --help' for more information.\n");
		return EXIT_USAGE;
	}

	log_init("accessd", LOG_LEVEL_INFO);
	r = conf_load(config_path, &connectors_builtin, &cfg, &diag);
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
		return start_exit_code(r);
	agent->debug = debug;
	if (dry_run) {
		r = explain_dry_run(agent, stdout);
		agent_free(agent);
		return r < 0 ? EXIT_RUNTIME : EXIT_OK;
	}
	/* The secrets are read: root (by hand, with the unit's credentials)
	 * goes on as the state's owner, so the files it writes stay the
	 * agent's. */
	r = agent_become_state_owner(agent);
	if (r == 0)
		r = agent_open_journal(agent, repair);
	if (r < 0) {
		agent_free(agent);
		return start_exit_code(r);
	}
	r = once ? agent_poll(agent) : agent_run(agent);
	agent_free(agent);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
