/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/notify.h"
#include "emu.h"
#include "util/log.h"

#define FLOW "8c1f0e2d3b4a59687766554433221100"
#define SIG "Zx9-SECRET-sig_value-4kQ"

static struct emu emu;
static char secret_path[128];
static char kind[] = "teams";

static int write_secret(const char *url)
{
	int fd = open(secret_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, url, strlen(url));
	close(fd);
	return n == (ssize_t)strlen(url) ? 0 : -EIO;
}

/* Point the secret at the flow with query QUERY and open the channel. */
static struct notify *open_with(const char *path_and_query)
{
	struct notify_config conf = { .kind = kind, .webhook_url = { .file = secret_path } };
	struct notify *n = NULL;
	char url[512];

	snprintf(url, sizeof(url), "%s%s\n", emu.url, path_and_query);
	assert_int_equal(write_secret(url), 0);
	assert_int_equal(notify_open(&conf, &n), 0);
	return n;
}

static struct notify *open_good(void)
{
	return open_with("/workflows/" FLOW "/triggers/manual/paths/invoke?api-version=2016-06-01"
			 "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" SIG);
}

static int start_emu(void **state)
{
	(void)state;
	log_init("test_teams", LOG_LEVEL_ERR);
	if (emu_start(&emu) < 0)
		return -1;
	snprintf(secret_path, sizeof(secret_path), "%s/webhook.url", emu.dir);
	return 0;
}

static int stop_emu(void **state)
{
	(void)state;
	unlink(secret_path);
	emu_stop(&emu);
	return 0;
}

static int reset_emu(void **state)
{
	(void)state;
	if (emu_post(&emu, "/_emu/reset", "{}") < 0)
		return -1;
	return emu_post(&emu, "/_emu/seed", "{\"teams\": {\"flows\": {\"" FLOW "\": \"" SIG "\"}}}");
}

/* The posts the flow recorded; caller frees with cJSON_Delete. */
static cJSON *posts(void)
{
	char *body = NULL;
	cJSON *state, *p;

	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/teams", NULL, &body), 200);
	state = cJSON_Parse(body);
	free(body);
	assert_non_null(state);
	p = cJSON_DetachItemFromObject(state, "posts");
	cJSON_Delete(state);
	assert_true(cJSON_IsArray(p));
	return p;
}

static const char *str_at(const cJSON *obj, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));

	if (!s)
		fail_msg("no string member '%s'", name);
	return s;
}

static const cJSON *body_of(const cJSON *card)
{
	return cJSON_GetObjectItemCaseSensitive(card, "body");
}

/* The I-th run of the RichTextBlock BLOCK. */
static const cJSON *run_of(const cJSON *block, int i)
{
	assert_string_equal(str_at(block, "type"), "RichTextBlock");
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(block, "inlines"), i);
}

/* The text of block I (its first run). */
static const char *line(const cJSON *card, int i)
{
	return str_at(run_of(cJSON_GetArrayItem(body_of(card), i), 0), "text");
}

/* The value of the fact TITLE (a block whose first run is "TITLE: "), or
 * NULL. */
static const char *fact(const cJSON *card, const char *title)
{
	const cJSON *block;
	char label[256];

	snprintf(label, sizeof(label), "%s: ", title);
	cJSON_ArrayForEach(block, body_of(card)) {
		const cJSON *inlines = cJSON_GetObjectItemCaseSensitive(block, "inlines");

		if (cJSON_GetArraySize(inlines) == 2 && strcmp(str_at(cJSON_GetArrayItem(inlines, 0), "text"), label) == 0)
			return str_at(cJSON_GetArrayItem(inlines, 1), "text");
	}
	return NULL;
}

/* The footer: the last block, small and subtle under a line. */
static const char *footer(const cJSON *card)
{
	const cJSON *block = cJSON_GetArrayItem(body_of(card), cJSON_GetArraySize(body_of(card)) - 1), *run;

	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(block, "separator")));
	run = run_of(block, 0);
	assert_string_equal(str_at(run, "size"), "small");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "isSubtle")));
	return str_at(run, "text");
}

