/* SPDX-License-Identifier: Apache-2.0 */
/* The ServiceNow connector against the emulator: incremental polling over
 * pages while records change, overlap dedupe, catalog variables and user
 * mapping, transient and malformed answers, OAuth2 refresh, hostile
 * values, and writes that happen once even when an answer is lost. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/itsm.h"
#include "connectors/servicenow/servicenow.h"
#include "emu.h"
#include "fake_env.h"

#define VPN "ca700000000000000000000000000001"
#define LAPTOP "ca700000000000000000000000000002"
#define ALICE "a11ce000000000000000000000000001"
#define BOB "b0b00000000000000000000000000001"
#define RITM(n) "1e0000000000000000000000000000" #n

static struct emu emu;
static struct fake_env fake;
static char secret_path[128], base_url[64];
static struct conn_config conf;
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
	snprintf(base_url, sizeof(base_url), "%s", emu.url);
	return emu_secret_file(&emu, "secret", "pw", secret_path, sizeof(secret_path)) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(secret_path);
	emu_stop(&emu);
	return 0;
}

static const char base_seed[] =
	"{\"servicenow\": {\"users\": {\"svc\": \"pw\"},"
	" \"sc_cat_item\": [{\"sys_id\": \"" VPN "\", \"name\": \"VPN Access\"},"
	"                   {\"sys_id\": \"" LAPTOP "\", \"name\": \"Laptop\"}],"
	" \"sys_user\": [{\"sys_id\": \"" ALICE "\", \"user_name\": \"alice\", \"email\": \"alice@contoso.example\"},"
	"                {\"sys_id\": \"" BOB "\", \"user_name\": \"bob\", \"email\": \"bob@contoso.example\"}]}}";

/* A fresh emulator store and a connector on the fake environment. */
static struct itsm *open_snow(enum auth_method auth, int page_size)
{
	struct itsm *itsm = NULL;

	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	assert_int_equal(emu_post(&emu, "/_emu/seed", base_seed), 0);
	conf = (struct conn_config){
		.kind = "servicenow",
		.base_url = base_url,
		.auth = auth,
		.username = "svc",
		.password = { .file = secret_path },
		.client_id = "accessd",
		.client_secret = { .file = secret_path },
		.connect_timeout_ms = 5000,
		.timeout_ms = 10000,
		.max_response_bytes = 256 * 1024,
		.user_attribute = "email",
		.poll_overlap_ms = 60 * 1000,
		.page_size = page_size,
	};
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	assert_int_equal(itsm_open(&conf, &retry, &fake.env, &itsm), 0);
	return itsm;
}

/* Seed N request items of ITEM, updated one second apart from FIRST_SECOND. */
static void seed_ritms(const char *item, int from, int n)
{
	char body[16384];
	size_t len;

	len = (size_t)snprintf(body, sizeof(body), "{\"servicenow\": {\"sc_req_item\": [");
	for (int i = from; i < from + n; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
					"%s{\"sys_id\": \"1e0000000000000000000000000000%02d\", \"cat_item\": \"%s\","
					" \"requested_for\": \"" ALICE "\", \"opened_by\": \"" BOB "\", \"state\": \"1\","
					" \"sys_updated_on\": \"2026-01-01 00:00:%02d\", \"short_description\": \"#%d\"}",
					i == from ? "" : ",", i, item, i, i);
	snprintf(body + len, sizeof(body) - len, "]}}");
	assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
}

/* Move request item I to a new change time. */
static void touch_ritm(int i, const char *when)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"servicenow\": {\"sc_req_item\": [{\"sys_id\": \"1e0000000000000000000000000000%02d\","
		 " \"sys_updated_on\": \"%s\"}]}}",
		 i, when);
	assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
}

struct seen {
	int n;
	int per_id[100];
	char ids[64][33];
	int touch_on_first; /* update records while the first page is delivered */
};

static int on_request(const struct request *req, void *userdata)
{
	struct seen *s = userdata;
	int i = atoi(req->id + 30);

	if (s->n < 64)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", req->id);
	s->n++;
	s->per_id[i]++;
	if (s->touch_on_first && s->n == 1) {
		touch_ritm(2, "2026-01-02 00:00:00");  /* seen already: comes again */
		touch_ritm(11, "2026-01-02 00:00:01"); /* not seen yet: moves to the end */
	}
	return 0;
}

static void test_pages_while_records_change(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 4);
	struct seen s = { .touch_on_first = 1 };
	char *wm = NULL;

	(void)state;
	seed_ritms(VPN, 1, 14);
	seed_ritms(LAPTOP, 20, 3);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &s, &wm), 0);
	/* Nothing lost: every item once, the one updated after it was seen
	 * twice; nothing of the other catalog item. */
	for (int i = 1; i <= 14; i++)
		assert_int_equal(s.per_id[i], i == 2 ? 2 : 1);
	for (int i = 20; i < 23; i++)
		assert_int_equal(s.per_id[i], 0);
	assert_int_equal(s.n, 15);
	assert_string_equal(wm, "2026-01-02 00:00:01");
	/* 15 records in pages of 4: four pages, and a variables read each. */
	assert_int_equal(emu_count(&emu, "GET", "/sc_req_item"), 4);
	assert_int_equal(emu_count(&emu, "GET", "sc_item_option_mtom"), 15);
	free(wm);
	itsm_close(itsm);
}

