/* SPDX-License-Identifier: Apache-2.0 */
/* The plan of a request: what the policy decided when the request was
 * validated (verdict, problems, approvers per stage with their stand-ins
 * and backups, the rule that approved a stage or rejected the request and
 * the facts it matched, the grant steps, the end date), frozen as JSON in the
 * request's journal data. A running request keeps its approvers and steps
 * even when the directory changes under it; it is planned again only when
 * the requester edits it. Also the journal form of the decision core's
 * record (struct wf_record). */
#ifndef ACCESSD_PLAN_H
#define ACCESSD_PLAN_H

#include <cjson/cJSON.h>

#include "conf/conf.h"
#include "facts.h"
#include "policy.h"
#include "workflow.h"

/* A loaded plan: WF and the step targets point into ROOT. */
struct plan {
	cJSON *root;
	struct wf_plan wf;
	const struct target_config *steps[WF_MAX_STEPS]; /* into the configuration */
	const char *subject_id; /* the person's object id; NULL when unknown */
	const char *target;     /* the target's name; NULL when none */
	const char *item;       /* the catalog item's name */
	/* The end as the requester wrote it ("until 2027-01-31", "for 30d"),
	 * for people to read beside wf.end_ms; NULL when there is no end. */
	const char *end_asked;
};

/* Build the plan of RES (evaluated with F for REQ) as JSON. Returns 0 and
 * a tree the caller owns, or -ENOMEM. */
int plan_build(const struct config *cfg, const struct request *req, const struct facts *f,
	       const struct policy_result *res, cJSON **ret);

/* Load the plan JSON (copied) against CFG. Returns 0 (release with
 * plan_clear), -ENOMEM, or -EINVAL when it is malformed or names a target
 * the configuration no longer has (the caller logs it and leaves the
 * request as it is, until a configuration names the target again). */
int plan_load(const struct config *cfg, const cJSON *json, struct plan *ret);
void plan_clear(struct plan *p);

/* The record as JSON (NULL: out of memory), and back (0, or -EINVAL for a
 * malformed one; *RET untouched then). */
cJSON *plan_record_json(const struct wf_record *rec);
int plan_record_parse(const cJSON *json, struct wf_record *ret);

/* The display name the directory gave the person with UPN (ignoring case)
 * when the request was planned, or NULL. Points into the plan. */
const char *plan_name(const struct plan *p, const char *upn);

/* The problems' sentences of a plan, joined into one text the caller frees
 * (NULL: out of memory). */
char *plan_problems(const struct plan *p);

/* A decision by rule as the plan froze it, for the executor, the evidence
 * and `accessctl explain`. The strings point into the plan. */
struct plan_rule {
	const char *rule;    /* the rule that decided; NULL: none did */
	const char *because; /* with a rule: the facts it matched */
	const char *why_not; /* without: why none did; NULL when there were no rules */
};

/* The rule decision of stage STAGE of P, or of the item's auto_reject_when
 * when STAGE is -1, into *RET (all NULL for a stage out of range). */
void plan_rule(const struct plan *p, int stage, struct plan_rule *ret);

#endif