/* The card of post I, after checking the message envelope. */
static const cJSON *card_of(const cJSON *all, int i)
{
	const cJSON *post = cJSON_GetArrayItem(all, i), *body, *attachments, *attachment, *card;

	assert_non_null(post);
	assert_string_equal(str_at(post, "flow"), FLOW);
	body = cJSON_GetObjectItemCaseSensitive(post, "body");
	assert_string_equal(str_at(body, "type"), "message");
	attachments = cJSON_GetObjectItemCaseSensitive(body, "attachments");
	assert_int_equal(cJSON_GetArraySize(attachments), 1);
	attachment = cJSON_GetArrayItem(attachments, 0);
	assert_string_equal(str_at(attachment, "contentType"), "application/vnd.microsoft.card.adaptive");
	card = cJSON_GetObjectItemCaseSensitive(attachment, "content");
	assert_string_equal(str_at(card, "type"), "AdaptiveCard");
	assert_string_equal(str_at(card, "$schema"), "http://adaptivecards.io/schemas/adaptive-card.json");
	assert_string_equal(str_at(card, "version"), "1.4");
	return card;
}

/* Every text on the card is a TextRun: no TextBlock, no FactSet, nothing
 * that renders Markdown. */
static void assert_no_markdown(const cJSON *card)
{
	const cJSON *block;

	cJSON_ArrayForEach(block, body_of(card)) {
		const cJSON *run;

		assert_string_equal(str_at(block, "type"), "RichTextBlock");
		cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(block, "inlines"))
			assert_string_equal(str_at(run, "type"), "TextRun");
	}
}

static const struct notify_fact approvals[] = {
	{ "Person", "Carl Contractor (carl@contoso.example)", false },
	{ "Target", "VPN-Users-Contractors", false },
	{ "Approved by", "Bert Backup (bert.backup@contoso.example) and Sam (sam@contoso.example)", false },
	{ "Access lasts", "until 2026-12-31 as requested; removed at 2027-01-01 00:00 UTC", false },
	{ "Requested by", "Mia (mia@contoso.example)", true },
};

static const struct notify_link ticket[] = {
	{ "Open RITM0010001", "https://contoso.service-now.example/sc_req_item.do?sys_id=a1b2" },
};

static const struct notify_message completed = {
	.event = NOTIFY_COMPLETED,
	.action_id = "RITM0010001.r0.complete",
	.request_number = "RITM0010001",
	.item = "VPN Access",
	.outcome = "Carl Contractor (carl@contoso.example) was granted VPN-Users-Contractors.",
	.facts = approvals,
	.n_facts = 5,
	.links = ticket,
	.n_links = 1,
};

static void test_completion_card(void **state)
{
	struct notify *n = open_good();
	const cJSON *card, *action, *title;
	cJSON *all;

	(void)state;
	assert_int_equal(notify_send(n, &completed), 0);
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 1);
	card = card_of(all, 0);
	assert_no_markdown(card);
	title = run_of(cJSON_GetArrayItem(body_of(card), 0), 0);
	assert_string_equal(str_at(title, "text"), "Access granted");
	assert_string_equal(str_at(title, "size"), "large");
	assert_string_equal(str_at(title, "weight"), "bolder");
	assert_string_equal(str_at(title, "color"), "good");
	assert_string_equal(line(card, 1), "RITM0010001 \xc2\xb7 VPN Access");
	assert_string_equal(line(card, 2), completed.outcome);
	/* Values as they are: no backslash before '.', '-' or '('. */
	assert_string_equal(fact(card, "Person"), "Carl Contractor (carl@contoso.example)");
	assert_string_equal(fact(card, "Target"), "VPN-Users-Contractors");
	assert_string_equal(fact(card, "Approved by"), approvals[2].value);
	assert_string_equal(fact(card, "Access lasts"), approvals[3].value);
	assert_string_equal(fact(card, "Requested by"), "Mia (mia@contoso.example)");
	assert_null(fact(card, "Incident"));
	/* The action id is not a fact: a small footer. */
	assert_null(fact(card, "Action id"));
	assert_string_equal(footer(card), "Action RITM0010001.r0.complete");
	action = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "actions"), 0);
	assert_string_equal(str_at(action, "type"), "Action.OpenUrl");
	assert_string_equal(str_at(action, "title"), "Open RITM0010001");
	assert_string_equal(str_at(action, "url"), ticket[0].url);
	assert_int_equal(emu_count(&emu, "POST", "/triggers/manual/paths/invoke"), 1);
	cJSON_Delete(all);
}

