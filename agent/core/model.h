/* SPDX-License-Identifier: Apache-2.0 */
/* The neutral model: what the core knows of a request, its approvals and the
 * people involved, whatever ITSM or directory it came from. Connectors
 * translate vendor JSON into these structures; the core never sees vendor
 * JSON, and a connector never decides policy. All strings are owned by the
 * structure that holds them and freed by its _clear function. */
#ifndef ACCESSD_MODEL_H
#define ACCESSD_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* A catalog variable (or a configured extra directory attribute). */
struct variable {
	char *name;
	char *value;
};

/* Where a ticket stands, in accessd's words. Each connector maps the phases
 * accessd writes to its ITSM's own states (a state and a stage, a
 * processing status, a status and a completion reason...) and reads its
 * states back as the nearest phase (doc/itsm.md). */
enum ticket_phase {
	TICKET_OPEN,             /* read only: open, in a state accessd does not set */
	TICKET_SENT_BACK,        /* waiting for the requester to complete or correct it */
	TICKET_PENDING_APPROVAL, /* read only: waiting for approvals */
	TICKET_IMPLEMENTING,     /* approved; the access is being granted */
	TICKET_BLOCKED,          /* a step failed; an incident is open for the IAM team */
	/* Closed, from here on. */
	TICKET_COMPLETED, /* the access was granted, or was there already */
	TICKET_REJECTED,  /* an approver rejected it */
	TICKET_EXPIRED,   /* a stage had no decision before it expired */
	TICKET_DUPLICATE, /* another open request asks for the same */
	TICKET_WITHDRAWN, /* read only: withdrawn by the requester */
	TICKET_CANCELLED, /* read only: closed by someone, or for a reason accessd has no word for */
};
#define TICKET_PHASES (TICKET_CANCELLED + 1)

/* An approval record's state. */
enum approval_decision {
	APPROVAL_UNKNOWN, /* a state the connector has no word for: no decision */
	APPROVAL_REQUESTED,
	APPROVAL_APPROVED,
	APPROVAL_REJECTED,
	APPROVAL_CANCELLED,
};
#define APPROVAL_DECISIONS (APPROVAL_CANCELLED + 1)

struct request {
	char *id;            /* the ITSM's record id */
	char *number;        /* the human reference, e.g. RITM0010001 */
	char *item_id;       /* catalog item id */
	char *item_name;     /* catalog item name */
	char *requested_for; /* ITSM user id of the person the access is for */
	char *opened_by;     /* ITSM user id of the requester */
	char *requested_for_upn; /* the same people in the directory, mapped by */
	char *opened_by_upn;     /* the ITSM's configured user attribute */
	enum ticket_phase phase; /* as the connector reads the ticket's state */
	char *status;        /* that state as the ITSM writes it, for messages only */
	char *updated_on;    /* "YYYY-MM-DD HH:MM:SS", UTC */
	char *short_description;
	struct variable *vars; /* catalog variables, n_vars of them */
	size_t n_vars;
	/* The first field whose value the connector refused, as the ITSM
	 * names it ("requested_for.email", "variable group"): it held a
	 * control character where none may be (text_has_control), so it was
	 * left out (NULL) and the request goes back naming it. NULL: none. */
	char *refused;
};

/* One approval record in the ITSM. */
struct approval {
	char *id;           /* the ITSM's record id */
	char *request_id;   /* the request it belongs to */
	char *approver;     /* ITSM user id of the approver */
	char *approver_upn; /* the approver in the directory */
	enum approval_decision decision;
	char *status;       /* the record's state as the ITSM writes it, for messages only */
	char *comments;
	char *updated_on;   /* "YYYY-MM-DD HH:MM:SS", UTC */
	/* Who last changed the record, as the ITSM names them (ServiceNow:
	 * sys_updated_by, a user_name); NULL when it does not say. */
	char *decided_by;
	/* The ITSM says the approver made this change (themselves, or its
	 * engine acting in their name, as ServiceNow's e-mail approvals do).
	 * 0: someone else wrote it, or the ITSM does not say: a decision that
	 * does not count. */
	int by_approver;
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
	char *display_name;  /* as people are shown their name; NULL when none */
	char *mail;
	int enabled;         /* accountEnabled */
	char *user_type;     /* "Member", "Guest" */
	char *employee_type; /* "Employee", "Contractor", ... as the tenant uses it */
	char *manager_id;    /* object id of the manager, NULL when none */
	enum presence presence;
	struct variable *attrs; /* configured extra attributes, n_attrs of them */
	size_t n_attrs;
	/* When the person started (employeeHireDate) and leaves or left
	 * (employeeLeaveDateTime), ms since the epoch; 0: not known. */
	int64_t hire_ms;
	int64_t leave_ms;
	/* The first property the connector refused (a control character, or a
	 * date that does not parse): left out, and the person is not relied
	 * on. NULL: none. */
	char *refused;
};

/* Whether a ticket in phase P is closed. */
int ticket_phase_closed(enum ticket_phase p);

/* The phase's name as configurations write it ("sent_back", ...), and
 * back: 0, or -EINVAL for a name that is no phase. */
const char *ticket_phase_name(enum ticket_phase p);
int ticket_phase_from_name(const char *name, enum ticket_phase *ret);

/* The decision's name as the journal keeps it: "requested", "approved",
 * "rejected", "cancelled" or "unknown". */
const char *approval_decision_name(enum approval_decision d);

/* A journaled decision read back. Journals written before the neutral
 * vocabulary hold the ITSM's own approval state there (ServiceNow's, whose
 * four decisions are spelled as the names above); any other value was
 * never a decision and reads as APPROVAL_UNKNOWN, as does NULL. */
enum approval_decision approval_decision_from_name(const char *name);

/* Whether a person is here at NOW_MS: in the directory, enabled, started
 * (no hire date after now) and not gone (no leave date at or before now),
 * with nothing refused in their record. */
int person_current(const struct person *p, int64_t now_ms);

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
