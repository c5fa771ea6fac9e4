/* SPDX-License-Identifier: Apache-2.0 */
/* One poll cycle of the workflow, the shell around the decision core:
 *
 *   1. actions whose intent was journaled but whose outcome never was (the
 *      agent died in between) are checked against the target system and
 *      finished; ticket writes that failed transiently are tried again;
 *   2. approval records changed since the journaled watermark are
 *      journaled (a decision with the time accessd first saw it);
 *   3. requests changed since the journaled watermark are validated (facts
 *      from the directory, the policy, duplicates from the journal) when
 *      they are new or were edited after being sent back, and the plan is
 *      frozen in the request's journal data;
 *   4. every open request is driven (drive.h): wf_decide with its
 *      journaled record, then each action write-ahead (INTENT and the next
 *      record synced, the action carried out, OUTCOME synced, audit
 *      appended), the outcome of a grant fed back until the core has
 *      nothing more to do now;
 *   5. the watermarks are journaled once the cycle's records are synced.
 *
 * Nothing is done while the journal cannot be written. */
#ifndef ACCESSD_CYCLE_H
#define ACCESSD_CYCLE_H

struct agent;

/* The workflow state journaled for a request the cycle skipped: no
 * directory to validate it with, or a catalog item the policy does not
 * govern. Its data says why ("skipped"); nothing is done for it until it
 * changes. */
#define CYCLE_SKIPPED "skipped"

/* Run one cycle. Returns 0, or a negative errno when it could not complete
 * (logged): a failed poll, or a journal that cannot be written. */
int cycle_run(struct agent *a);

#endif
