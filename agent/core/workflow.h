/* SPDX-License-Identifier: Apache-2.0 */
/* The decision core: the next actions of one request, as a pure function of
 * its journaled record, the plan the policy computed for it, what was
 * observed this cycle, and now. No I/O, no clock: same inputs, same
 * decisions. The shell (executor) journals each action as an intent, carries
 * it out, and feeds the outcome back on the next call.
 *
 * States and transitions (doc/workflow.md has the same table in prose):
 *
 *   from            on                                   to               actions
 *   NEW             plan invalid                         SENT_BACK        SEND_BACK
 *   NEW             duplicate of an open request         DUPLICATE*       LINK_DUPLICATE
 *   NEW             person already has the access        COMPLETED*       COMPLETE (note)
 *   NEW             valid, a rule rejects it             REJECTED*        RULE_REJECT
 *   NEW             valid, a stage cannot be staffed     BLOCKED*         BLOCK (incident)
 *   NEW             valid, stages > 0                    AWAITING(0)      REQUEST_APPROVAL per approver
 *   NEW             valid, no stage                      IMPLEMENTING     EXECUTE(0)
 *   SENT_BACK       request changed                      as NEW
 *   NEW, SENT_BACK,
 *   AWAITING/ESC(k) ticket closed in the ITSM, no
 *                   rejection by an approver of k        WITHDRAWN*       WITHDRAW (note)
 *   AWAITING/ESC(k) ticket closed with such a rejection  REJECTED*        REJECT
 *   AWAITING(k)     remind_after passed                  AWAITING(k)      REMIND (once)
 *   AWAITING(k)     escalate_after passed                ESCALATED(k)     ESCALATE per backup (added)
 *   AWAITING/ESC(k) expire_after passed                  EXPIRED*         EXPIRE
 *   AWAITING/ESC(k) the access's end date passed         EXPIRED*         EXPIRE (late)
 *   AWAITING/ESC(k) rejection by an approver of k        REJECTED*        REJECT
 *   AWAITING/ESC(k) quorum of k met, k < last            AWAITING(k+1)    REQUEST_APPROVAL per approver
 *   AWAITING/ESC(k) quorum of the last stage met         IMPLEMENTING     EXECUTE(0)
 *   AWAITING/ESC(k) decision by anyone else, written by
 *                   someone other than its approver, or
 *                   made after the approver's leave date unchanged        IGNORE_DECISION
 *   IMPLEMENTING    the end date passed, nothing granted EXPIRED*         EXPIRE (late)
 *   IMPLEMENTING    the end date passed, steps granted   REMOVING         UNDO(j) for each granted j
 *   AWAITING/ESC(k) decision by anyone else              unchanged        IGNORE_DECISION
 *   AWAITING/ESC(k) rejection by a person of a stage j < k
 *                   a rule approved                      REJECTED*        REJECT
 *   IMPLEMENTING    step i succeeded, more steps          IMPLEMENTING     EXECUTE(i+1)
 *   IMPLEMENTING    last step succeeded, end date        ACTIVE           COMPLETE
 *   IMPLEMENTING    last step succeeded, no end date     COMPLETED*       COMPLETE
 *   IMPLEMENTING    step failed transiently, budget left IMPLEMENTING     RETRY_AT, then EXECUTE(i)
 *   IMPLEMENTING    failed permanently or out of budget,
 *                   nothing granted yet                  BLOCKED*         BLOCK (incident)
 *                   some steps granted, rollback         ROLLING_BACK     UNDO(j) for each granted j
 *                   some steps granted, compensate       COMPENSATING*    COMPENSATE, BLOCK (incident)
 *   ROLLING_BACK    every UNDO succeeded                 ROLLED_BACK*     BLOCK (incident)
 *   ROLLING_BACK    an UNDO failed                       BLOCKED*         BLOCK (incident)
 *   ACTIVE          end date reached                     REMOVING         UNDO(j) for each step
 *   REMOVING        every UNDO succeeded                 REMOVED*         NOTE_REMOVED
 *   REMOVING        an UNDO failed                       BLOCKED*         BLOCK (incident)
 *
 * Entering a stage a rule approved (wf_stage.by_rule) passes it at once
 * with RULE_APPROVE, on to the next stage or to EXECUTE(0), unless one of
 * the stage's approvers or backups has rejected the request (their latest
 * decision, whenever made): a rule never overrides a person, and the
 * request is REJECTED by them.
 *
 * (* final.) Every request ends in a final state or waits with a timer
 * (wf_next_timer); SENT_BACK waits for the requester's edit. An approval
 * counts only when its approver belongs to the current stage (a backup
 * only once the stage is escalated), is neither the requester nor the
 * person the access is for, made it themselves (the ITSM says so), and had
 * not left by then; a decision recorded before the stage began does not
 * count for it. Nothing is granted, and no grant is announced, once the
 * access's end date has passed. */
