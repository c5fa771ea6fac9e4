/* SPDX-License-Identifier: Apache-2.0 */
/* The Xurrent (formerly 4me) connector's private parts, shared by its
 * files: xurrent.c (the instance, its credentials, the requests every
 * other file sends and the listings they page through), xurrent_conf.c (the
 * settings of the itsm group), xurrent_rate.c (staying under the rate
 * limits), xurrent_query.c (filter values, ids, times, Link URLs, note
 * text), xurrent_people.c (people and find_user), xurrent_poll.c
 * (requests), xurrent_approvals.c (approval tasks and their approvals),
 * xurrent_write.c (notes, status, approval tasks, incidents),
 * xurrent_attach.c (evidence through the attachment storage) and
 * xurrent_open.c (open requests that may ask for the same).
 * doc/itsm-xurrent.md gives the API facts each relies on. */
#ifndef ACCESSD_XURRENT_H
#define ACCESSD_XURRENT_H

#include <stddef.h>
#include <stdint.h>

#include "connectors/itsm.h"
#include "connectors/poll_seen.h"
#include "net/http.h"
#include "net/oauth.h"
#include "util/json.h"

/* How the action id appears at the end of the notes accessd writes. */
#define XR_MARK_PREFIX "[accessd action "
#define XR_MARK_FMT XR_MARK_PREFIX "%s]"

/* Documented limits: text fields hold 64 KB, subjects 255 characters,
 * source 30, pages 100 records. */
#define XR_TEXT_MAX 65536
#define XR_SUBJECT_MAX 255
#define XR_SOURCE_MAX 30
#define XR_PAGE_MAX 100

/* The settings of the itsm group (xurrent_conf.c). Phase strings point
 * into the static tables of documented values. */
struct xr_settings {
	char *account;   /* X-Xurrent-Account */
	char *source;    /* source of what accessd creates */
	char *token_url; /* the region's OAuth endpoint; NULL with a base_url */
	char *ui_url;    /* where people open records; NULL: from the API's host */
	int region;      /* index into xr_regions; -1 with a base_url */
	int environment; /* index into xr_environments; -1 with a base_url */
	/* For each phase accessd writes, the request status and completion
	 * reason (NULL: none) it sets; status NULL: not written. */
	const char *status[TICKET_PHASES];
	const char *reason[TICKET_PHASES];
	long approval_template; /* task template of approval tasks; 0: none */
	long approval_team;     /* their team; 0: none */
	int planned_duration;   /* minutes */
	long incident_team;     /* 0: none */
	long incident_service_instance; /* 0: none */
	const char *incident_impact;
	int burst;               /* requests at most per burst window */
	int64_t burst_window_ms;
	int hourly_reserve;      /* stop when the hour has this many left */
};

/* The pacing under the rate limits (xurrent_rate.c). */
struct xr_rate {
	const struct retry_env *env;
	int burst;
	int64_t window_ms;
	int reserve;
	int64_t *sent; /* times of the last BURST requests, a ring */
	size_t next, n;
	long remaining;   /* X-RateLimit-Remaining of the last answer; -1: unknown */
	int64_t reset_ms; /* X-RateLimit-Reset; 0: unknown */
	int held;         /* the stop at the reserve was logged */
};

/* A person as the connector keeps them: the id, the primary e-mail (the
 * directory's UPN) and whether the account is disabled. */
struct xr_person {
	long id;
	char *email; /* NULL when Xurrent has none, or a refused one */
	int disabled;
};

/* Which request a workflow belongs to (0: none accessd governs). */
struct xr_flow {
	long workflow;
	long request;
};

/* An approval task of a governed request. */
struct xr_watch {
	long task;
	long request;
};

struct xr {
	const struct conn_config *conf;
	const struct xr_settings *set;
	struct retry_config retry;
	struct http_client *http;    /* the API, with the credentials */
	struct http_client *storage; /* uploads to the storage provider: none */
	char *api;                   /* base_url + "/v1" */
	char *token;                 /* api_key: the bearer token; wiped */
	char *client_secret;         /* wiped */
	struct oauth_params oauth;
	struct oauth_session *session;
	struct http_header account[1];
	struct xr_rate rate;
	long me; /* the token's person; 0: not asked yet */
	struct xr_person *people;
	size_t n_people;
	/* The template id of each item of the policy (0: none found), found
	 * once for items named by name. */
	long *templates;
	size_t n_templates;
	struct xr_flow *flows;
	size_t n_flows;
	/* Open approval tasks whose approvals may change without changing the
	 * task (more than one approval required), re-read each poll. */
	struct xr_watch *watched;
	size_t n_watched;
	int watch_known; /* the open ones were listed once since open */
	/* What recent polls delivered: keys "<updated_at>|<id>" of requests
	 * and tasks, "<updated_at>|<task>:<approval>|<status>" of approvals. */
	struct poll_seen seen_requests, seen_tasks, seen_approvals;
};

