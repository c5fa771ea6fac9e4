/* SPDX-License-Identifier: Apache-2.0 */
/* Gathering what the policy needs to know about one request from the
 * directory and from the journaled state: the person the access is for
 * (by the UPN the ITSM maps), the requester, the manager, every approver
 * and backup policy_prepare lists (with out-of-office presence), the
 * members of approver groups, the sponsor, whether the person already has
 * the access, an open request for the same person and target (one
 * accessd works on, or one in the ITSM it did not make: a request or an
 * incident for the person whose description names the target), and what
 * the rules read: the person's direct groups, whether they hold the
 * targets a rule names, and the offsets of the zones a rule names now.
 * A rule's fact that cannot be had for good (no permission, a zone the
 * database lacks) is left unknown and logged: it matches no rule. */
#ifndef ACCESSD_GATHER_H
#define ACCESSD_GATHER_H

#include "conf/conf.h"
#include "connectors/directory.h"
#include "connectors/itsm.h"
#include "core/facts.h"
#include "core/model.h"
#include "store/state.h"
#include "util/tzdb.h"

/* Fill *RET for REQ (from the ITSM connection SOURCE, ITSM; NULL: not
 * asked) at NOW_MS with D, the time zone database ZONES and the journaled
 * requests in ST. Returns 0 (release *RET with facts_clear), or a negative
 * errno: -EAGAIN when the directory or the ITSM failed transiently (try
 * again in a later cycle), another when the directory failed for good;
 * the connector has logged it. */
int facts_gather(struct directory *d, struct itsm *itsm, struct tzdb *zones, const struct config *cfg,
		 const struct state *st, const char *source, const struct request *req, int64_t now_ms,
		 struct facts *ret);

#endif