static void test_items_by_id_and_by_name(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct item_config both[] = { { .sys_id = VPN }, { .name = "Laptop" } };
	struct item_config bad_id = { .sys_id = "ca70^NQ" };
	struct seen s = { 0 };
	char *wm = NULL;
	cJSON *log;

	(void)state;
	seed_ritms(VPN, 1, 2);
	seed_ritms(LAPTOP, 3, 2);
	seed_ritms("ca7000000000000000000000000000ff", 5, 2);
	assert_int_equal(itsm_poll_requests(itsm, both, 2, NULL, on_request, &s, &wm), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.per_id[5] + s.per_id[6], 0);
	log = emu_requests(&emu);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				    cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "query"), "sysparm_query")),
			    "cat_itemIN" VPN "^ORcat_item.nameINLaptop^ORDERBYsys_updated_on^ORDERBYsys_id");
	cJSON_Delete(log);
	free(wm);
	assert_int_equal(itsm_poll_requests(itsm, &bad_id, 1, NULL, on_request, &s, &wm), -EINVAL);
	itsm_close(itsm);
}

static void test_overlap_is_not_delivered_twice(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct seen s = { 0 };
	char *wm = NULL, *wm2 = NULL;

	(void)state;
	seed_ritms(VPN, 1, 5);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &s, &wm), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(wm, "2026-01-01 00:00:05");

	/* The overlap reaches back 60 s: all five come back, none delivered. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(emu_call(&emu, "DELETE", "/_emu/requests", NULL, NULL), 200);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, wm, on_request, &s, &wm2), 0);
	assert_int_equal(s.n, 0);
	assert_string_equal(wm2, wm);
	assert_int_equal(emu_count(&emu, NULL, NULL), 1);
	free(wm2);

	/* A change within the overlap is a new version: delivered once. */
	touch_ritm(3, "2026-01-01 00:00:06");
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, wm, on_request, &s, &wm2), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.per_id[3], 1);
	assert_string_equal(wm2, "2026-01-01 00:00:06");

	/* The caller did not keep that watermark (its cycle failed after the
	 * poll) and asks from the older one: what it did not keep comes again. */
	memset(&s, 0, sizeof(s));
	free(wm2);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, wm, on_request, &s, &wm2), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.per_id[3], 1);
	memset(&s, 0, sizeof(s));
	free(wm2);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &s, &wm2), 0);
	assert_int_equal(s.n, 5);
	free(wm2);
	free(wm);
	itsm_close(itsm);
}

struct one_request {
	int n;
	char upn[64], opener[64], item[64], group[64], justification[64], description[64], refused[64];
	enum ticket_phase phases[4]; /* by the request item's number, RITM(01) to RITM(03) */
	int has_group;
};

static int keep_request(const struct request *req, void *userdata)
{
	struct one_request *o = userdata;
	const char *v;

	if (req->id && strlen(req->id) == 32 && atoi(req->id + 30) < 4)
		o->phases[atoi(req->id + 30)] = req->phase;
	o->n++;
	snprintf(o->upn, sizeof(o->upn), "%s", req->requested_for_upn ? req->requested_for_upn : "");
	snprintf(o->opener, sizeof(o->opener), "%s", req->opened_by_upn ? req->opened_by_upn : "");
	snprintf(o->item, sizeof(o->item), "%s", req->item_name ? req->item_name : "");
	snprintf(o->description, sizeof(o->description), "%s", req->short_description ? req->short_description : "");
	v = request_var(req, "group");
	o->has_group = v != NULL;
	snprintf(o->group, sizeof(o->group), "%s", v ? v : "");
	snprintf(o->refused, sizeof(o->refused), "%s", req->refused ? req->refused : "");
	v = request_var(req, "justification");
	snprintf(o->justification, sizeof(o->justification), "%s", v ? v : "");
	return 0;
}

/* Request item 01's catalog variables "group" and "justification", with
 * values as JSON writes them (escapes allowed). */
static void seed_variables(const char *group, const char *justification)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "{\"servicenow\": {"
		 "\"item_option_new\": [{\"sys_id\": \"f0000000000000000000000000000001\", \"name\": \"group\"},"
		 "                      {\"sys_id\": \"f0000000000000000000000000000002\", \"name\": \"justification\"}],"
		 "\"sc_item_option\": [{\"sys_id\": \"f1000000000000000000000000000001\","
		 "  \"item_option_new\": \"f0000000000000000000000000000001\", \"value\": \"%s\"},"
		 " {\"sys_id\": \"f1000000000000000000000000000002\","
		 "  \"item_option_new\": \"f0000000000000000000000000000002\", \"value\": \"%s\"}],"
		 "\"sc_item_option_mtom\": [{\"request_item\": \"" RITM(01) "\","
		 "  \"sc_item_option\": \"f1000000000000000000000000000001\"},"
		 " {\"request_item\": \"" RITM(01) "\", \"sc_item_option\": \"f1000000000000000000000000000002\"}]}}",
		 group, justification);
	assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
}