static void test_every_kind_has_its_title(void **state)
{
	static const struct {
		enum notify_event event;
		const char *title, *color;
	} kinds[] = {
		{ NOTIFY_COMPLETED, "Access granted", "good" },     { NOTIFY_BLOCKED, "Request blocked", "attention" },
		{ NOTIFY_ESCALATED, "Approval escalated", "warning" }, { NOTIFY_REMINDER, "Approval waiting", "warning" },
		{ NOTIFY_REJECTED, "Request rejected", "attention" }, { NOTIFY_EXPIRED, "Request expired", "warning" },
	};
	static const struct notify_fact blocked_facts[] = {
		{ "Failed step", "3 of 3: adding Dana Doe (dana@contoso.example) to Legacy-Mail-List", false },
		{ "Incident", "INC0010007", false },
	};
	static const struct notify_link blocked_links[] = {
		{ "Open RITM0010004", "https://contoso.service-now.example/sc_req_item.do?sys_id=a1b2" },
		{ "Open INC0010007", "https://contoso.service-now.example/incident.do?sysparm_query=number=INC0010007" },
	};
	struct notify *n = open_good();
	cJSON *all;

	(void)state;
	assert_int_equal(NOTIFY_EVENT_COUNT, sizeof(kinds) / sizeof(kinds[0]));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct notify_message msg = {
			.event = kinds[i].event,
			.action_id = "RITM0010004.r0.block",
			.request_number = "RITM0010004",
			.facts = blocked_facts,
			.n_facts = 2,
			.links = blocked_links,
			.n_links = 2,
		};

		assert_int_equal(notify_send(n, &msg), 0);
	}
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), sizeof(kinds) / sizeof(kinds[0]));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const cJSON *card = card_of(all, (int)i), *actions = cJSON_GetObjectItemCaseSensitive(card, "actions");
		const cJSON *title = run_of(cJSON_GetArrayItem(body_of(card), 0), 0);

		assert_string_equal(str_at(title, "text"), kinds[i].title);
		assert_string_equal(str_at(title, "color"), kinds[i].color);
		/* No item: the number alone under the title. */
		assert_string_equal(line(card, 1), "RITM0010004");
		assert_string_equal(fact(card, "Incident"), "INC0010007");
		assert_int_equal(cJSON_GetArraySize(actions), 2);
		assert_string_equal(str_at(cJSON_GetArrayItem(actions, 1), "title"), "Open INC0010007");
		assert_string_equal(str_at(cJSON_GetArrayItem(actions, 1), "url"), blocked_links[1].url);
	}
	cJSON_Delete(all);
}

/* A retry posts again (the webhook cannot be asked); the action id in both
 * cards is what tells the two apart from two events. */
static void test_retry_carries_the_same_action_id(void **state)
{
	struct notify *n = open_good();
	cJSON *all;

	(void)state;
	assert_int_equal(notify_send(n, &completed), 0);
	assert_int_equal(notify_send(n, &completed), 0);
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 2);
	assert_string_equal(footer(card_of(all, 0)), footer(card_of(all, 1)));
	cJSON_Delete(all);
}

