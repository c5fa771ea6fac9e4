/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "connectors/connectors.h"
#include "connectors/itsm.h"
#include "cycle.h"
#include "links.h"
#include "metrics.h"
#include "status_file.h"
#include "store/audit.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/log.h"
#include "util/stats.h"
#include "util/tzdb.h"

#define SUMMARY_INTERVAL_MS (3600 * 1000)

/* Opens the ITSM connector CFG names, logging why it cannot. */
static int open_itsm(const struct config *cfg, struct itsm **ret)
{
	const struct secret_ref *ref = cfg->itsm.password.file || cfg->itsm.password.credential ? &cfg->itsm.password
												   : &cfg->itsm.client_secret;
	int r = itsm_open(&cfg->itsm, &cfg->retry, NULL, ret);

	if ((r == -ENOENT || r == -ENODATA) && ref->credential)
		log_error("the credential %s of the %s connection is %s; write the secret to " SYSCONFDIR
			  "/accessd/credentials/%s, which accessd.service loads", ref->credential, cfg->itsm.kind,
			  r == -ENOENT ? "missing" : "empty", ref->credential);
	else if ((r == -ENOENT || r == -ENODATA) && ref->file)
		log_error("the secret file %s of the %s connection is %s; write the secret to it, readable only by "
			  "its owner (chmod 600)", ref->file, cfg->itsm.kind, r == -ENOENT ? "missing" : "empty");
	else if (r == -EACCES && ref->file)
		log_error("the secret file %s is readable by group or others; make it private with chmod 600 %s",
			  ref->file, ref->file);
	else if (r == -ENXIO)
		log_error("the %s connection names a systemd credential, but CREDENTIALS_DIRECTORY is not set; "
			  "start accessd with systemctl, give --credentials-directory, or name a file with *_file",
			  cfg->itsm.kind);
	else if (r < 0)
		log_error("cannot open the %s connection: %s", cfg->itsm.kind, strerror(-r));
	return r;
}

int agent_conf_load(const char *path, struct config **ret, struct diag *diag)
{
	return conf_load(path, &connectors_builtin, ret, diag);
}

