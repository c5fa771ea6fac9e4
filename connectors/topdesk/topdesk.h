/* SPDX-License-Identifier: Apache-2.0 */
/* The TOPdesk connector's private parts, shared by its files: topdesk.c
 * (the instance, its application password, the version probe, requests to
 * /tas/api), topdesk_conf.c (its settings in the itsm group and in each
 * item), topdesk_text.c (FIQL values, dates, HTML, numbers and the action
 * marks), topdesk_tenant.c (the tenant's templates, statuses, categories and
 * people, looked up once and kept), topdesk_read.c (a change or a call read
 * into a request), topdesk_poll.c (incremental reading),
 * topdesk_write.c (notes, phases, evidence, incidents), topdesk_approve.c
 * (authorization activities) and topdesk_open.c (open records that may ask
 * for the same).
 *
 * An access request is a request for change made from a change template
 * (items with topdesk.template, the default) or a request call, an incident
 * of a category and subcategory (topdesk.category). doc/itsm-topdesk.md has
 * the API facts this relies on and their sources. */
#ifndef ACCESSD_TOPDESK_H
#define ACCESSD_TOPDESK_H

#include <stddef.h>
#include <stdint.h>

#include "connectors/itsm.h"
#include "connectors/poll_seen.h"
#include "core/model.h"
#include "net/http.h"
#include "util/json.h"

/* -- settings (topdesk_conf.c) ------------------------------------------ */

enum td_change_query {
	TD_QUERY_AUTO, /* probe the change list once at open */
	TD_QUERY_YES,  /* the change API takes FIQL (later than 1.4.0) */
	TD_QUERY_NO,   /* change API 1.4.0: filters only */
};

/* How one neutral phase is written: on a change, the processing status
 * transitions possible from where it stands (in order) and the tenant's
 * change status; on a request call, its processing status (and closed /
 * completed, from the phase itself). NULL and 0: nothing of that. */
struct td_phase {
	char **transitions;
	size_t n_transitions;
	char *status;      /* a change status, by name or id */
	char *call_status; /* an incident processing status, by name or id */
};

/* The itsm group's topdesk = { ... }. */
struct td_settings {
	enum td_change_query change_query;
	struct td_phase phase[TICKET_PHASES];
	char *incident_caller;      /* person id of the IAM incidents' caller; NULL: unregistered "accessd" */
	char *incident_category;    /* names; NULL: none */
	char *incident_subcategory;
	char *incident_status;
};

/* One item's topdesk = { ... }. A variable named "requested_for" holds the
 * person the access is for (their user_attribute), when the requester
 * asks for someone else. */
struct td_item {
	char *template;          /* a change item: the template's id, number or name; NULL: the item's name */
	char *category;          /* a request call item: its category and subcategory names */
	char *subcategory;
	char *approval_template; /* a call item with approvals: the template of the linked change */
	struct variable *fields; /* variable -> optional field ("optionalFields1.date2") */
	size_t n_fields;
	struct variable *labels; /* variable -> the label a portal form writes in the request text */
	size_t n_labels;
};

extern const char *const td_conf_keys[];
extern const char *const td_item_keys[];
int td_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret);
void td_conf_free(void *settings);
int td_conf_parse_item(struct conf_parser *p, const struct config_setting_t *item, void **ret);
void td_conf_free_item(void *settings);

/* The settings a configuration without topdesk = { ... } has. */
extern const struct td_settings td_default_settings;

/* Whether NAME is an optional field ("optionalFields1.text1" ...
 * "optionalFields2.searchlist5"). */
int td_optional_field_ok(const char *name);

/* Whether URL ends in /tas/api (trailing slashes aside). */
int td_base_url_ok(const char *url);

/* Whether ACTION is a processing status transition that closes a change. */
int td_action_closes(const char *action);

/* -- the instance (topdesk.c) ------------------------------------------- */

/* A name and its id, as a tenant's lists give them. */
struct td_named {
	char *id;
	char *name;
	char *extra; /* a template's number, a subcategory's category id */
};

struct td_list {
	struct td_named *v;
	size_t n;
};

/* What the connector knows of a record it was asked about. */
enum td_kind {
	TD_UNKNOWN,
	TD_CHANGE,
	TD_CALL,
	TD_FOREIGN, /* not governed */
};

/* The item of a record read before the items were known. */
#define TD_ITEM_UNKNOWN ((size_t)-1)