static void test_variables_and_people(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct one_request o = { 0 };
	char *wm = NULL;

	(void)state;
	seed_ritms(VPN, 1, 1);
	seed_variables("vpn-users", "field work");
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, keep_request, &o, &wm), 0);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.upn, "alice@contoso.example");
	assert_string_equal(o.opener, "bob@contoso.example");
	assert_string_equal(o.item, "VPN Access");
	assert_string_equal(o.group, "vpn-users");
	assert_string_equal(o.justification, "field work");
	free(wm);
	itsm_close(itsm);
}

/* A value holding U+0000 (or another control character) is refused and
 * named, never read as the part before it: not Alice for
 * "alice@contoso.example\0.mallory", not "vpn-users" for
 * "vpn-users\0server-admins". Free text keeps its line breaks. */
static void test_control_characters_are_refused_and_named(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct one_request o = { 0 };
	char *wm = NULL;

	(void)state;
	seed_ritms(VPN, 1, 1);
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"servicenow\": {\"sys_user\": [{\"sys_id\": \"" ALICE "\","
				  " \"email\": \"alice@contoso.example\\u0000.mallory\"}]}}"),
			 0);
	seed_variables("vpn-users\\u0000server-admins", "field\\nwork");
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, keep_request, &o, &wm), 0);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.upn, "");
	assert_string_equal(o.refused, "requested_for.email");
	assert_false(o.has_group);
	assert_string_equal(o.justification, "field\nwork");
	free(wm);
	wm = NULL;

	/* With the person fixed, the variable is the one named. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"servicenow\": {\"sys_user\": [{\"sys_id\": \"" ALICE "\", \"email\": \"alice@contoso.example\"}],"
				  " \"sc_req_item\": [{\"sys_id\": \"" RITM(01) "\", \"sys_updated_on\": \"2026-01-02 00:00:00\"}]}}"),
			 0);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, keep_request, &o, &wm), 0);
	assert_string_equal(o.upn, "alice@contoso.example");
	assert_string_equal(o.refused, "variable group");
	assert_false(o.has_group);
	free(wm);
	itsm_close(itsm);
}

struct approvals {
	int n;
	char request[33], upn[64], state[32], by[64];
	int by_approver;
};

static int keep_approval(const struct approval *a, void *userdata)
{
	struct approvals *o = userdata;

	o->n++;
	o->by_approver = a->by_approver;
	snprintf(o->by, sizeof(o->by), "%s", a->decided_by ? a->decided_by : "");
	snprintf(o->request, sizeof(o->request), "%s", a->request_id ? a->request_id : "");
	snprintf(o->upn, sizeof(o->upn), "%s", a->approver_upn ? a->approver_upn : "");
	snprintf(o->state, sizeof(o->state), "%s", approval_decision_name(a->decision));
	return 0;
}

static void test_approvals_of_governed_items_only(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct approvals o = { 0 };
	char *wm = NULL;

	(void)state;
	seed_ritms(VPN, 1, 1);
	seed_ritms(LAPTOP, 2, 1);
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"servicenow\": {\"sysapproval_approver\": ["
				  "{\"sysapproval\": \"" RITM(01) "\", \"approver\": \"" BOB "\", \"state\": \"approved\","
				  " \"sys_updated_on\": \"2026-01-03 00:00:00\"},"
				  "{\"sysapproval\": \"" RITM(02) "\", \"approver\": \"" BOB "\", \"state\": \"requested\","
				  " \"sys_updated_on\": \"2026-01-03 00:00:01\"}]}}"),
			 0);
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, NULL, keep_approval, &o, &wm), 0);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.request, RITM(01));
	assert_string_equal(o.upn, "bob@contoso.example");
	assert_string_equal(o.state, "approved");
	assert_string_equal(wm, "2026-01-03 00:00:00");
	free(wm);
	itsm_close(itsm);
}

/* Who changed an approval record is ServiceNow's sys_updated_by: the
 * approver's user_name when they decided it themselves, anyone else's
 * when they did, "system" for a flow. Only the first is theirs. */
