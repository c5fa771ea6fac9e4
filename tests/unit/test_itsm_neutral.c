/* SPDX-License-Identifier: Apache-2.0 */
/* The workflow is the same whatever the ITSM calls its states. The real
 * agent (cycle, drive, executor, journal, audit) runs against a stand-in
 * ITSM that keeps its tickets and approval records in its own words, and
 * against the emulator's Graph for the directory; the same story is played
 * with three vocabularies (ServiceNow's codes, words shaped like Xurrent's
 * statuses and completion reasons, and like TOPdesk's processing
 * statuses), and each run must make the same calls at the neutral boundary,
 * end every request in the same workflow state and leave each ticket in its
 * own ITSM's word for that end.
 *
 * The stand-in is a test double on purpose: it stands for "another ITSM",
 * which the emulator does not serve yet. It maps words the way a connector
 * must (doc/itsm.md): phases accessd writes to its words, its words back to
 * the nearest phase and decision. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "connectors/directory.h"
#include "connectors/itsm.h"
#include "connectors/notify.h"
#include "emu.h"
#include "links.h"
#include "store/state.h"
#include "util/civil.h"

#define TENANT "b4dbfff9-4097-4dfd-8988-c823b329885b"
#define CLIENT "5d0b9a1e-8c47-4f2a-b6e3-2f1c7d9a4e80"
#define SECRET "Gr4ph-cl1ent-s3cret!"
#define G_VPN "70940853-3a35-40c8-aef5-a5aced4a31fc"
#define U_BOB "0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a02"
#define U_CAROL "0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a03"
#define U_DAVE "0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a07"
#define U_ERIN "0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a08"
#define U_MIA "0b0e2a41-1c3d-4e5f-8a9b-0c1d2e3f4a04"
#define U_VICTOR "d420265c-e4c3-405f-8f92-f5fb6894fdbd"

/* 2026-11-25T09:00:00Z */
#define NOW_MS INT64_C(1795597200000)
#define DAY_MS INT64_C(86400000)

/* ---- an ITSM with words of its own --------------------------------------- */

/* How one ITSM writes each phase and decision. Reading takes the first
 * phase written with a word whose closedness agrees; another word reads as
 * open, or as cancelled when it is a closed one. */
struct vocabulary {
	const char *phase[TICKET_PHASES];
	const char *decision[APPROVAL_DECISIONS];
	const char *open;       /* a new ticket */
	const char *closed[6];  /* the words of a closed ticket, NULL-terminated */
};

static const struct vocabulary servicenow_words = {
	.phase = {
		[TICKET_SENT_BACK] = "-5", [TICKET_IMPLEMENTING] = "2", [TICKET_BLOCKED] = "2",
		[TICKET_COMPLETED] = "3", [TICKET_REJECTED] = "4", [TICKET_EXPIRED] = "4",
		[TICKET_DUPLICATE] = "7", [TICKET_WITHDRAWN] = "4",
	},
	.decision = { [APPROVAL_REQUESTED] = "requested", [APPROVAL_APPROVED] = "approved",
		      [APPROVAL_REJECTED] = "rejected", [APPROVAL_CANCELLED] = "cancelled" },
	.open = "1",
	.closed = { "3", "4", "7" },
};

static const struct vocabulary xurrent_words = {
	.phase = {
		[TICKET_SENT_BACK] = "waiting_for_customer", [TICKET_IMPLEMENTING] = "in_progress",
		[TICKET_BLOCKED] = "waiting_for", [TICKET_COMPLETED] = "completed/solved",
		[TICKET_REJECTED] = "completed/rejected", [TICKET_EXPIRED] = "completed/no_reply",
		[TICKET_DUPLICATE] = "completed/duplicate", [TICKET_WITHDRAWN] = "completed/withdrawn",
	},
	.decision = { [APPROVAL_REQUESTED] = "assigned", [APPROVAL_APPROVED] = "approved",
		      [APPROVAL_REJECTED] = "rejected", [APPROVAL_CANCELLED] = "canceled" },
	.open = "assigned",
	.closed = { "completed/solved", "completed/rejected", "completed/no_reply", "completed/duplicate",
		    "completed/withdrawn" },
};

