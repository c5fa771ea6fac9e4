/* SPDX-License-Identifier: Apache-2.0 */
/* The executor: carries out one action the decision core asked for,
 * against the ITSM (ticket state, work notes, comments, approval records,
 * evidence, incidents), the directory (grants and their removal) and the
 * notification channel, and says what happened as an outcome for the
 * journal. It decides nothing: the core does.
 *
 * Every write carries a stable id derived from the action's id, so doing an
 * action again (a retry, a restart) finds the earlier effect instead of
 * making a second one. A grant or a removal whose intent was journaled but
 * whose outcome was not (the agent died in between) is first checked
 * against the directory. Teams cannot be asked what it received, so a
 * card is sent at least once. The actions themselves are in exec_*.c
 * (exec.h). */
#ifndef ACCESSD_EXECUTOR_H
#define ACCESSD_EXECUTOR_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "core/plan.h"
#include "core/workflow.h"

struct agent;

/* What the executor needs to know of the request. */
struct exec_request {
	const char *source; /* the ITSM connection */
	const char *id;     /* the ITSM's id of the request */
	const char *number; /* its number, RITM... */
	const struct plan *plan;
	const char *base;   /* action ids start with this: "<number>.r<round>" */
};

/* The start of every action id of the request NUMBER in its ROUND into
 * BUF (at least EXECUTOR_BASE_MAX bytes): "<number>.r<round>". Action ids
 * allow only [A-Za-z0-9._:-], so a number with other characters (TOPdesk
 * writes "C 2611 001") or longer than 40 has them replaced by '_', cut,
 * and is told apart by a hash of the number as written:
 * "C_2611_001-1a2b3c4d.r0". A number that fits stays as it is, so the ids
 * journaled for it never change. */
#define EXECUTOR_BASE_MAX 64
void executor_action_base(const char *number, int round, char *buf, size_t size);

/* The id of action ACT of request R into BUF (at least 128 bytes):
 * "<base>.<what>", e.g. "RITM0010001.r0.t0.grant". STATE is the record's
 * state when the action was decided (a removal and a rollback differ). */
void executor_action_id(const struct exec_request *r, const struct wf_action *act, enum wf_state state, char *buf,
			size_t size);

/* The intent of ACT as JSON for the journal (NULL: out of memory). */
cJSON *executor_intent(const struct wf_action *act, enum wf_state state);

/* Carry out the action INTENT (as executor_intent made it) with id
 * ACTION_ID at NOW_MS. RECHECK: the intent was journaled before and its
 * outcome never was, so a grant or removal checks the directory first.
 * Returns 0 with *RET_OUTCOME (the caller frees it: "result" is "ok",
 * "transient" or "permanent", with the evidence or the error) and *RET
 * the result for the core, or -ENOMEM. */
int executor_run(struct agent *a, const struct exec_request *r, const cJSON *intent, const char *action_id,
		 int recheck, int64_t now_ms, cJSON **ret_outcome, enum wf_result *ret);

#endif