static void test_approvals_say_who_decided(void **state)
{
	static const struct {
		const char *by;
		int by_approver;
	} cases[] = { { "bob", 1 }, { "alice", 0 }, { "system", 0 }, { "Bob", 0 }, { "", 0 } };
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	char body[512];

	(void)state;
	seed_ritms(VPN, 1, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct approvals o = { 0 };
		char *wm = NULL;

		snprintf(body, sizeof(body),
			 "{\"servicenow\": {\"sysapproval_approver\": [{\"sys_id\": \"a9000000000000000000000000000001\","
			 " \"sysapproval\": \"" RITM(01) "\", \"approver\": \"" BOB "\", \"state\": \"approved\","
			 " \"sys_updated_by\": \"%s\", \"sys_updated_on\": \"2026-01-03 00:00:%02zu\"}]}}",
			 cases[i].by, i);
		assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
		assert_int_equal(
			itsm_poll_approvals(itsm, &vpn_item, 1, "2026-01-03 00:00:00", keep_approval, &o, &wm),
			0);
		assert_int_equal(o.n, 1);
		assert_string_equal(o.by, cases[i].by);
		assert_int_equal(o.by_approver, cases[i].by_approver);
		free(wm);
	}
	itsm_close(itsm);
}

/* Open records for the person that may already ask for the same access:
 * their open request items (not this one) and the incidents they raised,
 * by a target's name in the descriptions in any case; not closed ones,
 * not someone else's, not accessd's own incidents. */
static void test_open_records_of_the_person(void **state)
{
	static const char *const terms[] = { "vpn-users", "bad^term" };
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct itsm_open *found = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(
		emu_post(&emu, "/_emu/seed",
			 "{\"servicenow\": {\"sc_req_item\": ["
			 "{\"sys_id\": \"" RITM(01) "\", \"number\": \"RITM0000001\", \"requested_for\": \"" ALICE "\","
			 " \"active\": \"true\", \"short_description\": \"VPN-Users for Alice\"},"
			 "{\"sys_id\": \"" RITM(02) "\", \"number\": \"RITM0000002\", \"requested_for\": \"" ALICE "\","
			 " \"active\": \"true\", \"short_description\": \"Access\", \"description\": \"please add me to VPN-USERS\"},"
			 "{\"sys_id\": \"" RITM(03) "\", \"number\": \"RITM0000003\", \"requested_for\": \"" ALICE "\","
			 " \"active\": \"false\", \"short_description\": \"VPN-Users, closed\"},"
			 "{\"sys_id\": \"" RITM(04) "\", \"number\": \"RITM0000004\", \"requested_for\": \"" BOB "\","
			 " \"active\": \"true\", \"short_description\": \"VPN-Users for Bob\"}],"
			 " \"incident\": ["
			 "{\"sys_id\": \"1c000000000000000000000000000001\", \"number\": \"INC0000001\", \"caller_id\": \"" ALICE "\","
			 " \"active\": \"true\", \"short_description\": \"Cannot reach VPN-Users resources\"},"
			 "{\"sys_id\": \"1c000000000000000000000000000002\", \"number\": \"INC0000002\", \"caller_id\": \"" ALICE "\","
			 " \"active\": \"true\", \"short_description\": \"accessd: RITM0000001 blocked (VPN-Users)\","
			 " \"correlation_display\": \"accessd\"}]}}"),
		0);
	assert_int_equal(itsm_find_open(itsm, ALICE, terms, 2, RITM(01), &found, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(found[0].number, "RITM0000002");
	assert_false(found[0].incident);
	assert_non_null(strstr(found[0].text, "please add me to VPN-USERS"));
	assert_string_equal(found[1].number, "INC0000001");
	assert_true(found[1].incident);
	itsm_open_free(found, n);
	/* A caret would change the query: the term is left out, not sent. */
	assert_int_equal(itsm_find_open(itsm, ALICE, terms + 1, 1, NULL, &found, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(itsm_find_open(itsm, "not-a-sys-id", terms, 1, NULL, &found, &n),
			 -EINVAL);
	itsm_close(itsm);
}

static int poll_count(struct itsm *itsm, int *n, char **wm)
{
	struct seen s = { 0 };
	int r = itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &s, wm);

	*n = s.n;
	return r;
}

static void test_rate_limits_and_unavailability_are_waited_out(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	char *wm = NULL;
	int n;

	(void)state;
	seed_ritms(VPN, 1, 2);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"ratelimit\", \"path\": \"/sc_req_item\", \"retry_after\": 3}"),
			 0);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"status\", \"status\": 503, \"path\": \"/sc_req_item\","
				  " \"headers\": {\"Retry-After\": \"2\"}}"),
			 0);
	assert_int_equal(poll_count(itsm, &n, &wm), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fake.n_sleeps, 2);
	assert_int_equal(fake.sleeps[0], 3000);
	assert_int_equal(fake.sleeps[1], 2000);
	free(wm);

	/* The emulator's own rate limit, at nothing allowed. */
	wm = NULL;
	assert_int_equal(emu_post(&emu, "/_emu/config/servicenow",
				  "{\"rate_limit\": {\"requests\": 0, \"per_seconds\": 60, \"retry_after\": 7}}"),
			 0);
	fake.n_sleeps = 0;
	assert_int_equal(poll_count(itsm, &n, &wm), -EAGAIN);
	assert_null(wm);
	assert_int_equal(fake.n_sleeps, 1);
	assert_int_equal(fake.sleeps[0], 7000);
	itsm_close(itsm);
}

