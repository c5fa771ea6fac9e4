/* SPDX-License-Identifier: Apache-2.0 */
/* The running agent: its configuration, its connectors and its clock. */
#ifndef ACCESSD_AGENT_H
#define ACCESSD_AGENT_H

#include <stdbool.h>

#include "conf/conf.h"
#include "health.h"
#include "util/clock.h"

struct audit;
struct itsm;
struct journal;
struct links;
struct state;
struct tzdb;

struct agent {
	struct config *cfg;
	struct itsm *itsm;
	struct links *links; /* the directory and the notification channel */
	const struct clock *clock;
	struct health_status status; /* what STATUS= tells the service manager */
	bool debug; /* -d: log at debug level whatever the configuration says */
	struct journal *journal; /* NULL until agent_open_journal */
	struct state *state;     /* rebuilt from the journal */
	struct audit *audit;     /* the audit trail; NULL until agent_open_journal */
	int64_t started_ms;      /* when the agent was built */
	int metrics_error;       /* the last write of the metrics file: 0 or a negative errno */
	int status_error;        /* the same for the status file */
	/* What the hourly summary counts (agent_cycle). */
	struct {
		int64_t since_ms;
		unsigned cycles, failed;
		size_t requests, approvals;
	} summary;
	struct tzdb *zones;      /* the time zones policy rules name */
};

/* conf_load with the connectors built into this accessd, for the tools
 * beside the daemon (accessctl explain). */
int agent_conf_load(const char *path, struct config **ret, struct diag *diag);

/* Build an agent from CFG, which it takes over (freed by agent_free, also
 * when this fails). Opens the connectors. Returns 0 and an agent the caller
 * owns, or a negative errno (already logged). */
int agent_new(struct config *cfg, const struct clock *clock, struct agent **ret);
struct agent *agent_free(struct agent *a);

/* Open the journal in the state directory (created 0750 when missing) and
 * replay it into the agent's state, once the audit trail's lock is taken.
 * REPAIR cuts a corrupt journal at the damage after keeping a copy.
 * Returns 0 or a negative errno (logged): -EBUSY when another accessd holds
 * the state directory. */
int agent_open_journal(struct agent *a, bool repair);

/* Run as the owner of the state directory when running as root and it
 * belongs to another user: accessd run by hand with the unit's credentials
 * (which only root reads) then writes files the service can use. Call it
 * once the connectors are open (the secrets are read) and before the
 * journal. Returns 0, or a negative errno (logged). */
int agent_become_state_owner(struct agent *a);

/* Whether the agent may act: false while the journal cannot be written
 * (full disk, I/O error), which is logged. Retries writing what a failed
 * write left queued. A failed fsync is fatal: exits non-zero so that
 * systemd restarts the agent and replay starts from the disk. */
bool agent_can_act(struct agent *a);

/* One poll cycle (cycle.h): ask the ITSM for the governed requests and act on them.
 * Returns 0, or a negative errno when the cycle could not complete (logged). */
int agent_cycle(struct agent *a);

/* agent_cycle, then record how it went (the STATUS= facts, the metrics, the
 * status file) and, at most once an hour, log a summary: an idle cycle logs
 * nothing at info level. Returns as agent_cycle. */
int agent_poll(struct agent *a);

/* Re-read and validate the configuration file (SIGHUP). On success the new
 * configuration and connectors replace the old ones; on any error (logged)
 * the running ones are kept. Returns 0 or a negative errno. */
int agent_reload(struct agent *a);

/* Run the event loop until SIGTERM or SIGINT, reloading on SIGHUP, telling
 * systemd about it all (notify.h). Returns 0 or a negative errno. */
int agent_run(struct agent *a);

/* Whether SIGTERM or SIGINT is waiting for the running cycle to end: a cycle
 * checks it between requests and stops early, so stopping never abandons an
 * action halfway. */
bool agent_stop_pending(void);

#endif
