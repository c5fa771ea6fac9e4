/* SPDX-License-Identifier: Apache-2.0 */
/* The ITSM interface: one ops table per system (ServiceNow, later TOPdesk,
 * Freshservice, Xurrent), picked by the configuration's "kind". A connector
 * translates between its vendor's JSON and the neutral model (core/model.h)
 * both ways: requests and approval records come up with their state read as
 * a ticket_phase and an approval_decision, and the workflow's phases go
 * down to be written as the vendor's own states. Nothing above this
 * interface knows a vendor's state codes, tables or words; a connector
 * never decides policy. doc/itsm.md says what a connector must map.
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
 *   -EINVAL   a value that cannot be sent safely (e.g. a caret in a name),
 *             a phase the connector has no state for, or a request the
 *             ITSM refused (400);
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

/* An open record in the ITSM that may already ask for an access. */
struct itsm_open {
	char *id;     /* the ITSM's record id */
	char *number; /* RITM0010001, INC0010001, ... */
	int incident; /* 1: an incident; 0: a request */
	char *text;   /* its short description and description, one line break apart */
};

/* The most records find_open hands back. */
#define ITSM_OPEN_MAX 20

/* An incident for the IAM team. */
struct itsm_incident {
	const char *short_description;
	const char *description;
	/* The group it is for, as policy.incident.assignment_group names it;
	 * a connector that cannot address that value as a group of its ITSM
	 * leaves it out (the description names it too). NULL: none. */
	const char *assignment_group;
	const char *request_id;       /* the request it is about, or NULL */
};

/* The records record_url addresses. */
enum itsm_record {
	ITSM_RECORD_REQUEST,
	ITSM_RECORD_INCIDENT,
};

struct itsm_ops {
	/* Its kind and the settings of its own (the mapping of its states,
	 * for instance), read by conf_load; CONF->settings of open holds what
	 * conf.parse made, or NULL for a configuration built without it. */
	struct conf_connector conf;
	/* Connect using CONF (which must outlive the connector), retrying as
	 * RETRY says with the waits and clock of ENV; reads the secrets it
	 * needs. Returns 0 and an instance closed with close(). */
	int (*open)(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
		    void **ret_impl);
	void (*close)(void *impl);
	/* The requests of the governed ITEMS changed since SINCE ("YYYY-MM-DD
	 * HH:MM:SS" UTC; NULL: all), with catalog variables and people mapped
	 * to the directory, and the phase their state reads as. On success
	 * *RET_WATERMARK (caller frees) is the change time of the newest record
	 * seen, or a copy of SINCE (NULL when SINCE was NULL and nothing was
	 * found). */
	int (*poll_requests)(void *impl, const struct item_config *items, size_t n_items, const char *since,
			     itsm_request_cb cb, void *userdata, char **ret_watermark);
	/* The same for the approval records of those requests, each with the
	 * decision its state reads as. */
	int (*poll_approvals)(void *impl, const struct item_config *items, size_t n_items, const char *since,
			      itsm_approval_cb cb, void *userdata, char **ret_watermark);
	/* The request NUMBER (as people name it, RITM0010001) among the
	 * governed ITEMS, read as a poll reads it and handed to CB whether or
	 * not it changed: accessctl explain. -ENOENT when there is none, and
	 * -EINVAL for a number that cannot be sent safely. Reads only. */
	int (*find_request)(void *impl, const struct item_config *items, size_t n_items, const char *number,
			    itsm_request_cb cb, void *userdata);
	/* The ITSM id of the user whose mapped attribute is UPN; -ENOENT when
	 * none. *RET_ID is the caller's. */
	int (*find_user)(void *impl, const char *upn, char **ret_id);
	/* The open requests (other than EXCLUDE_ID, which may be NULL) for the
	 * person PERSON_ID (the ITSM's user id) and the open incidents they
	 * raised, whose descriptions contain one of the N TERMS (ignoring
	 * case), that accessd did not open itself: at most ITSM_OPEN_MAX. A
	 * term that cannot be sent safely is left out. *RET is the caller's
	 * (itsm_open_free). */
	int (*find_open)(void *impl, const char *person_id, const char *const *terms, size_t n_terms,
			 const char *exclude_id, struct itsm_open **ret, size_t *ret_n);
	/* Ask APPROVER_ID to approve REQUEST_ID: a record in the state that
	 * reads as APPROVAL_REQUESTED; one of that approver for that request
	 * that is not cancelled counts as done. *RET_ID (caller frees) is the
	 * approval record's id. */
	int (*create_approval)(void *impl, const char *request_id, const char *approver_id, const char *action_id,
			       char **ret_id);
	/* Cancel an approval record; one cancelled already is fine, one the
	 * approver decided (approved, rejected) is left alone: -EBUSY. */
	int (*cancel_approval)(void *impl, const char *approval_id, const char *action_id);
	/* Optional (NULL: the ITSM has no reminder of its own): have the ITSM
	 * remind the approver of APPROVAL_ID, still waiting for a decision;
	 * -EBUSY when it is decided or cancelled. A reminder leaves nothing to
	 * look for, so a retry after a lost answer may remind twice. */
	int (*remind_approval)(void *impl, const char *approval_id, const char *action_id);
	/* Move the request to PHASE (one accessd writes: sent back,
	 * implementing, blocked, completed, rejected, expired, duplicate) in
	 * the connector's states, with NOTE as an internal work note carrying
	 * the action id. */
	int (*set_phase)(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
			 const char *action_id);
	/* An internal work note carrying the action id; the state stays. */
	int (*add_note)(void *impl, const char *request_id, const char *text, const char *action_id);
	/* Add a comment the requester sees, carrying the action id. */
	int (*add_comment)(void *impl, const char *request_id, const char *text, const char *action_id);
	/* Attach LEN bytes of DATA to the request as FILE_NAME; the action id
	 * becomes part of the stored file name. */
	int (*attach)(void *impl, const char *request_id, const char *file_name, const char *content_type,
		      const void *data, size_t len, const char *action_id);
	/* Open an incident; *RET_ID (caller frees) is its number, as people
	 * know it (ServiceNow: INC0010001). */
	int (*create_incident)(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id);
	/* The address of a record's page, for a person to open (a card's
	 * button): the request ID (ITSM_RECORD_REQUEST, its id as polled) or
	 * the incident ID (ITSM_RECORD_INCIDENT, what create_incident handed
	 * back). Nothing is sent. *RET_URL (caller frees) is an absolute URL
	 * below the connection's base_url; -EINVAL for an id the connector
	 * would not put in a URL. */
	int (*record_url)(void *impl, enum itsm_record kind, const char *id, char **ret_url);
};

