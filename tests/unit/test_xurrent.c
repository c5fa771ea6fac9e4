/* SPDX-License-Identifier: Apache-2.0 */
/* The Xurrent connector: its filter values, ids, times, Link URLs and note
 * text; the phases it reads back; and, against the emulator, polling over
 * cursor pages with the overlap, malformed and hostile answers, pacing
 * under the burst and hourly limits, writes that happen once even when an
 * answer is lost, and evidence through both storage providers. */
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

#include "connectors/itsm.h"
#include "connectors/xurrent/xurrent.h"
#include "emu.h"
#include "fake_env.h"

#define TOKEN "xr-unit-token"
#define BOB 102
#define MIA 104

static struct emu emu;
static struct fake_env fake;
static char secret_path[128], base_url[64];
static struct conn_config conf;
static struct xr_settings settings;
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
	return emu_secret_file(&emu, "token", TOKEN, secret_path, sizeof(secret_path)) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(secret_path);
	emu_stop(&emu);
	return 0;
}

static const char base_seed[] =
	"{\"xurrent\": {"
	" \"people\": [{\"id\": 90, \"name\": \"accessd\", \"primary_email\": \"svc@contoso.example\"},"
	"              {\"id\": 101, \"name\": \"Alice\", \"primary_email\": \"alice@contoso.example\"},"
	"              {\"id\": 102, \"name\": \"Bob\", \"primary_email\": \"Bob@Contoso.example\"},"
	"              {\"id\": 104, \"name\": \"Mia\", \"primary_email\": \"mia@contoso.example\"}],"
	" \"teams\": [{\"id\": 7, \"name\": \"IAM\"}],"
	" \"workflow_templates\": [{\"id\": 301, \"subject\": \"empty\", \"tasks\": []}],"
	" \"request_templates\": [{\"id\": 201, \"subject\": \"VPN Access\", \"category\": \"rfc\","
	"                          \"workflow_template_id\": 301},"
	"                         {\"id\": 202, \"subject\": \"Laptop\", \"category\": \"rfc\"}]}}";

/* A fresh emulator store (burst limit out of the way unless BURST) and a
 * connector on the fake environment with PAGE_SIZE. */
static struct itsm *open_xr(int page_size, int burst)
{
	char config[256];
	struct itsm *itsm = NULL;

	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	snprintf(config, sizeof(config),
		 "{\"account\": \"contoso-it\", \"tokens\": {\"" TOKEN "\": 90}, \"rate_limit\": {\"burst\": %d}}",
		 burst ? burst : 100000);
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", config), 0);
	assert_int_equal(emu_post(&emu, "/_emu/seed", base_seed), 0);
	settings = xr_default_settings;
	settings.account = "contoso-it";
	settings.source = "accessd";
	settings.incident_team = 7;
	conf = (struct conn_config){
		.kind = "xurrent",
		.base_url = base_url,
		.auth = AUTH_API_KEY,
		.api_key = { .file = secret_path },
		.connect_timeout_ms = 5000,
		.timeout_ms = 10000,
		.max_response_bytes = 256 * 1024,
		.user_attribute = "primary_email",
		.poll_overlap_ms = 60 * 1000,
		.page_size = page_size,
		.settings = &settings,
	};
	fake_env_init(&fake, (int64_t)time(NULL) * 1000);
	assert_int_equal(itsm_open(&conf, &retry, &fake.env, &itsm), 0);
	return itsm;
}

/* Seed N requests of template 201 for bob, one second apart from 00:00:FROM. */
static void seed_requests(int from, int n)
{
	char body[8192];
	size_t len = (size_t)snprintf(body, sizeof(body), "{\"xurrent\": {\"requests\": [");

	for (int i = from; i < from + n; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
					"%s{\"id\": %d, \"subject\": \"#%d\", \"template_id\": 201, \"requested_for_id\": 102,"
					" \"requested_by_id\": 101, \"updated_at\": \"2026-01-01T00:00:%02dZ\","
					" \"custom_fields\": [{\"id\": \"end_date\", \"value\": \"2026-02-01\"},"
					" {\"id\": \"seats\", \"value\": 3}, {\"id\": \"urgent\", \"value\": true},"
					" {\"id\": \"list\", \"value\": [1, 2]}, {\"id\": \"none\", \"value\": null}]}",
					i == from ? "" : ",", 70000 + i, i, i);
	snprintf(body + len, sizeof(body) - len, "]}}");
	assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
}