struct td_known {
	char *id;         /* a change or incident id */
	enum td_kind kind;
	size_t item;      /* the item it belongs to (TD_CHANGE, TD_CALL), or TD_ITEM_UNKNOWN */
	char *request_id; /* a linked change: the call it asks approval for; else NULL */
	char *number;
};

#define TD_LOGGED_COST 1         /* the cost of a change API without query */
#define TD_LOGGED_NO_CALLS 2      /* calls cannot be polled before REST API 3.3.0 */
#define TD_LOGGED_RESOLVE 4       /* a name the tenant does not have */

/* A person or an operator as accessd maps them. */
struct td_who {
	char *id;
	char *upn;     /* the user_attribute's value, or NULL */
	char *name;    /* dynamicName */
	int operator;  /* an operator; 0: a person */
	int manager;   /* a person marked as manager */
};

struct td {
	const struct conn_config *conf;
	const struct td_settings *set;
	struct retry_config retry;
	const struct retry_env *env;
	struct http_client *http;
	char *password; /* the application password, wiped when freed */
	const char *attribute; /* the persons' field mapped to the UPN */
	char version[32];      /* what /version answered */
	int fiql_incidents;    /* the incident API takes FIQL (REST API 3.3.0 or later) */
	int change_query;      /* the change list honours FIQL */
	int query_probed;
	/* The items of the last poll (the configuration's, which outlives
	 * the instance), and what their names resolve to. */
	const struct item_config *items;
	size_t n_items;
	char **item_template;  /* per item: the template id, or NULL (a call item) */
	char **item_approval;  /* per item: the approval template id, or NULL */
	int resolved;
	struct td_list templates, change_statuses, call_statuses, categories, subcategories;
	/* Resolved phase statuses, per phase: the change status id and the
	 * incident processing status id (NULL: none). */
	char *status_id[TICKET_PHASES];
	char *call_status_id[TICKET_PHASES];
	char *incident_category_id, *incident_subcategory_id, *incident_status_id;
	struct td_known *known;
	size_t n_known, cap_known;
	struct td_who *people;
	size_t n_people, cap_people;
	struct td_named *groups; /* operator groups looked up by name */
	size_t n_groups;
	/* Keys "YYYY-MM-DD HH:MM:SS|id|hash" of what recent polls delivered. */
	struct poll_seen seen_changes, seen_calls, seen_decisions;
	/* 1.4.0 without a query: "YYYY-MM-DD HH:MM:SS|id" of the list entries
	 * read in full, and the changes open at the last pass, so one closed
	 * since shows by its absence. */
	struct poll_seen seen_listed;
	char **open_changes;
	size_t n_open_changes;
	int first_pass_done;
	int logged; /* what is logged once per instance: TD_LOGGED_* */
};

/* The ids TOPdesk gives are UUIDs; anything else never reaches a URL. */
int td_id_ok(const char *id);

/* GET base_url + PATH (escaped already) into *RET_ROOT (caller frees; NULL
 * when TOPdesk answered 204 No Content). *RET_STATUS (may be NULL) gets the
 * HTTP status. Errors are logged with WHAT and returned as itsm.h says. */
int td_get(struct td *t, const char *what, const char *path, cJSON **ret_root, long *ret_status);

/* td_get with an Accept header (NULL: none); QUIET: a 4xx answer is an
 * answer the caller expects (-ENOENT, -EINVAL...), not a failure to log. */
int td_get_as(struct td *t, const char *what, const char *path, const char *accept, int quiet, cJSON **ret_root,
	      long *ret_status);

/* td_get of PREFIX?query=<QUERY, percent-encoded><REST> (REST: "&..."). */
int td_query(struct td *t, const char *what, const char *prefix, const char *query, const char *rest,
	     cJSON **ret_root, long *ret_status);

/* The id of the first record of LIST into *RET_ID (caller frees): -ENOENT
 * when LIST has none, -EBADMSG when it is no UUID. */
int td_first_id(const cJSON *list, char **ret_id);

/* A record looked up by KEY through FIND (-ENOENT when none), as
 * took_effect of the write that makes it: td_landed answers 1 and keeps
 * the id in FOUND (caller frees) when the record is there. */
struct td_lookup {
	struct td *t;
	const char *key;
	int (*find)(struct td *t, const char *key, char **ret_id);
	char *found;
};
int td_landed(void *ctx);

