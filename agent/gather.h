/* Gathering what the policy needs to know about one request from the
 * directory and from the journaled state: the person the access is for
 * (by the UPN the ITSM maps), the requester, the manager, every approver
 * and backup policy_prepare lists (with out-of-office presence), the
 * members of approver groups, the sponsor, whether the person already has
 * the access, and an open request for the same person and target: one
 * accessd works on, or one in the ITSM it did not make (a request or an
 * incident for the person whose description names the target). */
#ifndef ACCESSD_GATHER_H
#define ACCESSD_GATHER_H

#include "conf/conf.h"
#include "connectors/directory.h"
#include "connectors/itsm.h"
#include "core/facts.h"
#include "core/model.h"
#include "store/state.h"

/* Fill *RET for REQ (from the ITSM connection SOURCE, ITSM; NULL: not
 * asked) with D and the journaled requests in ST. Returns 0 (release *RET
 * with facts_clear), or a negative errno: -EAGAIN when the directory or the
 * ITSM failed transiently (try again in a later cycle), another when the
 * directory failed for good; the connector has logged it. */
int facts_gather(struct directory *d, struct itsm *itsm, const struct config *cfg, const struct state *st,
		 const char *source, const struct request *req, struct facts *ret);

#endif