/* ---- values, ids, times, links, text -------------------------------------- */

static void test_values_ids_and_times(void **state)
{
	char out[21], low[20];
	long id;
	char *list;

	(void)state;
	assert_true(xr_value_ok("VPN Access"));
	assert_true(xr_value_ok("bob@contoso.example"));
	assert_false(xr_value_ok(""));
	assert_false(xr_value_ok(NULL));
	assert_false(xr_value_ok("a,b"));
	assert_false(xr_value_ok("!assigned"));
	assert_false(xr_value_ok(">=2020"));
	assert_false(xr_value_ok("<x"));
	assert_false(xr_value_ok("=x"));
	assert_false(xr_value_ok("line\nbreak"));
	assert_true(xr_value_ok("a!b"));

	assert_int_equal(xr_id_parse("70001", &id), 0);
	assert_int_equal(id, 70001);
	assert_int_equal(xr_id_parse("9007199254740991", &id), 0);
	assert_int_equal(xr_id_parse("9007199254740992", &id), -EINVAL);
	assert_int_equal(xr_id_parse("0", &id), -EINVAL);
	assert_int_equal(xr_id_parse("012", &id), -EINVAL);
	assert_int_equal(xr_id_parse("12a", &id), -EINVAL);
	assert_int_equal(xr_id_parse("../1", &id), -EINVAL);
	assert_int_equal(xr_id_parse("", &id), -EINVAL);

	assert_int_equal(xr_time_utc("2016-03-14T03:14:17-06:00", out), 0);
	assert_string_equal(out, "2016-03-14 09:14:17");
	assert_int_equal(xr_time_utc("2016-03-14T23:14:17+05:30", out), 0);
	assert_string_equal(out, "2016-03-14 17:44:17");
	assert_int_equal(xr_time_utc("2016-12-31T23:59:59.123Z", out), 0);
	assert_string_equal(out, "2016-12-31 23:59:59");
	assert_int_equal(xr_time_utc("2016-03-14T03:14:17", out), -EINVAL);
	assert_int_equal(xr_time_utc("2016-03-14T03:14:17-0600", out), -EINVAL);
	assert_int_equal(xr_time_utc("2016-03-14T03:14:17-24:00", out), -EINVAL);
	assert_int_equal(xr_time_utc("2016-02-30T03:14:17Z", out), -EINVAL);
	assert_int_equal(xr_time_utc(NULL, out), -EINVAL);

	assert_int_equal(xr_filter_time("2026-01-01 00:01:00", 90500, out, low), 0);
	assert_string_equal(out, "2025-12-31T23:59:29Z");
	assert_string_equal(low, "2025-12-31 23:59:29");
	assert_int_equal(xr_filter_time("2026-01-01T00:01:00", 0, out, low), -EINVAL);

	assert_int_equal(xr_id_list((long[]){ 1, 9007199254740991L, 42 }, 3, &list), 0);
	assert_string_equal(list, "1,9007199254740991,42");
	free(list);
}