/* Send METHOD base_url + PATH with BODY (LEN bytes of CONTENT_TYPE); as
 * snow_send: TOOK_EFFECT is the "did it land?" check before another
 * attempt after a lost answer, and -EALREADY says it did. RET_ROOT may be
 * NULL. */
int td_send(struct td *t, const char *what, const char *method, const char *path, const char *content_type,
	    const void *body, size_t len, int (*took_effect)(void *ctx), void *ctx, cJSON **ret_root);

/* Send a JSON body (consumed) as td_send does. */
int td_send_json(struct td *t, const char *what, const char *method, const char *path, const char *content_type,
		 cJSON *body, int (*took_effect)(void *ctx), void *ctx, cJSON **ret_root);

/* Ask TOPdesk its REST API version, once per instance (logged). */
int td_ready(struct td *t);

/* The clock's now, in milliseconds. */
int64_t td_now(const struct td *t);

/* -- text (topdesk_text.c) ---------------------------------------------- */

/* How the action id appears at the end of what accessd writes. */
#define TD_MARK_PREFIX "[accessd action "
#define TD_MARK_FMT TD_MARK_PREFIX "%s]"

/* The longest value sent in a FIQL query. */
#define TD_FIQL_VALUE_MAX 255

/* Append VALUE to *QUERY as a quoted FIQL value ("...", with \ before \ and
 * "); -EINVAL for a control character, an empty value or one longer than
 * TD_FIQL_VALUE_MAX, -ENOMEM. *QUERY grows (caller frees). */
int td_fiql_value(char **query, const char *value);

/* Append FIELD=="VALUE" to *QUERY, the value quoted as td_fiql_value does. */
int td_fiql_eq(char **query, const char *field, const char *value);

/* Append printf-style text to *S (caller frees); 0 or -ENOMEM. */
int td_append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* MS as a FIQL date ("2026-11-29T10:00:00Z", whole seconds) into OUT. */
int td_fiql_date(int64_t ms, char out[21]);

/* A TOPdesk date (any form the APIs write) as milliseconds; -EINVAL. */
int td_date_parse(const char *s, int64_t *ret_ms);

/* A TOPdesk date as "YYYY-MM-DD HH:MM:SS" UTC into OUT; -EINVAL. */
int td_date_neutral(const char *s, char out[20]);

/* TEXT as HTML for an incident's action or request: & < > " ' escaped,
 * line breaks as <br>; control characters dropped. Caller frees; NULL
 * when out of memory. */
char *td_html(const char *text);

/* TEXT for a change memo (plain text): control characters other than line
 * breaks and tabs dropped. Caller frees; NULL when out of memory. */
char *td_plain(const char *text);

/* Whether NUMBER may name a request: 1 to 40 printable characters (spaces
 * too: TOPdesk writes "C 2611 001"), no control character. */
int td_number_ok(const char *number);

/* ACTION_ID when it has at most MAX characters, else "accessd-" and its
 * 64-bit FNV hash: a short stable key for fields TOPdesk caps. */
void td_action_key(const char *action_id, size_t max, char *buf, size_t size);

/* Whether TEXT ends in the mark of ACTION_ID (trailing white space aside:
 * TOPdesk trims memos). */
int td_has_mark(const char *text, const char *action_id);

/* TEXT without its accessd mark (and the white space before it), into a
 * string the caller frees; NULL when out of memory. */
char *td_unmarked(const char *text);

/* The value of the answer LABEL in the request text a Self-Service Portal
 * form wrote ("Label<br/>- Value<br/><br/>..."), HTML entities decoded,
 * into *RET (caller frees; NULL when absent). 0 or -ENOMEM. */
int td_form_value(const char *html, const char *label, char **ret);

/* -- the tenant (topdesk_tenant.c) --------------------------------------- */

/* Look up, once per instance, the tenant's templates and statuses the
 * configuration names, and what the items' templates resolve to; a name
 * the tenant does not have is logged with the line and the names it has,
 * and gives -EINVAL. */
int td_resolve(struct td *t, const struct item_config *items, size_t n_items);

/* The id of NAME (an id, a name, or for templates a number) in L, or NULL. */
const char *td_list_find(const struct td_list *l, const char *name);
void td_list_clear(struct td_list *l);

