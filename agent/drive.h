/* SPDX-License-Identifier: Apache-2.0 */
/* Driving requests through the decision core: for one journaled request,
 * wf_decide with its record and frozen plan, then each action write-ahead
 * (the INTENTs and the next record synced, the action carried out by the
 * executor, its OUTCOME synced, the audit appended), a grant's outcome fed
 * back until the core has nothing more to do now. Also the recovery of
 * actions a restart interrupted, and the small journal helpers the cycle
 * shares. */
#ifndef ACCESSD_DRIVE_H
#define ACCESSD_DRIVE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct agent;
struct state_request;
struct wf_decision;

/* One cycle's driving: zero it, fill the first three, drive_clear it. */
struct drive {
	struct agent *a;
	const char *source; /* the ITSM connection the requests come from */
	int64_t now;        /* the cycle's time */
	char **driven;      /* request ids already driven this cycle */
	size_t n_driven;
};

/* Sync the journal. Returns 0, or the write's error (logged: no action is
 * taken until it can be written); a failed fsync exits (journal.h). */
int drive_sync(struct drive *d);

/* Record PAYLOAD (taken over; NULL: -ENOMEM) of TYPE in the journal and the
 * state. Returns 0 or a negative errno, logged. */
int drive_record(struct drive *d, uint16_t type, cJSON *payload);

/* A new object {"source", "id": ID} to add members to; NULL: out of memory. */
cJSON *drive_keyed(const struct drive *d, const char *id);

/* SR's journal data parsed (the caller deletes it), or NULL when none. */
cJSON *drive_data(const struct state_request *sr);

/* The decisions of SR that may count in stage STAGE, into V (room for
 * STATE_MAX_APPROVALS): every decided approval, except those accessd asked
 * for another stage, each with whether the ITSM says its approver made it.
 * A decision journaled before accessd recorded who wrote it (no
 * "by_approver") was counted by the version that saw it, and still is:
 * otherwise an upgrade would leave its stage waiting for a decision already
 * made. A decision's time is when accessd first saw it (the ITSM's own
 * times have whole seconds only). Returns how many. */
size_t drive_decisions(const struct state_request *sr, int stage, struct wf_decision *v);

/* Finish what a restart interrupted: each INTENT without OUTCOME (a grant
 * or removal checks the directory first), and each ITSM write that failed
 * transiently. Returns 0 or a negative errno (logged). */
int drive_recover(struct drive *d);

/* Drive the request ID; CHANGED: the requester edited it since it was
 * sent back (its plan is new); CLOSED: the poll found its ticket closed.
 * A request without a plan is left alone. Returns 0 or a negative errno
 * (logged). */
int drive_request(struct drive *d, const char *id, int changed, int closed);

/* Drive every open request of the source not driven yet this cycle, for
 * its timers and decisions. Returns 0 or a negative errno (logged). */
int drive_open(struct drive *d);

/* Free what driving kept. */
void drive_clear(struct drive *d);

#endif
