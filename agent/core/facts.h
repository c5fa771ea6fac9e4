/* SPDX-License-Identifier: Apache-2.0 */
/* What the policy knows about one request beyond the ticket: the people
 * and groups the directory returned, an open request for the same person
 * and target, and what the rules read (the person's direct groups, the
 * accesses they hold, the offsets of named time zones). The shell gathers them (gather.h); the core only
 * reads them. */
#ifndef ACCESSD_FACTS_H
#define ACCESSD_FACTS_H

#include "conf/conf.h"
#include "core/model.h"
#include "core/policy.h"

struct facts {
	struct policy_lookup lookup;
	struct policy_facts pf; /* points into the members below */
	struct person subject;
	struct person requester;
	struct person sponsor;
	struct person verifier;
	int verifier_in_group;
	const char **requester_groups; /* into the configuration; the array is owned */
	size_t n_requester_groups;
	struct person *people;
	size_t n_people;
	struct policy_group *groups;
	size_t n_groups;
	char *duplicate_of; /* the number of an open request for the same, or NULL */
	int duplicate_incident; /* it is an incident in the ITSM */
	/* What the rules read (pf.member_of_known says whether member_of was). */
	char **member_of; /* the subject's direct groups */
	size_t n_member_of;
	struct rule_holding *holdings; /* one per lookup.holds */
	size_t n_holdings;
	struct rule_zone *zones; /* one per lookup.zones */
	size_t n_zones;
};

/* Whether TEXT names TERM as a whole (ignoring case): not inside a longer
 * name, so "VPN-Users" is not found in "VPN-Users-Contractors". Letters,
 * digits, '-', '_' and '@' make up a name. */
int facts_text_names(const char *text, const char *term);

/* Free what the facts hold and zero them. */
void facts_clear(struct facts *f);

/* The key that makes two requests duplicates: the person's object id and
 * the target's name, "<id>|<target>", into BUF. */
void facts_duplicate_key(const char *subject_id, const char *target, char *buf, size_t size);

#endif