static void test_only_a_next_link_below_the_api_is_followed(void **state)
{
	static const char *const api = "https://api.xurrent.com/v1";
	static const struct {
		const char *link, *next;
		int r;
	} cases[] = {
		{ "<https://api.xurrent.com/v1/requests?per_page=2>; rel=\"first\", "
		  "<https://api.xurrent.com/v1/requests?template_id=1,2&search_after=eyJ9>; rel=\"next\"",
		  "https://api.xurrent.com/v1/requests?template_id=1,2&search_after=eyJ9", 0 },
		{ "<https://api.xurrent.com/v1/requests?search_before=x>; rel=\"prev\"", NULL, 0 },
		{ NULL, NULL, 0 },
		{ "<https://evil.example/v1/requests?search_after=x>; rel=\"next\"", NULL, -EBADMSG },
		{ "<https://api.xurrent.com/v1evil/requests>; rel=\"next\"", NULL, -EBADMSG },
		{ "<https://api.xurrent.com.evil.example/v1/x>; rel=\"next\"", NULL, -EBADMSG },
		{ "<http://api.xurrent.com/v1/requests>; rel=\"next\"", NULL, -EBADMSG },
		{ "<https://api.xurrent.com/v1/requests?a=b c>; rel=\"next\"", NULL, -EBADMSG },
		{ "<https://api.xurrent.com/v1/requests?a=\x01>; rel=\"next\"", NULL, -EBADMSG },
		{ "garbage", NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *next = (char *)"unset";

		assert_int_equal(xr_link_next(cases[i].link, api, &next), cases[i].r);
		if (cases[i].next)
			assert_string_equal(next, cases[i].next);
		else
			assert_null(next);
		free(next);
	}
}

static void test_note_text_breaks_markup_and_fits(void **state)
{
	char *text = NULL, *big = malloc(100001);

	(void)state;
	assert_int_equal(xr_note_text("Hi <@12|Mia> ![x](https://e/x.png) <request#1> <b>ok</b> a]b", "A.1.note", &text),
			 0);
	assert_string_equal(text, "Hi < @12|Mia> ! [x] (https://e/x.png) < request#1> <b>ok</b> a]b\n\n[accessd action "
				  "A.1.note]");
	free(text);
	assert_non_null(big);
	memset(big, '!', 99999);
	big[99999] = '[';
	big[100000] = '\0';
	assert_int_equal(xr_note_text(big, "A.1", &text), 0);
	assert_true(strlen(text) <= XR_TEXT_MAX);
	assert_non_null(strstr(text, "...\n\n[accessd action A.1]"));
	free(text);
	assert_int_equal(xr_note_text("bad \xff\xfe utf-8", "A.1", &text), 0);
	assert_string_equal(text, "bad ?? utf-8\n\n[accessd action A.1]");
	free(text);
	free(big);
}

static void test_every_phase_reads_back_as_itself(void **state)
{
	const struct xr_settings *set = &xr_default_settings;

	(void)state;
	for (int p = 0; p < TICKET_PHASES; p++) {
		if (!set->status[p])
			continue;
		assert_int_equal(xr_phase_of(set, set->status[p], set->reason[p]),
				 p == TICKET_BLOCKED ? TICKET_IMPLEMENTING : p);
		assert_int_equal(ticket_phase_closed(xr_phase_of(set, set->status[p], set->reason[p])),
				 ticket_phase_closed((enum ticket_phase)p));
	}
	assert_int_equal(xr_phase_of(set, "completed", "withdrawn"), TICKET_WITHDRAWN);
	assert_int_equal(xr_phase_of(set, "completed", "declined"), TICKET_CANCELLED);
	assert_int_equal(xr_phase_of(set, "completed", NULL), TICKET_CANCELLED);
	assert_int_equal(xr_phase_of(set, "workflow_pending", NULL), TICKET_OPEN);
	assert_int_equal(xr_phase_of(set, "declined", NULL), TICKET_OPEN);
	assert_int_equal(xr_phase_of(set, NULL, NULL), TICKET_OPEN);
}

/* ---- polling ---------------------------------------------------------------- */

struct polled {
	int n;
	char ids[16][16];
	struct request last;
};

static int on_request(const struct request *req, void *userdata)
{
	struct polled *p = userdata;

	if (p->n < 16)
		snprintf(p->ids[p->n], sizeof(p->ids[0]), "%s", req->id);
	p->n++;
	request_clear(&p->last);
	return request_copy(req, &p->last);
}

static int poll(struct itsm *itsm, const char *since, struct polled *p, char **wm)
{
	request_clear(&p->last);
	memset(p, 0, sizeof(*p));
	return itsm_poll_requests(itsm, &vpn_item, 1, since, on_request, p, wm);
}

static void test_poll_pages_overlap_and_what_was_not_kept(void **state)
{
	struct itsm *itsm = open_xr(2, 0);
	struct polled p = { 0 };
	char *wm = NULL, *wm2 = NULL;

	(void)state;
	seed_requests(1, 5);
	assert_int_equal(poll(itsm, NULL, &p, &wm), 0);
	assert_int_equal(p.n, 5);
	assert_string_equal(p.ids[0], "70001");
	assert_string_equal(p.ids[4], "70005");
	assert_string_equal(wm, "2026-01-01 00:00:05");
	/* Three pages behind the Link header, the template named by its subject. */
	assert_int_equal(emu_count(&emu, "GET", "/v1/requests"), 3);
	assert_int_equal(emu_count(&emu, "GET", "/v1/request_templates"), 1);
	assert_string_equal(p.last.item_id, "201");
	assert_string_equal(p.last.item_name, "VPN Access");
	assert_string_equal(p.last.requested_for, "102");
	assert_string_equal(p.last.requested_for_upn, "Bob@Contoso.example");
	assert_string_equal(p.last.opened_by_upn, "alice@contoso.example");
	assert_string_equal(p.last.updated_on, "2026-01-01 00:00:05");
	assert_int_equal(p.last.phase, TICKET_OPEN);
	assert_string_equal(p.last.status, "workflow_pending");
	assert_string_equal(request_var(&p.last, "end_date"), "2026-02-01");
	assert_string_equal(request_var(&p.last, "seats"), "3");
	assert_string_equal(request_var(&p.last, "urgent"), "true");
	assert_null(request_var(&p.last, "list"));
	assert_null(request_var(&p.last, "none"));
	/* The overlap reaches back over all five: none comes again. */
	assert_int_equal(poll(itsm, wm, &p, &wm2), 0);
	assert_int_equal(p.n, 0);
	assert_string_equal(wm2, wm);
	free(wm2);
	wm2 = NULL;
	/* A change in the overlap is a new version. */
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"xurrent\": {\"requests\": [{\"id\": 70002, \"status\": \"completed\","
				  " \"completion_reason\": \"rejected\", \"updated_at\": \"2026-01-01T00:00:06Z\"}]}}"),
			 0);
	assert_int_equal(poll(itsm, wm, &p, &wm2), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.last.phase, TICKET_REJECTED);
	assert_string_equal(p.last.status, "completed/rejected");
	free(wm2);
	wm2 = NULL;
	/* A caller that did not keep that poll asks again from the old
	 * watermark: it gets the change again rather than never. */
	assert_int_equal(poll(itsm, wm, &p, &wm2), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.ids[0], "70002");
	free(wm);
	free(wm2);
	request_clear(&p.last);
	itsm_close(itsm);
}