int agent_new(struct config *cfg, const struct clock *clock, struct agent **ret)
{
	struct agent *a;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a) {
		conf_free(cfg);
		return -ENOMEM;
	}
	a->cfg = cfg;
	a->clock = clock;
	a->started_ms = clock_now(clock);
	a->summary.since_ms = a->started_ms;
	r = tzdb_new(NULL, &a->zones);
	if (r < 0)
		log_error("out of memory opening the time zone database");
	if (r == 0)
		r = open_itsm(cfg, &a->itsm);
	if (r == 0)
		r = links_open(cfg, clock, &a->links);
	if (r < 0) {
		agent_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

int agent_reload(struct agent *a)
{
	struct diag diag = { 0 };
	struct config *cfg = NULL;
	struct itsm *itsm = NULL;
	struct links *links = NULL;
	int r;

	r = conf_load(a->cfg->path, &connectors_builtin, &cfg, &diag);
	if (r < 0) {
		for (size_t i = 0; i < diag.n; i++)
			log_error("%s", diag.msgs[i]);
		log_error("%s has errors; keeping the running configuration", a->cfg->path);
		goto done;
	}
	/* The journal stays open in the old directory; moving it is a restart. */
	if (strcmp(cfg->state_directory, a->cfg->state_directory) != 0) {
		log_error("%s: state_directory changed from %s to %s, which needs a restart; "
			  "keeping the running configuration", cfg->path, a->cfg->state_directory, cfg->state_directory);
		r = -EINVAL;
		goto done;
	}
	r = open_itsm(cfg, &itsm);
	if (r == 0)
		r = links_open(cfg, a->clock, &links);
	if (r < 0) {
		itsm_close(itsm);
		log_error("keeping the running configuration");
		goto done;
	}
	itsm_close(a->itsm);
	a->itsm = itsm;
	links_free(a->links);
	a->links = links;
	conf_free(a->cfg);
	a->cfg = cfg;
	cfg = NULL;
	log_set_level(a->debug ? LOG_LEVEL_DEBUG : a->cfg->log_level);
	log_notice("reloaded %s", a->cfg->path);
done:
	diag_clear(&diag);
	conf_free(cfg);
	return r;
}

struct agent *agent_free(struct agent *a)
{
	if (!a)
		return NULL;
	itsm_close(a->itsm);
	links_free(a->links);
	audit_close(a->audit);
	journal_close(a->journal);
	state_free(a->state);
	tzdb_free(a->zones);
	conf_free(a->cfg);
	free(a);
	return NULL;
}

/* At most once an hour, at info level: what the cycles since the last
 * summary did. The cycles themselves log only what they change. */
static void summarize(struct agent *a, int64_t now)
{
	if (now - a->summary.since_ms < SUMMARY_INTERVAL_MS)
		return;
	log_info("since %s: %u poll cycle%s (%u failed), %zu request%s and %zu approval%s changed",
		 a->summary.since_ms == a->started_ms ? "the start" : "the last summary", a->summary.cycles,
		 a->summary.cycles == 1 ? "" : "s", a->summary.failed, a->summary.requests,
		 a->summary.requests == 1 ? "" : "s", a->summary.approvals, a->summary.approvals == 1 ? "" : "s");
	memset(&a->summary, 0, sizeof(a->summary));
	a->summary.since_ms = now;
}

int agent_cycle(struct agent *a)
{
	if (!agent_can_act(a))
		return -EROFS;
	return cycle_run(a);
}

int agent_poll(struct agent *a)
{
	int64_t started = clock_now(a->clock), now;
	char labels[32];
	int r;

	r = agent_cycle(a);
	now = clock_now(a->clock);
	a->status.last_poll_ms = now;
	a->status.last_poll_result = r;
	if (r == 0)
		a->status.last_ok_poll_ms = now;
	snprintf(labels, sizeof(labels), "result=\"%s\"", r == 0 ? "ok" : "failed");
	stats_count("accessd_cycles_total", labels, 1);
	stats_observe("accessd_cycle_duration_seconds", "", now > started ? (double)(now - started) / 1000 : 0);
	a->summary.cycles++;
	a->summary.failed += r < 0;
	summarize(a, now);
	metrics_write(a);
	status_file_write(a);
	return r;
}

/* The journal: the agent's only state. */

int agent_open_journal(struct agent *a, bool repair)
{
	struct journal_options opts = { .repair = repair, .snapshot = state_snapshot };
	const char *dir = a->cfg->state_directory;
	char *path = NULL;
	int r;

	/* Its group may read it: accessctl run by an operator in that group. */
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		r = -errno;
		log_error("cannot create the state directory %s: %s", dir, strerror(-r));
		return r;
	}
	/* The audit trail's lock first: it keeps a second accessd (one run by
	 * hand beside the service) from touching the journal at all. */
	if (asprintf(&path, "%s/%s", dir, AUDIT_FILE_NAME) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto done;
	}
	r = audit_open(path, &a->audit);
	if (r == -EBUSY) {
		log_error("another accessd is running on %s; stop it first (systemctl stop accessd)", dir);
		goto done;
	} else if (r < 0) {
		log_error("cannot open the audit trail %s: %s", path, strerror(-r));
		goto done;
	}
	free(path);
	if (asprintf(&path, "%s/%s", dir, JOURNAL_FILE_NAME) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto done;
	}
	r = state_new(&a->state);
	if (r < 0)
		goto done;
	opts.snapshot_userdata = a->state;
	r = journal_open(path, &opts, state_apply_record, a->state, &a->journal);
	if (r < 0)
		goto done;
	log_info("journal %s: %zu request(s), %zu action(s), last sequence %llu", path,
		 state_request_count(a->state), state_action_count(a->state),
		 (unsigned long long)journal_last_seq(a->journal));
done:
	if (r == -ENOMEM)
		log_error("out of memory opening the journal in %s", dir);
	free(path);
	return r;
}

int agent_become_state_owner(struct agent *a)
{
	const char *dir = a->cfg->state_directory;
	struct stat st;

	if (geteuid() != 0 || stat(dir, &st) < 0 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0) {
		int r = -errno;

		log_error("cannot become the owner of %s (uid %lu): %s", dir, (unsigned long)st.st_uid, strerror(-r));
		return r;
	}
	log_notice("running as uid %lu, gid %lu: the owner of %s", (unsigned long)st.st_uid, (unsigned long)st.st_gid,
		   dir);
	return 0;
}

bool agent_can_act(struct agent *a)
{
	int r;

	if (!a->journal || journal_writable(a->journal))
		return true;
	/* records a failed write left queued are written now, if they can be */
	r = journal_sync(a->journal);
	if (r == -ENOTRECOVERABLE)
		fatalx("the journal failed to sync; exiting so that a restart replays it");
	if (r < 0) {
		log_warnx("the journal cannot be written (%s): taking no action until it can", strerror(-r));
		return false;
	}
	log_notice("the journal can be written again");
	return true;
}
