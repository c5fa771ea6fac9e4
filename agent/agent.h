/* The running agent: its configuration, its connectors and its clock. */
#ifndef ACCESSD_AGENT_H
#define ACCESSD_AGENT_H

#include "clock.h"
#include "conf.h"

struct itsm;

struct agent {
	struct config *cfg;
	struct itsm *itsm;
	const struct clock *clock;
	char *requests_watermark;  /* "YYYY-MM-DD HH:MM:SS" of the newest change seen, or NULL */
	char *approvals_watermark;
};

/* Build an agent from CFG, which it takes over (freed by agent_free, also
 * when this fails). Opens the connectors. Returns 0 and an agent the caller
 * owns, or a negative errno (already logged). */
int agent_new(struct config *cfg, const struct clock *clock, struct agent **ret);
struct agent *agent_free(struct agent *a);

/* One poll cycle: ask the ITSM for the governed requests and act on them.
 * Returns 0, or a negative errno when the cycle could not complete (logged). */
int agent_cycle(struct agent *a);

/* Run the event loop until SIGTERM or SIGINT. Returns 0 or a negative errno. */
int agent_run(struct agent *a);

#endif