static void test_bad_answers_are_errors(void **state)
{
	static const struct {
		const char *fault;
		int err;
	} cases[] = {
		{ "{\"kind\": \"invalid_json\", \"path\": \"/sc_req_item\"}", -EBADMSG },
		{ "{\"kind\": \"truncate\", \"path\": \"/sc_req_item\", \"times\": 0}", -EAGAIN },
		{ "{\"kind\": \"oversize\", \"path\": \"/sc_req_item\", \"bytes\": 300000}", -EFBIG },
		{ "{\"kind\": \"reset\", \"path\": \"/sc_req_item\", \"times\": 0}", -EAGAIN },
		{ "{\"kind\": \"status\", \"status\": 500, \"path\": \"/sc_req_item\"}", -EIO },
	};
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	char *wm = NULL;
	int n;

	(void)state;
	seed_ritms(VPN, 1, 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(emu_call(&emu, "DELETE", "/_emu/faults", NULL, NULL), 200);
		assert_int_equal(emu_post(&emu, "/_emu/faults", cases[i].fault), 0);
		assert_int_equal(poll_count(itsm, &n, &wm), cases[i].err);
		assert_int_equal(n, 0);
		assert_null(wm);
	}
	assert_int_equal(emu_call(&emu, "DELETE", "/_emu/faults", NULL, NULL), 200);
	/* JSON nested past the cap is refused before parsing. */
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"servicenow\": {\"sc_req_item\": [{\"sys_id\": \"" RITM(03) "\", \"cat_item\": \"" VPN
				  "\", \"sys_updated_on\": \"2026-01-01 00:00:03\", \"short_description\": "
				  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}}"),
			 0);
	assert_int_equal(poll_count(itsm, &n, &wm), -EBADMSG);
	assert_null(wm);
	itsm_close(itsm);
}

/* A record whose number could not stand in a note or an action id is
 * skipped, once, and the others are delivered: one bad record holds up
 * none, and the watermark moves past it. */
static void test_bad_number_is_skipped(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct seen s = { 0 };
	char *wm = NULL;

	(void)state;
	seed_ritms(VPN, 1, 2);
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"servicenow\": {\"sc_req_item\": ["
				  "{\"sys_id\": \"" RITM(03) "\", \"cat_item\": \"" VPN "\", \"number\": \"RITM\\u001b[2J03\","
				  " \"sys_updated_on\": \"2026-01-01 00:00:03\"},"
				  "{\"sys_id\": \"" RITM(04) "\", \"cat_item\": \"" VPN "\", \"number\": \"RITM 04^NQactive=true\","
				  " \"sys_updated_on\": \"2026-01-01 00:00:04\"},"
				  "{\"sys_id\": \"" RITM(05) "\", \"cat_item\": \"" VPN "\", \"number\": \"\","
				  " \"sys_updated_on\": \"2026-01-01 00:00:05\"}]}}"),
			 0);
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, on_request, &s, &wm), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.per_id[1], 1);
	assert_int_equal(s.per_id[2], 1);
	assert_string_equal(wm, "2026-01-01 00:00:05");
	free(wm);
	assert_true(snow_number_ok("RITM0010001"));
	assert_true(snow_number_ok("CHG-0001_x"));
	assert_false(snow_number_ok(NULL));
	assert_false(snow_number_ok("RITM0010001\n"));
	assert_false(snow_number_ok("01234567890123456789012345678901234567890"));
	itsm_close(itsm);
}

static void test_oauth2_refreshes_after_401(void **state)
{
	struct itsm *itsm;
	char *wm = NULL, *body = NULL;
	int n;

	(void)state;
	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	itsm = open_snow(AUTH_OAUTH2, 10);
	assert_int_equal(emu_post(&emu, "/_emu/config/servicenow", "{\"oauth_clients\": {\"accessd\": \"pw\"}}"), 0);
	seed_ritms(VPN, 1, 2);
	assert_int_equal(poll_count(itsm, &n, &wm), 0);
	assert_int_equal(n, 2);
	free(wm);
	wm = NULL;
	assert_int_equal(emu_post(&emu, "/_emu/config/servicenow", "{\"expire_tokens\": true}"), 0);
	touch_ritm(1, "2026-01-05 00:00:00");
	assert_int_equal(poll_count(itsm, &n, &wm), 0);
	assert_int_equal(n, 2);
	free(wm);
	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/servicenow", NULL, &body), 200);
	assert_non_null(strstr(body, "\"grants\": [\"password\", \"refresh_token\"]"));
	free(body);
	itsm_close(itsm);
}

