/* SPDX-License-Identifier: Apache-2.0 */
/* The Freshservice connector's private parts, shared by its files:
 * freshservice.c (open/close, the API key, requests to API v2 with their
 * errors and the account's rate limit), freshservice_conf.c (its settings
 * and the mapping of phases to ticket statuses and requested-item stages),
 * freshservice_people.c (users by id and by e-mail, cached),
 * freshservice_poll.c (service requests and their approvals, read
 * incrementally), freshservice_open.c (open tickets that may ask for the
 * same), freshservice_write.c (notes, replies, attachments, status,
 * approvals and incidents, each written once). doc/itsm-freshservice.md
 * gives the API facts each relies on and their sources. */
#ifndef ACCESSD_FRESHSERVICE_H
#define ACCESSD_FRESHSERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "connectors/itsm.h"
#include "net/http.h"
#include "util/json.h"

/* Lists page at most 100 records; the account-wide approvals list 30. */
#define FS_PAGE_MAX 100
#define FS_PAGE_DEFAULT 30
#define FS_APPROVALS_PAGE 30
/* Page numbers past 500 are to be avoided (best practices): no listing
 * accessd makes goes that far. */
#define FS_PAGES_MAX 500
/* Ticket statuses and requested-item stages are small numbers. */
#define FS_MAX_CLOSED 16
/* The mark ending every note, reply, approval e-mail and incident accessd
 * writes: "[accessd <action id>]" (action ids are [A-Za-z0-9._:-], which
 * HTML leaves alone). */
#define FS_MARK_PREFIX "[accessd "
#define FS_MARK_FMT FS_MARK_PREFIX "%s]"

/* The settings of the itsm group (freshservice_conf.c). */
struct fs_settings {
	int64_t workspace_id;         /* -1: not given (the primary workspace) */
	int64_t first_poll_lookback_ms;
	int rate_reserve;             /* credits left to others; -1: a tenth of the total, at least 10 */
	int64_t rate_window_ms;       /* how long a low budget lasts without a newer answer */
	int approval_type;            /* 1 Everyone .. 4 First Responder */
	int status[TICKET_PHASES];    /* the ticket status each phase writes; 0: none */
	int stage[TICKET_PHASES];     /* the requested item's stage; 0: left as it is */
	int closed[FS_MAX_CLOSED];    /* the statuses of a closed ticket */
	size_t n_closed;
	char *incident_requester;     /* the e-mail incidents are raised as */
	int incident_priority;        /* 1 Low .. 4 Urgent */
	int64_t incident_group_id;    /* 0: none */
	int64_t incident_lookback_ms; /* how far back an incident is looked for */
};

/* A ticket id and a change time: what was delivered already. */
struct fs_mark {
	int64_t id;
	int64_t updated_ms;
};

struct fs_marks {
	struct fs_mark *v;
	size_t n, cap;
};

/* What a listing delivered. A delivery counts only once the caller has
 * taken the watermark of the poll that made it (it passes that back as
 * the next SINCE): a cycle that failed after the poll journaled nothing,
 * and the records must come again. */
struct fs_seen {
	struct fs_marks taken; /* delivered by polls whose watermark was taken */
	struct fs_marks last;  /* delivered by the last poll */
	char watermark[20];    /* the last poll's, "" when it handed back none */
	/* poll_approvals: the tickets the last poll read, read again when its
	 * watermark was not taken. */
	int64_t *tickets;
	size_t n_tickets, cap_tickets;
};

/* A person: Freshservice's user id and their e-mail. */
struct fs_person {
	int64_t id;
	char *email; /* NULL: no usable address (refused, or none) */
	int refused; /* the address held a control character */
};

/* A catalog item by display id, and whether a ticket is a governed request. */
struct fs_item {
	int64_t display_id;
	char *name; /* NULL: not usable (a control character) */
};

struct fs_ticket_kind {
	int64_t id;
	int governed;
};

/* An approval still waiting, as the account-wide list shows it. */
struct fs_pending {
	int64_t id;
	int64_t ticket_id;
};

