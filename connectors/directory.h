/* SPDX-License-Identifier: Apache-2.0 */
/* The directory interface: one ops table per directory (Entra ID through
 * Microsoft Graph today), picked by the configuration's "kind". A connector
 * reads the facts the policy needs (people, managers, out-of-office,
 * groups, memberships) and makes idempotent changes (group membership, app
 * role assignments); it never decides policy.
 *
 * Every call fills a struct directory_result that tells the caller what to
 * do next: DIRECTORY_OK (done, or already so), DIRECTORY_TRANSIENT (try
 * again, not before retry_after_ms when that is set) or DIRECTORY_PERMANENT
 * (will not succeed: block and open an incident). The connector does not
 * sleep or retry, except once after a 401 with a fresh token; backoff
 * belongs to the HTTP retry layer and the workflow. */
#ifndef ACCESSD_DIRECTORY_H
#define ACCESSD_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "core/model.h"
#include "util/clock.h"

/* Largest number of changes in one JSON batch (Graph's limit). */
#define DIRECTORY_BATCH_MAX 20

struct directory;

enum directory_outcome {
	DIRECTORY_OK,
	DIRECTORY_TRANSIENT, /* 429, 5xx, timeouts, transport failures */
	DIRECTORY_PERMANENT, /* 400 (but the idempotent cases), 403, 404 group, bad input */
};

/* The outcome of one call, and the evidence for the ticket and the audit.
 * Strings are owned by the result: directory_result_clear. */
struct directory_result {
	enum directory_outcome outcome;
	int error;          /* the call's return value: 0 or a negative errno */
	int unchanged;      /* OK, but the target already was in that state */
	long status;        /* Graph's HTTP status; 0 when none arrived */
	char *request_id;   /* Graph's request-id, NULL when none arrived */
	char *error_code;   /* Graph's error code, e.g. "Request_BadRequest" */
	char *error_message;
	int64_t retry_after_ms; /* TRANSIENT: how long Graph asked to wait; -1: not said */
	int64_t at_ms;      /* when the answer arrived, by the injected clock */
	char *assignment_id; /* assign app role: the assignment's id, new or (unchanged) the existing one */
};

enum directory_change_kind {
	DIRECTORY_ADD_MEMBER,      /* target_id: group, principal_id: user */
	DIRECTORY_REMOVE_MEMBER,   /* target_id: group, principal_id: user */
	DIRECTORY_ASSIGN_APP_ROLE, /* target_id: resource service principal, principal_id, app_role_id */
	DIRECTORY_REMOVE_APP_ROLE, /* target_id: resource service principal, assignment_id */
};

/* One change. Object ids must be GUIDs and an assignment id base64url, or
 * the change is refused (-EINVAL, PERMANENT) before anything is sent. */
struct directory_change {
	enum directory_change_kind kind;
	const char *target_id;
	const char *principal_id;
	const char *app_role_id;
	const char *assignment_id;
};

/* How a user is looked up. */
enum directory_user_key {
	DIRECTORY_BY_ID,   /* object id (GUID) */
	DIRECTORY_BY_UPN,  /* userPrincipalName */
	DIRECTORY_BY_MAIL, /* mail, through a $filter */
};

struct directory_owner {
	char *id;
	char *upn; /* NULL for an owner that is not a user */
};

struct directory_group {
	int exists; /* 0: no such group (the other members are unset) */
	char *id;
	char *display_name;
	int mail_enabled;
	int security_enabled;
	int on_premises_synced; /* Graph refuses membership changes on these */
	struct directory_owner *owners;
	size_t n_owners;
};

/* What the connector needs beyond the connection settings. */
struct directory_params {
	const struct clock *clock; /* token expiry, evidence times, out-of-office */
	const char *tenant;        /* builds the default token URL when conf->token_url is NULL */
	const char *const *attributes; /* extra user attributes to read, n_attributes of them */
	size_t n_attributes;
	const char *zoneinfo_dir; /* TZif files for mailbox time zones; NULL: TZDB_DIR (tzdb.h) */
};

struct directory_ops {
	struct conf_connector conf; /* its kind, for the configuration */
	int (*open)(const struct conn_config *conf, const struct directory_params *params, void **ret_impl);
	void (*close)(void *impl);
	int (*get_user)(void *impl, enum directory_user_key key, const char *value, struct person *ret,
			struct directory_result *res);
	int (*get_manager)(void *impl, const char *user_id, char **ret_manager_id, struct directory_result *res);
	int (*get_presence)(void *impl, const char *user_id, enum presence *ret, struct directory_result *res);
	int (*get_group)(void *impl, const char *group_id, struct directory_group *ret, struct directory_result *res);
	int (*get_members)(void *impl, const char *group_id, struct directory_owner **ret, size_t *ret_n,
			   struct directory_result *res);
	int (*is_member)(void *impl, const char *group_id, const char *user_id, int *ret, struct directory_result *res);
	int (*get_member_of)(void *impl, const char *user_id, char ***ret, size_t *ret_n, struct directory_result *res);
	int (*apply)(void *impl, const struct directory_change *c, struct directory_result *res);
	int (*apply_batch)(void *impl, const struct directory_change *c, size_t n, struct directory_result *res);
	int (*find_assignment)(void *impl, const char *resource_id, const char *principal_id, const char *app_role_id,
			       char **ret_assignment_id, struct directory_result *res);
};

/* The ops table for KIND, or NULL when no connector has that name. */
const struct directory_ops *directory_ops_find(const char *kind);

/* The registry, the one list of directory kinds: entry I's configuration
 * side, NULL past the last (a conf_connector_list). */
