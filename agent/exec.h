/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the executor (executor.h): one action being carried out, the
 * helpers every kind of action shares (ticket notes and comments with ids
 * derived from the action's, the audit record, the Teams card), and the
 * actions themselves, by file:
 *
 *   exec_approval.c  approval records, escalation, reminders, ignored
 *                    decisions, rejection, expiry, send-back, duplicates,
 *                    decisions by rule
 *   exec_grant.c     a grant step or its removal in the directory
 *   exec_end.c       completion with evidence, blocks with their incident,
 *                    compensating tasks, removal at the end date
 *
 * Each action function fills X->out and X->result and returns 0: a failure
 * is an outcome, not an error. Not for other modules: use executor.h. */
#ifndef ACCESSD_EXEC_H
#define ACCESSD_EXEC_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "conf/conf.h"
#include "connectors/itsm.h"
#include "connectors/notify.h"
#include "core/workflow.h"
#include "executor.h"
#include "store/audit.h"

/* One run of one action. */
struct exec_run {
	struct agent *a;
	const struct exec_request *r;
	const char *id; /* the action id */
	int64_t now;
	enum wf_action_kind kind;
	enum wf_state state; /* the record's state when the action was decided */
	int stage, step;
	const char *who;
	int64_t at;          /* IGNORE_DECISION: the decision's time */
	enum wf_ignore why;  /* IGNORE_DECISION: why it does not count */
	cJSON *out; /* the outcome being built */
	enum wf_result result;
	int oom;
};

/* Add a member to the outcome (a NULL VALUE is left out); running out of
 * memory sets X->oom. */
void exec_add_str(struct exec_run *x, const char *name, const char *value);
void exec_add_num(struct exec_run *x, const char *name, int64_t value);

/* When R (an ITSM op's return) is an error: the outcome becomes transient
 * or permanent with WHAT in its error, and it is logged. Returns R. */
int exec_itsm_failed(struct exec_run *x, const char *what, int r);

/* The name of the plan's stage STAGE, or NULL. Points into the plan. */
const char *exec_stage_name(struct exec_run *x, int stage);

/* Append an audit record of KIND about the request (WHO NULL: accessd),
 * with the rule (item and stage), the target T's object ids when not NULL
 * and GRAPH_ID when not NULL. A failure is logged. */
void exec_audit(struct exec_run *x, enum audit_kind kind, const char *who, const char *detail,
		const struct target_config *t, const char *graph_id);

/* A work note (the ticket's state stays), the ticket moved to PHASE with
 * TEXT as its work note, or a comment the requester sees; ids
 * "<action id>.note" (the first two) and ".comment". Returns 0 or the op's
 * error (see exec_itsm_failed). */
int exec_note(struct exec_run *x, const char *text);
int exec_set_phase(struct exec_run *x, enum ticket_phase phase, const char *text);
int exec_comment(struct exec_run *x, const char *text);

/* What a person is told of one action (exec_notice.c): the sentences for
 * the ticket (TEXT) and the message for the service-desk channel (MSG),
 * made from the same facts. Strings are owned by the notice. */
#define NOTICE_MAX_STRINGS 64
struct notice {
	struct notify_message msg;
	struct notify_fact facts[NOTIFY_MAX_FACTS];
	struct notify_link links[NOTIFY_MAX_LINKS];
	char *text;
	char *owned[NOTICE_MAX_STRINGS];
	size_t n_owned;
	int oom;
};

/* How an implementation failed, for notice_blocked. */
struct notice_failure {
	int unstaffed;   /* no step failed: a stage cannot be staffed */
	int step;        /* the step that failed */
	int undo;        /* it was a removal (rollback or end date) */
	const char *error;
	const char *graph_request_id; /* NULL: none */
	const char *incident;         /* its number */
	const char *task;             /* the compensating task's number; NULL: none */
};

/* Fill *N for the action X (N need not be initialised; release it with
 * notice_clear, also after a failure). Returns 0 or -ENOMEM. */
int notice_completed(struct exec_run *x, struct notice *n);
int notice_blocked(struct exec_run *x, const struct notice_failure *f, struct notice *n);
int notice_reminder(struct exec_run *x, struct notice *n);
int notice_escalated(struct exec_run *x, struct notice *n);
/* By the approver X->who, or by RULE when not NULL; REASON: the approver's
 * comment (NULL when none) or the facts the rule matched. */
int notice_rejected(struct exec_run *x, const char *rule, const char *reason, struct notice *n);
int notice_expired(struct exec_run *x, struct notice *n);
void notice_clear(struct notice *n);

/* Send N's message when a channel is configured and sends its kind; a
 * failure is logged. */
void exec_notify(struct exec_run *x, const struct notice *n);

/* The target of grant step STEP, or NULL when out of range. */
const struct target_config *exec_step_target(struct exec_run *x, int step);

/* The actions. */
int exec_request_approval(struct exec_run *x);
int exec_escalate(struct exec_run *x);
int exec_remind(struct exec_run *x);
int exec_ignore_decision(struct exec_run *x);
int exec_reject(struct exec_run *x);
int exec_expire(struct exec_run *x);
int exec_withdraw(struct exec_run *x);
int exec_send_back(struct exec_run *x);
int exec_link_duplicate(struct exec_run *x);
int exec_rule_approve(struct exec_run *x);
int exec_rule_reject(struct exec_run *x);
/* EXECUTE or UNDO of X->step; RECHECK: ask the directory first whether it
 * was done already (an intent without outcome). */
int exec_step(struct exec_run *x, int recheck);
int exec_complete(struct exec_run *x);
int exec_block(struct exec_run *x);
int exec_compensate(struct exec_run *x);
int exec_note_removed(struct exec_run *x);

#endif