/* -- xurrent.c ----------------------------------------------------------- */

/* Send METHOD to PATH below the API root ("/requests?...") or to the full
 * URL PATH (a Link already checked), with BODY (a JSON text, or NULL).
 * TOOK_EFFECT is http_send's "did it happen?" check for a write whose
 * answer was lost; when it says yes this returns -EALREADY. On success
 * *RET_ROOT (may be NULL; caller frees) is the parsed answer and *RET_NEXT
 * (may be NULL; caller frees) the checked URL of the next page, NULL on
 * the last. Errors are logged with WHAT and returned as itsm.h says. */
int xr_send(struct xr *x, const char *what, const char *method, const char *path, const char *body,
	    int (*took_effect)(void *ctx), void *ctx, cJSON **ret_root, char **ret_next);

/* GET PATH; the answer must be an object. */
int xr_get(struct xr *x, const char *what, const char *path, cJSON **ret_root);

/* Every page of the collection at PATH (a query with per_page), following
 * the Link rel="next" URL: EACH is called with the array of each page and
 * may stop the listing, with 1 when it has what it wanted (xr_list returns
 * 0) or with a negative errno (which xr_list returns). */
int xr_list(struct xr *x, const char *what, const char *path,
	    int (*each)(struct xr *x, const cJSON *page, void *ctx), void *ctx);

/* The id of the token's person (GET /me once). */
int xr_me(struct xr *x, long *ret);

/* -- xurrent_conf.c ------------------------------------------------------ */

extern const char *const xr_conf_keys[];
extern const struct xr_settings xr_default_settings;
int xr_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret);
void xr_conf_free(void *settings);
int xr_conf_base_url(const void *settings, char **ret);

/* Where people open the account's records: SET's ui_url, else the API's
 * host BASE_URL with "api." replaced by "<account>." (the base URL itself
 * when it does not start so). *RET is the caller's. 0, -EINVAL (an account
 * that cannot be a host name), or -ENOMEM. */
int xr_ui_url(const struct xr_settings *set, const char *base_url, char **ret);

/* The phase a request reads as from its STATUS and completion REASON
 * (either may be NULL). */
enum ticket_phase xr_phase_of(const struct xr_settings *set, const char *status, const char *reason);

/* -- xurrent_rate.c ------------------------------------------------------ */

/* The response headers the pacing reads. */
extern const char *const xr_rate_headers[];

/* Set RATE up for the limits of SET on the clock and sleep of ENV, and
 * pace HTTP with it. 0 or -ENOMEM. */
int xr_rate_init(struct xr_rate *rate, const struct xr_settings *set, const struct retry_env *env,
		 struct http_client *http);
void xr_rate_free(struct xr_rate *rate);

/* -- xurrent_query.c ----------------------------------------------------- */

/* Whether V can be sent as a filter value: not empty, at most 255 bytes,
 * no control character and no comma, and not starting with '!', '<', '>'
 * or '=', which the filter syntax would read as an operator (it has no
 * escape). */
int xr_value_ok(const char *v);

/* The decimal id in S (a positive whole number below 2^53, as JSON
 * carries ids) into *RET; 0 or -EINVAL. */
int xr_id_parse(const char *s, long *ret);

/* The JSON integer member NAME of OBJ (a positive whole number below
 * 2^53) into *RET; the id member of the reference NAME with xr_ref_id.
 * 0, or -EBADMSG when absent or anything else. */
int xr_int(const cJSON *obj, const char *name, long *ret);
int xr_ref_id(const cJSON *obj, const char *name, long *ret);

/* A datetime as Xurrent writes it ("2016-03-14T03:14:17-06:00", "Z" or an
 * offset, an optional fraction dropped) as "YYYY-MM-DD HH:MM:SS" UTC in
 * OUT. 0 or -EINVAL. */
int xr_time_utc(const char *text, char out[20]);

/* The filter value "YYYY-MM-DDTHH:MM:SSZ" for the UTC time WHEN ("YYYY-MM-DD
 * HH:MM:SS") shifted back by BACK_MS (whole seconds, rounded down), and
 * the shifted time itself in LOW. 0 or -EINVAL. */
int xr_filter_time(const char *when, int64_t back_ms, char out[21], char low[20]);

/* The URL of the Link header's rel="next" entry into *RET (caller frees),
 * NULL when there is none. It must lie below API ("<api>/"), so that a
 * broken or hostile server cannot send the credentials elsewhere, and hold
 * no space or control character: -EBADMSG otherwise. */
int xr_link_next(const char *link, const char *api, char **ret);

/* TEXT made safe to write into a note, with the action mark of ACTION_ID
 * after a blank line: cut so that the whole fits XR_TEXT_MAX bytes of
 * valid UTF-8, and the markup Xurrent renders (mentions "<@", record
 * references "<word#", images "![", links "](") broken by a space, since
 * the text quotes ticket fields. *RET is the caller's. 0 or -ENOMEM. */