static void test_one_request_found_by_its_number(void **state)
{
	struct itsm *itsm = open_xr(100, 0);
	struct polled p = { 0 };

	(void)state;
	seed_requests(1, 3);
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"xurrent\": {\"requests\": [{\"id\": 70009, \"subject\": \"laptop\", \"template_id\": 202}]}}"),
			 0);
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "70002", on_request, &p), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.last.number, "70002");
	assert_string_equal(p.last.requested_for_upn, "Bob@Contoso.example");
	/* Again, unchanged: still delivered (explain reads it as it is). */
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "70002", on_request, &p), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "70009", on_request, &p), -ENOENT);
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "99999", on_request, &p), -ENOENT);
	assert_int_equal(itsm_find_request(itsm, &vpn_item, 1, "7000&id=1", on_request, &p), -EINVAL);
	assert_int_equal(p.n, 2);
	request_clear(&p.last);
	itsm_close(itsm);
}

static void test_bad_and_hostile_answers(void **state)
{
	struct itsm *itsm = open_xr(2, 0);
	struct polled p = { 0 };
	char *wm = NULL;

	(void)state;
	seed_requests(1, 3);
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"invalid_json\", \"path\": \"^/v1/requests$\"}"), 0);
	assert_int_equal(poll(itsm, NULL, &p, &wm), -EBADMSG);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"oversize\", \"path\": \"^/v1/requests$\", \"bytes\": 300000}"),
			 0);
	assert_int_equal(poll(itsm, NULL, &p, &wm), -EFBIG);
	assert_int_equal(emu_post(&emu, "/_emu/faults", "{\"kind\": \"status\", \"status\": 401, \"path\": \"^/v1/requests$\"}"),
			 0);
	assert_int_equal(poll(itsm, NULL, &p, &wm), -EACCES);
	/* A next page somewhere else: refused before the token goes there,
	 * and before the page that names it is delivered. */
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", "{\"link_base\": \"http://127.0.0.2:1\"}"), 0);
	assert_int_equal(poll(itsm, NULL, &p, &wm), -EBADMSG);
	assert_int_equal(p.n, 0);
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", "{\"link_base\": null}"), 0);
	/* Another account: refused. */
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", "{\"account\": \"other\"}"), 0);
	assert_int_equal(poll(itsm, NULL, &p, &wm), -EACCES);
	request_clear(&p.last);
	itsm_close(itsm);
}