#ifndef ACCESSD_WORKFLOW_H
#define ACCESSD_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#define WF_MAX_STAGES 8
#define WF_MAX_STEPS 16
#define WF_MAX_APPROVERS 16
#define WF_MAX_ACTIONS (WF_MAX_STEPS + WF_MAX_APPROVERS + WF_MAX_STAGES + 4)

enum wf_state {
	WF_NEW,
	WF_SENT_BACK,
	WF_AWAITING,
	WF_ESCALATED,
	WF_IMPLEMENTING,
	WF_ACTIVE,
	WF_REMOVING,
	WF_ROLLING_BACK,
	WF_COMPLETED,
	WF_REJECTED,
	WF_EXPIRED,
	WF_BLOCKED,
	WF_ROLLED_BACK,
	WF_COMPENSATING,
	WF_REMOVED,
	WF_DUPLICATE,
	WF_WITHDRAWN,
	WF_STATE_COUNT /* not a state: how many there are */
};

/* One approval stage as the policy resolved it: approvers are directory
 * identities (UPNs) after substitution of away or disabled people. */
struct wf_stage {
	const char *approvers[WF_MAX_APPROVERS];
	size_t n_approvers;
	/* Added at escalate_after, in order; any one of them then decides the
	 * stage (also under quorum "all"). */
	const char *backups[WF_MAX_APPROVERS];
	size_t n_backups;
	/* When each approver and backup leaves the organisation, as known
	 * when the request was planned (0: not known): a decision made then
	 * or later does not count. */
	int64_t approver_leaves_ms[WF_MAX_APPROVERS];
	int64_t backup_leaves_ms[WF_MAX_APPROVERS];
	int quorum_all;     /* 0: any one approval, 1: every approver */
	int64_t remind_after_ms;   /* 0: no reminder */
	int64_t escalate_after_ms; /* 0: no escalation */
	int64_t expire_after_ms;   /* 0: never expires */
	int by_rule;        /* a rule approved it when the request was validated */
};

/* What the policy made of the request. */
struct wf_plan {
	int valid;       /* every validation rule passed */
	int duplicate;   /* an open request for the same person and target exists */
	int has_access;  /* the person already has exactly this access */
	int unstaffed;   /* valid, but nobody can approve some stage */
	int rule_rejected; /* valid, but a rule rejected it */
	const char *requester; /* never counts as an approver */
	const char *subject;   /* the person the access is for; never counts either */
	struct wf_stage stages[WF_MAX_STAGES];
	size_t n_stages;
	size_t n_steps;        /* grant steps to execute, in order */
	int64_t end_ms;        /* when the access ends; 0: no end */
	int rollback;          /* partial failure: 1 roll back, 0 compensate */
	int max_attempts;      /* attempts of one step before it is blocked */
	int64_t retry_backoff_ms; /* first workflow backoff; doubles per attempt */
};

/* A decision seen in the ITSM. */
struct wf_decision {
	const char *approver;
	int approved;    /* 1 approved, 0 rejected */
	int64_t at_ms;
	int by_approver; /* the ITSM says the approver made it (approval.by_approver) */
};

enum wf_result {
	WF_RESULT_NONE,      /* no step outcome this time */
	WF_RESULT_OK,        /* the step took effect (or already had) */
	WF_RESULT_TRANSIENT, /* failed, may succeed later (429, 5xx, timeout) */
	WF_RESULT_PERMANENT, /* failed for good (403, 404, refused group) */
};

