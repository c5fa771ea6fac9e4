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

/* The value of the fact TITLE in the card's FactSet, or NULL. */
static const char *fact(const cJSON *card, const char *title)
{
	const cJSON *block, *f;

	cJSON_ArrayForEach(block, cJSON_GetObjectItemCaseSensitive(card, "body")) {
		if (strcmp(str_at(block, "type"), "FactSet") != 0)
			continue;
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(block, "facts"))
			if (strcmp(str_at(f, "title"), title) == 0)
				return str_at(f, "value");
	}
	return NULL;
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

static const char *block_text(const cJSON *card, int i)
{
	return str_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "body"), i), "text");
}

static const char *outcome_text(const cJSON *card)
{
	const cJSON *block = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "body"), 1);

	assert_string_equal(str_at(block, "type"), "RichTextBlock");
	return str_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(block, "inlines"), 0), "text");
}

static const struct notify_fact approvals[] = {
	{ "Approved by", "bert.backup@contoso.example (manager, backup)" },
	{ "Graph request id", "5e1c0000-1111-2222-3333-444455556666" },
};

static const struct notify_message completed = {
	.event = NOTIFY_COMPLETED,
	.action_id = "RITM0010001/notify/completed",
	.request_number = "RITM0010001",
	.request_url = "https://contoso.service-now.example/sc_req_item.do?sys_id=a1b2",
	.person = "Carl Contractor",
	.target = "VPN-Users-Contractors",
	.outcome = "Added to VPN-Users-Contractors until 2026-12-31.",
	.facts = approvals,
	.n_facts = 2,
};

static void test_completion_card(void **state)
{
	struct notify *n = open_good();
	const cJSON *card, *action;
	cJSON *all;

	(void)state;
	assert_int_equal(notify_send(n, &completed), 0);
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 1);
	card = card_of(all, 0);
	assert_string_equal(block_text(card, 0), "Access granted: RITM0010001");
	assert_string_equal(outcome_text(card), "Added to VPN-Users-Contractors until 2026-12-31.");
	assert_string_equal(fact(card, "Request"), "RITM0010001");
	assert_string_equal(fact(card, "Person"), "Carl Contractor");
	assert_string_equal(fact(card, "Target"), "VPN\\-Users\\-Contractors");
	assert_string_equal(fact(card, "Outcome"), "Completed");
	assert_null(fact(card, "Incident"));
	assert_string_equal(fact(card, "Approved by"), "bert\\.backup@contoso\\.example \\(manager, backup\\)");
	assert_string_equal(fact(card, "Action id"), "RITM0010001/notify/completed");
	action = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(card, "actions"), 0);
	assert_string_equal(str_at(action, "type"), "Action.OpenUrl");
	assert_string_equal(str_at(action, "url"), completed.request_url);
	assert_int_equal(emu_count(&emu, "POST", "/triggers/manual/paths/invoke"), 1);
	cJSON_Delete(all);
}