/* ---- pacing ----------------------------------------------------------------- */

static void test_burst_pacing_and_the_hourly_reserve(void **state)
{
	struct itsm *itsm = open_xr(100, 0);
	char *id = NULL;

	(void)state;
	/* The fake clock stands still: the 20th request waits out the window. */
	for (int i = 0; i < 25; i++) {
		assert_int_equal(itsm_find_user(itsm, "mia@contoso.example", &id), 0);
		assert_string_equal(id, "104");
		free(id);
	}
	assert_int_equal(fake.n_sleeps, 1);
	assert_int_equal(fake.sleeps[0], 2100);
	itsm_close(itsm);

	/* An hour of 12 with 5 kept back: 7 go, then nothing until it resets. */
	itsm = open_xr(100, 0);
	settings.hourly_reserve = 5;
	itsm_close(itsm);
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", "{\"rate_limit\": {\"hourly\": 12, \"window\": 3600}}"),
			 0);
	assert_int_equal(itsm_open(&conf, &retry, &fake.env, &itsm), 0);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(itsm_find_user(itsm, "mia@contoso.example", &id), 0);
		free(id);
	}
	assert_int_equal(itsm_find_user(itsm, "mia@contoso.example", &id), -EAGAIN);
	assert_int_equal(emu_count(&emu, "GET", "/v1/people"), 7);
	/* The hour passes (X-RateLimit-Reset): requests go again. */
	fake.now_ms += 3601 * 1000;
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", "{\"rate_limit\": {\"hourly\": 12, \"window\": 3600}}"),
			 0);
	assert_int_equal(itsm_find_user(itsm, "mia@contoso.example", &id), 0);
	free(id);
	itsm_close(itsm);
}

/* ---- writes ----------------------------------------------------------------- */

/* How many times the emulator's store holds TEXT (as JSON writes it). */
static int stored(const char *text)
{
	char *body = NULL;
	int n = 0;

	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/xurrent", NULL, &body), 200);
	for (const char *p = body; (p = strstr(p, text)); p++)
		n++;
	free(body);
	return n;
}

