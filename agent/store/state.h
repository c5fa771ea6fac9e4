/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's state: everything the workflow remembers between cycles and
 * across restarts. It lives in memory and is rebuilt at start by replaying
 * the journal; it changes only by applying journal records, so what is in
 * memory is always what replay would rebuild.
 *
 * Every record's payload is a JSON object (doc/journal.md lists the members
 * of each type). Members a type does not know are ignored, and REQUEST,
 * APPROVAL, INTENT and OUTCOME carry free-form JSON objects ("data",
 * "intent", "outcome"), so the workflow can remember more without a format
 * change. Those are kept as JSON text (parse with json_parse when their
 * members are wanted): replay stores them without building a tree.
 *
 * Nothing secret may go into a record: no password, client secret or token
 * (the journal is kept, copied by --repair, and dumped by accessctl). */
#ifndef ACCESSD_STATE_H
#define ACCESSD_STATE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

enum state_record_type {
	STATE_REQUEST = 1,   /* create or update a request */
	STATE_APPROVAL = 2,  /* an approval seen or asked for, by approval id */
	STATE_TIMER = 3,     /* set (due > 0) or clear (due 0) a timer */
	STATE_INTENT = 4,    /* an action about to be taken */
	STATE_OUTCOME = 5,   /* what the action did */
	STATE_RETRY = 6,     /* retry counter of a step; attempts 0 clears */
	STATE_WATERMARK = 7, /* a source's poll watermark */
	STATE_FORGET = 8,    /* a finished request and its actions, dropped */
};
#define STATE_RECORD_TYPES 8

enum state_timer_kind {
	STATE_TIMER_REMIND,
	STATE_TIMER_ESCALATE,
	STATE_TIMER_EXPIRE,
	STATE_TIMER_END_DATE,
	STATE_TIMER_KINDS,
};

/* Limits on what one request may hold; a record that would pass them is
 * refused with -E2BIG. */
#define STATE_WORKFLOW_MAX 32 /* bytes of the workflow state, NUL included */
#define STATE_MAX_APPROVALS 64
#define STATE_MAX_RETRIES 32

struct state_approval {
	char *id;       /* the ITSM's approval record */
	char *approver; /* who decides */
	char *decision; /* approval_decision_name (core/model.h); journals of
	                 * earlier versions hold the ITSM's own word */
	int stage;
	int64_t at_ms;  /* when decided or asked; 0 unknown */
	char *data;     /* NULL, or a JSON object's text: free-form members */
};

struct state_retry {
	char *key;       /* the step retried, e.g. an action id */
	int attempts;
	int64_t next_ms; /* when to try again */
};

struct state_request {
	char *source;  /* the ITSM connection, e.g. "servicenow" */
	char *id;      /* the ITSM's id of the request */
	char *number;  /* the human-readable number (RITM...); NULL unknown */
	char workflow[STATE_WORKFLOW_MAX]; /* the workflow's state; "" new */
	int stage;     /* index of the current approval stage */
	struct state_approval *approvals;
	size_t n_approvals;
	int64_t timers[STATE_TIMER_KINDS]; /* due, ms since the epoch; 0 unset */
	struct state_retry *retries;
	size_t n_retries;
	char *data;    /* NULL, or a JSON object's text: free-form members,
	                * merged by REQUEST records */
};

struct state_action {
	char *id;         /* stable, derived from the request and the step */
	char *source;     /* the request it belongs to */
	char *request_id;
	char *intent;     /* what is to be done: a JSON object's text */
	char *outcome;    /* what happened, likewise; NULL while pending */
};

struct state;

/* A new empty state the caller owns (state_free). 0 or -ENOMEM. */
int state_new(struct state **ret);
struct state *state_free(struct state *s);

/* Apply one record to S: all or nothing. Returns 0; -EBADMSG (payload not a
 * JSON object, or a required member missing or of the wrong kind);
 * -EINVAL (a value out of range); -ENOENT (OUTCOME of an unknown action);
 * -E2BIG (a limit above); -EPROTONOSUPPORT (unknown type); -ENOMEM. */
int state_apply(struct state *s, uint16_t type, const char *payload, size_t len);

/* state_apply as a journal_apply_fn; USERDATA is the struct state. */
int state_apply_record(const struct journal_record *rec, void *userdata);

/* Record a change: check the record against S, queue it in J, apply it.
 * Nothing is queued when the check fails; the change is durable only after
 * journal_sync(J). Returns 0 (and the sequence number in *ret_seq, which may
 * be NULL), an error of state_apply, or one of journal_append. */
int state_record(struct state *s, struct journal *j, uint16_t type, const char *payload, size_t len,
		 uint64_t *ret_seq);

/* state_record with the payload given as a JSON object (not taken over). */
int state_record_json(struct state *s, struct journal *j, uint16_t type, const cJSON *payload, uint64_t *ret_seq);

/* Emit records that rebuild S on an empty state, in a canonical order (by
 * source and id), so equal states emit equal records. A
 * journal_snapshot_fn; USERDATA is the struct state. */
int state_snapshot(void *userdata, journal_emit_fn emit, void *emit_ctx);

/* Lookups; the results point into S and stay valid until S changes. */
const struct state_request *state_request_find(const struct state *s, const char *source, const char *id);
const struct state_action *state_action_find(const struct state *s, const char *action_id);
const char *state_watermark(const struct state *s, const char *source);

/* Iterate: start with *iter = 0; returns NULL after the last one. The order
 * is arbitrary and changes when S does. */
const struct state_request *state_request_next(const struct state *s, size_t *iter);
const struct state_action *state_action_next(const struct state *s, size_t *iter);

size_t state_request_count(const struct state *s);
size_t state_action_count(const struct state *s);

/* "REQUEST", "APPROVAL", ... or NULL for an unknown type; and back (0 when
 * unknown). */
const char *state_type_name(uint16_t type);
uint16_t state_type_from_name(const char *name);

/* "remind", "escalate", "expire", "end_date"; and back (-EINVAL). */
const char *state_timer_name(enum state_timer_kind kind);
int state_timer_from_name(const char *name, enum state_timer_kind *ret);

#endif
