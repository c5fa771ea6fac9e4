/* SPDX-License-Identifier: Apache-2.0 */
/* Teams through a Workflows (Power Automate) webhook: "When a Teams webhook
 * request is received" posts the Adaptive Card it is sent into a channel and
 * answers 202. The URL carries the flow's signature (sig=...), so it is a
 * secret: read from a file or credential, wiped when closed, and never
 * logged; messages name only its host. */
#include "config.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connectors/notify.h"
#include "net/http.h"
#include "util/log.h"
#include "util/text.h"

/* A webhook post is small and answered at once: the channel's timeouts
 * and response cap are fixed; its proxy and CA bundle are configured. */
#define TEAMS_CONNECT_TIMEOUT_MS 10000
#define TEAMS_TIMEOUT_MS 30000
#define TEAMS_MAX_RESPONSE 65536

#define CARD_SCHEMA "http://adaptivecards.io/schemas/adaptive-card.json"
#define CARD_VERSION "1.4"

struct teams {
	struct http_client *http;
	char *url;
	char *host; /* for messages */
};

static void teams_close(void *impl)
{
	struct teams *t = impl;

	if (!t)
		return;
	http_client_free(t->http);
	if (t->url) {
		explicit_bzero(t->url, strlen(t->url));
		free(t->url);
	}
	free(t->host);
	free(t);
}

/* The host of URL, or -EINVAL when it is not an absolute URL with one. */
static int url_host(const char *url, char **ret)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int r = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		*ret = strdup(host);
		r = *ret ? 0 : -ENOMEM;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

static int teams_open(const struct notify_config *conf, void **ret_impl)
{
	struct http_options opts = {
		.ca_bundle = conf->ca_bundle,
		.proxy = conf->proxy,
		.no_proxy = conf->no_proxy,
		.system = "teams",
		.connect_timeout_ms = TEAMS_CONNECT_TIMEOUT_MS,
		.timeout_ms = TEAMS_TIMEOUT_MS,
		.max_response_bytes = TEAMS_MAX_RESPONSE,
	};
	const char *secret_name = conf->webhook_url.file ? conf->webhook_url.file : conf->webhook_url.credential;
	struct teams *t;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = conf_read_secret(&conf->webhook_url, &t->url);
	if (r < 0) {
		log_warnx("notify: cannot read the Teams webhook URL from %s: %s", secret_name, strerror(-r));
		goto fail;
	}
	r = url_host(t->url, &t->host);
	if (r == 0 && strncasecmp(t->url, "https://", 8) != 0 && !http_url_is_loopback(t->url))
		r = -EINVAL;
	if (r < 0) {
		log_warnx("notify: the Teams webhook URL in %s is not an https:// URL; write the flow's whole "
			  "HTTP POST URL", secret_name);
		goto fail;
	}
	r = http_client_new(&opts, &t->http);
	if (r < 0)
		goto fail;
	*ret_impl = t;
	return 0;
fail:
	teams_close(t);
	return r;
}

/* Copy S for a card: cleaned (text_clean), line breaks and other control
 * characters turned into spaces, and, when MARKDOWN, the characters Teams'
 * card Markdown gives a meaning (emphasis, links, lists, code) escaped with
 * a backslash, so ticket text cannot make a link or fake formatting.
 * Returns 0 and a string the caller frees, or -ENOMEM. */
static int card_text(const char *s, bool markdown, char **ret)
{
	char clean[NOTIFY_TEXT_MAX + TEXT_CLEAN_EXTRA], *out, *o;

	text_clean(s ? s : "", NOTIFY_TEXT_MAX, clean);
	out = malloc(2 * strlen(clean) + 1);
	if (!out)
		return -ENOMEM;
	o = out;
	for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*o++ = ' ';
			continue;
		}
		if (markdown && strchr("\\`*_{}[]()#+-.!<>~|", *p))
			*o++ = '\\';
		*o++ = (char)*p;
	}
	*o = '\0';
	*ret = out;
	return 0;
}

/* A new object appended to ARRAY, which owns it; NULL when out of memory.
 * (Older cJSON releases give no result from cJSON_AddItemToArray.) */
static cJSON *append_object(cJSON *array)
{
	cJSON *o = cJSON_CreateObject();

	if (o)
		cJSON_AddItemToArray(array, o);
	return o;
}