static void test_writes_happen_once(void **state)
{
	struct itsm *itsm = open_xr(100, 0);
	struct itsm_incident inc = { .short_description = "Grant failed\nfor 70001", .description = "Graph said 403",
				     .request_id = "70001" };
	char *id = NULL, *again = NULL, *body = NULL;

	(void)state;
	seed_requests(1, 1);
	assert_int_equal(itsm_add_note(itsm, "70001", "first note", "70001.r0.a.note"), 0);
	assert_int_equal(itsm_add_note(itsm, "70001", "first note", "70001.r0.a.note"), 0);
	assert_int_equal(stored("first note"), 1);
	/* The answer is lost, the note landed: found, not written again. */
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"POST\", \"path\": \"/notes$\"}"),
			 0);
	assert_int_equal(itsm_add_comment(itsm, "70001", "for the requester", "70001.r0.b.comment"), 0);
	assert_int_equal(stored("for the requester"), 1);
	assert_int_equal(itsm_set_phase(itsm, "70001", TICKET_COMPLETED, "done", "70001.r0.c.note"), 0);
	assert_int_equal(itsm_set_phase(itsm, "70001", TICKET_COMPLETED, "done", "70001.r0.c.note"), 0);
	assert_int_equal(stored("done\\n\\n[accessd action 70001.r0.c.note]"), 1);
	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/xurrent", NULL, &body), 200);
	assert_non_null(strstr(body, "\"completion_reason\": \"solved\""));
	free(body);
	assert_int_equal(itsm_set_phase(itsm, "70001", TICKET_OPEN, "no", "70001.r0.d.note"), -EINVAL);
	assert_int_equal(itsm_add_note(itsm, "1/../2", "x", "70001.r0.e.note"), -EINVAL);
	assert_int_equal(itsm_add_note(itsm, "70001", "x", "bad id!"), -EINVAL);

	assert_int_equal(itsm_create_incident(itsm, &inc, "70001.r0.t0.block", &id), 0);
	assert_int_equal(emu_post(&emu, "/_emu/faults",
				  "{\"kind\": \"drop_response\", \"method\": \"POST\", \"path\": \"^/v1/requests$\"}"),
			 0);
	assert_int_equal(itsm_create_incident(itsm, &inc, "70001.r0.t0.block", &again), 0);
	assert_string_equal(id, again);
	assert_int_equal(stored("\"category\": \"incident\""), 1);
	free(again);
	free(id);

	assert_int_equal(itsm_find_user(itsm, "bob@contoso.example", &id), 0);
	assert_string_equal(id, "102");
	free(id);
	assert_int_equal(itsm_find_user(itsm, "nobody@contoso.example", &id), -ENOENT);
	assert_int_equal(itsm_find_user(itsm, "a,b@contoso.example", &id), -EINVAL);
	assert_int_equal(itsm_find_user(itsm, ">=x", &id), -EINVAL);
	itsm_close(itsm);
}

static void test_approval_tasks_made_once_and_cancelled(void **state)
{
	struct itsm *itsm = open_xr(100, 0);
	char *id = NULL, *again = NULL, decide[128];

	(void)state;
	seed_requests(1, 1);
	assert_int_equal(itsm_create_approval(itsm, "70001", "104", "70001.r0.s0.a1.approve", &id), 0);
	assert_int_equal(itsm_create_approval(itsm, "70001", "104", "70001.r0.s0.a1.approve", &again), 0);
	assert_string_equal(id, again);
	assert_int_equal(emu_count(&emu, "POST", "/workflows/"), 1);
	assert_int_equal(emu_count(&emu, "POST", "/approvals"), 1);
	free(again);
	/* Cancelled: the task accessd made; twice is fine. */
	assert_int_equal(itsm_cancel_approval(itsm, id, "70001.r0.s0.a1.cancel"), 0);
	assert_int_equal(itsm_cancel_approval(itsm, id, "70001.r0.s0.a1.cancel"), 0);
	assert_int_equal(emu_count(&emu, "PATCH", "/v1/tasks/"), 2);
	free(id);
	/* Decided: left alone. */
	assert_int_equal(itsm_create_approval(itsm, "70001", "104", "70001.r0.s1.a2.approve", &id), 0);
	snprintf(decide, sizeof(decide), "{\"xurrent\": {\"approvals\": [{\"id\": %s, \"status\": \"approved\"}]}}",
		 strchr(id, ':') + 1);
	assert_int_equal(emu_post(&emu, "/_emu/seed", decide), 0);
	assert_int_equal(itsm_cancel_approval(itsm, id, "70001.r0.s1.a2.cancel"), -EBUSY);
	free(id);
	assert_int_equal(itsm_cancel_approval(itsm, "12", "x.cancel"), -EINVAL);
	/* A request without a workflow: no task to add to. */
	assert_int_equal(emu_post(&emu, "/_emu/seed",
				  "{\"xurrent\": {\"requests\": [{\"id\": 70009, \"subject\": \"laptop\", \"template_id\": 202}]}}"),
			 0);
	assert_int_equal(itsm_create_approval(itsm, "70009", "104", "70009.r0.s0.a.approve", &id), -EINVAL);
	itsm_close(itsm);
}