static void test_hostile_text(void **state)
{
	char long_outcome[2000];
	struct notify_fact hostile[] = {
		{ "Note](https://evil.example)", "**urgent** <at>CEO</at>", false },
		{ "Person", "[Click here](https://evil.example/login)", false },
		{ "Target", "Grp\x01\x1b[2J\r\n_x_ `code` \xc3\xa9 \xff", false },
		{ "Group", "VPN-Users-Contractors (v2.1) - 1. \\ \\. #x", false },
	};
	struct notify_link links[] = {
		{ "Open", "javascript:alert(1)" },
		{ "Open", "https://ok.example/\" onclick=\"x" },
		{ "Open", "data:text/html,x" },
	};
	struct notify_message msg = {
		.event = NOTIFY_COMPLETED,
		.action_id = "a\"}],\"type\":\"x",
		.request_number = "RITM1\n\"},{\"type\":\"Action.OpenUrl\"",
		.item = "**VPN**",
		.outcome = long_outcome,
		.facts = hostile,
		.n_facts = 4,
		.links = links,
		.n_links = 3,
	};
	struct notify *n = open_good();
	const cJSON *card;
	cJSON *all;

	(void)state;
	memset(long_outcome, 'o', sizeof(long_outcome) - 1);
	long_outcome[sizeof(long_outcome) - 1] = '\0';
	memcpy(long_outcome, "line\none [x](y)", 15);
	assert_int_equal(notify_send(n, &msg), 0);
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 1);
	card = card_of(all, 0);
	/* The card's structure is exactly ours: nothing was injected, and no
	 * link that is not https made a button. */
	assert_no_markdown(card);
	assert_int_equal(cJSON_GetArraySize(body_of(card)), 3 + 4 + 1);
	assert_null(cJSON_GetObjectItemCaseSensitive(card, "actions"));
	/* Shown as written (TextRuns render no Markdown), on one line. */
	assert_string_equal(line(card, 1), "RITM1 \"},{\"type\":\"Action.OpenUrl\" \xc2\xb7 **VPN**");
	assert_string_equal(fact(card, "Note](https://evil.example)"), "**urgent** <at>CEO</at>");
	assert_string_equal(fact(card, "Person"), "[Click here](https://evil.example/login)");
	assert_string_equal(fact(card, "Target"), "Grp  [2J  _x_ `code` \xc3\xa9 ?");
	assert_string_equal(fact(card, "Group"), "VPN-Users-Contractors (v2.1) - 1. \\ \\. #x");
	assert_string_equal(footer(card), "Action a\"}],\"type\":\"x");
	/* Cut, and marked so. */
	assert_int_equal(strncmp(line(card, 2), "line one [x](y)ooo", 18), 0);
	assert_int_equal(strlen(line(card, 2)), NOTIFY_TEXT_MAX + 3);
	cJSON_Delete(all);
}

/* The size guard: a message that would pass 24 KB loses its optional facts,
 * last first, and says so; one that does not fit even then is not sent. */
static void test_size_guard(void **state)
{
	char big[NOTIFY_TEXT_MAX + 1], *huge;
	struct notify_fact facts[NOTIFY_MAX_FACTS];
	struct notify_message msg = completed;
	const cJSON *card, *post;
	struct notify *n;
	cJSON *all;
	double size;
	size_t len;

	(void)state;
	/* Quotes double in JSON: each value is 2 KB on the wire. */
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (size_t i = 0; i < NOTIFY_MAX_FACTS; i++)
		facts[i] = (struct notify_fact){ .title = "Detail", .value = big, .optional = i >= 4 };
	facts[0].title = "Person";
	facts[0].value = "Carl (carl@contoso.example)";
	facts[NOTIFY_MAX_FACTS - 1].title = "Last";
	msg.facts = facts;
	msg.n_facts = NOTIFY_MAX_FACTS;
	n = open_good();
	assert_int_equal(notify_send(n, &msg), 0);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 1);
	card = card_of(all, 0);
	post = cJSON_GetArrayItem(all, 0);
	size = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(post, "size"));
	assert_true(size <= 24 * 1024);
	assert_true(size > 16 * 1024);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(post, "shown")));
	/* The required facts stay; the optional ones went last first. */
	assert_string_equal(fact(card, "Person"), "Carl (carl@contoso.example)");
	assert_null(fact(card, "Last"));
	assert_non_null(strstr(footer(card), "details left out to fit Teams; the ticket has them all"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(card, "actions"));
	cJSON_Delete(all);

	/* Sixteen required values of 2 KB each cannot fit: nothing is sent. */
	for (size_t i = 0; i < NOTIFY_MAX_FACTS; i++)
		facts[i].optional = false;
	assert_int_equal(notify_send(n, &msg), -EFBIG);
	assert_false(notify_error_is_transient(-EFBIG));
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 1);
	cJSON_Delete(all);

	/* What the guard prevents: the flow answers 202 to a message over
	 * 28 KB, and its post into the channel then fails. */
	huge = malloc(29 * 1024 + 32);
	assert_non_null(huge);
	snprintf(huge, 32, "{\"type\": \"message\", \"x\": \"");
	len = strlen(huge);
	memset(huge + len, 'x', 29 * 1024);
	strcpy(huge + len + 29 * 1024, "\"}");
	assert_int_equal(emu_call(&emu, "POST", "/workflows/" FLOW "/triggers/manual/paths/invoke?api-version=1&sig=" SIG,
				  huge, NULL),
			 202);
	free(huge);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 2);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(all, 1), "shown")));
	cJSON_Delete(all);
}