static const struct vocabulary topdesk_words = {
	.phase = {
		[TICKET_SENT_BACK] = "Waiting for user", [TICKET_IMPLEMENTING] = "In progress",
		[TICKET_BLOCKED] = "On hold: IAM", [TICKET_COMPLETED] = "Closed: completed",
		[TICKET_REJECTED] = "Closed: not authorised", [TICKET_EXPIRED] = "Closed: no authorisation in time",
		[TICKET_DUPLICATE] = "Closed: duplicate", [TICKET_WITHDRAWN] = "Closed: withdrawn",
	},
	.decision = { [APPROVAL_REQUESTED] = "authorization/open", [APPROVAL_APPROVED] = "authorization/approve",
		      [APPROVAL_REJECTED] = "authorization/reject", [APPROVAL_CANCELLED] = "authorization/cancelled" },
	.open = "Registered",
	.closed = { "Closed: completed", "Closed: not authorised", "Closed: no authorisation in time",
		    "Closed: duplicate", "Closed: withdrawn" },
};

#define MAX_RECORDS 16
#define MAX_TRACE 128

struct ticket {
	char id[16], number[16], requested_for[64], opened_by[64], why[128];
	const char *word;
	int changed; /* when it last changed, in the ledger's sequence */
};

struct approval_record {
	char id[16], request_id[16], approver[64], action_id[128], comments[128];
	const char *word;
	int changed;
};

/* The stand-in ITSM's store, and what accessd asked of it, in neutral
 * terms: the trace must be the same whatever the words. */
struct ledger {
	const struct vocabulary *v;
	struct ticket tickets[MAX_RECORDS];
	size_t n_tickets;
	struct approval_record approvals[MAX_RECORDS];
	size_t n_approvals;
	int seq;
	char *trace[MAX_TRACE];
	size_t n_trace;
};

static struct ledger *ledger; /* the one the open connector serves */

static void trace(struct ledger *l, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;

	va_start(ap, fmt);
	assert_true(vasprintf(&line, fmt, ap) >= 0);
	va_end(ap);
	assert_true(l->n_trace < MAX_TRACE);
	l->trace[l->n_trace++] = line;
}

static enum ticket_phase phase_of(const struct vocabulary *v, const char *word)
{
	int closed = 0;

	for (size_t i = 0; v->closed[i]; i++)
		closed |= strcmp(v->closed[i], word) == 0;
	for (int p = 0; p < TICKET_PHASES; p++)
		if (v->phase[p] && strcmp(v->phase[p], word) == 0 && ticket_phase_closed((enum ticket_phase)p) == closed)
			return (enum ticket_phase)p;
	return closed ? TICKET_CANCELLED : TICKET_OPEN;
}

static enum approval_decision decision_of(const struct vocabulary *v, const char *word)
{
	for (int d = 0; d < APPROVAL_DECISIONS; d++)
		if (v->decision[d] && strcmp(v->decision[d], word) == 0)
			return (enum approval_decision)d;
	return APPROVAL_UNKNOWN;
}

/* The ledger's sequence as the "YYYY-MM-DD HH:MM:SS" a watermark is. */
static void stamp(int seq, char out[20])
{
	assert_int_equal(civil_format(NOW_MS + (int64_t)seq * 1000, out), 0);
}

static int since_seq(const char *since)
{
	int64_t ms;

	if (!since)
		return 0;
	assert_int_equal(civil_parse(since, CIVIL_DATE_TIME, &ms), 0);
	return (int)((ms - NOW_MS) / 1000);
}

static struct ticket *ticket(struct ledger *l, const char *id)
{
	for (size_t i = 0; i < l->n_tickets; i++)
		if (strcmp(l->tickets[i].id, id) == 0)
			return &l->tickets[i];
	return NULL;
}

