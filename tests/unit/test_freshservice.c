/* SPDX-License-Identifier: Apache-2.0 */
/* The Freshservice connector against the emulator, on a clock the test
 * moves: paging by Link and what a link may point at, delivery in order of
 * change and again when a poll's watermark was not taken, decisions found
 * without the ticket changing and after a restart, items by display id and
 * by name, the rate limit's pacing, writes that happen once (approvals,
 * notes, evidence, incidents), cancel and remind, people by e-mail, open
 * tickets that may ask the same, and text written as escaped HTML. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/freshservice/freshservice.h"
#include "connectors/itsm.h"
#include "emu.h"
#include "fake_env.h"
#include "util/civil.h"

#define KEY "fs-test-key"
#define AGENT "21000418000"
#define ALICE 21000418101LL
#define BOB 21000418102LL
#define MIA 21000418103LL
#define SAM 21000418104LL
/* A watermark before every ticket the tests seed. */
#define SINCE "2025-12-31 00:00:00"

static struct emu emu;
static struct fake_env fake;
static char key_path[128];
static struct conn_config conf;
static struct fs_settings settings;
static const struct retry_config retry = {
	.max_attempts = 3,
	.initial_backoff_ms = 100,
	.max_backoff_ms = 1000,
	.budget_ms = 10000,
};
static struct item_config vpn_item = { .name = "VPN Access" };

static int setup(void **state)
{
	(void)state;
	if (emu_start(&emu) < 0)
		return -1;
	return emu_secret_file(&emu, "key", KEY, key_path, sizeof(key_path)) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(key_path);
	emu_stop(&emu);
	return 0;
}

static const char base_seed[] =
	"{\"freshservice\": {\"api_keys\": {\"" KEY "\": " AGENT "},"
	" \"agents\": [{\"id\": " AGENT ", \"email\": \"accessd@contoso.example\"},"
	"              {\"id\": 21000418104, \"first_name\": \"Sam\", \"email\": \"sam@contoso.example\"}],"
	" \"requesters\": [{\"id\": 21000418101, \"first_name\": \"Alice\", \"primary_email\": \"alice@contoso.example\"},"
	"                  {\"id\": 21000418102, \"first_name\": \"Bob\", \"primary_email\": \"bob@contoso.example\"},"
	"                  {\"id\": 21000418103, \"first_name\": \"Mia\", \"primary_email\": \"mia@contoso.example\"}],"
	" \"service_items\": [{\"display_id\": 1, \"name\": \"VPN Access\"}, {\"display_id\": 2, \"name\": \"Laptop\"},"
	"                     {\"display_id\": 3, \"name\": \"VPN Access\"}]}}";

/* A fresh emulator store without a rate limit, and a connector on the fake
 * environment at the real time (the emulator stamps records with it). */
static struct itsm *open_fs(void)
{
	struct itsm *itsm = NULL;

	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	assert_int_equal(emu_post(&emu, "/_emu/seed", base_seed), 0);
	assert_int_equal(emu_post(&emu, "/_emu/config/freshservice", "{\"rate_limit\": null}"), 0);
	settings = fs_default_settings;
	settings.incident_requester = "accessd@contoso.example";
	conf = (struct conn_config){
		.kind = "freshservice",
		.base_url = emu.url,
		.auth = AUTH_API_KEY,
		.api_key = { .file = key_path },
		.connect_timeout_ms = 5000,
		.timeout_ms = 10000,
		.max_response_bytes = 1 << 20,
		.user_attribute = "email",
		.poll_overlap_ms = 5000,
		.page_size = 100,
		.settings = &settings,
	};
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	assert_int_equal(itsm_open(&conf, &retry, &fake.env, &itsm), 0);
	return itsm;
}

/* How many logged requests have METHOD and exactly PATH. */
static int count_exact(const char *method, const char *path)
{
	cJSON *log = emu_requests(&emu);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, log)
		n += strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "method")), method) == 0 &&
		     strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")), path) == 0;
	cJSON_Delete(log);
	return n;
}

/* How many logged requests have the query parameter KEY=VALUE. */
static int count_query(const char *key, const char *value)
{
	cJSON *log = emu_requests(&emu);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, log) {
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "query"), key));

		n += v && strcmp(v, value) == 0;
	}
	cJSON_Delete(log);
	return n;
}