struct fs {
	const struct conn_config *conf;
	const struct fs_settings *st;
	struct retry_config retry;
	struct http_client *http;
	char *api_key; /* wiped when freed */
	char *api;     /* base_url + "/api/v2" */
	/* The account's rate limit, from the latest answer: credits left and
	 * the total of the window (-1: not known), and until when the budget
	 * counts as low (0: it does not). */
	long rl_remaining, rl_total;
	int use; /* the enum fs_use of the request being sent */
	int64_t rl_low_until_ms;
	int rl_logged;
	struct fs_person *people;
	size_t n_people, cap_people;
	struct fs_item *items;
	size_t n_items, cap_items;
	struct fs_ticket_kind *kinds;
	size_t n_kinds, cap_kinds;
	struct fs_seen seen_tickets;   /* (ticket id, updated_at) delivered */
	struct fs_seen seen_approvals; /* (approval id, updated_at) delivered */
	/* The pending approvals of the last poll, with those accessd asked
	 * for since (an approval decided before the next poll is in neither
	 * list, but its ticket must be read). */
	struct fs_pending *pending;
	size_t n_pending, cap_pending;
	/* Tickets delivered by the latest poll_requests, read for approvals
	 * by the next poll_approvals. */
	int64_t *touched;
	size_t n_touched, cap_touched;
	int polled_approvals; /* a poll_approvals succeeded since open */
	int told_first_start;
};

/* -- freshservice.c: requests ------------------------------------------- */

/* What a request is for, as the rate limit sees it: the polls stop first
 * when the budget runs low; writes for requests under way go on until
 * half the reserve is left. */
enum fs_use {
	FS_POLL,
	FS_WRITE,
};

/* Flags of fs_send. */
#define FS_QUIET_404 1 /* a 404 is an expected answer: not logged */

/* Send METHOD to URL (base_url + "/api/v2" + path, or a "next" link
 * already checked) with BODY (LEN bytes of CONTENT_TYPE; NULL: none),
 * paced by the rate limit as USE says. TOOK_EFFECT (may be NULL) is the
 * "did it happen?" check http_send runs before retrying a write after a
 * lost answer; when it says yes, this returns -EALREADY. On success with
 * RET_ROOT set, *RET_ROOT is the parsed body (caller frees), checked to be
 * an object; *RET_NEXT (may be NULL) the URL of the next page, or NULL.
 * Errors are logged with WHAT and returned as itsm.h describes; -EFBIG
 * also for a 400 about attachments. */
int fs_send(struct fs *s, enum fs_use use, const char *what, const char *method, const char *url,
	    const char *content_type, const void *body, size_t len, int (*took_effect)(void *ctx), void *ctx,
	    int flags, cJSON **ret_root, char **ret_next);

/* GET PATH (below /api/v2, query included) as fs_send. */
int fs_get(struct fs *s, enum fs_use use, const char *what, const char *path, int flags, cJSON **ret_root,
	   char **ret_next);

/* GET PATH (below /api/v2, without a page number) and every page after
 * it (Link rel="next", or by number after a full page when there is no
 * link),
 * calling EACH for each record of the array member NAME; a positive return
 * of EACH stops early (returned), a negative one fails. When KEEP is set,
 * each page's root is handed to it (it owns it then, also on failure), so
 * the records stay valid after the call; otherwise it is freed. A 404 is
 * returned quietly as -ENOENT. */
int fs_pages(struct fs *s, enum fs_use use, const char *what, const char *path, const char *name,
	     int (*each)(struct fs *s, const cJSON *rec, void *ctx), int (*keep)(cJSON *root, void *ctx), void *ctx);

/* Whether the budget lets USE start now; logs once per low window.
 * -EAGAIN when it does not. */
int fs_budget(struct fs *s, enum fs_use use);

/* The time now, from the connector's environment. */
int64_t fs_now(const struct fs *s);

/* Make room in *V (an array of *CAP elements of SIZE bytes, N used) for
 * one more: 0 or -ENOMEM (*V is unchanged then). */