static int fake_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
		     void **ret_impl)
{
	*ret_impl = ledger;
	return 0;
}

static void fake_close(void *impl)
{
}

static int fake_poll_requests(void *impl, const struct item_config *items, size_t n_items, const char *since,
			      itsm_request_cb cb, void *userdata, char **ret_watermark)
{
	struct ledger *l = impl;
	int from = since_seq(since), r = 0;
	char wm[20];

	for (size_t i = 0; i < l->n_tickets && r == 0; i++) {
		struct ticket *t = &l->tickets[i];
		struct variable var = { "why", t->why };
		char on[20];
		struct request req = {
			.id = t->id,
			.number = t->number,
			.item_id = "vpn",
			.item_name = "VPN Access",
			.requested_for = t->requested_for,
			.opened_by = t->opened_by,
			.requested_for_upn = t->requested_for,
			.opened_by_upn = t->opened_by,
			.phase = phase_of(l->v, t->word),
			.status = (char *)t->word,
			.updated_on = on,
			.vars = &var,
			.n_vars = t->why[0] ? 1 : 0,
		};

		if (t->changed <= from)
			continue;
		stamp(t->changed, on);
		r = cb(&req, userdata);
	}
	stamp(l->seq, wm);
	*ret_watermark = strdup(wm);
	return r;
}

static int fake_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
			       itsm_approval_cb cb, void *userdata, char **ret_watermark)
{
	struct ledger *l = impl;
	int from = since_seq(since), r = 0;
	char wm[20];

	for (size_t i = 0; i < l->n_approvals && r == 0; i++) {
		struct approval_record *a = &l->approvals[i];
		char on[20];
		struct approval ap = {
			.id = a->id,
			.request_id = a->request_id,
			.approver = a->approver,
			.approver_upn = a->approver,
			.decision = decision_of(l->v, a->word),
			.status = (char *)a->word,
			.comments = a->comments[0] ? a->comments : NULL,
			.updated_on = on,
			/* Every record in this ledger is changed by its approver. */
			.decided_by = a->approver,
			.by_approver = 1,
		};

		if (a->changed <= from)
			continue;
		stamp(a->changed, on);
		r = cb(&ap, userdata);
	}
	stamp(l->seq, wm);
	*ret_watermark = strdup(wm);
	return r;
}

static int fake_find_user(void *impl, const char *upn, char **ret_id)
{
	*ret_id = strdup(upn);
	return *ret_id ? 0 : -ENOMEM;
}

/* This ITSM holds no record accessd did not make. */
static int fake_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms,
			  const char *exclude_id, struct itsm_open **ret, size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	return 0;
}

static int fake_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
				char **ret_id)
{
	struct ledger *l = impl;
	struct approval_record *a;

	for (size_t i = 0; i < l->n_approvals; i++)
		if (strcmp(l->approvals[i].action_id, action_id) == 0) {
			*ret_id = strdup(l->approvals[i].id);
			return 0;
		}
	assert_true(l->n_approvals < MAX_RECORDS);
	a = &l->approvals[l->n_approvals++];
	snprintf(a->id, sizeof(a->id), "ap%zu", l->n_approvals);
	snprintf(a->request_id, sizeof(a->request_id), "%s", request_id);
	snprintf(a->approver, sizeof(a->approver), "%s", approver_id);
	snprintf(a->action_id, sizeof(a->action_id), "%s", action_id);
	a->word = l->v->decision[APPROVAL_REQUESTED];
	a->changed = ++l->seq;
	trace(l, "%s: approval asked of %s", ticket(l, request_id)->number, approver_id);
	*ret_id = strdup(a->id);
	return 0;
}

static int fake_cancel_approval(void *impl, const char *approval_id, const char *action_id)
{
	struct ledger *l = impl;

	trace(l, "approval %s cancelled", approval_id);
	return 0;
}