static void test_hostile_values_cannot_change_a_query(void **state)
{
	static const char *const bad_names[] = { "VPN^NQactive=true", "VPN Access^ORDERBYnumber", "a,b", "line\nbreak",
						 "" };
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct one_request o = { 0 };
	struct item_config quoted = { .name = "Admin \"Access\"='1' OR 1=1" };
	char *wm = NULL, *id = NULL;

	(void)state;
	seed_ritms(VPN, 1, 3);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		struct item_config bad = { .name = (char *)bad_names[i] };

		assert_int_equal(itsm_poll_requests(itsm, &bad, 1, NULL, keep_request, &o, &wm),
				 -EINVAL);
		assert_int_equal(itsm_poll_approvals(itsm, &bad, 1, NULL, keep_approval, &o, &wm),
				 -EINVAL);
	}
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, "2026-01-01 00:00:00^NQ", keep_request,
						       &o, &wm),
			 -EINVAL);
	assert_int_equal(itsm_find_user(itsm, "x^NQemail=alice@contoso.example", &id), -EINVAL);
	assert_int_equal(itsm_find_user(itsm, "alice@contoso.example\n", &id), -EINVAL);
	assert_null(id);
	assert_int_equal(emu_count(&emu, NULL, NULL), 0);

	/* Quotes, equals signs and a hostile description are plain data. */
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"servicenow\": {\"sc_cat_item\": [{\"sys_id\": \"ca700000000000000000000000000009\","
				  " \"name\": \"Admin \\\"Access\\\"='1' OR 1=1\"}], \"sc_req_item\": [{\"sys_id\": \"" RITM(09)
				  "\", \"cat_item\": \"ca700000000000000000000000000009\", \"sys_updated_on\": \"2026-01-01 "
				  "00:00:09\", \"short_description\": \"x^NQactive=true\\n\\\"'\"}]}}"),
			 0);
	assert_int_equal(itsm_poll_requests(itsm, &quoted, 1, NULL, keep_request, &o, &wm), 0);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.description, "x^NQactive=true\n\"'");
	free(wm);
	assert_int_equal(itsm_find_user(itsm, "bob@contoso.example", &id), 0);
	assert_string_equal(id, BOB);
	free(id);
	assert_int_equal(itsm_find_user(itsm, "o'brien@contoso.example", &id), -ENOENT);
	itsm_close(itsm);
}

/* How many records of TABLE the emulator holds whose JSON contains NEEDLE
 * (NULL: all). */
static int stored(const char *table, const char *needle)
{
	char *body = NULL;
	cJSON *root, *rec;
	int n = 0;

	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/servicenow", NULL, &body), 200);
	root = cJSON_Parse(body);
	cJSON_ArrayForEach(rec, cJSON_GetObjectItem(cJSON_GetObjectItem(root, "tables"), table)) {
		char *text = cJSON_PrintUnformatted(rec);

		n += !needle || strstr(text, needle);
		free(text);
	}
	cJSON_Delete(root);
	free(body);
	return n;
}