/* Seed N service requests for ITEM (display id) for alice, the i-th
 * updated I seconds after FIRST ("YYYY-MM-DDTHH:MM:SS"), created in
 * reverse order of change; and an incident. */
static void seed_tickets(int item, int n, const char *first)
{
	char *body = malloc(64 * 1024), when[32];
	size_t len;
	int64_t t0;

	assert_non_null(body);
	assert_int_equal(civil_parse(first, CIVIL_ISO, &t0), 0);
	len = (size_t)snprintf(body, 64 * 1024, "{\"freshservice\": {\"tickets\": [");
	for (int i = 0; i < n; i++) {
		char created[21];

		assert_int_equal(civil_format_iso(t0 + (int64_t)i * 1000, when), 0);
		assert_int_equal(civil_format_iso(t0 - (int64_t)i * 1000, created), 0);
		len += (size_t)snprintf(body + len, 64 * 1024 - len,
					"%s{\"type\": \"Service Request\", \"requester_id\": %lld, \"subject\": \"#%d\","
					" \"created_at\": \"%s\", \"updated_at\": \"%s\", \"requested_items\": ["
					"{\"service_item_id\": %d, \"custom_fields\": {\"business_justification\": \"why %d\","
					" \"count\": %d, \"urgent\": true, \"note\": null}}]}",
					i ? "," : "", ALICE, i, created, when, item, i, i);
	}
	snprintf(body + len, 64 * 1024 - len, "]}}");
	assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
	free(body);
}

struct seen {
	int n;
	char ids[256][24];
	char last_on[20];
	int ordered;
	struct request first;
};

static int on_request(const struct request *req, void *userdata)
{
	struct seen *s = userdata;

	if (s->n == 0) {
		s->ordered = 1;
		assert_int_equal(request_copy(req, &s->first), 0);
	} else if (strcmp(req->updated_on, s->last_on) < 0) {
		s->ordered = 0;
	}
	snprintf(s->last_on, sizeof(s->last_on), "%s", req->updated_on);
	if (s->n < 256)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", req->id);
	s->n++;
	return 0;
}

static void seen_clear(struct seen *s)
{
	request_clear(&s->first);
	memset(s, 0, sizeof(*s));
}

static void test_polls_pages_in_order_of_change(void **state)
{
	struct itsm *itsm = open_fs();
	struct seen s = { 0 };
	char *wm = NULL, *again = NULL;

	(void)state;
	seed_tickets(1, 150, "2026-01-01T00:00:00Z");
	seed_tickets(2, 3, "2026-01-01T00:10:00Z");
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, SINCE, on_request, &s, &wm), 0);
	/* Newest created first, two pages by Link; delivered oldest change
	 * first; the Laptop requests are not access requests. */
	assert_int_equal(s.n, 150);
	assert_true(s.ordered);
	/* The newest change seen, the Laptop requests' too. */
	assert_string_equal(wm, "2026-01-01 00:10:02");
	assert_int_equal(count_exact("GET", "/api/v2/tickets"), 2);
	/* Each request's parent item once; each service item's name once;
	 * each person once. */
	assert_int_equal(emu_count(&emu, "GET", "/requested_items"), 153);
	assert_int_equal(emu_count(&emu, "GET", "/service_catalog/items/"), 2);
	assert_int_equal(emu_count(&emu, "GET", "/requesters/"), 1);
	assert_string_equal(s.first.number, "SR-1");
	assert_string_equal(s.first.item_id, "1");
	assert_string_equal(s.first.item_name, "VPN Access");
	assert_string_equal(s.first.requested_for_upn, "alice@contoso.example");
	assert_string_equal(s.first.opened_by, "21000418101");
	assert_string_equal(s.first.short_description, "#0");
	/* Open (2) is the status implementing writes by default. */
	assert_int_equal(s.first.phase, TICKET_IMPLEMENTING);
	assert_string_equal(request_var(&s.first, "business_justification"), "why 0");
	assert_string_equal(request_var(&s.first, "count"), "0");
	assert_string_equal(request_var(&s.first, "urgent"), "true");
	assert_null(request_var(&s.first, "note"));
	assert_null(s.first.refused);
	seen_clear(&s);
	/* The watermark was not taken: the same poll brings them again. */
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, SINCE, on_request, &s, &again), 0);
	assert_int_equal(s.n, 150);
	seen_clear(&s);
	free(again);
	/* Taken: only what changed since (within the overlap) comes. */
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, wm, on_request, &s, &again), 0);
	assert_int_equal(s.n, 0);
	assert_string_equal(again, wm);
	seen_clear(&s);
	free(again);
	free(wm);
	itsm_close(itsm);
}