/* What happened since the last call. */
struct wf_input {
	int request_changed;             /* the requester edited the request */
	int ticket_closed;               /* the ITSM shows the ticket closed */
	const struct wf_decision *decisions; /* every decision on the request */
	size_t n_decisions;
	enum wf_result result;           /* outcome of the action in flight */
};

/* The journaled record of one request. Zero it for a new request. */
struct wf_record {
	enum wf_state state;
	int stage;              /* current approval stage */
	int64_t stage_since_ms; /* when the current stage began */
	int reminded;           /* the current stage's reminder went out */
	int escalated;          /* the current stage's backup was added */
	uint32_t granted;       /* bit j: step j took effect */
	uint32_t undone;        /* bit j: step j was removed again */
	int step;               /* the step in flight (EXECUTE or UNDO) */
	int attempts;           /* failed attempts of the step in flight */
	int64_t retry_at_ms;    /* when the step in flight is tried again; 0: now */
	int64_t seen_ms;        /* decisions up to here were already considered */
};

enum wf_action_kind {
	WF_ACT_SEND_BACK,        /* note on the ticket saying what is missing */
	WF_ACT_LINK_DUPLICATE,
	WF_ACT_REQUEST_APPROVAL, /* who: the approver; stage */
	WF_ACT_REMIND,           /* stage */
	WF_ACT_ESCALATE,         /* who: a backup; stage (one per backup) */
	WF_ACT_IGNORE_DECISION,  /* who: the decider; noted, never counted */
	WF_ACT_REJECT,           /* who: the approver who rejected */
	WF_ACT_EXPIRE,
	WF_ACT_EXECUTE,          /* step */
	WF_ACT_RETRY_AT,         /* step; at_ms */
	WF_ACT_UNDO,             /* step */
	WF_ACT_COMPLETE,         /* note, evidence and notification */
	WF_ACT_COMPENSATE,       /* a task for the steps that could not be undone */
	WF_ACT_BLOCK,            /* "Implementing (Blocked)" and one incident */
	WF_ACT_NOTE_REMOVED,     /* access removed at its end date */
	WF_ACT_WITHDRAW,         /* note that the closed ticket ends the request */
	WF_ACT_RULE_APPROVE,     /* stage: approved by its rule, noted and audited as a decision */
	WF_ACT_RULE_REJECT,      /* rejected by the item's rule, noted and audited as a decision */
};

/* Why a decision was ignored. */
enum wf_ignore {
	WF_IGNORE_NOT_APPROVER, /* not an approver of the stage, or the requester or the person */
	WF_IGNORE_OTHER_HAND,   /* written by someone other than its approver */
	WF_IGNORE_GONE,         /* made after the approver's leave date */
};

struct wf_action {
	enum wf_action_kind kind;
	int stage;
	int step;
	const char *who; /* points into the plan or the input */
	int64_t at_ms;
	enum wf_ignore why; /* IGNORE_DECISION */
};

struct wf_actions {
	struct wf_action v[WF_MAX_ACTIONS];
	size_t n;
};

/* Decide. Reads IN, PLAN and EV at NOW_MS; writes the next record to OUT
 * (which may be IN) and the actions to take, in order, to ACTS. Returns 0,
 * or -EINVAL for a plan out of bounds (too many stages, steps or approvers),
 * leaving OUT and ACTS untouched. */
int wf_decide(const struct wf_record *in, const struct wf_plan *plan, const struct wf_input *ev, int64_t now_ms,
	      struct wf_record *out, struct wf_actions *acts);

/* When the record next needs attention without new input: the earliest
 * reminder, escalation, expiry, retry or end date; 0 when it waits only for
 * input (or is final). */
int64_t wf_next_timer(const struct wf_record *rec, const struct wf_plan *plan);

/* Whether STATE is final. */
int wf_state_final(enum wf_state state);

/* The state's name as the journal and logs write it ("awaiting", ...). */
const char *wf_state_name(enum wf_state state);

#endif