static void test_writes_happen_once(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	struct itsm_incident inc = { .short_description = "Grant blocked", .description = "Group not found",
				     .request_id = RITM(01) };
	char seed[256];
	char *id1 = NULL, *id2 = NULL;

	(void)state;
	seed_ritms(VPN, 1, 1);

	/* An incident whose answer is lost: found, not created twice; and
	 * asked again (a restart), still one. */
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"POST\", \"path\": \"/incident\"}"),
			 0);
	assert_int_equal(itsm_create_incident(itsm, &inc, "req1.block.1", &id1), 0);
	assert_int_equal(itsm_create_incident(itsm, &inc, "req1.block.1", &id2), 0);
	assert_string_equal(id1, id2);
	/* Named by its number, as people know it. */
	assert_int_equal(strncmp(id1, "INC", 3), 0);
	assert_int_equal(stored("incident", "req1.block.1"), 1);
	assert_int_equal(emu_count(&emu, "POST", "/incident"), 1);
	free(id1);
	free(id2);

	/* An approval record, the same way. */
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"POST\", \"path\": \"sysapproval_approver\"}"),
			 0);
	assert_int_equal(itsm_create_approval(itsm, RITM(01), BOB, "req1.approve.manager", &id1), 0);
	assert_int_equal(itsm_create_approval(itsm, RITM(01), BOB, "req1.approve.manager", &id2), 0);
	assert_string_equal(id1, id2);
	assert_int_equal(stored("sysapproval_approver", NULL), 1);
	free(id2);

	/* State and a work note whose answer is lost: one note. */
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"PATCH\", \"path\": \"/sc_req_item/\"}"),
			 0);
	assert_int_equal(itsm_set_phase(itsm, RITM(01), TICKET_IMPLEMENTING, "Granting: \"vpn\" ^NQ\nline 2",
					"req1.implementing"),
			 0);
	assert_int_equal(itsm_set_phase(itsm, RITM(01), TICKET_IMPLEMENTING, "Granting again", "req1.implementing"), 0);
	assert_int_equal(stored("sys_journal_field", "req1.implementing"), 1);
	assert_int_equal(stored("sys_journal_field", "Granting: \\\"vpn\\\" ^NQ\\nline 2"), 1);
	assert_int_equal(stored("sc_req_item", "\"stage\":\"fulfillment\""), 1);

	/* A comment and an attachment, twice each: once each. */
	assert_int_equal(itsm_add_comment(itsm, RITM(01), "Your access is ready", "req1.done.comment"), 0);
	assert_int_equal(itsm_add_comment(itsm, RITM(01), "Your access is ready", "req1.done.comment"), 0);
	assert_int_equal(stored("sys_journal_field", "req1.done.comment"), 1);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"POST\", \"path\": \"attachment/file\"}"),
			 0);
	assert_int_equal(itsm_attach(itsm, RITM(01), "evidence.json", "application/json", "{\"ok\":true}", 11,
				     "req1.evidence"),
			 0);
	assert_int_equal(itsm_attach(itsm, RITM(01), "evidence.json", "application/json", "{\"ok\":true}", 11,
				     "req1.evidence"),
			 0);
	assert_int_equal(stored("sys_attachment", "req1.evidence-evidence.json"), 1);
	assert_int_equal(itsm_attach(itsm, RITM(01), "../etc/passwd", "text/plain", "x", 1, "req1.evil"), -EINVAL);
	assert_int_equal(itsm_attach(itsm, RITM(01), "a.txt", "text/plain\r\nX-Evil: 1", "x", 1, "req1.evil"), -EINVAL);

	/* Cancelling: once cancelled stays cancelled; a decision stands. */
	assert_int_equal(itsm_cancel_approval(itsm, id1, "req1.cancel"), 0);
	assert_int_equal(itsm_cancel_approval(itsm, id1, "req1.cancel"), 0);
	assert_int_equal(stored("sysapproval_approver", "\"state\":\"cancelled\""), 1);
	assert_int_equal(itsm_create_approval(itsm, RITM(01), BOB, "req1.approve.again", &id2), 0);
	assert_string_not_equal(id1, id2);
	free(id1);
	id1 = NULL;
	/* The same approver, decided at one stage and asked again at the next:
	 * a record of its own, and asking twice still makes one. */
	snprintf(seed, sizeof(seed),
		 "{\"servicenow\": {\"sysapproval_approver\": [{\"sys_id\": \"%s\", \"state\": \"approved\"}]}}", id2);
	assert_int_equal(emu_post(&emu, "/_emu/seed", seed), 0);
	assert_int_equal(itsm_create_approval(itsm, RITM(01), BOB, "req1.s1.approve", &id1), 0);
	assert_string_not_equal(id1, id2);
	free(id2);
	assert_int_equal(itsm_create_approval(itsm, RITM(01), BOB, "req1.s1.approve", &id2), 0);
	assert_string_equal(id1, id2);
	assert_int_equal(stored("sysapproval_approver", "\"state\":\"approved\""), 1);
	assert_int_equal(stored("sysapproval_approver", "\"state\":\"requested\""), 1);
	free(id1);
	free(id2);

	/* Action ids and record ids are checked before anything is sent. */
	assert_int_equal(itsm_add_comment(itsm, RITM(01), "x", "bad id^NQ"), -EINVAL);
	assert_int_equal(itsm_set_phase(itsm, "not-a-sys-id", TICKET_BLOCKED, "x", "req1.x"), -EINVAL);
	itsm_close(itsm);
}

/* An instance with states of its own: what is written and how what is
 * read maps, through the connector's settings. */