static void test_words_for_times_and_spans(void **state)
{
	char when[NOTIFY_TIME_SIZE], span[64];

	(void)state;
	notify_time_text(INT64_C(1801440000000), when);
	assert_string_equal(when, "2027-02-01 00:00 UTC");
	notify_time_text(INT64_C(1801443599999), when);
	assert_string_equal(when, "2027-02-01 00:59 UTC");
	notify_span_text(2 * 86400000 + 3 * 3600000 + 59 * 60000, span, sizeof(span));
	assert_string_equal(span, "2 days 3 hours");
	notify_span_text(86400000 + 5000, span, sizeof(span));
	assert_string_equal(span, "1 day");
	notify_span_text(45 * 60000, span, sizeof(span));
	assert_string_equal(span, "45 minutes");
	notify_span_text(61000, span, sizeof(span));
	assert_string_equal(span, "1 minute 1 second");
	notify_span_text(0, span, sizeof(span));
	assert_string_equal(span, "1 second");
	notify_span_text(2 * 86400000, span, 5);
	assert_string_equal(span, "2 da");
}

static void test_bad_signature_and_flow_are_permanent(void **state)
{
	static const struct {
		const char *path_and_query;
		int error;
	} cases[] = {
		{ "/workflows/" FLOW "/triggers/manual/paths/invoke?api-version=1&sv=1.0&sig=wrong", -EACCES },
		{ "/workflows/" FLOW "/triggers/manual/paths/invoke?api-version=1&sv=1.0", -EACCES },
		{ "/workflows/0000/triggers/manual/paths/invoke?api-version=1&sig=" SIG, -ENOENT },
		{ "/workflows/" FLOW "/triggers/manual/paths/invoke?sig=" SIG, -EBADMSG },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct notify *n = open_with(cases[i].path_and_query);
		int r = notify_send(n, &completed);

		assert_int_equal(r, cases[i].error);
		assert_false(notify_error_is_transient(r));
		notify_close(n);
	}
	{
		/* The newer environment's form of the same flow works. */
		struct notify *n = open_with("/powerautomate/automations/direct/workflows/" FLOW
					     "/triggers/manual/paths/invoke?api-version=1&sig=" SIG);

		assert_int_equal(notify_send(n, &completed), 0);
		notify_close(n);
	}
	/* The flow takes JSON only; what it refuses is not recorded. */
	assert_int_equal(emu_call(&emu, "POST", "/workflows/" FLOW "/triggers/manual/paths/invoke?api-version=1&sig=" SIG,
				  "{not json", NULL),
			 400);
	{
		cJSON *all = posts();

		assert_int_equal(cJSON_GetArraySize(all), 1);
		cJSON_Delete(all);
	}
}

static void test_throttling_and_server_errors_are_transient(void **state)
{
	static const struct {
		const char *fault;
		int error;
		int transient;
	} cases[] = {
		{ "{\"kind\": \"ratelimit\", \"retry_after\": 7}", -EAGAIN, 1 },
		{ "{\"kind\": \"status\", \"status\": 503}", -EAGAIN, 1 },
		{ "{\"kind\": \"status\", \"status\": 500}", -EAGAIN, 1 },
		{ "{\"kind\": \"status\", \"status\": 502}", -EAGAIN, 1 },
		{ "{\"kind\": \"reset\"}", -ECONNRESET, 1 },
		{ "{\"kind\": \"status\", \"status\": 400}", -EBADMSG, 0 },
	};
	struct notify *n;
	cJSON *all;

	(void)state;
	/* A new connection each time: on a reused one, curl itself sends the
	 * request again after a reset. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		n = open_good();
		assert_int_equal(emu_post(&emu, "/_emu/faults", cases[i].fault), 0);
		r = notify_send(n, &completed);
		assert_int_equal(r, cases[i].error);
		assert_int_equal(notify_error_is_transient(r), cases[i].transient);
		notify_close(n);
	}
	n = open_good();
	/* The faults were used up: the next one goes through. */
	assert_int_equal(notify_send(n, &completed), 0);
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 1);
	cJSON_Delete(all);
}