/* Add {"title": TITLE, "value": VALUE} to FACTS; a NULL VALUE adds nothing. */
static int add_fact(cJSON *facts, const char *title, const char *value)
{
	char *t = NULL, *v = NULL;
	cJSON *fact;
	int r;

	if (!value)
		return 0;
	r = card_text(title, true, &t);
	if (r == 0)
		r = card_text(value, true, &v);
	if (r < 0)
		goto done;
	fact = append_object(facts);
	if (!fact || !cJSON_AddStringToObject(fact, "title", t) ||
	    !cJSON_AddStringToObject(fact, "value", v))
		r = -ENOMEM;
done:
	free(t);
	free(v);
	return r;
}

static const struct {
	const char *title; /* followed by the request number */
	const char *color; /* Adaptive Card text color */
	const char *word;  /* the Outcome fact */
} event_look[NOTIFY_EVENT_COUNT] = {
	[NOTIFY_COMPLETED] = { "Access granted: ", "Good", "Completed" },
	[NOTIFY_BLOCKED] = { "Request blocked: ", "Attention", "Blocked: implementation stopped, incident opened" },
	[NOTIFY_ESCALATED] = { "Approval escalated: ", "Warning", "Escalated to the backup approver" },
	[NOTIFY_REMINDER] = { "Approval waiting: ", "Warning", "Waiting for a decision" },
};

/* PREFIX followed by the request number made safe (card_text). Returns 0
 * and a string the caller frees, or -ENOMEM. */
static int request_text(const char *prefix, const struct notify_message *msg, bool markdown, char **ret)
{
	char *number = NULL, *text;
	int r;

	r = card_text(msg->request_number, markdown, &number);
	if (r < 0)
		return r;
	if (asprintf(&text, "%s%s", prefix, number) < 0)
		r = -ENOMEM;
	else
		*ret = text;
	free(number);
	return r;
}

/* The title: a TextBlock, so Markdown applies and the number is escaped. */
static int add_title(cJSON *body, const struct notify_message *msg)
{
	char *title = NULL;
	cJSON *block;
	int r;

	r = request_text(event_look[msg->event].title, msg, true, &title);
	if (r < 0)
		return r;
	block = append_object(body);
	if (!block || !cJSON_AddStringToObject(block, "type", "TextBlock") || !cJSON_AddStringToObject(block, "text", title) ||
	    !cJSON_AddStringToObject(block, "size", "Medium") || !cJSON_AddStringToObject(block, "weight", "Bolder") ||
	    !cJSON_AddStringToObject(block, "color", event_look[msg->event].color) ||
	    !cJSON_AddBoolToObject(block, "wrap", 1))
		r = -ENOMEM;
	free(title);
	return r;
}

/* The outcome sentence: a TextRun, which renders no Markdown at all. */
static int add_outcome(cJSON *body, const char *outcome)
{
	cJSON *block, *inlines, *run;
	char *text = NULL;
	int r;

	if (!outcome)
		return 0;
	r = card_text(outcome, false, &text);
	if (r < 0)
		return r;
	r = -ENOMEM;
	block = append_object(body);
	if (!block || !cJSON_AddStringToObject(block, "type", "RichTextBlock"))
		goto done;
	inlines = cJSON_AddArrayToObject(block, "inlines");
	run = inlines ? append_object(inlines) : NULL;
	if (!run || !cJSON_AddStringToObject(run, "type", "TextRun") ||
	    !cJSON_AddStringToObject(run, "text", text))
		goto done;
	r = 0;
done:
	free(text);
	return r;
}

static int add_facts(cJSON *body, const struct notify_message *msg)
{
	cJSON *set, *facts;
	int r;

	set = append_object(body);
	if (!set || !cJSON_AddStringToObject(set, "type", "FactSet"))
		return -ENOMEM;
	facts = cJSON_AddArrayToObject(set, "facts");
	if (!facts)
		return -ENOMEM;
	r = add_fact(facts, "Request", msg->request_number);
	if (r == 0)
		r = add_fact(facts, "Person", msg->person);
	if (r == 0)
		r = add_fact(facts, "Target", msg->target);
	if (r == 0)
		r = add_fact(facts, "Outcome", event_look[msg->event].word);
	if (r == 0)
		r = add_fact(facts, "Incident", msg->incident_number);
	for (size_t i = 0; r == 0 && i < msg->n_facts; i++)
		r = add_fact(facts, msg->facts[i].title ? msg->facts[i].title : "", msg->facts[i].value);
	/* Last, so a reader comparing two posts finds it in one place. */
	if (r == 0)
		r = add_fact(facts, "Action id", msg->action_id);
	return r;
}

