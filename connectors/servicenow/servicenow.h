/* SPDX-License-Identifier: Apache-2.0 */
/* The ServiceNow connector's private parts, shared by its files:
 * servicenow.c (open/close, requests to the Table API), servicenow_query.c
 * (encoded queries and their values), servicenow_states.c (the instance's
 * states and stages for accessd's phases and decisions), servicenow_poll.c
 * (incremental reading), servicenow_open.c (open records that may ask for
 * the same), servicenow_write.c (idempotent writes). */
#ifndef ACCESSD_SERVICENOW_H
#define ACCESSD_SERVICENOW_H

#include <stddef.h>
#include <stdint.h>

#include "connectors/itsm.h"
#include "connectors/poll_seen.h"
#include "net/http.h"
#include "net/oauth.h"
#include "util/json.h"

/* The instance's words for accessd's (servicenow_states.c). */
struct snow_states {
	/* For each phase accessd writes, the sc_req_item state and stage it
	 * sets; NULL: left as it is (a phase with no state is not written). */
	const char *state[TICKET_PHASES];
	const char *stage[TICKET_PHASES];
	const char *const *closed; /* the states of a closed request item, NULL-terminated */
	/* For each decision, the sysapproval_approver states that mean it,
	 * NULL-terminated, the first one written; NULL for APPROVAL_UNKNOWN. */
	const char *const *approval[APPROVAL_DECISIONS];
	/* The lists read from the configuration: a state and a stage for each
	 * phase, closed_states, and each decision's at most. */
	char **owned[2 * TICKET_PHASES + 1 + APPROVAL_DECISIONS];
	size_t n_owned;
};

struct snow {
	const struct conn_config *conf;
	const struct snow_states *states; /* the configuration's, or the defaults */
	struct retry_config retry;
	struct http_client *http;
	char *password;      /* wiped when freed */
	char *client_secret; /* wiped when freed */
	char *token_url;
	struct oauth_params oauth;
	struct oauth_session *session;
	/* Keys "sys_updated_on|sys_id" of the records recent polls delivered. */
	struct poll_seen seen_requests;
	struct poll_seen seen_approvals;
};

/* -- servicenow.c: requests ------------------------------------------ */

/* How the action id appears in the text of notes accessd writes; the prefix
 * tells such an entry from one a person wrote. */
#define SNOW_MARK_PREFIX "[accessd action "
#define SNOW_MARK_FMT SNOW_MARK_PREFIX "%s]"

/* GET base_url + PATH (already escaped) and return the parsed body, whose
 * "result" member is checked to be an array or object. Errors are logged
 * with WHAT and returned as itsm.h describes. *RET_ROOT is the caller's
 * (cJSON_Delete). */
int snow_get(struct snow *s, const char *what, const char *path, cJSON **ret_root);

/* Send METHOD base_url + PATH with BODY (LEN bytes of CONTENT_TYPE).
 * TOOK_EFFECT (may be NULL on PATCH/PUT of plain fields) is the "did it
 * happen?" check http_send runs before retrying after a lost answer; when it
 * says yes, this returns -EALREADY and the caller looks the effect up.
 * RET_ROOT may be NULL. Errors as snow_get. */
int snow_send(struct snow *s, const char *what, const char *method, const char *path, const char *content_type,
	      const void *body, size_t len, int (*took_effect)(void *ctx), void *ctx, cJSON **ret_root);

/* A string member of a record; a reference given as {"link", "value"} gives
 * its value. NULL when absent or not a string. Points into OBJ. */
const char *snow_field(const cJSON *obj, const char *name);

/* strdup of snow_field, or NULL. */
char *snow_field_dup(const cJSON *obj, const char *name);

/* -- servicenow_query.c: encoded queries ------------------------------ */

/* Whether V may stand as a value in an encoded query: no caret (ServiceNow
 * has no escape for one), no comma when it goes into an IN list, no
 * control character, and not empty. */
int snow_value_ok(const char *v, int in_list);

/* Whether NAME is a plain field name ([a-z0-9_], starting with a letter),
 * safe in sysparm_fields and a query. */
int snow_field_name_ok(const char *name);

/* Whether ID is a sys_id (32 hexadecimal digits). */
int snow_sys_id_ok(const char *id);

/* Whether NUMBER looks like a record number (RITM0010001): 1 to
 * SNOW_NUMBER_MAX letters, digits, '-' or '_'. It names the request in
 * action ids, notes, logs and cards, so nothing else may stand there. */
#define SNOW_NUMBER_MAX 40
int snow_number_ok(const char *number);

/* The condition selecting FIELD's catalog item among ITEMS, e.g.
 * "cat_itemINa,b^ORcat_item.nameINVPN Access"; FIELD is the reference to
 * the catalog item ("cat_item", "sysapproval.ref_sc_req_item.cat_item").
 * Returns 0 and a string the caller frees, or -EINVAL for a name or id
 * that cannot be sent safely, or -ENOMEM. */
int snow_items_condition(const char *field, const struct item_config *items, size_t n_items, char **ret);

/* Shift a "YYYY-MM-DD HH:MM:SS" time by DELTA_MS into OUT (20 bytes).
 * Returns 0 or -EINVAL. */
int snow_time_shift(const char *when, int64_t delta_ms, char out[20]);

/* -- servicenow_states.c ------------------------------------------------ */

/* ServiceNow's out-of-the-box values. */
extern const struct snow_states snow_default_states;

/* The configuration side (struct conf_connector): the settings states,
 * closed_states and approval_states, parsed into a struct snow_states on
 * top of the defaults and checked (a phase must read back as itself); and
 * an auth method ServiceNow does not take, refused. */
extern const char *const snow_conf_keys[];
int snow_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret);
void snow_conf_free(void *settings);

/* The phase a request item in STATE reads as: the first phase written as
 * that state whose closedness agrees with closed_states, else
 * TICKET_CANCELLED for a closed state and TICKET_OPEN for another (or NULL). */
enum ticket_phase snow_phase_of(const struct snow_states *st, const char *state);

/* The decision an approval record in STATE means (APPROVAL_UNKNOWN: none),
 * and the state written for decision D (NULL: none). */
enum approval_decision snow_decision_of(const struct snow_states *st, const char *state);
const char *snow_decision_value(const struct snow_states *st, enum approval_decision d);

/* -- servicenow_poll.c -------------------------------------------------- */

int snow_find_request(void *impl, const struct item_config *items, size_t n_items, const char *number,
		      itsm_request_cb cb, void *userdata);
int snow_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		       itsm_request_cb cb, void *userdata, char **ret_watermark);
int snow_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
			itsm_approval_cb cb, void *userdata, char **ret_watermark);

/* -- servicenow_open.c -------------------------------------------------- */

int snow_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms,
		   const char *exclude_id, struct itsm_open **ret, size_t *ret_n);

/* -- servicenow_write.c ------------------------------------------------- */

int snow_find_user(void *impl, const char *upn, char **ret_id);
int snow_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
			 char **ret_id);
int snow_cancel_approval(void *impl, const char *approval_id, const char *action_id);
int snow_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		   const char *action_id);
int snow_add_note(void *impl, const char *request_id, const char *text, const char *action_id);
int snow_add_comment(void *impl, const char *request_id, const char *text, const char *action_id);
int snow_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
		size_t len, const char *action_id);
int snow_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id);

#endif