static int fake_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
			  const char *action_id)
{
	struct ledger *l = impl;
	struct ticket *t = ticket(l, request_id);

	if (!t || !l->v->phase[phase])
		return -EINVAL;
	t->word = l->v->phase[phase];
	t->changed = ++l->seq;
	trace(l, "%s: %s, noting \"%s\"", t->number, ticket_phase_name(phase), note);
	return 0;
}

/* TEXT written on the ticket as WHAT; the write changes the ticket, as on
 * every ITSM, so the next poll brings it again. */
static int write_text(struct ledger *l, const char *request_id, const char *what, const char *text)
{
	struct ticket *t = ticket(l, request_id);

	t->changed = ++l->seq;
	trace(l, "%s: %s \"%s\"", t->number, what, text);
	return 0;
}

static int fake_add_note(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return write_text(impl, request_id, "note", text);
}

static int fake_add_comment(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return write_text(impl, request_id, "comment", text);
}

static int fake_attach(void *impl, const char *request_id, const char *file_name, const char *content_type,
		       const void *data, size_t len, const char *action_id)
{
	struct ledger *l = impl;

	trace(l, "%s: attached %s", ticket(l, request_id)->number, file_name);
	return 0;
}

static int fake_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id)
{
	struct ledger *l = impl;

	trace(l, "incident \"%s\"", inc->short_description);
	*ret_id = strdup("INC1");
	return 0;
}

/* Its record pages, as a connector builds them from its base URL. */
static int fake_record_url(void *impl, enum itsm_record kind, const char *id, char **ret_url)
{
	(void)impl;
	return asprintf(ret_url, "https://ledger.example/%s/%s", kind == ITSM_RECORD_REQUEST ? "ticket" : "incident",
			id) < 0
		       ? -ENOMEM
		       : 0;
}

static const struct itsm_ops fake_ops = {
	.conf = { .kind = "ledger" },
	.open = fake_open,
	.close = fake_close,
	.poll_requests = fake_poll_requests,
	.poll_approvals = fake_poll_approvals,
	.find_user = fake_find_user,
	.find_open = fake_find_open,
	.create_approval = fake_create_approval,
	.cancel_approval = fake_cancel_approval,
	.set_phase = fake_set_phase,
	.add_note = fake_add_note,
	.add_comment = fake_add_comment,
	.attach = fake_attach,
	.create_incident = fake_create_incident,
	.record_url = fake_record_url,
};

static const struct conf_connector *ledger_connector(size_t i)
{
	return i == 0 ? &fake_ops.conf : NULL;
}

static const struct conf_connectors with_ledger = {
	.itsm = ledger_connector,
	.directory = directory_connector,
	.notify = notify_connector,
};

/* ---- the story ---------------------------------------------------------- */

static struct emu emu;

static int setup(void **state)
{
	return emu_start(&emu) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	emu_stop(&emu);
	return 0;
}

static void seed_graph(void)
{
	static const char *const people[][3] = {
		{ U_BOB, "bob", U_MIA },	{ U_CAROL, "carol", U_MIA }, { U_DAVE, "dave", U_MIA },
		{ U_ERIN, "erin", U_MIA },	{ U_MIA, "mia", NULL },      { U_VICTOR, "victor", NULL },
	};
	char body[4096];
	size_t n;

	assert_int_equal(emu_post(&emu, "/_emu/reset", "{}"), 0);
	n = (size_t)snprintf(body, sizeof(body), "{\"graph\": {\"clients\": {\"" CLIENT "\": \"" SECRET "\"}, \"users\": [");
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      "%s{\"id\": \"%s\", \"userPrincipalName\": \"%s@contoso.example\", \"mail\": "
				      "\"%s@contoso.example\", \"accountEnabled\": true, \"userType\": \"Member\", "
				      "\"employeeType\": \"Employee\", \"mailbox\": {\"status\": \"disabled\"}%s%s%s}",
				      i ? ", " : "", people[i][0], people[i][1], people[i][1],
				      people[i][2] ? ", \"manager\": \"" : "", people[i][2] ? people[i][2] : "",
				      people[i][2] ? "\"" : "");
	snprintf(body + n, sizeof(body) - n,
		 "], \"groups\": [{\"id\": \"" G_VPN "\", \"displayName\": \"VPN-Users\", \"securityEnabled\": true, "
		 "\"mailEnabled\": false, \"owners\": [\"" U_VICTOR "\"], \"members\": []}]}}");
	assert_int_equal(emu_post(&emu, "/_emu/seed", body), 0);
}