static void test_one_request_by_its_number(void **state)
{
	struct itsm *itsm = open_fs();
	struct seen s = { 0 };

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	seed_tickets(2, 1, "2026-01-01T00:00:00Z");
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "SR-1", on_request, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.first.number, "SR-1");
	assert_string_equal(request_var(&s.first, "business_justification"), "why 0");
	seen_clear(&s);
	/* A laptop is no access request; nothing is ticket 9; a number that
	 * is no id is not sent. */
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "SR-2", on_request, &s), -ENOENT);
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "9", on_request, &s), -ENOENT);
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "SR-1/../2", on_request, &s), -EINVAL);
	assert_int_equal(s.n, 0);
	itsm_close(itsm);
}

static void test_items_by_display_id_and_workspace(void **state)
{
	struct item_config by_id = { .sys_id = "3" };
	struct itsm *itsm = open_fs();
	struct seen s = { 0 };
	char *wm = NULL;
	cJSON *log;

	(void)state;
	seed_tickets(1, 2, "2026-01-01T00:00:00Z");
	seed_tickets(3, 1, "2026-01-01T00:05:00Z");
	settings.workspace_id = 2;
	assert_int_equal(itsm_poll_requests(itsm, &by_id, 1, SINCE, on_request, &s, &wm), 0);
	/* Two items share the name; the id picks one, and no name is read. */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.first.item_id, "3");
	assert_int_equal(emu_count(&emu, "GET", "/service_catalog/items/1"), 0);
	log = emu_requests(&emu);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "query"), "workspace_id")),
			    "2");
	cJSON_Delete(log);
	seen_clear(&s);
	free(wm);
	itsm_close(itsm);
}

static void test_a_next_link_elsewhere_is_not_followed(void **state)
{
	struct itsm *itsm = open_fs();
	struct seen s = { 0 };
	char *wm = NULL;

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"delay\", \"seconds\": 0, \"method\": \"GET\", \"path\": \"^/api/v2/tickets$\","
				  " \"headers\": {\"Link\": \"<http://evil.example/api/v2/tickets?page=2>; rel=\\\"next\\\"\"}}"),
			 0);
	/* The key would go with the request: the listing is not believed. */
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &s, &wm), -EBADMSG);
	assert_int_equal(s.n, 0);
	assert_null(wm);
	assert_int_equal(emu_count(&emu, "GET", NULL), 1);
	itsm_close(itsm);
}

struct approvals_seen {
	int n, n_rejected;
	char id[8][48], who[8][48], decided_by[8][64], rejection[64];
	enum approval_decision d[8];
	int by_approver[8];
};

static int on_approval(const struct approval *a, void *userdata)
{
	struct approvals_seen *s = userdata;

	if (a->decision == APPROVAL_REJECTED) {
		s->n_rejected++;
		snprintf(s->rejection, sizeof(s->rejection), "%s", a->comments ? a->comments : "");
	}
	if (s->n < 8) {
		snprintf(s->id[s->n], sizeof(s->id[0]), "%s", a->id);
		snprintf(s->who[s->n], sizeof(s->who[0]), "%s", a->approver_upn ? a->approver_upn : "?");
		snprintf(s->decided_by[s->n], sizeof(s->decided_by[0]), "%s", a->decided_by ? a->decided_by : "");
		s->d[s->n] = a->decision;
		s->by_approver[s->n] = a->by_approver;
	}
	s->n++;
	return 0;
}

/* The id of ticket ID's approval by APPROVER. */
static long long approval_of(long long ticket, long long approver)
{
	char *body = NULL;
	long long found = 0;
	const cJSON *t, *a;
	cJSON *root;

	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/freshservice", NULL, &body), 200);
	root = cJSON_Parse(body);
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(root, "tickets"))
		if ((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "id")) == ticket)
			cJSON_ArrayForEach(a, cJSON_GetObjectItem(t, "approvals"))
				if ((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(a, "approver_id")) == approver)
					found = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(a, "id"));
	cJSON_Delete(root);
	free(body);
	return found;
}

