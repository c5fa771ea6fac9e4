/* SPDX-License-Identifier: Apache-2.0 */
/* Rule evaluation: whether one of a list of rules (conf.h's struct
 * rule_config, auto_approve_when and auto_reject_when) holds for a
 * request, on the facts gathered when the request was validated, and in
 * words why. Pure: no I/O, no clock (now is a fact), no logging, no
 * allocation.
 *
 * A fact that is missing never matches: a department the directory does
 * not have, memberships or holdings that could not be read, a zone the
 * time zone database lacks, an access without an end date for
 * duration_at_most. There is no negation, so a missing fact can only keep
 * a rule from deciding, never make it decide. */
#ifndef ACCESSD_RULES_H
#define ACCESSD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "model.h"

/* Whether the person already holds a target named by a "holds" condition. */
struct rule_holding {
	const struct target_config *target;
	int known; /* 0: the directory could not say */
	int holds;
};

/* The offset from UTC of a zone named by a "time" condition, at the time
 * of evaluation. */
struct rule_zone {
	const char *zone;
	int known; /* 0: the time zone database could not resolve it */
	int32_t offset_s;
};

/* What the rules read. Nothing is kept or freed. */
struct rule_facts {
	const struct person *subject;   /* the person the access is for */
	const struct person *requester; /* who opened the request */
	const struct target_config *target; /* the target the request gets */
	int64_t duration_ms; /* from the access's start to its end; 0: it does not end */
	int member_of_known; /* the person's direct groups were read */
	const char *const *member_of; /* their object ids */
	size_t n_member_of;
	const struct rule_holding *holdings;
	size_t n_holdings;
	const struct rule_zone *zones;
	size_t n_zones;
	int64_t now_ms;
};

/* The longest explanation kept; a longer one is cut and ends in "...". */
#define RULE_TEXT_MAX 512

struct rule_verdict {
	const struct rule_config *rule; /* the first rule that holds; NULL: none */
	/* With a rule: the facts that matched, e.g. "department is "Finance";
	 * requested for 14d, at most 30d". Without: why each rule did not
	 * hold, e.g. "rule "finance-staff": department is not known". */
	char text[RULE_TEXT_MAX];
};

/* Evaluate the N RULES in order on F into *RET. */
void rules_evaluate(const struct rule_config *rules, size_t n, const struct rule_facts *f, struct rule_verdict *ret);

#endif