/* The agent, built from its parts as agent_new would, with the ledger as
 * its ITSM and a clock the test moves. */
struct run {
	struct ledger l;
	char dir[64];
	int64_t now_ms;
	struct clock clock;
	struct agent *a;
};

static int64_t run_now(void *ctx)
{
	return ((struct run *)ctx)->now_ms;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void start(struct run *run, const struct vocabulary *v)
{
	char path[128], secret[128], text[4096];
	struct config *cfg = NULL;
	struct diag d = { 0 };

	memset(run, 0, sizeof(*run));
	run->l.v = v;
	ledger = &run->l;
	run->now_ms = NOW_MS;
	run->clock = (struct clock){ .now_ms = run_now, .ctx = run };
	snprintf(run->dir, sizeof(run->dir), "/tmp/accessd-neutral-XXXXXX");
	assert_non_null(mkdtemp(run->dir));
	snprintf(secret, sizeof(secret), "%s/graph.secret", run->dir);
	write_file(secret, SECRET "\n", 0600);
	snprintf(text, sizeof(text),
		 "daemon = { state_directory = \"%s/state\"; };\n"
		 "itsm = { kind = \"ledger\"; base_url = \"http://127.0.0.1:1\";\n"
		 "  auth = { method = \"basic\"; username = \"u\"; password_file = \"%s\"; }; };\n"
		 "directory = { kind = \"entra\"; base_url = \"%s/v1.0\"; tenant_id = \"" TENANT "\";\n"
		 "  auth = { method = \"client_credentials\"; client_id = \"" CLIENT "\"; client_secret_file = \"%s\";\n"
		 "           token_url = \"%s/" TENANT "/oauth2/v2.0/token\"; }; };\n"
		 "retry = { max_attempts = 2; initial_backoff = \"0s\"; max_backoff = \"1s\"; budget = \"2s\"; };\n"
		 "policy = {\n"
		 "  targets = ( { name = \"VPN-Users\"; kind = \"group\"; group_id = \"" G_VPN "\"; owner = \"" U_VICTOR "\"; } );\n"
		 "  items = ( { name = \"VPN Access\"; allow = ( \"VPN-Users\" ); target = \"VPN-Users\";\n"
		 "    variables = { justification = \"why\"; };\n"
		 "    stages = ( { name = \"manager\"; approvers = ( \"manager\" ); backup = ( \"user:" U_VICTOR "\" );\n"
		 "                 escalate_after = \"24h\"; expire_after = \"5d\"; },\n"
		 "               { name = \"owner\"; approvers = ( \"target_owner\" ); expire_after = \"5d\"; } ); } );\n"
		 "};\n",
		 run->dir, secret, emu.url, secret, emu.url);
	snprintf(path, sizeof(path), "%s/accessd.conf", run->dir);
	write_file(path, text, 0600);
	if (conf_load(path, &with_ledger, &cfg, &d) < 0)
		diag_print(&d, stderr);
	diag_clear(&d);
	assert_non_null(cfg);
	run->a = calloc(1, sizeof(*run->a));
	assert_non_null(run->a);
	run->a->cfg = cfg;
	run->a->clock = &run->clock;
	assert_int_equal(itsm_open_ops(&fake_ops, &cfg->itsm, &cfg->retry, NULL, &run->a->itsm), 0);
	assert_int_equal(links_open(cfg, &run->clock, &run->a->links), 0);
	assert_int_equal(agent_open_journal(run->a, false), 0);
}

static void stop(struct run *run)
{
	char cmd[128];

	agent_free(run->a);
	for (size_t i = 0; i < run->l.n_trace; i++)
		free(run->l.trace[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run->dir);
	assert_int_equal(system(cmd), 0);
}

/* One poll, a minute after the last. */
static void cycle(struct run *run)
{
	run->now_ms += 60 * 1000;
	assert_int_equal(agent_cycle(run->a), 0);
}

/* A new ticket in the ITSM's word for a new ticket. */
static void open_ticket(struct run *run, const char *number, const char *person, const char *why)
{
	struct ledger *l = &run->l;
	struct ticket *t = &l->tickets[l->n_tickets++];

	snprintf(t->id, sizeof(t->id), "t%zu", l->n_tickets);
	snprintf(t->number, sizeof(t->number), "%s", number);
	snprintf(t->requested_for, sizeof(t->requested_for), "%s@contoso.example", person);
	snprintf(t->opened_by, sizeof(t->opened_by), "%s@contoso.example", person);
	snprintf(t->why, sizeof(t->why), "%s", why);
	t->word = l->v->open;
	t->changed = ++l->seq;
}

static struct ticket *by_number(struct run *run, const char *number)
{
	for (size_t i = 0; i < run->l.n_tickets; i++)
		if (strcmp(run->l.tickets[i].number, number) == 0)
			return &run->l.tickets[i];
	fail_msg("no ticket %s", number);
	return NULL;
}

/* WHO decides their newest approval record of NUMBER, in the ITSM's words. */
static void decide(struct run *run, const char *number, const char *who, enum approval_decision d, const char *why)
{
	struct ticket *t = by_number(run, number);
	struct approval_record *found = NULL;
	char upn[64];

	snprintf(upn, sizeof(upn), "%s@contoso.example", who);
	for (size_t i = 0; i < run->l.n_approvals; i++)
		if (strcmp(run->l.approvals[i].request_id, t->id) == 0 && strcmp(run->l.approvals[i].approver, upn) == 0)
			found = &run->l.approvals[i];
	assert_non_null(found);
	found->word = run->l.v->decision[d];
	snprintf(found->comments, sizeof(found->comments), "%s", why ? why : "");
	found->changed = ++run->l.seq;
}

static const char *workflow(struct run *run, const char *number)
{
	const struct state_request *sr = state_request_find(run->a->state, "ledger", by_number(run, number)->id);

	assert_non_null(sr);
	return sr->workflow;
}

static int vpn_members(void)
{
	char *body = NULL;
	cJSON *root;
	const cJSON *m;
	int n = 0;

	assert_int_equal(emu_call(&emu, "GET", "/_emu/state/graph", NULL, &body), 200);
	root = cJSON_Parse(body);
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(root, "memberships"))
		n += strcmp(cJSON_GetObjectItemCaseSensitive(m, "group")->valuestring, G_VPN) == 0;
	cJSON_Delete(root);
	free(body);
	return n;
}

/* What the story ends with, for one vocabulary. */
struct ending {
	char workflow[5][STATE_WORKFLOW_MAX];
	const char *word[5];
	int members;
};

static const char *const numbers[5] = { "REQ-1", "REQ-2", "REQ-3", "REQ-4", "REQ-5" };

/* Five requests: granted after two approvals; sent back, then rejected
 * with a reason; withdrawn in the ITSM while it waits; a duplicate of the
 * first; and one nobody decides, escalated and then expired. */
static void story(struct run *run, struct ending *end)
{
	open_ticket(run, "REQ-1", "bob", "Remote work");
	open_ticket(run, "REQ-2", "carol", "");
	open_ticket(run, "REQ-3", "dave", "On call");
	cycle(run);
	assert_string_equal(workflow(run, "REQ-1"), "awaiting-approval");
	assert_string_equal(workflow(run, "REQ-2"), "sent-back");
	assert_string_equal(by_number(run, "REQ-2")->word, run->l.v->phase[TICKET_SENT_BACK]);

	open_ticket(run, "REQ-4", "bob", "Remote work");
	snprintf(by_number(run, "REQ-2")->why, sizeof(by_number(run, "REQ-2")->why), "Audit season");
	by_number(run, "REQ-2")->changed = ++run->l.seq;
	decide(run, "REQ-1", "mia", APPROVAL_APPROVED, NULL);
	by_number(run, "REQ-3")->word = run->l.v->phase[TICKET_WITHDRAWN];
	by_number(run, "REQ-3")->changed = ++run->l.seq;
	cycle(run);
	assert_string_equal(workflow(run, "REQ-4"), "duplicate");
	assert_string_equal(workflow(run, "REQ-3"), "withdrawn");
	assert_string_equal(workflow(run, "REQ-2"), "awaiting-approval");

	decide(run, "REQ-1", "victor", APPROVAL_APPROVED, NULL);
	decide(run, "REQ-2", "mia", APPROVAL_REJECTED, "Not in the audit team");
	open_ticket(run, "REQ-5", "erin", "Travel");
	cycle(run);
	assert_int_equal(vpn_members(), 1);

	/* Nobody decides REQ-5: the backup is added after a day, and the stage
	 * expires after five. */
	run->now_ms += DAY_MS + 1000;
	cycle(run);
	run->now_ms += 5 * DAY_MS;
	cycle(run);
	cycle(run);
	for (size_t i = 0; i < 5; i++) {
		snprintf(end->workflow[i], sizeof(end->workflow[i]), "%s", workflow(run, numbers[i]));
		end->word[i] = by_number(run, numbers[i])->word;
	}
	end->members = vpn_members();
}

static void test_the_same_story_in_three_vocabularies(void **state)
{
	static const struct vocabulary *const vocabularies[] = { &servicenow_words, &xurrent_words, &topdesk_words };
	static const char *const expected[5] = { "completed", "rejected", "withdrawn", "duplicate", "expired" };
	static const enum ticket_phase expected_phase[5] = { TICKET_COMPLETED, TICKET_REJECTED, TICKET_WITHDRAWN,
							      TICKET_DUPLICATE, TICKET_EXPIRED };
	static const char *const moves[] = { "REQ-2: sent_back", "REQ-4: duplicate", "REQ-2: rejected",
					     "REQ-1: implementing", "REQ-1: completed", "REQ-5: expired" };
	struct run runs[3];
	struct ending ends[3];
	size_t k = 0;

	for (size_t v = 0; v < 3; v++) {
		seed_graph();
		start(&runs[v], vocabularies[v]);
		story(&runs[v], &ends[v]);
		/* Each ticket ends in its own ITSM's word for how it ended: the
		 * withdrawn one keeps the word the ITSM gave it. */
		for (size_t i = 0; i < 5; i++) {
			assert_string_equal(ends[v].workflow[i], expected[i]);
			assert_string_equal(ends[v].word[i], vocabularies[v]->phase[expected_phase[i]]);
		}
		assert_int_equal(ends[v].members, 1);
	}
	/* And every ITSM was asked exactly the same, in the same order. */
	for (size_t v = 1; v < 3; v++) {
		assert_int_equal(runs[v].l.n_trace, runs[0].l.n_trace);
		for (size_t i = 0; i < runs[0].l.n_trace; i++)
			assert_string_equal(runs[v].l.trace[i], runs[0].l.trace[i]);
	}
	/* The phases it was moved through, in order (a withdrawn ticket is
	 * closed already, so it only gets a note). */
	for (size_t i = 0; i < runs[0].l.n_trace; i++) {
		const char *line = runs[0].l.trace[i], *noting = strstr(line, ", noting");

		if (!noting)
			continue;
		assert_true(k < sizeof(moves) / sizeof(moves[0]));
		assert_int_equal(strlen(moves[k]), (size_t)(noting - line));
		assert_memory_equal(line, moves[k], strlen(moves[k]));
		k++;
	}
	assert_int_equal(k, sizeof(moves) / sizeof(moves[0]));
	for (size_t v = 0; v < 3; v++)
		stop(&runs[v]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_same_story_in_three_vocabularies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
