/* SPDX-License-Identifier: Apache-2.0 */
/* The notification interface: tell the service-desk channel that a request
 * completed, was blocked, had an approval escalated, or is still waiting
 * for an approver past the stage's reminder time. One ops table per
 * channel (Teams today), picked by the configuration's "kind".
 *
 * Delivery: a channel such as a Teams workflow webhook cannot be asked what
 * it already received, so whether a notification is sent at most once or at
 * least once is the caller's choice, made with its journal: journal the
 * intent, send, journal the outcome; after a crash between the two, sending
 * again risks a duplicate (at least once), not sending risks a loss (at most
 * once). Every message carries the caller's action id, visible in the
 * message, so a person can tell a retry from a new event. */
#ifndef ACCESSD_NOTIFY_H
#define ACCESSD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

enum notify_event {
	NOTIFY_COMPLETED, /* the access was granted and the request completed */
	NOTIFY_BLOCKED,   /* implementation is blocked; an incident was opened */
	NOTIFY_ESCALATED, /* an approval stage went to its backup approver */
	NOTIFY_REMINDER,  /* an approval stage is still waiting for a decision */
	NOTIFY_EVENT_COUNT
};

/* Caps: longer strings are cut (marked "..."), extra facts refused. */
#define NOTIFY_TEXT_MAX 512
#define NOTIFY_MAX_FACTS 12

struct notify_fact {
	const char *title;
	const char *value;
};

/* One notification. Strings are hostile (ticket text) and need only live
 * during the call; NULL optional members are left out. */
struct notify_message {
	enum notify_event event;
	const char *action_id;      /* required: the journal's stable action id */
	const char *request_number; /* required: e.g. RITM0010001 */
	const char *request_url;    /* optional link to the ticket; https:// only */
	const char *person;         /* whom the access is for */
	const char *target;         /* the group, app role or mailbox */
	const char *outcome;        /* one or two sentences: what happened */
	const char *incident_number; /* NOTIFY_BLOCKED: the incident opened */
	const struct notify_fact *facts; /* more facts (approvers, step, error), n_facts of them */
	size_t n_facts;
};

struct notify;

struct notify_ops {
	struct conf_connector conf; /* its kind, for the configuration */
	/* Connect using CONF (which must outlive the instance); reads the
	 * secrets it needs. Returns 0 and an instance closed with close(). */
	int (*open)(const struct notify_config *conf, void **ret_impl);
	void (*close)(void *impl);
	/* Deliver MSG once (no retry here); errors as notify_send. */
	int (*send)(void *impl, const struct notify_message *msg);
};

/* The ops table for KIND, or NULL when no channel has that name. */
const struct notify_ops *notify_ops_find(const char *kind);

/* The registry, the one list of channel kinds: entry I's configuration
 * side, NULL past the last (a conf_connector_list). */
const struct conf_connector *notify_connector(size_t i);

/* Open the channel CONF->kind names. Returns 0 and an instance the caller
 * owns (free with notify_close), -ENOENT for an unknown kind, or the
 * channel's error, which it has logged: the secret's errno when it cannot
 * be read, -EINVAL when the webhook URL is not an https:// URL. */
int notify_open(const struct notify_config *conf, struct notify **ret);
struct notify *notify_close(struct notify *n);

/* Send MSG once; a failure is logged (naming the host, never the URL).
 * Returns 0 when the channel accepted it, or:
 *   -EINVAL        MSG is incomplete (no action id or request number, an
 *                  unknown event, more than NOTIFY_MAX_FACTS facts)
 *   -EAGAIN        429, 408 or 5xx: transient, send again later
 *   -ETIMEDOUT, -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -EIO
 *                  transport failures: transient (the message may have
 *                  arrived: see delivery above)
 *   -EACCES        401/403: the URL's signature is wrong or revoked
 *   -ENOENT        404/410: no such flow
 *   -EBADMSG       another 4xx: the channel refused the message
 *   -EPROTONOSUPPORT, -EFBIG, -ENOMEM  as http_perform
 * Use notify_error_is_transient to tell the two kinds apart. */
int notify_send(struct notify *n, const struct notify_message *msg);

/* Whether error R of notify_send is worth trying again later. */
bool notify_error_is_transient(int r);

/* The word for EVENT ("completed", "blocked", "escalated", "reminder"), or
 * NULL. */
const char *notify_event_name(enum notify_event event);

extern const struct notify_ops teams_ops;

#endif