static void test_evidence_through_both_storage_providers(void **state)
{
	struct itsm *itsm = open_xr(100, 0);
	static const char data[] = "{\"evidence\": true}";
	char *body = NULL;

	(void)state;
	seed_requests(1, 1);
	assert_int_equal(itsm_attach(itsm, "70001", "evidence.json", "application/json", data, strlen(data),
				     "70001.r0.complete"),
			 0);
	assert_int_equal(itsm_attach(itsm, "70001", "evidence.json", "application/json", data, strlen(data),
				     "70001.r0.complete"),
			 0);
	assert_int_equal(emu_count(&emu, "POST", "/s3/"), 1);
	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/xurrent", NULL, &body), 200);
	assert_non_null(strstr(body, "70001.r0.complete-evidence.json"));
	free(body);
	/* On premises: the upload goes to the API, with its credentials. */
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", "{\"attachment_provider\": \"local\"}"), 0);
	assert_int_equal(itsm_attach(itsm, "70001", "evidence.json", "application/json", data, strlen(data),
				     "70001.r1.complete"),
			 0);
	assert_int_equal(emu_count(&emu, "POST", "/v1/attachments"), 1);
	/* What the storage does not allow is refused before the upload. */
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent",
				  "{\"attachment_provider\": \"s3\", \"allowed_extensions\": [\"pdf\"]}"),
			 0);
	assert_int_equal(itsm_attach(itsm, "70001", "evidence.json", "application/json", data, strlen(data),
				     "70001.r2.complete"),
			 -EINVAL);
	assert_int_equal(emu_post(&emu, "/_emu/config/xurrent", "{\"allowed_extensions\": [], \"size_limit\": 4}"), 0);
	assert_int_equal(itsm_attach(itsm, "70001", "evidence.json", "application/json", data, strlen(data),
				     "70001.r2.complete"),
			 -EINVAL);
	assert_int_equal(emu_count(&emu, "POST", "/s3/"), 1);
	assert_int_equal(itsm_attach(itsm, "70001", "../evidence.json", "application/json", data, strlen(data),
				     "70001.r3.complete"),
			 -EINVAL);
	itsm_close(itsm);
}

static void test_record_pages(void **state)
{
	struct xr_settings set = xr_default_settings;
	struct itsm *itsm = open_xr(100, 0);
	char *url = NULL;

	(void)state;
	set.account = "contoso-it";
	assert_int_equal(xr_ui_url(&set, "https://api.au.xurrent.com", &url), 0);
	assert_string_equal(url, "https://contoso-it.au.xurrent.com");
	free(url);
	assert_int_equal(xr_ui_url(&set, "https://api.xurrent.qa", &url), 0);
	assert_string_equal(url, "https://contoso-it.xurrent.qa");
	free(url);
	set.account = "Contoso IT";
	assert_int_equal(xr_ui_url(&set, "https://api.xurrent.com", &url), -EINVAL);
	set.ui_url = "https://desk.contoso.example";
	assert_int_equal(xr_ui_url(&set, "https://api.xurrent.com", &url), 0);
	assert_string_equal(url, "https://desk.contoso.example");
	free(url);
	/* Nothing is sent; the emulator's own host stands for the account's. */
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_INCIDENT, "70002", &url), 0);
	assert_non_null(strstr(url, "/requests/70002"));
	assert_int_equal(strncmp(url, emu.url, strlen(emu.url)), 0);
	free(url);
	assert_int_equal(itsm_record_url(itsm, ITSM_RECORD_REQUEST, "70002/../x", &url), -EINVAL);
	assert_int_equal(emu_count(&emu, NULL, "/v1/"), 0);
	itsm_close(itsm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_ids_and_times),
		cmocka_unit_test(test_only_a_next_link_below_the_api_is_followed),
		cmocka_unit_test(test_note_text_breaks_markup_and_fits),
		cmocka_unit_test(test_every_phase_reads_back_as_itself),
		cmocka_unit_test(test_poll_pages_overlap_and_what_was_not_kept),
		cmocka_unit_test(test_one_request_found_by_its_number),
		cmocka_unit_test(test_bad_and_hostile_answers),
		cmocka_unit_test(test_burst_pacing_and_the_hourly_reserve),
		cmocka_unit_test(test_writes_happen_once),
		cmocka_unit_test(test_approval_tasks_made_once_and_cancelled),
		cmocka_unit_test(test_evidence_through_both_storage_providers),
		cmocka_unit_test(test_record_pages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