static void decide(long long approval, int status, const char *extra)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"freshservice\": {\"approvals\": [{\"id\": %lld, \"status\": %d%s}]}}", approval,
		 status, extra ? extra : "");
	assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
}

static void test_decisions_found_without_the_ticket_changing(void **state)
{
	struct itsm *itsm = open_fs();
	struct approvals_seen s = { 0 };
	char *wm = NULL, *awm = NULL, *id = NULL, sid[24];
	struct seen r = { 0 };
	long long mia;
	int before;

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, SINCE, on_request, &r, &wm), 0);
	snprintf(sid, sizeof(sid), "%lld", MIA);
	assert_int_equal(itsm_create_approval(itsm, "1", sid, "SR-1.r0.s0.ab.approve", &id), 0);
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, NULL, on_approval, &s, &awm), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.d[0], APPROVAL_REQUESTED);
	assert_string_equal(s.id[0], id);
	assert_string_equal(s.who[0], "mia@contoso.example");
	mia = approval_of(1, MIA);
	/* Decided a second later: the approval changes, its ticket does not. */
	fake.now_ms += 1000;
	sleep(1);
	decide(mia, 1, NULL);
	memset(&s, 0, sizeof(s));
	before = emu_count(&emu, "GET", "/api/v2/tickets/1/approvals");
	{
		char *next = NULL;

		assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, awm, on_approval, &s, &next), 0);
		free(awm);
		awm = next;
	}
	assert_int_equal(s.n, 1);
	assert_int_equal(s.d[0], APPROVAL_APPROVED);
	assert_true(s.by_approver[0]);
	assert_int_equal(emu_count(&emu, "GET", "/api/v2/tickets/1/approvals"), before + 1);
	/* Nothing waits now and nothing changed: the pending list alone. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(emu_call(&emu, "DELETE", "/_emu/requests", NULL, NULL), 200);
	{
		char *next = NULL;

		assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, awm, on_approval, &s, &next), 0);
		free(next);
	}
	assert_int_equal(s.n, 0);
	assert_int_equal(emu_count(&emu, NULL, NULL), 1);
	assert_int_equal(emu_count(&emu, "GET", "/api/v2/approvals"), 1);
	seen_clear(&r);
	free(wm);
	free(awm);
	free(id);
	itsm_close(itsm);
}

static void test_decisions_while_stopped_are_found_at_the_start(void **state)
{
	struct itsm *itsm = open_fs();
	struct approvals_seen s = { 0 };
	char since[20], seed[8192];
	char *wm = NULL;
	size_t len;

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	/* 40 approvals decided long ago (two pages of the account's list),
	 * then one decided now while accessd was stopped. */
	len = (size_t)snprintf(seed, sizeof(seed), "{\"freshservice\": {\"approvals\": [");
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(seed + len, sizeof(seed) - len,
					"%s{\"ticket_id\": 1, \"approver_id\": %lld, \"status\": 1}", i ? "," : "", SAM);
	snprintf(seed + len, sizeof(seed) - len, ",{\"ticket_id\": 1, \"approver_id\": %lld, \"status\": 0}]}}", MIA);
	assert_int_equal(emu_post(&emu, "/_emu/seed", seed), 0);
	decide(approval_of(1, MIA), 2, ", \"latest_remark\": \"Not now\"");
	assert_int_equal(civil_format(fake.now_ms - 60 * 1000, since), 0);
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, since, on_approval, &s, &wm), 0);
	/* The ticket's approvals are delivered, the rejection among them. */
	assert_int_equal(s.n, 41);
	assert_int_equal(count_query("status", "approved"), 2);
	assert_int_equal(count_query("status", "rejected"), 1);
	assert_int_equal(s.n_rejected, 1);
	assert_string_equal(s.rejection, "Not now");
	free(wm);
	itsm_close(itsm);
}