static void test_states_of_the_instance(void **state)
{
	static const char *const closed[] = { "30", "40", NULL };
	static const char *const requested[] = { "awaiting", NULL };
	static const char *const approved[] = { "approved", "approved_by_delegate", NULL };
	static const char *const rejected[] = { "rejected", NULL };
	static const char *const cancelled[] = { "withdrawn", NULL };
	static const struct snow_states custom = {
		.state = { [TICKET_IMPLEMENTING] = "21", [TICKET_COMPLETED] = "30", [TICKET_REJECTED] = "40" },
		.stage = { [TICKET_COMPLETED] = "done" },
		.closed = closed,
		.approval = { [APPROVAL_REQUESTED] = requested, [APPROVAL_APPROVED] = approved,
			      [APPROVAL_REJECTED] = rejected, [APPROVAL_CANCELLED] = cancelled },
	};
	struct itsm *itsm;
	struct one_request o = { 0 };
	struct approvals a = { 0 };
	char *id = NULL, *id2 = NULL, *wm = NULL, seed[512];

	(void)state;
	itsm_close(open_snow(AUTH_BASIC, 10));
	conf.settings = (void *)&custom;
	assert_int_equal(itsm_open(&conf, &retry, &fake.env, &itsm), 0);
	seed_ritms(VPN, 1, 2);
	touch_ritm(2, "2026-01-01 00:00:30");
	snprintf(seed, sizeof(seed),
		 "{\"servicenow\": {\"sc_req_item\": [{\"sys_id\": \"%s\", \"state\": \"40\"}]}}", RITM(02));
	assert_int_equal(emu_post(&emu, "/_emu/seed", seed), 0);

	/* Phases go out as the instance's state and stage; one it has no
	 * state for is refused before anything is sent. */
	assert_int_equal(itsm_set_phase(itsm, RITM(01), TICKET_COMPLETED, "Done", "req1.complete"), 0);
	assert_int_equal(stored("sc_req_item", "\"state\":\"30\""), 1);
	assert_int_equal(stored("sc_req_item", "\"stage\":\"done\""), 1);
	assert_int_equal(itsm_set_phase(itsm, RITM(01), TICKET_SENT_BACK, "Back", "req1.back"), -EINVAL);
	assert_int_equal(itsm_set_phase(itsm, RITM(01), TICKET_OPEN, "Open", "req1.open"), -EINVAL);

	/* Read back: 30 and 40 are closed here, and read as the phases
	 * written with them. */
	assert_int_equal(itsm_poll_requests(itsm, &vpn_item, 1, NULL, keep_request, &o, &wm), 0);
	free(wm);
	wm = NULL;
	assert_int_equal(o.n, 2);
	assert_int_equal(o.phases[1], TICKET_COMPLETED);
	assert_int_equal(o.phases[2], TICKET_REJECTED);

	/* Approval records: asked in the instance's state, a delegate's
	 * approval counts as approved, cancelling writes its own word and
	 * leaves a decision alone. */
	assert_int_equal(itsm_create_approval(itsm, RITM(01), BOB, "req1.approve", &id), 0);
	assert_int_equal(stored("sysapproval_approver", "\"state\":\"awaiting\""), 1);
	assert_int_equal(itsm_create_approval(itsm, RITM(01), ALICE, "req1.approve.2", &id2), 0);
	assert_int_equal(itsm_cancel_approval(itsm, id2, "req1.cancel"), 0);
	assert_int_equal(stored("sysapproval_approver", "\"state\":\"withdrawn\""), 1);
	snprintf(seed, sizeof(seed),
		 "{\"servicenow\": {\"sysapproval_approver\": [{\"sys_id\": \"%s\", \"state\": \"approved_by_delegate\","
		 " \"sys_updated_on\": \"2999-01-01 00:00:00\"}]}}", id);
	assert_int_equal(emu_post(&emu, "/_emu/seed", seed), 0);
	assert_int_equal(itsm_cancel_approval(itsm, id, "req1.cancel.1"), -EBUSY);
	assert_int_equal(itsm_poll_approvals(itsm, &vpn_item, 1, "2998-12-31 00:00:00", keep_approval, &a, &wm), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.state, "approved");
	free(wm);
	free(id);
	free(id2);
	itsm_close(itsm);
}

/* A person opens a record at the address ServiceNow documents; an id that
 * is not what the op takes never reaches a URL. */
static void test_record_urls(void **state)
{
	struct itsm *itsm = open_snow(AUTH_BASIC, 10);
	char *url = NULL, want[256];

	(void)state;
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, RITM(01), &url), 0);
	snprintf(want, sizeof(want), "%s/sc_req_item.do?sys_id=%s", base_url, RITM(01));
	assert_string_equal(url, want);
	free(url);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "INC0010002", &url), 0);
	snprintf(want, sizeof(want), "%s/incident.do?sysparm_query=number=INC0010002", base_url);
	assert_string_equal(url, want);
	free(url);
	url = NULL;
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, "RITM0010001", &url), -EINVAL);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, RITM(01) "&x=1", &url), -EINVAL);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "INC1^NQactive=true", &url), -EINVAL);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "INC1&sysparm_view=x", &url), -EINVAL);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, NULL, &url), -EINVAL);
	assert_null(url);
	assert_int_equal(emu_count(&emu, NULL, NULL), 0);
	itsm_close(itsm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_while_records_change),
		cmocka_unit_test(test_items_by_id_and_by_name),
		cmocka_unit_test(test_overlap_is_not_delivered_twice),
		cmocka_unit_test(test_variables_and_people),
		cmocka_unit_test(test_approvals_of_governed_items_only),
		cmocka_unit_test(test_control_characters_are_refused_and_named),
		cmocka_unit_test(test_approvals_say_who_decided),
		cmocka_unit_test(test_open_records_of_the_person),
		cmocka_unit_test(test_rate_limits_and_unavailability_are_waited_out),
		cmocka_unit_test(test_bad_answers_are_errors),
		cmocka_unit_test(test_oauth2_refreshes_after_401),
		cmocka_unit_test(test_hostile_values_cannot_change_a_query),
		cmocka_unit_test(test_bad_number_is_skipped),
		cmocka_unit_test(test_writes_happen_once),
		cmocka_unit_test(test_states_of_the_instance),
		cmocka_unit_test(test_record_urls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
