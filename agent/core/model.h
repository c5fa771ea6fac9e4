/* SPDX-License-Identifier: Apache-2.0 */
/* The neutral model: what the core knows of a request, its approvals and the
 * people involved, whatever ITSM or directory it came from. Connectors
 * translate vendor JSON into these structures; the core never sees vendor
 * JSON, and a connector never decides policy. All strings are owned by the
 * structure that holds them and freed by its _clear function. */
#ifndef ACCESSD_MODEL_H
#define ACCESSD_MODEL_H

#include <stddef.h>

/* A catalog variable (or a configured extra directory attribute). */
struct variable {
	char *name;
	char *value;
};

struct request {
	char *id;            /* the ITSM's record id (ServiceNow sys_id) */
	char *number;        /* the human reference, e.g. RITM0010001 */
	char *item_id;       /* catalog item id */
	char *item_name;     /* catalog item name */
	char *requested_for; /* ITSM user id of the person the access is for */
	char *opened_by;     /* ITSM user id of the requester */
	char *requested_for_upn; /* the same people in the directory, mapped by */
	char *opened_by_upn;     /* the ITSM's configured user attribute */
	char *state;         /* the ITSM's own state value */
	int closed;          /* that state is a closed one (done, incomplete, skipped) */
	char *updated_on;    /* "YYYY-MM-DD HH:MM:SS", UTC */
	char *short_description;
	struct variable *vars; /* catalog variables, n_vars of them */
	size_t n_vars;
};

/* One approval record in the ITSM. */
struct approval {
	char *id;           /* the ITSM's record id */
	char *request_id;   /* the request it belongs to */
	char *approver;     /* ITSM user id of the approver */
	char *approver_upn; /* the approver in the directory */
	char *state;        /* "requested", "approved", "rejected", "cancelled", ... */
	char *comments;
	char *updated_on;   /* "YYYY-MM-DD HH:MM:SS", UTC */
};

/* Whether a person can act now, from the directory (out-of-office replies
 * evaluated against the injected now). */
enum presence {
	PRESENCE_UNKNOWN,   /* no mailbox, no permission: not treated as away */
	PRESENCE_AVAILABLE,
	PRESENCE_AWAY,
};

/* What the directory says about a person. */
struct person {
	int exists;          /* 0: no such user (the other members are unset) */
	char *id;            /* directory object id (GUID) */
	char *upn;
	char *mail;
	int enabled;         /* accountEnabled */
	char *user_type;     /* "Member", "Guest" */
	char *employee_type; /* "Employee", "Contractor", ... as the tenant uses it */
	char *manager_id;    /* object id of the manager, NULL when none */
	enum presence presence;
	struct variable *attrs; /* configured extra attributes, n_attrs of them */
	size_t n_attrs;
};

/* The value of the variable NAME in VARS, or NULL. Points into VARS. */
const char *variable_get(const struct variable *vars, size_t n, const char *name);

/* The value of REQ's catalog variable NAME, or NULL. Points into REQ. */
const char *request_var(const struct request *req, const char *name);

/* Copy REQ into *RET (the caller clears it with request_clear). Returns 0
 * or -ENOMEM, leaving *RET untouched. */
int request_copy(const struct request *req, struct request *ret);

/* Free the members of each structure (not the structure itself) and zero
 * it; NULL members are fine. */
void request_clear(struct request *req);
void approval_clear(struct approval *a);
void person_clear(struct person *p);
void variables_free(struct variable *vars, size_t n);

#endif