static void test_a_delegatees_decision_is_not_the_approvers(void **state)
{
	struct itsm *itsm = open_fs();
	struct approvals_seen s = { 0 };
	struct seen r = { 0 };
	char seed[512], *wm = NULL;

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	snprintf(seed, sizeof(seed),
		 "{\"freshservice\": {\"approvals\": [{\"ticket_id\": 1, \"approver_id\": %lld, \"status\": 0}]}}", MIA);
	assert_int_equal(emu_post(&emu, "/_emu/seed", seed), 0);
	decide(approval_of(1, MIA), 1, ", \"delegatee\": {\"id\": 21000418102, \"name\": \"Bob\"}");
	/* The request, then its approvals (its ticket was just delivered). */
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, SINCE, on_request, &r, &wm), 0);
	free(wm);
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, NULL, on_approval, &s, &wm), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.d[0], APPROVAL_APPROVED);
	assert_false(s.by_approver[0]);
	assert_string_equal(s.decided_by[0], "bob@contoso.example");
	seen_clear(&r);
	free(wm);
	itsm_close(itsm);
}

static void test_pacing_leaves_the_reserve_to_others(void **state)
{
	struct itsm *itsm = open_fs();
	struct approvals_seen a = { 0 };
	struct seen r = { 0 };
	char *wm = NULL;
	int calls;

	(void)state;
	settings.rate_window_ms = 5000;
	/* 30 credits in a window that does not end during the test; another
	 * integration spent 18: the reserve (10) is left after 2 more. */
	assert_int_equal(emu_post(&emu, "/_emu/config/freshservice",
				  "{\"rate_limit\": {\"total\": 30, \"window_seconds\": 3600}, \"consume\": 18}"),
			 0);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &r, &wm), 0);
	free(wm);
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, NULL, on_approval, &a, &wm), 0);
	free(wm);
	calls = emu_count(&emu, NULL, "/api/v2/");
	assert_int_equal(calls, 2);
	/* 10 left: polls stop without asking; writes go on to half of it. */
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &r, &wm), -EAGAIN);
	assert_int_equal(emu_count(&emu, NULL, "/api/v2/"), calls);
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	assert_int_equal(itsm_add_note(itsm, "1", "one", "SR-1.a"), 0);
	assert_int_equal(itsm_add_note(itsm, "1", "two", "SR-1.b"), 0);
	assert_int_equal(fake.n_sleeps, 0);
	/* 6 left, under half the reserve: a write waits for the next window
	 * (on the fake clock), then goes on. */
	assert_int_equal(itsm_add_note(itsm, "1", "three", "SR-1.c"), 0);
	assert_int_equal(fake.n_sleeps, 1);
	assert_in_range(fake.sleeps[0], 1, 5000);
	assert_int_equal(emu_count(&emu, "POST", "/notes"), 3);
	/* Polls wait for the window the last answer began. */
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, NULL, on_approval, &a, &wm), -EAGAIN);
	fake.now_ms += 5000;
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, NULL, on_approval, &a, &wm), 0);
	assert_int_equal(count_exact("GET", "/api/v2/approvals"), 2);
	free(wm);
	itsm_close(itsm);
}

static void test_429_waits_retry_after_and_counts_as_low(void **state)
{
	struct itsm *itsm = open_fs();
	struct seen r = { 0 };
	char *wm = NULL;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"ratelimit\", \"retry_after\": 7, \"method\": \"GET\", \"times\": 1}"),
			 0);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &r, &wm), 0);
	assert_int_equal(fake.n_sleeps, 1);
	assert_int_equal(fake.sleeps[0], 7000);
	assert_int_equal(emu_count(&emu, "GET", "/api/v2/tickets"), 2);
	free(wm);
	itsm_close(itsm);
}

/* How many approvals ticket 1 holds. */
static int approvals_on_ticket(void)
{
	return emu_count(&emu, "POST", "/api/v2/tickets/1/approvals");
}

static void test_an_approval_is_asked_once_per_action(void **state)
{
	struct itsm *itsm = open_fs();
	char *a = NULL, *b = NULL, *c = NULL, mia[24];

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	snprintf(mia, sizeof(mia), "%lld", MIA);
	/* The request lands but its answer is lost: found by its mark. */
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"POST\", \"path\": \"/approvals$\"}"),
			 0);
	assert_int_equal(itsm_create_approval(itsm, "1", mia, "SR-1.r0.s0.aa.approve", &a), 0);
	assert_int_equal(approvals_on_ticket(), 1);
	assert_int_equal(itsm_create_approval(itsm, "1", mia, "SR-1.r0.s0.aa.approve", &b), 0);
	assert_string_equal(a, b);
	assert_int_equal(approvals_on_ticket(), 1);
	/* The same approver for a later stage: an approval of its own. */
	assert_int_equal(itsm_create_approval(itsm, "1", mia, "SR-1.r0.s1.bb.approve", &c), 0);
	assert_string_not_equal(a, c);
	assert_int_equal(approvals_on_ticket(), 2);
	assert_int_equal(itsm_create_approval(itsm, "1", "mia", "x", &c), -EINVAL);
	free(a);
	free(b);
	free(c);
	itsm_close(itsm);
}