/* A link to the ticket, only when it is an https URL: anything else from a
 * ticket could be a javascript: or data: link. */
static int add_link(cJSON *card, const struct notify_message *msg)
{
	cJSON *actions, *action;
	char *title = NULL;
	int r;

	if (!msg->request_url || strncasecmp(msg->request_url, "https://", 8) != 0 ||
	    strlen(msg->request_url) > NOTIFY_TEXT_MAX || strpbrk(msg->request_url, " \"<>\\\r\n\t"))
		return 0;
	r = request_text("Open ", msg, false, &title);
	if (r < 0)
		return r;
	actions = cJSON_AddArrayToObject(card, "actions");
	action = actions ? append_object(actions) : NULL;
	if (!action || !cJSON_AddStringToObject(action, "type", "Action.OpenUrl") ||
	    !cJSON_AddStringToObject(action, "title", title) || !cJSON_AddStringToObject(action, "url", msg->request_url))
		r = -ENOMEM;
	free(title);
	return r;
}

/* The webhook payload: a message with one Adaptive Card attachment.
 * Returns 0 and a string the caller frees, or -ENOMEM. */
static int build_payload(const struct notify_message *msg, char **ret)
{
	cJSON *root, *attachments, *attachment, *card, *body;
	int r = -ENOMEM;

	root = cJSON_CreateObject();
	if (!root || !cJSON_AddStringToObject(root, "type", "message"))
		goto done;
	attachments = cJSON_AddArrayToObject(root, "attachments");
	attachment = attachments ? append_object(attachments) : NULL;
	if (!attachment || !cJSON_AddStringToObject(attachment, "contentType", "application/vnd.microsoft.card.adaptive") ||
	    !cJSON_AddNullToObject(attachment, "contentUrl"))
		goto done;
	card = cJSON_AddObjectToObject(attachment, "content");
	if (!card || !cJSON_AddStringToObject(card, "$schema", CARD_SCHEMA) ||
	    !cJSON_AddStringToObject(card, "type", "AdaptiveCard") ||
	    !cJSON_AddStringToObject(card, "version", CARD_VERSION))
		goto done;
	body = cJSON_AddArrayToObject(card, "body");
	if (!body)
		goto done;
	r = add_title(body, msg);
	if (r == 0)
		r = add_outcome(body, msg->outcome);
	if (r == 0)
		r = add_facts(body, msg);
	if (r == 0)
		r = add_link(card, msg);
	if (r < 0)
		goto done;
	*ret = cJSON_PrintUnformatted(root);
	r = *ret ? 0 : -ENOMEM;
done:
	cJSON_Delete(root);
	return r;
}

static int status_error(long status)
{
	if (status == 429 || status == 408 || (status >= 500 && status <= 599))
		return -EAGAIN;
	if (status == 401 || status == 403)
		return -EACCES;
	if (status == 404 || status == 410)
		return -ENOENT;
	return -EBADMSG;
}

static int teams_send(void *impl, const struct notify_message *msg)
{
	struct teams *t = impl;
	struct http_request req = {
		.method = "POST",
		.url = t->url,
		.content_type = "application/json",
	};
	struct http_response resp;
	const char *event = notify_event_name(msg->event);
	char *payload = NULL;
	int r;

	r = build_payload(msg, &payload);
	if (r < 0)
		return r;
	req.body = payload;
	req.body_len = strlen(payload);
	r = http_perform(t->http, &req, &resp);
	if (r < 0) {
		log_warnx("notify: Teams webhook at %s: %s notification of %s (action %s) not sent: %s", t->host, event,
			  msg->request_number, msg->action_id, strerror(-r));
		goto done;
	}
	if (resp.status < 200 || resp.status > 299) {
		r = status_error(resp.status);
		log_warnx("notify: Teams webhook at %s answered HTTP %ld to the %s notification of %s (action %s)%s",
			  t->host, resp.status, event, msg->request_number, msg->action_id,
			  r == -EAGAIN ? "; it can be sent again later" : "");
	} else
		log_info("notify: Teams webhook at %s took the %s notification of %s (action %s)", t->host, event,
			 msg->request_number, msg->action_id);
	http_response_clear(&resp);
done:
	free(payload);
	return r;
}

const struct notify_ops teams_ops = {
	.conf = { .kind = "teams" },
	.open = teams_open,
	.close = teams_close,
	.send = teams_send,
};