/* The ops table for KIND, or NULL when no connector has that name. */
const struct itsm_ops *itsm_ops_find(const char *kind);

/* The registry, the one list of ITSM kinds: entry I's configuration side,
 * NULL past the last (a conf_connector_list). */
const struct conf_connector *itsm_connector(size_t i);

/* Open CONF with the connector OPS (ENV NULL: retry_env_system). Returns 0
 * and an instance the caller owns (free with itsm_close), or the
 * connector's error. itsm_open finds OPS by CONF->kind. */
int itsm_open_ops(const struct itsm_ops *ops, const struct conn_config *conf, const struct retry_config *retry,
		  const struct retry_env *env, struct itsm **ret);
/* The same with the connector CONF->kind names; -ENOENT for an unknown
 * kind. */
int itsm_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
	      struct itsm **ret);
struct itsm *itsm_close(struct itsm *itsm);

/* The ops above, on an open instance. */
int itsm_poll_requests(struct itsm *itsm, const struct item_config *items, size_t n_items, const char *since,
		       itsm_request_cb cb, void *userdata, char **ret_watermark);
int itsm_poll_approvals(struct itsm *itsm, const struct item_config *items, size_t n_items, const char *since,
			itsm_approval_cb cb, void *userdata, char **ret_watermark);
/* -EOPNOTSUPP when the connector cannot look one request up. */
int itsm_find_request(struct itsm *itsm, const struct item_config *items, size_t n_items, const char *number,
		      itsm_request_cb cb, void *userdata);
int itsm_find_user(struct itsm *itsm, const char *upn, char **ret_id);
int itsm_find_open(struct itsm *itsm, const char *person_id, const char *const *terms, size_t n_terms,
		   const char *exclude_id, struct itsm_open **ret, size_t *ret_n);
int itsm_create_approval(struct itsm *itsm, const char *request_id, const char *approver_id, const char *action_id,
			 char **ret_id);
int itsm_cancel_approval(struct itsm *itsm, const char *approval_id, const char *action_id);
/* -EOPNOTSUPP when the connector has no remind_approval. */
int itsm_remind_approval(struct itsm *itsm, const char *approval_id, const char *action_id);
int itsm_set_phase(struct itsm *itsm, const char *request_id, enum ticket_phase phase, const char *note,
		   const char *action_id);
int itsm_add_note(struct itsm *itsm, const char *request_id, const char *text, const char *action_id);
int itsm_add_comment(struct itsm *itsm, const char *request_id, const char *text, const char *action_id);
int itsm_attach(struct itsm *itsm, const char *request_id, const char *file_name, const char *content_type,
		const void *data, size_t len, const char *action_id);
int itsm_create_incident(struct itsm *itsm, const struct itsm_incident *inc, const char *action_id, char **ret_id);
int itsm_record_url(struct itsm *itsm, enum itsm_record kind, const char *id, char **ret_url);

/* Free N records V as find_open gives them; NULL is fine. */
void itsm_open_free(struct itsm_open *v, size_t n);

/* Append a record (ID, NUMBER, and TEXT as its brief and its description,
 * one line break apart; either may be NULL) to the *N records *V. 0 or
 * -ENOMEM (*V and *N stay as they were). */
int itsm_open_add(struct itsm_open **v, size_t *n, const char *id, const char *number, int incident,
		  const char *brief, const char *description);

/* The error an HTTP STATUS that is not 2xx means, as the ops return it:
 * 400/415/422 (a validation failure) -EINVAL, 401/403 -EACCES, 404
 * -ENOENT, a transient one -EAGAIN, anything else -EIO. */
int itsm_status_error(long status);

/* Whether NAME may name an attachment (1 to 100 of [A-Za-z0-9._-], not
 * starting with a dot) and TYPE is a plain media type: what attach takes. */
int itsm_file_name_ok(const char *name);
int itsm_content_type_ok(const char *type);

/* Name FIELD in *REFUSED (request.refused) unless a field is named there
 * already. 0 or -ENOMEM. */
int itsm_refuse(char **refused, const char *field);

/* Whether R, returned by an op, is worth trying again later. */
int itsm_error_transient(int r);

/* Whether ID is a usable action id: 1 to 100 of [A-Za-z0-9._:-]. */
int itsm_action_id_ok(const char *id);

extern const struct itsm_ops freshservice_ops;
extern const struct itsm_ops servicenow_ops;
extern const struct itsm_ops topdesk_ops;
extern const struct itsm_ops xurrent_ops;

#endif