static void test_cancel_and_remind(void **state)
{
	struct itsm *itsm = open_fs();
	char *a = NULL, *b = NULL, mia[24];

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	snprintf(mia, sizeof(mia), "%lld", MIA);
	assert_int_equal(itsm_create_approval(itsm, "1", mia, "SR-1.s0.approve", &a), 0);
	assert_int_equal(itsm_create_approval(itsm, "1", mia, "SR-1.s1.approve", &b), 0);
	assert_int_equal(itsm_remind_approval(itsm, a, "SR-1.s0.remind"), 0);
	assert_int_equal(emu_count(&emu, "PUT", "/remind"), 1);
	assert_int_equal(itsm_cancel_approval(itsm, a, "SR-1.cancel"), 0);
	assert_int_equal(itsm_cancel_approval(itsm, a, "SR-1.cancel"), 0);
	assert_int_equal(emu_count(&emu, "PUT", NULL), 2);
	/* A cancelled or decided approval is left alone. */
	assert_int_equal(itsm_remind_approval(itsm, a, "SR-1.s0.remind"), -EBUSY);
	decide(strtoll(strchr(b, ':') + 1, NULL, 10), 1, NULL);
	assert_int_equal(itsm_cancel_approval(itsm, b, "SR-1.cancel"), -EBUSY);
	assert_int_equal(itsm_cancel_approval(itsm, "1", "SR-1.cancel"), -EINVAL);
	assert_int_equal(itsm_remind_approval(itsm, "1:x", "SR-1.r"), -EINVAL);
	free(a);
	free(b);
	itsm_close(itsm);
}

static void test_notes_replies_evidence_and_incidents_once(void **state)
{
	static const char evidence[] = "{\"evidence\": true}";
	struct itsm_incident inc = { .short_description = "Blocked: SR-1", .description = "Graph said <no>." };
	struct itsm *itsm = open_fs();
	char *i1 = NULL, *i2 = NULL;

	(void)state;
	seed_tickets(1, 1, "2026-01-01T00:00:00Z");
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"POST\", \"path\": \"/notes$\"}"),
			 0);
	assert_int_equal(itsm_set_phase(itsm, "1", TICKET_COMPLETED, "Done.", "SR-1.complete.note"), 0);
	assert_int_equal(itsm_set_phase(itsm, "1", TICKET_COMPLETED, "Done.", "SR-1.complete.note"), 0);
	assert_int_equal(emu_count(&emu, "POST", "/notes"), 1);
	/* Status 4, and the item's stage 4 once: it is not set again. */
	assert_int_equal(emu_count(&emu, "PUT", "/api/v2/tickets/1"), 3);
	assert_int_equal(itsm_add_comment(itsm, "1", "Done.", "SR-1.complete.comment"), 0);
	assert_int_equal(itsm_add_comment(itsm, "1", "Done.", "SR-1.complete.comment"), 0);
	assert_int_equal(emu_count(&emu, "POST", "/reply"), 1);
	assert_int_equal(itsm_attach(itsm, "1", "evidence.json", "application/json", evidence, strlen(evidence),
				     "SR-1.complete"),
			 0);
	assert_int_equal(itsm_attach(itsm, "1", "evidence.json", "application/json", evidence, strlen(evidence),
				     "SR-1.complete"),
			 0);
	assert_int_equal(emu_count(&emu, "POST", "/notes"), 2);
	assert_int_equal(itsm_attach(itsm, "1", "../x", "application/json", "x", 1, "SR-1.y"), -EINVAL);
	/* Past the ticket's attachment total: refused for good. */
	assert_int_equal(emu_post(&emu, "/_emu/config/freshservice", "{\"attachment_limit_bytes\": 40}"), 0);
	assert_int_equal(itsm_attach(itsm, "1", "big.json", "application/json", "0123456789012345678901234567890", 31,
				     "SR-1.big"),
			 -EFBIG);
	assert_int_equal(itsm_create_incident(itsm, &inc, "SR-1.block", &i1), 0);
	assert_int_equal(itsm_create_incident(itsm, &inc, "SR-1.block", &i2), 0);
	assert_string_equal(i1, i2);
	assert_string_equal(i1, "INC-2");
	assert_int_equal(count_exact("POST", "/api/v2/tickets"), 1);
	assert_int_equal(itsm_set_phase(itsm, "1", TICKET_OPEN, "x", "SR-1.open"), -EINVAL);
	free(i1);
	free(i2);
	itsm_close(itsm);
}