static void test_block_escalation_and_reminder_cards(void **state)
{
	struct notify_message blocked = {
		.event = NOTIFY_BLOCKED,
		.action_id = "RITM0010004/notify/blocked",
		.request_number = "RITM0010004",
		.person = "Dana Doe",
		.target = "Finance-Share",
		.outcome = "Adding the member failed: 403 Forbidden.",
		.incident_number = "INC0010007",
	};
	struct notify_message escalated = {
		.event = NOTIFY_ESCALATED,
		.action_id = "RITM0010005/stage-1/escalate",
		.request_number = "RITM0010005",
		.outcome = "No decision from the owner in 24h; the backup owner was added.",
	};
	struct notify_message reminder = {
		.event = NOTIFY_REMINDER,
		.action_id = "RITM0010006.r0.s0.remind",
		.request_number = "RITM0010006",
		.outcome = "Reminder: stage \"manager\" is waiting for a decision from mia@contoso.example.",
	};
	struct notify *n = open_good();
	const cJSON *card;
	cJSON *all;

	(void)state;
	assert_int_equal(notify_send(n, &blocked), 0);
	assert_int_equal(notify_send(n, &escalated), 0);
	assert_int_equal(notify_send(n, &reminder), 0);
	notify_close(n);
	all = posts();
	assert_int_equal(cJSON_GetArraySize(all), 3);
	card = card_of(all, 0);
	assert_string_equal(block_text(card, 0), "Request blocked: RITM0010004");
	assert_string_equal(fact(card, "Incident"), "INC0010007");
	assert_string_equal(fact(card, "Outcome"), "Blocked: implementation stopped, incident opened");
	assert_null(cJSON_GetObjectItemCaseSensitive(card, "actions"));
	card = card_of(all, 1);
	assert_string_equal(block_text(card, 0), "Approval escalated: RITM0010005");
	assert_string_equal(fact(card, "Outcome"), "Escalated to the backup approver");
	assert_string_equal(fact(card, "Action id"), "RITM0010005/stage\\-1/escalate");
	assert_null(fact(card, "Person"));
	card = card_of(all, 2);
	assert_string_equal(block_text(card, 0), "Approval waiting: RITM0010006");
	assert_string_equal(fact(card, "Outcome"), "Waiting for a decision");
	assert_string_equal(outcome_text(card), reminder.outcome);
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
	assert_string_equal(fact(card_of(all, 0), "Action id"), fact(card_of(all, 1), "Action id"));
	cJSON_Delete(all);
}

static void test_hostile_text(void **state)
{
	char long_outcome[2000];
	struct notify_fact hostile_fact = { "Note](https://evil.example)", "**urgent** <at>CEO</at>" };
	struct notify_message msg = {
		.event = NOTIFY_COMPLETED,
		.action_id = "a\"}],\"type\":\"x",
		.request_number = "RITM1\n\"},{\"type\":\"Action.OpenUrl\"",
		.request_url = "javascript:alert(1)",
		.person = "[Click here](https://evil.example/login)",
		.target = "Grp\x01\x1b[2J\r\n_x_ `code` \xc3\xa9 \xff",
		.outcome = long_outcome,
		.facts = &hostile_fact,
		.n_facts = 1,
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
	/* The card's structure is exactly ours: nothing was injected. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(card, "body")), 3);
	assert_null(cJSON_GetObjectItemCaseSensitive(card, "actions"));
	assert_string_equal(block_text(card, 0), "Access granted: RITM1 \"\\},\\{\"type\":\"Action\\.OpenUrl\"");
	assert_string_equal(fact(card, "Person"), "\\[Click here\\]\\(https://evil\\.example/login\\)");
	assert_string_equal(fact(card, "Target"), "Grp  \\[2J  \\_x\\_ \\`code\\` \xc3\xa9 ?");
	assert_string_equal(fact(card, "Note\\]\\(https://evil\\.example\\)"), "\\*\\*urgent\\*\\* \\<at\\>CEO\\</at\\>");
	assert_string_equal(fact(card, "Action id"), "a\"\\}\\],\"type\":\"x");
	/* The TextRun renders no Markdown: kept as is, but on one line and cut. */
	assert_int_equal(strncmp(outcome_text(card), "line one [x](y)ooo", 18), 0);
	assert_int_equal(strlen(outcome_text(card)), NOTIFY_TEXT_MAX + 3);
	cJSON_Delete(all);
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
	assert_non_null(strstr(buf, "RITM0010001/notify/completed"));
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
		cmocka_unit_test_setup(test_block_escalation_and_reminder_cards, reset_emu),
		cmocka_unit_test_setup(test_retry_carries_the_same_action_id, reset_emu),
		cmocka_unit_test_setup(test_hostile_text, reset_emu),
		cmocka_unit_test_setup(test_bad_signature_and_flow_are_permanent, reset_emu),
		cmocka_unit_test_setup(test_throttling_and_server_errors_are_transient, reset_emu),
		cmocka_unit_test_setup(test_incomplete_messages_and_config, reset_emu),
		cmocka_unit_test_setup(test_webhook_url_never_logged, reset_emu),
		cmocka_unit_test_setup(test_proxy_no_proxy_and_ca_bundle, reset_emu),
	};

	return cmocka_run_group_tests(tests, start_emu, stop_emu);
}