static void test_incomplete_messages_and_config(void **state)
{
	struct notify_message msg = completed;
	struct notify_config conf = { .kind = kind, .webhook_url = { .file = secret_path } };
	char other[] = "pigeon";
	struct notify *n = open_good();

	(void)state;
	msg.action_id = NULL;
	assert_int_equal(notify_send(n, &msg), -EINVAL);
	msg.action_id = "";
	assert_int_equal(notify_send(n, &msg), -EINVAL);
	msg = completed;
	msg.request_number = NULL;
	assert_int_equal(notify_send(n, &msg), -EINVAL);
	msg = completed;
	msg.n_facts = NOTIFY_MAX_FACTS + 1;
	assert_int_equal(notify_send(n, &msg), -EINVAL);
	msg = completed;
	msg.n_links = NOTIFY_MAX_LINKS + 1;
	assert_int_equal(notify_send(n, &msg), -EINVAL);
	msg = completed;
	msg.event = NOTIFY_EVENT_COUNT;
	assert_int_equal(notify_send(n, &msg), -EINVAL);
	notify_close(n);
	assert_int_equal(emu_count(&emu, "POST", NULL), 0);

	conf.kind = other;
	assert_int_equal(notify_open(&conf, &n), -ENOENT);
	conf.kind = kind;
	n = NULL;
	assert_int_equal(write_secret("not a url at all\n"), 0);
	assert_int_equal(notify_open(&conf, &n), -EINVAL);
	assert_int_equal(write_secret("http://flows.example/workflows/" FLOW "/triggers/manual/paths/invoke\n"), 0);
	assert_int_equal(notify_open(&conf, &n), -EINVAL);
	assert_null(n);
	unlink(secret_path);
	assert_int_equal(notify_open(&conf, &n), -ENOENT);
	assert_null(n);
	assert_true(notify_ops_find("teams") == &teams_ops);
	assert_string_equal(notify_event_name(NOTIFY_BLOCKED), "blocked");
	assert_string_equal(notify_event_name(NOTIFY_REMINDER), "reminder");
	assert_string_equal(notify_event_name(NOTIFY_REJECTED), "rejected");
	assert_string_equal(notify_event_name(NOTIFY_EXPIRED), "expired");
	assert_null(notify_event_name(NOTIFY_EVENT_COUNT));
}

/* notify.events picks the kinds the channel is sent; the rest are not. */
static void test_channel_sends_the_kinds_configured(void **state)
{
	struct notify_config conf = { .kind = kind, .webhook_url = { .file = secret_path },
				      .events = (1u << NOTIFY_BLOCKED) | (1u << NOTIFY_EXPIRED) };
	struct notify *n = NULL;

	(void)state;
	notify_close(open_good()); /* writes the secret */
	assert_int_equal(notify_open(&conf, &n), 0);
	for (int e = 0; e < NOTIFY_EVENT_COUNT; e++)
		assert_int_equal(notify_wants(n, (enum notify_event)e), e == NOTIFY_BLOCKED || e == NOTIFY_EXPIRED);
	assert_false(notify_wants(n, NOTIFY_EVENT_COUNT));
	notify_close(n);
}

#define FLOW_PATH "/workflows/" FLOW "/triggers/manual/paths/invoke?api-version=2016-06-01&sig=" SIG

/* Open the channel with CONF's connection settings on the flow at BASE. */
static struct notify *open_at(struct notify_config *conf, const char *base)
{
	struct notify *n = NULL;
	char url[512];

	conf->kind = kind;
	conf->webhook_url.file = secret_path;
	snprintf(url, sizeof(url), "%s" FLOW_PATH "\n", base);
	assert_int_equal(write_secret(url), 0);
	assert_int_equal(notify_open(conf, &n), 0);
	return n;
}

static int n_posts(void)
{
	cJSON *all = posts();
	int n = cJSON_GetArraySize(all);

	cJSON_Delete(all);
	return n;
}

/* The channel's own proxy, no_proxy and ca_bundle, as the other
 * connections have them: a flow reached only through the proxy (port 1
 * answers nobody), the proxy bypassed for a host in no_proxy, and a flow
 * behind TLS trusted only with the CA bundle that signed it. */
