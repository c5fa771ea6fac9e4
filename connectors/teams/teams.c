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
/* Teams takes a posted message of about 28 KB and refuses a larger one
 * only after the flow has answered 202 (doc/notifications.md): stay well
 * under it. */
#define TEAMS_MAX_MESSAGE (24 * 1024)

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

/* Copy S for a card: cleaned (text_clean), cut at NOTIFY_TEXT_MAX, with
 * line breaks and other control characters turned into spaces. Nothing is
 * escaped: every text goes into a TextRun, which renders no Markdown, so a
 * value is shown exactly as it is and cannot make a link or formatting.
 * Returns 0 and a string the caller frees, or -ENOMEM. */
static int card_text(const char *s, char **ret)
{
	char clean[NOTIFY_TEXT_MAX + TEXT_CLEAN_EXTRA];

	text_clean(s ? s : "", NOTIFY_TEXT_MAX, clean);
	for (char *p = clean; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	*ret = strdup(clean);
	return *ret ? 0 : -ENOMEM;
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

/* How a run of text looks; NULL members are left to the host's default.
 * The values are the schema's own spelling (lower camel case). */
struct run_style {
	const char *size;
	const char *weight;
	const char *color;
	bool subtle;
};

/* Append to INLINES a TextRun of TEXT (made safe with card_text). */
static int add_run(cJSON *inlines, const char *text, const struct run_style *st)
{
	char *safe = NULL;
	cJSON *run;
	int r;

	r = card_text(text, &safe);
	if (r < 0)
		return r;
	run = append_object(inlines);
	if (!run || !cJSON_AddStringToObject(run, "type", "TextRun") || !cJSON_AddStringToObject(run, "text", safe) ||
	    (st && st->size && !cJSON_AddStringToObject(run, "size", st->size)) ||
	    (st && st->weight && !cJSON_AddStringToObject(run, "weight", st->weight)) ||
	    (st && st->color && !cJSON_AddStringToObject(run, "color", st->color)) ||
	    (st && st->subtle && !cJSON_AddBoolToObject(run, "isSubtle", 1)))
		r = -ENOMEM;
	free(safe);
	return r;
}

/* A RichTextBlock appended to BODY, spaced as SPACING (NULL: default),
 * with a line above it when SEPARATOR; *RET_INLINES is where its runs go. */
static int add_block(cJSON *body, const char *spacing, bool separator, cJSON **ret_inlines)
{
	cJSON *block = append_object(body);

	if (!block || !cJSON_AddStringToObject(block, "type", "RichTextBlock") ||
	    (spacing && !cJSON_AddStringToObject(block, "spacing", spacing)) ||
	    (separator && !cJSON_AddBoolToObject(block, "separator", 1)))
		return -ENOMEM;
	*ret_inlines = cJSON_AddArrayToObject(block, "inlines");
	return *ret_inlines ? 0 : -ENOMEM;
}

/* One line of TEXT in its own block. */
static int add_line(cJSON *body, const char *spacing, bool separator, const char *text, const struct run_style *st)
{
	cJSON *inlines;
	int r = add_block(body, spacing, separator, &inlines);

	return r < 0 ? r : add_run(inlines, text, st);
}

static const struct {
	const char *title;
	const char *color; /* the schema's Colors */
} event_look[NOTIFY_EVENT_COUNT] = {
	[NOTIFY_COMPLETED] = { "Access granted", "good" },
	[NOTIFY_BLOCKED] = { "Request blocked", "attention" },
	[NOTIFY_ESCALATED] = { "Approval escalated", "warning" },
	[NOTIFY_REMINDER] = { "Approval waiting", "warning" },
	[NOTIFY_REJECTED] = { "Request rejected", "attention" },
	[NOTIFY_EXPIRED] = { "Request expired", "warning" },
};

/* The title, and under it "RITM0010001 · VPN Access" (a middle dot). */
static int add_heading(cJSON *body, const struct notify_message *msg)
{
	const struct run_style title = { .size = "large", .weight = "bolder", .color = event_look[msg->event].color };
	const struct run_style subtle = { .subtle = true };
	char *subtitle = NULL;
	int r;

	r = add_line(body, NULL, false, event_look[msg->event].title, &title);
	if (r < 0)
		return r;
	if (asprintf(&subtitle, "%s%s%s", msg->request_number, msg->item ? " \xc2\xb7 " : "", msg->item ? msg->item : "") < 0)
		return -ENOMEM;
	r = add_line(body, "none", false, subtitle, &subtle);
	free(subtitle);
	return r;
}

/* A fact: its label in bold, then its value, on one line. */
static int add_fact(cJSON *body, const struct notify_fact *f)
{
	const struct run_style label = { .weight = "bolder" };
	char *title = NULL;
	cJSON *inlines;
	int r;

	if (asprintf(&title, "%s: ", f->title ? f->title : "") < 0)
		return -ENOMEM;
	r = add_block(body, "small", false, &inlines);
	if (r == 0)
		r = add_run(inlines, title, &label);
	if (r == 0)
		r = add_run(inlines, f->value, NULL);
	free(title);
	return r;
}

/* The action id in small, subtle type under a line: a person comparing two
 * posts finds it in one place, without it weighing as a fact. DROPPED
 * optional facts were left out for size; the footer says so. */
static int add_footer(cJSON *body, const struct notify_message *msg, size_t dropped)
{
	const struct run_style small = { .size = "small", .subtle = true };
	char *text = NULL;
	int r, n;

	if (dropped)
		n = asprintf(&text, "Action %s \xc2\xb7 %zu detail%s left out to fit Teams; the ticket has them all",
			     msg->action_id, dropped, dropped == 1 ? "" : "s");
	else
		n = asprintf(&text, "Action %s", msg->action_id);
	if (n < 0)
		return -ENOMEM;
	r = add_line(body, "medium", true, text, &small);
	free(text);
	return r;
}

/* Whether URL may be a button: https (or plain http to a loopback address,
 * for tests), of sane length, with nothing that could end the URL early in
 * a client that re-parses it. */
static bool link_ok(const char *url)
{
	return url && (strncasecmp(url, "https://", 8) == 0 || http_url_is_loopback(url)) &&
	       strlen(url) <= NOTIFY_TEXT_MAX && !strpbrk(url, " \"'<>\\`\r\n\t");
}

static int add_links(cJSON *card, const struct notify_message *msg)
{
	cJSON *actions = NULL;

	for (size_t i = 0; i < msg->n_links; i++) {
		const struct notify_link *l = &msg->links[i];
		char *title = NULL;
		cJSON *action;
		int r;

		if (!link_ok(l->url))
			continue;
		if (!actions && !(actions = cJSON_AddArrayToObject(card, "actions")))
			return -ENOMEM;
		r = card_text(l->title ? l->title : "Open", &title);
		if (r < 0)
			return r;
		action = append_object(actions);
		if (!action || !cJSON_AddStringToObject(action, "type", "Action.OpenUrl") ||
		    !cJSON_AddStringToObject(action, "title", title) || !cJSON_AddStringToObject(action, "url", l->url))
			r = -ENOMEM;
		free(title);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The webhook payload: a message with one Adaptive Card attachment, with
 * the facts KEEP marks (DROPPED left out). Returns 0 and a string the
 * caller frees, or -ENOMEM. */
static int build_payload(const struct notify_message *msg, const bool *keep, size_t dropped, char **ret)
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
	r = add_heading(body, msg);
	if (r == 0 && msg->outcome)
		r = add_line(body, NULL, false, msg->outcome, NULL);
	for (size_t i = 0; r == 0 && i < msg->n_facts; i++)
		if (keep[i] && msg->facts[i].value)
			r = add_fact(body, &msg->facts[i]);
	if (r == 0)
		r = add_footer(body, msg, dropped);
	if (r == 0)
		r = add_links(card, msg);
	if (r < 0)
		goto done;
	*ret = cJSON_PrintUnformatted(root);
	r = *ret ? 0 : -ENOMEM;
done:
	cJSON_Delete(root);
	return r;
}

/* The payload of MSG within TEAMS_MAX_MESSAGE: the optional facts are left
 * out, last first, until it fits. *RET_DROPPED says how many were. Returns
 * 0 and a string the caller frees, -EFBIG when even the required facts do
 * not fit, or -ENOMEM. */
static int fit_payload(const struct notify_message *msg, char **ret, size_t *ret_dropped)
{
	bool keep[NOTIFY_MAX_FACTS];
	size_t dropped = 0, i = msg->n_facts;
	char *payload;
	int r;

	for (size_t j = 0; j < msg->n_facts; j++)
		keep[j] = true;
	for (;;) {
		r = build_payload(msg, keep, dropped, &payload);
		if (r < 0)
			return r;
		if (strlen(payload) <= TEAMS_MAX_MESSAGE)
			break;
		free(payload);
		while (i > 0 && !(msg->facts[i - 1].optional && msg->facts[i - 1].value))
			i--;
		if (i == 0)
			return -EFBIG;
		keep[--i] = false;
		dropped++;
	}
	*ret = payload;
	*ret_dropped = dropped;
	return 0;
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
	size_t dropped = 0;
	int r;

	r = fit_payload(msg, &payload, &dropped);
	if (r == -EFBIG)
		log_warnx("notify: the %s notification of %s (action %s) is over %d bytes even without its optional "
			  "facts; not sent", event, msg->request_number, msg->action_id, TEAMS_MAX_MESSAGE);
	if (r < 0)
		return r;
	if (dropped)
		log_info("notify: the %s notification of %s (action %s) leaves out %zu optional fact%s to stay under %d "
			 "bytes", event, msg->request_number, msg->action_id, dropped, dropped == 1 ? "" : "s",
			 TEAMS_MAX_MESSAGE);
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