/* The item a change made from TEMPLATE_ID belongs to, or a call in
 * CATEGORY / SUBCATEGORY (names), as an index; -1 when none. */
int td_item_of_change(const struct td *t, const char *template_id);
int td_item_of_call(const struct td *t, const char *category, const char *subcategory);
/* The item whose approval template is TEMPLATE_ID, or -1. */
int td_item_of_linked(const struct td *t, const char *template_id);

/* What is known of record ID (NULL: nothing yet), and remembering it
 * (the strings are copied; a pointer td_known_find or td_known_get gave
 * before may not be used after). */
const struct td_known *td_known_find(const struct td *t, const char *id);
int td_known_add(struct td *t, const char *id, enum td_kind kind, size_t item, const char *request_id,
		 const char *number);
/* Find out what ID is (a governed change, a call, a linked change, or
 * none), asking TOPdesk when it is not known yet. Before the first poll of
 * the instance resolved the items (a restart finishing an interrupted
 * action), only whether it is a change or a call is known, with item
 * TD_ITEM_UNKNOWN: NEED_ITEM asks for the item, which gives -EAGAIN then.
 * *RET points into T. */
int td_known_get(struct td *t, const char *id, int need_item, const struct td_known **ret);

/* The person or operator ID (OPERATOR: -1 unknown, 0 a person, 1 an
 * operator), read once per instance. *RET points into T. */
int td_who_get(struct td *t, const char *id, int operator, const struct td_who **ret);
/* The person whose user_attribute is UPN, or else the operator (by e-mail,
 * or loginName for tasLoginName): -ENOENT when none, -ENOTUNIQ when several. */
int td_who_find(struct td *t, const char *upn, const struct td_who **ret);

/* The id of operator group NAME (looked up once), or NULL when none. */
int td_operator_group(struct td *t, const char *name, const char **ret);

/* -- reading (topdesk_read.c) --------------------------------------------- */

/* Read change REC (a detail, or a list entry with the fields asked for)
 * of item ITEM into *REQ (cleared by the caller). -ENOENT: skip it
 * (logged). */
int td_read_change(struct td *t, const cJSON *rec, size_t item, struct request *req);
/* The same for a request call. */
int td_read_call(struct td *t, const cJSON *rec, size_t item, struct request *req);

/* The phase a change in PROCESSING_STATUS with tenant status STATUS_ID
 * reads as, and a call (closed or not) with processing status STATUS_ID. */
enum ticket_phase td_change_phase(const struct td *t, const char *processing_status, const char *status_id);
enum ticket_phase td_call_phase(const struct td *t, int closed, const char *status_id);
/* Whether a change in PROCESSING_STATUS is closed. */
int td_change_closed(const char *processing_status);

/* Member WHAT ("id", "name") of the object NAME of OBJ (a reference
 * TOPdesk writes as {"id", "name"}); NULL when absent. Points into OBJ. */
const char *td_ref(const cJSON *obj, const char *name, const char *what);

/* -- polling (topdesk_poll.c) ------------------------------------------- */

int td_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		     itsm_request_cb cb, void *userdata, char **ret_watermark);
int td_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
		      itsm_approval_cb cb, void *userdata, char **ret_watermark);

/* Whether the change list takes a query (asked once; change_query). */
int td_probe_change_query(struct td *t);

/* -- writing (topdesk_write.c, topdesk_approve.c, topdesk_open.c) ---------- */

/* The linked change of call CALL_ID (its externalNumber is the call's id)
 * into *RET_ID (caller frees); -ENOENT when none. */
int td_linked_change(struct td *t, const char *call_id, char **ret_id);
/* Move change CHANGE_ID to PHASE and write NOTE with the mark of
 * ACTION_ID, once. */
int td_change_set_phase(struct td *t, const char *change_id, enum ticket_phase phase, const char *note,
			const char *action_id);

int td_find_user(void *impl, const char *upn, char **ret_id);
int td_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
		       char **ret_id);
int td_cancel_approval(void *impl, const char *approval_id, const char *action_id);
int td_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		 const char *action_id);
int td_add_note(void *impl, const char *request_id, const char *text, const char *action_id);
int td_add_comment(void *impl, const char *request_id, const char *text, const char *action_id);
int td_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
	      size_t len, const char *action_id);
int td_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id);
int td_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms,
		 const char *exclude_id, struct itsm_open **ret, size_t *ret_n);

#endif
