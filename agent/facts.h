/* SPDX-License-Identifier: Apache-2.0 */
/* Gathering what the policy needs to know about one request from the
 * directory and from the journaled state: the person the access is for
 * (by the UPN the ITSM maps), the requester, the manager, every approver
 * and backup policy_prepare lists (with out-of-office presence), the
 * members of approver groups, the sponsor, whether the person already has
 * the access, and an open request for the same person and target. */
#ifndef ACCESSD_FACTS_H
#define ACCESSD_FACTS_H

#include "conf.h"
#include "directory.h"
#include "model.h"
#include "policy.h"
#include "state.h"

struct facts {
	struct policy_lookup lookup;
	struct policy_facts pf; /* points into the members below */
	struct person subject;
	struct person requester;
	struct person sponsor;
	struct person *people;
	size_t n_people;
	struct policy_group *groups;
	size_t n_groups;
	char *duplicate_of; /* the number of an open request for the same, or NULL */
};

/* Fill *RET for REQ (from the ITSM connection SOURCE) with D and the
 * journaled requests in ST. Returns 0 (release *RET with facts_clear), or
 * a negative errno: -EAGAIN when the directory failed transiently (try
 * again in a later cycle), another when it failed for good; the directory
 * connector has logged it. */
int facts_gather(struct directory *d, const struct config *cfg, const struct state *st, const char *source,
		 const struct request *req, struct facts *ret);

/* Free what facts_gather filled and zero it. */
void facts_clear(struct facts *f);

/* The key that makes two requests duplicates: the person's object id and
 * the target's name, "<id>|<target>", into BUF. */
void facts_duplicate_key(const char *subject_id, const char *target, char *buf, size_t size);

#endif