int xr_note_text(const char *text, const char *action_id, char **ret);

/* "<a>,<b>,..." of the N ids V into *RET (caller frees); 0 or -ENOMEM. */
int xr_id_list(const long *v, size_t n, char **ret);

/* -- xurrent_people.c ---------------------------------------------------- */

/* Read the people of the N ids IDS the connector does not know yet, a
 * hundred a listing; one Xurrent does not show is kept without e-mail. */
int xr_people_fetch(struct xr *x, const long *ids, size_t n);
/* The person ID as the connector knows them, or NULL; points into X. */
const struct xr_person *xr_person(const struct xr *x, long id);
void xr_people_free(struct xr *x);
int xr_find_user(void *impl, const char *upn, char **ret_id);

/* -- xurrent_poll.c ------------------------------------------------------ */

/* One incremental poll of a collection: what it asks for beyond the
 * watermark minus the overlap, the order of what comes back, the newest
 * change seen, and the records delivered already. */
struct xr_window {
	struct poll_seen *seen;
	char since[20];      /* the caller's watermark; "" for a first poll */
	char low[20];        /* since minus the overlap: how far the poll reaches back */
	char query[48];      /* "&updated_at=%3E%3D<low>", or "" for a first poll */
	char last[20];       /* the change time of the last record, for the order */
	char watermark[20];  /* the newest change seen, or since */
};

/* Begin a poll from SINCE (NULL: from the beginning) whose records SEEN
 * remembers. 0, or -EINVAL for a SINCE that is no time. */
int xr_window_begin(struct xr *x, struct xr_window *w, struct poll_seen *seen, const char *since);

/* The record ID changed at UPDATED (as Xurrent writes it) comes in the
 * listing WHAT: *KEY is its key; 1 when it was delivered already, 0 when
 * it is to be, -EBADMSG (logged) when the time does not parse or the
 * listing is out of order. */
int xr_window_record(struct xr_window *w, const char *what, const char *updated, long id, char key[48]);

/* Whether KEY (starting with its change time) was delivered already, as
 * poll_seen_has says for the window's since. */
int xr_window_seen(const struct xr_window *w, struct poll_seen *seen, const char *key);

/* A record changed at UTC was delivered: the watermark covers it. */
void xr_window_covers(struct xr_window *w, const char *utc);

/* End a poll that returned R: on success, the watermark into
 * *RET_WATERMARK (caller frees; NULL when there is none). Returns R, or
 * -ENOMEM. */
int xr_window_end(struct xr_window *w, int r, char **ret_watermark);

/* The template ids of ITEMS into X->templates (names found once).
 * *RET_LIST (caller frees) is "<id>,<id>" of those found; NULL when none
 * is. */
int xr_templates(struct xr *x, const struct item_config *items, size_t n_items, char **ret_list);

/* Remember that WORKFLOW belongs to REQUEST (0: to none accessd governs),
 * and look it up: the request, 0 for none, -1 when not known. */
int xr_flow_set(struct xr *x, long workflow, long request);
long xr_flow_get(const struct xr *x, long workflow);

int xr_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		     itsm_request_cb cb, void *userdata, char **ret_watermark);
int xr_find_request(void *impl, const struct item_config *items, size_t n_items, const char *number,
		    itsm_request_cb cb, void *userdata);

/* -- xurrent_approvals.c ------------------------------------------------- */

int xr_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
		      itsm_approval_cb cb, void *userdata, char **ret_watermark);
void xr_approvals_free(struct xr *x);

/* -- xurrent_write.c ----------------------------------------------------- */

/* Whether a note of the request (INTERNAL: internal, else public) written
 * by the token's person carries ACTION_ID's mark: 1, 0, or an error. */
int xr_note_written(struct xr *x, long request, int internal, const char *action_id);

/* The note a write looks for: http_send's "did it happen?" check of a
 * write that carries it (CTX a struct xr_note_check). */
struct xr_note_check {
	struct xr *x;
	long request;
	int internal;
	const char *action_id;
};
int xr_note_took_effect(void *ctx);

/* A JSON body of OBJ (consumed) into *RET; 0 or -ENOMEM. */
int xr_json_body(cJSON *obj, char **ret);

int xr_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
		       char **ret_id);
int xr_cancel_approval(void *impl, const char *approval_id, const char *action_id);
int xr_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		 const char *action_id);
int xr_add_note(void *impl, const char *request_id, const char *text, const char *action_id);
int xr_add_comment(void *impl, const char *request_id, const char *text, const char *action_id);
int xr_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id);

/* -- xurrent_attach.c ---------------------------------------------------- */

int xr_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
	      size_t len, const char *action_id);

/* -- xurrent_open.c ------------------------------------------------------ */

int xr_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms, const char *exclude_id,
		 struct itsm_open **ret, size_t *ret_n);

#endif
