/* SPDX-License-Identifier: Apache-2.0 */
/* The ITSM interface: one ops table per system (ServiceNow, later TOPdesk,
 * Freshservice, Xurrent), picked by the configuration's "kind". A connector
 * translates between vendor JSON and the neutral model; it never decides
 * policy.
 *
 * Reading is incremental: a poll lists the records changed since a
 * watermark (minus the connection's poll_overlap, for clock skew), oldest
 * change first, and hands back the new watermark for the caller to journal
 * and pass to the next poll. Records seen already in the overlap (same id,
 * same change time) are not delivered twice by one connector instance.
 *
 * Every write carries an action id (a stable id the core derives from the
 * request and the step). Before writing, the connector looks for the effect
 * of an earlier attempt with that id and, when it finds one, returns success
 * without writing again: a retry or a restart never writes twice.
 *
 * Errors: 0 on success, or a negative errno, logged by the connector
 * (except -EINVAL for an argument refused before anything was sent, which
 * the caller reports with the value it passed):
 *   -EAGAIN   transient (timeouts, resets, 429/5xx after the retry budget):
 *             try again in a later cycle
 *   -EACCES   credentials refused; -ENOENT no such record;
 *   -EINVAL   a value that cannot be sent safely (e.g. a caret in a name)
 *             or a request the ITSM refused (400);
 *   -EBADMSG  an answer that is not what the API documents;
 *   -EFBIG    an answer over the response cap; -EIO another HTTP error
 *             (500, ...); -ENOMEM. */
#ifndef ACCESSD_ITSM_H
#define ACCESSD_ITSM_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/model.h"
#include "net/retry.h"

struct itsm;

/* Called once per record found; a negative return stops the listing and is
 * returned by the poll. The record is only valid during the call. */
typedef int (*itsm_request_cb)(const struct request *req, void *userdata);
typedef int (*itsm_approval_cb)(const struct approval *a, void *userdata);

/* An incident for the IAM team. */
struct itsm_incident {
	const char *short_description;
	const char *description;
	const char *assignment_group; /* ITSM group id, or NULL */
	const char *request_id;       /* the request it is about, or NULL */
};

struct itsm_ops {
	const char *kind;
	/* Connect using CONF (which must outlive the connector), retrying as
	 * RETRY says with the waits and clock of ENV; reads the secrets it
	 * needs. Returns 0 and an instance closed with close(). */
	int (*open)(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
		    void **ret_impl);
	void (*close)(void *impl);
	/* The requests of the governed ITEMS changed since SINCE ("YYYY-MM-DD
	 * HH:MM:SS" UTC; NULL: all), with catalog variables and people mapped
	 * to the directory. On success *RET_WATERMARK (caller frees) is the
	 * change time of the newest record seen, or a copy of SINCE (NULL when
	 * SINCE was NULL and nothing was found). */
	int (*poll_requests)(void *impl, const struct item_config *items, size_t n_items, const char *since,
			     itsm_request_cb cb, void *userdata, char **ret_watermark);
	/* The same for the approval records of those requests. */
	int (*poll_approvals)(void *impl, const struct item_config *items, size_t n_items, const char *since,
			      itsm_approval_cb cb, void *userdata, char **ret_watermark);
	/* The ITSM id of the user whose mapped attribute is UPN; -ENOENT when
	 * none. *RET_ID is the caller's. */
	int (*find_user)(void *impl, const char *upn, char **ret_id);
	/* Ask APPROVER_ID to approve REQUEST_ID; an approval record of that
	 * approver for that request that is not cancelled counts as done.
	 * *RET_ID (caller frees) is the approval record's id. */
	int (*create_approval)(void *impl, const char *request_id, const char *approver_id, const char *action_id,
			       char **ret_id);
	/* Cancel an approval record; one cancelled already is fine, one the
	 * approver decided (approved, rejected) is left alone: -EBUSY. */
	int (*cancel_approval)(void *impl, const char *approval_id, const char *action_id);
	/* Set the request's state and stage (either may be NULL) with a work
	 * note (internal) carrying the action id. */
	int (*set_state)(void *impl, const char *request_id, const char *state, const char *stage, const char *note,
			 const char *action_id);
	/* Add a comment the requester sees, carrying the action id. */
	int (*add_comment)(void *impl, const char *request_id, const char *text, const char *action_id);
	/* Attach LEN bytes of DATA to the request as FILE_NAME; the action id
	 * becomes part of the stored file name. */
	int (*attach)(void *impl, const char *request_id, const char *file_name, const char *content_type,
		      const void *data, size_t len, const char *action_id);
	/* Open an incident; *RET_ID (caller frees) is its id. */
	int (*create_incident)(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id);
};

/* The ops table for KIND, or NULL when no connector has that name. */
const struct itsm_ops *itsm_ops_find(const char *kind);

/* Open the connector CONF->kind names (ENV NULL: retry_env_system).
 * Returns 0 and an instance the caller owns (free with itsm_close), -ENOENT
 * for an unknown kind, or the connector's error. */
int itsm_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
	      struct itsm **ret);
struct itsm *itsm_close(struct itsm *itsm);

/* The ops of an open instance, and its connector state, to call any op:
 * itsm_ops(i)->set_state(itsm_impl(i), ...). */
const struct itsm_ops *itsm_ops(const struct itsm *itsm);
void *itsm_impl(const struct itsm *itsm);

/* Whether R, returned by an op, is worth trying again later. */
int itsm_error_transient(int r);

/* Whether ID is a usable action id: 1 to 100 of [A-Za-z0-9._:-]. */
int itsm_action_id_ok(const char *id);

extern const struct itsm_ops servicenow_ops;

#endif