static void test_record_urls_are_the_tickets_pages(void **state)
{
	struct itsm *itsm = open_fs();
	char *url = NULL, want[128];

	(void)state;
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, "17", &url), 0);
	snprintf(want, sizeof(want), "%s/helpdesk/tickets/17", emu.url);
	assert_string_equal(url, want);
	free(url);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "INC-18", &url), 0);
	snprintf(want, sizeof(want), "%s/helpdesk/tickets/18", emu.url);
	assert_string_equal(url, want);
	free(url);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, "17?x=<script>", &url), -EINVAL);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "SR-18", &url), -EINVAL);
	itsm_close(itsm);
}

static void test_html_is_escaped_and_marked(void **state)
{
	char *html = NULL, *big = malloc(20000);

	(void)state;
	assert_int_equal(fs_html("a<b>&\"c'\n\td\x01", "SR-1.x", &html), 0);
	assert_string_equal(html, "<p>a&lt;b&gt;&amp;&quot;c&#39;<br> d</p><p>[accessd SR-1.x]</p>");
	free(html);
	assert_int_equal(fs_html("x", "bad id", &html), -EINVAL);
	assert_non_null(big);
	memset(big, 'x', 19999);
	big[19999] = '\0';
	assert_int_equal(fs_html(big, "SR-1.y", &html), 0);
	assert_non_null(strstr(html, "x...</p><p>[accessd SR-1.y]</p>"));
	free(html);
	free(big);
}

static void test_people_by_email(void **state)
{
	struct itsm *itsm = open_fs();
	char *id = NULL;
	cJSON *log;

	(void)state;
	assert_int_equal(itsm_find_user(itsm, "Mia@Contoso.example", &id), 0);
	assert_string_equal(id, "21000418103");
	free(id);
	/* An agent, found among the requesters with include_agents. */
	assert_int_equal(itsm_find_user(itsm, "sam@contoso.example", &id), 0);
	assert_string_equal(id, "21000418104");
	free(id);
	assert_int_equal(itsm_find_user(itsm, "nobody@contoso.example", &id), -ENOENT);
	assert_int_equal(itsm_find_user(itsm, "a@b.example\r\nX: y", &id), -EINVAL);
	/* A value that would end the parameter goes as one encoded value. */
	assert_int_equal(emu_call(&emu, "DELETE", "/_emu/requests", NULL, NULL), 200);
	assert_int_equal(itsm_find_user(itsm, "x@y.example&include_agents=false", &id), -ENOENT);
	log = emu_requests(&emu);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "query"), "email")),
			    "x@y.example&include_agents=false");
	cJSON_Delete(log);
	/* Two active users with one address: nobody is asked. */
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"freshservice\": {\"requesters\": [{\"id\": 21000418199, \"primary_email\": "
				  "\"mia@contoso.example\"}]}}"),
			 0);
	assert_int_equal(itsm_find_user(itsm, "mia@contoso.example", &id), -ENOENT);
	itsm_close(itsm);
}

