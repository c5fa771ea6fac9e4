/* SPDX-License-Identifier: Apache-2.0 */
/* Microsoft Graph answers turned into directory results: the error envelope
 * ({"error": {"code", "message", "innerError": {"request-id"}}}) parsed, and
 * each status told apart as done, transient or permanent for the call that
 * got it, including the answers that mean "already so" for an idempotent
 * change. Used for single calls and for each response inside a $batch. */
#ifndef ACCESSD_GRAPH_ERROR_H
#define ACCESSD_GRAPH_ERROR_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "connectors/directory.h"

/* What was asked: a read, or one of the changes. */
enum graph_call {
	GRAPH_READ,
	GRAPH_ADD_MEMBER,
	GRAPH_REMOVE_MEMBER,
	GRAPH_ASSIGN_APP_ROLE,
	GRAPH_REMOVE_APP_ROLE,
};

/* The call a change kind makes. */
enum graph_call graph_call_of(enum directory_change_kind kind);

/* Fill RES from one answer to CALL on TARGET_ID (the group or service
 * principal; NULL for reads): STATUS, the parsed BODY (NULL when empty or
 * not JSON), the REQUEST_ID and RETRY_AFTER header values (NULL when
 * absent; Retry-After read by retry_after_parse), at NOW_MS. The
 * request-id falls back to the envelope's innerError. Returns RES->error (see directory.h), or
 * -ENOMEM with RES filled as transient. RES must be cleared before. */
int graph_result_set(struct directory_result *res, enum graph_call call, const char *target_id, long status,
		     const cJSON *body, const char *request_id, const char *retry_after, int64_t now_ms);

/* Fill RES for a call that got no usable answer: ERR is the transport's,
 * the token's or our own negative errno. -EINVAL (bad input), -EACCES
 * (credentials refused), -ENOTUNIQ (ambiguous lookup) and -E2BIG (a
 * listing longer than we page through) are permanent;
 * -ENOMEM and -EBADMSG (an unreadable answer) are transient as they are;
 * the rest (timeouts, resets, 5xx at the token endpoint) are transient as
 * -EAGAIN. What RES already holds (status, request-id) is kept. Returns
 * RES->error. */
int graph_result_fail(struct directory_result *res, int err, int64_t now_ms);

/* Make DST (cleared) a copy of SRC, e.g. to give every change of a failed
 * $batch the batch's outcome. Returns 0, or -ENOMEM (DST then holds what
 * was copied and must still be cleared). */
int graph_result_copy(struct directory_result *dst, const struct directory_result *src);

#endif