int fs_grow(void **v, size_t *cap, size_t n, size_t size);

/* The integer member NAME of OBJ (an id: whole, 0 to 2^53) into *RET:
 * 0, or -EBADMSG when absent or not such a number. */
int fs_id(const cJSON *obj, const char *name, int64_t *ret);

/* Whether S is a decimal id as Freshservice writes them (1 to 18 digits),
 * and its value. */
int fs_id_parse(const char *s, int64_t *ret);

/* A time "YYYY-MM-DDTHH:MM:SSZ" member NAME of OBJ in ms: 0 or -EBADMSG. */
int fs_time(const cJSON *obj, const char *name, int64_t *ret_ms);

/* -- freshservice_conf.c ------------------------------------------------- */

extern const struct fs_settings fs_default_settings;
extern const char *const fs_conf_keys[];
int fs_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret);
void fs_conf_free(void *settings);

/* The phase a ticket in STATUS reads as: the first phase written as that
 * status whose closedness agrees with closed_statuses, else cancelled for
 * a closed status and open for another. */
enum ticket_phase fs_phase_of(const struct fs_settings *st, int64_t status);

/* The decision an approval_status id means. */
enum approval_decision fs_decision_of(int64_t status);

/* -- freshservice_people.c ----------------------------------------------- */

/* The person with Freshservice user id ID (a requester or an agent),
 * cached; *RET points into S. -ENOENT when neither knows them. */
int fs_person(struct fs *s, enum fs_use use, int64_t id, const struct fs_person **ret);

int fs_find_user(void *impl, const char *upn, char **ret_id);

/* The name of the service item with display id DISPLAY_ID, cached; *RET
 * is NULL when it has none that can be used. */
int fs_item_name(struct fs *s, int64_t display_id, const char **ret);

/* The people, items and ticket kinds cached, freed. */
void fs_caches_free(struct fs *s);

/* -- freshservice_poll.c ------------------------------------------------- */

int fs_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
		     itsm_request_cb cb, void *userdata, char **ret_watermark);
int fs_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
		      itsm_approval_cb cb, void *userdata, char **ret_watermark);
/* NUMBER is "SR-<id>" or the id alone. */
int fs_find_request(void *impl, const struct item_config *items, size_t n_items, const char *number,
		    itsm_request_cb cb, void *userdata);

/* The parent requested item of ticket ID (one GET; *RET_ROOT holds it and
 * is the caller's): the item marked is_parent, else the first. -ENOENT
 * when the ticket has none. */
int fs_parent_item(struct fs *s, enum fs_use use, int64_t id, cJSON **ret_root, const cJSON **ret_item);

/* Whether the service item DISPLAY_ID is one of ITEMS (by id, or by name). */
int fs_item_governed(struct fs *s, const struct item_config *items, size_t n_items, int64_t display_id);

/* Remember that accessd asked for approval APPROVAL_ID on TICKET_ID. */
int fs_pending_add(struct fs *s, int64_t ticket_id, int64_t approval_id);

void fs_poll_free(struct fs *s);

/* -- freshservice_open.c ------------------------------------------------- */

int fs_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms, const char *exclude_id,
		 struct itsm_open **ret, size_t *ret_n);

/* -- freshservice_write.c ------------------------------------------------ */

/* TEXT as HTML with the action id's mark after it: characters HTML gives a
 * meaning to are escaped, line breaks become <br>, other control
 * characters are dropped. *RET is the caller's. 0, -EINVAL or -ENOMEM. */
int fs_html(const char *text, const char *action_id, char **ret);

int fs_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
		       char **ret_id);
int fs_cancel_approval(void *impl, const char *approval_id, const char *action_id);
int fs_remind_approval(void *impl, const char *approval_id, const char *action_id);
int fs_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		 const char *action_id);
int fs_add_note(void *impl, const char *request_id, const char *text, const char *action_id);
int fs_add_comment(void *impl, const char *request_id, const char *text, const char *action_id);
int fs_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
	      size_t len, const char *action_id);
int fs_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id);

#endif
