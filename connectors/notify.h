/* SPDX-License-Identifier: Apache-2.0 */
/* The notification interface: tell the service-desk channel what became of
 * a request (the kinds are enum notify_event, in conf/conf.h, since the
 * configuration says which are sent). One ops table per channel (Teams
 * today), picked by the configuration's "kind".
 *
 * A message is neutral: a title the channel words from the event, the
 * request's number and catalog item, one or two sentences of outcome, facts
 * (a label and a plain value each), links (buttons) and the action id. The
 * caller decides which facts a kind of message carries (the same facts go
 * on the ticket in words); the channel decides how they look, keeps every
 * value plain text (nothing a value holds can format, link or inject), and
 * keeps the message within what the channel accepts by leaving out the
 * optional facts, last first.
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
#include <stdint.h>

#include "conf/conf.h"

/* Caps: a longer value is cut (marked "..."); more facts or links are
 * refused. A caller that lists names keeps the list within
 * NOTIFY_TEXT_MAX (text_list), so no name is cut. */
#define NOTIFY_TEXT_MAX 1024
#define NOTIFY_MAX_FACTS 16
#define NOTIFY_MAX_LINKS 3

struct notify_fact {
	const char *title;
	const char *value; /* NULL: the fact is left out */
	bool optional;     /* may be left out to keep the message small enough */
};

/* A button. The URL comes from a connector (the ITSM's record address),
 * never from ticket text; only https:// (or http:// to a loopback
 * address) is linked, anything else is left out. */
struct notify_link {
	const char *title;
	const char *url;
};

/* One notification. Strings may be hostile (ticket text) and need only
 * live during the call; NULL optional members are left out. */
struct notify_message {
	enum notify_event event;
	const char *action_id;      /* required: the journal's stable action id */
	const char *request_number; /* required: e.g. RITM0010001 */
	const char *item;           /* the catalog item, beside the number */
	const char *outcome;        /* one or two sentences: what happened */
	const struct notify_fact *facts; /* in the order shown, n_facts of them */
	size_t n_facts;
	const struct notify_link *links; /* the ticket first, n_links of them */
	size_t n_links;
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

/* Whether the configuration sends EVENT (notify.events). */
bool notify_wants(const struct notify *n, enum notify_event event);

/* Send MSG once; a failure is logged (naming the host, never the URL).
 * Returns 0 when the channel accepted it, or:
 *   -EINVAL        MSG is incomplete (no action id or request number, an
 *                  unknown event, more than NOTIFY_MAX_FACTS facts or
 *                  NOTIFY_MAX_LINKS links)
 *   -EFBIG         MSG does not fit the channel even without its optional
 *                  facts (nothing was sent)
 *   -EAGAIN        429, 408 or 5xx: transient, send again later
 *   -ETIMEDOUT, -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -EIO
 *                  transport failures: transient (the message may have
 *                  arrived: see delivery above)
 *   -EACCES        401/403: the URL's signature is wrong or revoked
 *   -ENOENT        404/410: no such flow
 *   -EBADMSG       another 4xx: the channel refused the message
 *   -EPROTONOSUPPORT, -ENOMEM  as http_perform
 * Use notify_error_is_transient to tell the two kinds apart. */
int notify_send(struct notify *n, const struct notify_message *msg);

/* Whether error R of notify_send is worth trying again later. */
bool notify_error_is_transient(int r);

/* Words shared by the channels and the ticket, so both say the same:
 * MS (UTC) as "2027-02-01 00:00 UTC" into BUF ("?" when it cannot be
 * shown), and a span of MS as its two largest units, "2 days 3 hours",
 * "45 minutes", "1 second". */
#define NOTIFY_TIME_SIZE 32
void notify_time_text(int64_t ms, char buf[static NOTIFY_TIME_SIZE]);
void notify_span_text(int64_t ms, char *buf, size_t size);

extern const struct notify_ops teams_ops;

#endif