static void test_proxy_no_proxy_and_ca_bundle(void **state)
{
	char proxy[64], cert[160], key[160], command[512];
	struct notify_config conf = { 0 };
	struct emu tls = { 0 };
	struct notify *n;

	(void)state;
	snprintf(proxy, sizeof(proxy), "%s", emu.url);
	conf.proxy = proxy;
	n = open_at(&conf, "http://127.0.0.1:1");
	assert_int_equal(notify_send(n, &completed), 0);
	notify_close(n);
	assert_int_equal(n_posts(), 1);
	conf.no_proxy = (char *)"127.0.0.1";
	n = open_at(&conf, "http://127.0.0.1:1");
	assert_int_equal(notify_send(n, &completed), -ECONNREFUSED);
	notify_close(n);
	assert_int_equal(n_posts(), 1);

	snprintf(cert, sizeof(cert), "%s/cert.pem", emu.dir);
	snprintf(key, sizeof(key), "%s/key.pem", emu.dir);
	snprintf(command, sizeof(command),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
		 "subjectAltName=IP:127.0.0.1 -keyout %s -out %s 2>/dev/null",
		 key, cert);
	assert_int_equal(system(command), 0);
	assert_int_equal(emu_start_tls(&tls, cert, key), 0);
	assert_int_equal(emu_post(&tls, "/_emu/seed", "{\"teams\": {\"flows\": {\"" FLOW "\": \"" SIG "\"}}}"), 0);
	conf = (struct notify_config){ 0 };
	n = open_at(&conf, tls.tls_url);
	assert_int_equal(notify_send(n, &completed), -EIO);
	notify_close(n);
	conf.ca_bundle = cert;
	n = open_at(&conf, tls.tls_url);
	assert_int_equal(notify_send(n, &completed), 0);
	notify_close(n);
	assert_int_equal(emu_count(&tls, "POST", "/workflows/"), 1);
	emu_stop(&tls);
	unlink(cert);
	unlink(key);
}

/* Everything the connector logs, at debug level, through failures and
 * successes: the host may appear, the URL's path and signature never. */
static void test_webhook_url_never_logged(void **state)
{
	struct notify_config conf = { .kind = kind, .webhook_url = { .file = secret_path } };
	char log_path[160], buf[16384];
	struct notify *n;
	int saved, fd;
	ssize_t len;

	(void)state;
	snprintf(log_path, sizeof(log_path), "%s/log", emu.dir);
	fd = open(log_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	log_init("test_teams", LOG_LEVEL_DEBUG);

	n = open_good();
	assert_int_equal(notify_send(n, &completed), 0);
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"ratelimit\"}"), 0);
	assert_int_equal(notify_send(n, &completed), -EAGAIN);
	notify_close(n);
	n = open_good();
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"reset\"}"), 0);
	assert_int_equal(notify_send(n, &completed), -ECONNRESET);
	notify_close(n);
	n = open_with("/workflows/" FLOW "/triggers/manual/paths/invoke?api-version=1&sig=" SIG "x");
	assert_int_equal(notify_send(n, &completed), -EACCES);
	notify_close(n);
	assert_int_equal(write_secret("http://flows.example/workflows/" FLOW "/triggers/manual/paths/invoke?sig=" SIG), 0);
	assert_int_equal(notify_open(&conf, &n), -EINVAL);

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	log_init("test_teams", LOG_LEVEL_ERR);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(log_path);
	assert_true(len > 0);
	buf[len] = '\0';
	assert_non_null(strstr(buf, "Teams webhook at 127.0.0.1"));
	assert_non_null(strstr(buf, "HTTP 429"));
	assert_non_null(strstr(buf, "HTTP 401"));
	assert_non_null(strstr(buf, "RITM0010001.r0.complete"));
	assert_non_null(strstr(buf, secret_path));
	assert_null(strstr(buf, SIG));
	assert_null(strstr(buf, FLOW));
	assert_null(strstr(buf, "invoke"));
	assert_null(strstr(buf, "sig="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_completion_card, reset_emu),
		cmocka_unit_test_setup(test_every_kind_has_its_title, reset_emu),
		cmocka_unit_test_setup(test_retry_carries_the_same_action_id, reset_emu),
		cmocka_unit_test_setup(test_hostile_text, reset_emu),
		cmocka_unit_test_setup(test_size_guard, reset_emu),
		cmocka_unit_test(test_words_for_times_and_spans),
		cmocka_unit_test_setup(test_channel_sends_the_kinds_configured, reset_emu),
		cmocka_unit_test_setup(test_bad_signature_and_flow_are_permanent, reset_emu),
		cmocka_unit_test_setup(test_throttling_and_server_errors_are_transient, reset_emu),
		cmocka_unit_test_setup(test_incomplete_messages_and_config, reset_emu),
		cmocka_unit_test_setup(test_webhook_url_never_logged, reset_emu),
		cmocka_unit_test_setup(test_proxy_no_proxy_and_ca_bundle, reset_emu),
	};

	return cmocka_run_group_tests(tests, start_emu, stop_emu);
}
