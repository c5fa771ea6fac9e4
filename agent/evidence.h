/* SPDX-License-Identifier: Apache-2.0 */
/* The evidence of a completed grant, attached to the ticket as a JSON
 * file: who it was for, each step executed with its directory object ids,
 * Graph request ids and times, and the approvals that allowed it (those of
 * the plan's approvers and backups, since a decision by anyone else never
 * counted, and each stage a rule approved, as an approval by
 * "rule:<name>" with the facts the rule matched). Built
 * from the journal only, so a restart attaches the same file. */
#ifndef ACCESSD_EVIDENCE_H
#define ACCESSD_EVIDENCE_H

#include "core/plan.h"
#include "store/state.h"

/* The evidence of request SR under PLAN, completed at COMPLETED_MS, whose
 * steps' outcomes are the actions STEP_IDS[j] in ST, as JSON text the
 * caller frees; NULL when out of memory. */
char *evidence_build(const struct state *st, const struct state_request *sr, const struct plan *plan,
		     const char *const *step_ids, int64_t completed_ms);

#endif