const struct conf_connector *directory_connector(size_t i);

/* Open the connector CONF->kind names; CONF and PARAMS (and what they point
 * to) must outlive it. Reads the client secret. Returns 0 and an instance
 * the caller owns (free with directory_close), -ENOENT for an unknown kind,
 * -EINVAL for unusable settings (logged), or the connector's error. */
int directory_open(const struct conn_config *conf, const struct directory_params *params, struct directory **ret);
struct directory *directory_close(struct directory *d);

/* Every call below returns 0 when RES->outcome is DIRECTORY_OK, else a
 * negative errno: -EINVAL (invalid input, nothing sent), -EAGAIN
 * (transient), -EACCES (403, or credentials refused), -ENOENT (no such
 * group or object), -EPERM (Graph refuses the change, e.g. a mail-enabled
 * or on-premises-synced group), -EBADMSG (an answer that cannot be read),
 * -E2BIG (a listing longer than the connector pages through), -ENOMEM.
 * RES must be zeroed or hold an earlier result: it is cleared, then always
 * filled (clear it with directory_result_clear when done); other outputs
 * are set only on success. */

/* Look a user up. On success *RET is filled (the caller clears it with
 * person_clear): RET->exists is 0 when there is no such user, or when
 * a mail matches no user; a mail matching several users is -ENOTUNIQ.
 * manager_id and presence are not filled here. */
int directory_get_user(struct directory *d, enum directory_user_key key, const char *value, struct person *ret,
		       struct directory_result *res);

/* The object id of USER_ID's manager in *RET_MANAGER_ID (the caller frees
 * it), NULL when the user has none. */
int directory_get_manager(struct directory *d, const char *user_id, char **ret_manager_id,
			  struct directory_result *res);

/* Whether USER_ID is away now (mailbox automatic replies active at the
 * injected now). A user without a mailbox, a time zone we cannot convert,
 * or no permission to read mailbox settings gives PRESENCE_UNKNOWN and OK:
 * never AWAY on a guess. */
int directory_get_presence(struct directory *d, const char *user_id, enum presence *ret,
			   struct directory_result *res);

/* The group GROUP_ID with its owners; RET->exists is 0 when there is no
 * such group. The caller clears *RET with directory_group_clear. */
int directory_get_group(struct directory *d, const char *group_id, struct directory_group *ret,
			struct directory_result *res);

/* The direct members of GROUP_ID (id, and UPN for users) in *RET, *RET_N of
 * them, for approver groups; the caller frees them with
 * directory_users_free. A group Graph does not know is -ENOENT. */
int directory_get_members(struct directory *d, const char *group_id, struct directory_owner **ret, size_t *ret_n,
			  struct directory_result *res);

/* Free N users V as directory_get_members gives them; NULL is fine. */
void directory_users_free(struct directory_owner *v, size_t n);

/* Whether USER_ID is a member of GROUP_ID, directly or through nesting.
 * Graph is eventually consistent: a member just added may read as 0 for a
 * while, so this answer never undoes or doubts a change that succeeded. */
int directory_is_member(struct directory *d, const char *group_id, const char *user_id, int *ret,
			struct directory_result *res);

/* The object ids of the groups USER_ID is a direct member of (not
 * through nesting: a rule's member_of names the groups it means) in *RET,
 * *RET_N of them; the caller frees them with directory_ids_free. A user
 * the directory does not know is -ENOENT. */
int directory_get_member_of(struct directory *d, const char *user_id, char ***ret, size_t *ret_n,
			    struct directory_result *res);

/* Free N strings V and V; NULL is fine. */
void directory_ids_free(char **v, size_t n);

/* Make change C, idempotently: adding a member who is one, removing a
 * non-member, assigning an existing assignment or removing a gone one is
 * OK with RES->unchanged set. An app role assignment is OK only with its
 * id in RES->assignment_id, which its removal needs: when Graph refuses
 * it as a duplicate, the existing assignment is looked up (see
 * directory_find_assignment), and one Graph does not list yet is
 * TRANSIENT (-EAGAIN). */
int directory_apply(struct directory *d, const struct directory_change *c, struct directory_result *res);

/* Make N changes in JSON batches of at most DIRECTORY_BATCH_MAX; RES is an
 * array of N results, each filled as directory_apply would, so one failure
 * does not fail the others. Returns 0 when every change is OK, else the
 * first failure's error; -EINVAL with nothing sent when N is 0. */
int directory_apply_batch(struct directory *d, const struct directory_change *c, size_t n,
			  struct directory_result *res);

/* The id of the assignment of app role APP_ROLE_ID to PRINCIPAL_ID on
 * the resource service principal RESOURCE_ID (all GUIDs), for removing
 * access whose assignment id was not kept. On success *RET_ASSIGNMENT_ID
 * holds it (the caller frees it), or NULL when there is no such
 * assignment. Graph cannot filter a resource's assignments by principal,
 * so this pages through them: one request per 999 assignments listed
 * before the match; an assignment made moments ago may not be listed yet. */
int directory_find_assignment(struct directory *d, const char *resource_id, const char *principal_id,
			      const char *app_role_id, char **ret_assignment_id, struct directory_result *res);

/* Free the strings of a result and zero it; fine on a zeroed result. */
void directory_result_clear(struct directory_result *res);

/* Free the members of a group and zero it. */
void directory_group_clear(struct directory_group *g);

/* Human words for an outcome: "ok", "transient", "permanent". */
const char *directory_outcome_name(enum directory_outcome o);

extern const struct directory_ops entra_ops;

#endif