static void test_open_tickets_that_may_ask_the_same(void **state)
{
	static const char *const terms[] = { "VPN-Users", "vpn@contoso.example" };
	struct itsm *itsm = open_fs();
	struct itsm_open *found = NULL;
	size_t n = 0;
	char seed[2048];

	(void)state;
	snprintf(seed, sizeof(seed),
		 "{\"freshservice\": {\"tickets\": ["
		 "{\"type\": \"Service Request\", \"requester_id\": %lld, \"subject\": \"Please add me to vpn-users\"},"
		 "{\"type\": \"Service Request\", \"requester_id\": %lld, \"subject\": \"VPN-Users again\", \"status\": 5},"
		 "{\"type\": \"Incident\", \"requester_id\": %lld, \"subject\": \"VPN broken\","
		 " \"description\": \"<p>cannot reach VPN-Users resources</p>\"},"
		 "{\"type\": \"Incident\", \"requester_id\": %lld, \"subject\": \"Blocked\","
		 " \"description\": \"<p>VPN-Users</p><p>[accessd SR-9.block]</p>\"},"
		 "{\"type\": \"Service Request\", \"requester_id\": %lld, \"requested_for_id\": %lld,"
		 " \"subject\": \"VPN-Users for Bob\"},"
		 "{\"type\": \"Service Request\", \"requester_id\": %lld, \"subject\": \"A laptop\"}]}}",
		 ALICE, ALICE, ALICE, ALICE, ALICE, BOB, ALICE);
	assert_int_equal(emu_post(&emu, "/_emu/seed", seed), 0);
	assert_int_equal(itsm_find_open(itsm, "21000418101", terms, 2, "99", &found, &n), 0);
	/* Her open request and her incident; not the closed one, not accessd's
	 * own incident, not one she raised for someone else, not another
	 * subject. */
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(found[i].number, found[i].incident ? "INC-3" : "SR-1");
		assert_string_equal(found[i].id, found[i].incident ? "3" : "1");
	}
	assert_int_not_equal(found[0].incident, found[1].incident);
	assert_non_null(strstr(found[found[0].incident ? 0 : 1].text, "cannot reach VPN-Users resources"));
	itsm_open_free(found, n);
	assert_int_equal(itsm_find_open(itsm, "21000418101", terms, 2, "1", &found, &n), 0);
	assert_int_equal(n, 1);
	itsm_open_free(found, n);
	assert_int_equal(itsm_find_open(itsm, "alice", terms, 2, NULL, &found, &n), -EINVAL);
	itsm_close(itsm);
}

static void test_hostile_custom_fields_and_people(void **state)
{
	struct itsm *itsm = open_fs();
	struct seen s = { 0 };
	char *wm = NULL;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"freshservice\": {\"requesters\": [{\"id\": 21000418150, \"primary_email\": "
				  "\"eve@contoso.example\\u0000.mallory\"}], \"tickets\": ["
				  "{\"type\": \"Service Request\", \"requester_id\": 21000418150, \"subject\": \"x\","
				  " \"requested_items\": [{\"service_item_id\": 1, \"custom_fields\": {"
				  "\"group\": \"VPN-Users\\u0000Server-Admins\", \"laptop\": {\"model\": \"x\"},"
				  " \"regions\": [\"EU\", \"US\"]}}]}]}}"),
			 0);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &s, &wm), 0);
	assert_int_equal(s.n, 1);
	/* The first value refused is named; the address is not believed. */
	assert_string_equal(s.first.refused, "requested_for.email");
	assert_null(s.first.requested_for_upn);
	assert_null(request_var(&s.first, "group"));
	assert_null(request_var(&s.first, "laptop"));
	assert_string_equal(request_var(&s.first, "regions"), "EU, US");
	seen_clear(&s);
	free(wm);
	itsm_close(itsm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_is_escaped_and_marked),
		cmocka_unit_test(test_record_urls_are_the_tickets_pages),
		cmocka_unit_test(test_polls_pages_in_order_of_change),
		cmocka_unit_test(test_one_request_by_its_number),
		cmocka_unit_test(test_items_by_display_id_and_workspace),
		cmocka_unit_test(test_a_next_link_elsewhere_is_not_followed),
		cmocka_unit_test(test_decisions_found_without_the_ticket_changing),
		cmocka_unit_test(test_decisions_while_stopped_are_found_at_the_start),
		cmocka_unit_test(test_a_delegatees_decision_is_not_the_approvers),
		cmocka_unit_test(test_pacing_leaves_the_reserve_to_others),
		cmocka_unit_test(test_429_waits_retry_after_and_counts_as_low),
		cmocka_unit_test(test_an_approval_is_asked_once_per_action),
		cmocka_unit_test(test_cancel_and_remind),
		cmocka_unit_test(test_notes_replies_evidence_and_incidents_once),
		cmocka_unit_test(test_people_by_email),
		cmocka_unit_test(test_open_tickets_that_may_ask_the_same),
		cmocka_unit_test(test_hostile_custom_fields_and_people),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
