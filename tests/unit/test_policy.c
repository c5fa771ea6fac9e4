/* SPDX-License-Identifier: Apache-2.0 */
/* The policy rules, table-driven, against the example configuration
 * (conf/accessd.conf): every rule with a passing and a failing case, and
 * both seed cases end to end through policy_prepare and policy_evaluate. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "connectors/connectors.h"
#include "core/facts.h"
#include "core/policy.h"
#include "example_conf.h"

/* The people of the example configuration, and a few more. */
#define MGR "0a1b2c3d-0000-4000-8000-00000000000a"
#define BOSS "0a1b2c3d-0000-4000-8000-00000000000b"
#define ALICE "0a1b2c3d-0000-4000-8000-0000000a11ce"
#define BOB "0a1b2c3d-0000-4000-8000-000000000b0b"
#define CARL "0a1b2c3d-0000-4000-8000-00000000ca71"
#define SPON "0a1b2c3d-0000-4000-8000-00000000500e"
#define SEC1 "0a1b2c3d-0000-4000-8000-000000005ec1"
#define SEC2 "0a1b2c3d-0000-4000-8000-000000005ec2"
#define SDL "d420265c-e4c3-405f-8f92-f5fb6894fdbd"   /* manager stage backup */
#define SECB "e0ab2f8d-e8d3-423d-9602-0f53c5f6e5da"  /* security backup */
#define MBO "7cf9fc67-6d20-49c2-ad63-81a962c05601"   /* mailbox owner */
#define MBB "7d8f20a6-4e83-4e5b-84b2-d98ee9dd93e3"   /* mailbox backup owner */
#define ADMO "e6766da0-7ebf-43f0-84b7-a026cf4f4678"  /* Server-Admins owner */
#define SECGROUP "c04ae1be-6a78-47ef-b99e-6777171d5de0"
#define DESK "0a1b2c3d-0000-4000-8000-00000000de5c"     /* a service-desk agent */
#define DESKGROUP "5e7d1c2b-8a9f-4b3c-9d2e-1f0a3b4c5d6e" /* the service desk */

static const struct {
	const char *key, *id, *employee_type, *user_type, *manager;
} people[] = {
	{ "mgr", MGR, "Employee", "Member", BOSS },   { "boss", BOSS, "Employee", "Member", NULL },
	{ "alice", ALICE, "Employee", "Member", MGR }, { "bob", BOB, "Employee", "Member", BOSS },
	{ "carl", CARL, "Contractor", "Member", MGR }, { "spon", SPON, "Employee", "Member", BOSS },
	{ "sec1", SEC1, "Employee", "Member", BOSS },  { "sec2", SEC2, "Employee", "Member", BOSS },
	{ "sdl", SDL, "Employee", "Member", BOSS },    { "secb", SECB, "Employee", "Member", BOSS },
	{ "mbo", MBO, "Employee", "Member", BOSS },    { "mbb", MBB, "Employee", "Member", BOSS },
	{ "admo", ADMO, "Employee", "Member", BOSS },  { "gina", "0a1b2c3d-0000-4000-8000-00000000671a", NULL, "Guest", MGR },
	{ "desk", DESK, "Employee", "Member", BOSS },
};
#define N_PEOPLE (sizeof(people) / sizeof(people[0]))

/* Changes to the facts, one bit each. */
enum {
	MGR_AWAY = 1 << 0,
	MGR_DISABLED = 1 << 1,
	MGR_MISSING = 1 << 2,
	SUBJECT_MISSING = 1 << 3,
	SUBJECT_DISABLED = 1 << 4,
	SEC_AWAY = 1 << 5,
	SECB_AWAY = 1 << 6,
	DUPLICATE = 1 << 7,
	HAS_ACCESS = 1 << 8,
	NO_SPONSOR = 1 << 9,
	MBO_AWAY = 1 << 10,
	SPONSOR_IS_CONTRACTOR = 1 << 11,
	/* What the rules of the example read. */
	FINANCE = 1 << 12,       /* the person's department is Finance */
	IT_DEPT = 1 << 13,       /* ... is IT */
	APOLLO_MEMBER = 1 << 14, /* a direct member of the Apollo team group */
	HOLDS_WIKI = 1 << 15,    /* already holds Project-Apollo-Wiki */
	NIGHT = 1 << 16,         /* 03:00 in Amsterdam, not 09:00 */
	NO_ZONE = 1 << 17,       /* Amsterdam cannot be resolved */
	SDL_AWAY = 1 << 18,      /* the manager stages' backup is away too */
	GROUPS_KNOWN = 1 << 19,  /* the person's direct groups were read */
};

/* Issue 12: people who have left or not started, requesters, refused values. */
#define MGR_DEPARTED (1u << 20) /* left yesterday */
#define MGR_NOT_STARTED (1u << 21) /* starts next week */
#define SUBJECT_DEPARTED (1u << 22)
#define SUBJECT_NOT_STARTED (1u << 23)
#define SUBJECT_REFUSED (1u << 24) /* a value of the record was refused */
#define REQUESTER_DEPARTED (1u << 25)
#define SPONSOR_DEPARTED (1u << 26)
#define SPONSOR_NOT_STARTED (1u << 27)
#define REQUESTER_IN_DESK (1u << 28) /* the requester is in the service-desk group */
#define VERIFIER_OUTSIDE (1u << 29) /* the verifier is not */
#define VERIFIER_DEPARTED (1u << 30)
#define REQ_REFUSED (1u << 31) /* the connector refused a field */

#define DAY_MS (86400 * INT64_C(1000))

static struct config *cfg;
static int64_t now_ms;

static int setup(void **state)
{
	(void)state;
	if (example_conf_load(&cfg) < 0 || policy_parse_date("2026-11-25 08:00:00", 0, &now_ms) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cfg = conf_free(cfg);
	return 0;
}

static char *xdup(const char *s)
{
	char *c = s ? strdup(s) : NULL;

	assert_true(!s || c);
	return c;
}

static void make_person(struct person *p, size_t i, unsigned tweak)
{
	char upn[64];

	memset(p, 0, sizeof(*p));
	p->exists = 1;
	p->enabled = 1;
	p->presence = PRESENCE_AVAILABLE;
	snprintf(upn, sizeof(upn), "%s@contoso.example", people[i].key);
	p->id = xdup(people[i].id);
	p->upn = xdup(upn);
	p->employee_type = xdup(people[i].employee_type);
	p->user_type = xdup(people[i].user_type);
	p->manager_id = xdup(people[i].manager);
	if (strcmp(people[i].key, "mgr") == 0) {
		if (tweak & MGR_AWAY)
			p->presence = PRESENCE_AWAY;
		if (tweak & MGR_DISABLED)
			p->enabled = 0;
	}
	if ((tweak & SEC_AWAY) && strncmp(people[i].key, "sec", 3) == 0 && people[i].key[3] != 'b')
		p->presence = PRESENCE_AWAY;
	if ((tweak & SECB_AWAY) && strcmp(people[i].key, "secb") == 0)
		p->presence = PRESENCE_AWAY;
	if ((tweak & MBO_AWAY) && strcmp(people[i].key, "mbo") == 0)
		p->presence = PRESENCE_AWAY;
	if (strcmp(people[i].key, "mgr") == 0 && (tweak & MGR_DEPARTED))
		p->leave_ms = now_ms - DAY_MS;
	if (strcmp(people[i].key, "mgr") == 0 && (tweak & MGR_NOT_STARTED))
		p->hire_ms = now_ms + 7 * DAY_MS;
	if ((tweak & SDL_AWAY) && strcmp(people[i].key, "sdl") == 0)
		p->presence = PRESENCE_AWAY;
}

static size_t person_index(const char *key)
{
	for (size_t i = 0; i < N_PEOPLE; i++)
		if (strcmp(people[i].key, key) == 0)
			return i;
	fail_msg("no person %s", key);
	return 0;
}

static const char *key_of(const char *id)
{
	for (size_t i = 0; i < N_PEOPLE; i++)
		if (id && strcasecmp(people[i].id, id) == 0)
			return people[i].key;
	return id ? "?" : "-";
}

/* The stages as one line: "stage: a b(for x, away) | stage2[rule]: c",
 * a stage a rule approved with the rule's name. */
static void render(const struct policy_result *res, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t s = 0; s < res->n_stages; s++) {
		const struct policy_stage *st = &res->stages[s];

		used += (size_t)snprintf(buf + used, size - used, "%s%s%s%s%s:", s ? " | " : "", st->config->name,
					 st->rule.rule ? "[" : "", st->rule.rule ? st->rule.rule->name : "",
					 st->rule.rule ? "]" : "");
		for (size_t a = 0; a < st->n_approvers; a++) {
			const struct policy_approver *ap = &st->approvers[a];

			used += (size_t)snprintf(buf + used, size - used, " %s", key_of(ap->id));
			if (ap->reason != POLICY_SKIP_NONE)
				used += (size_t)snprintf(buf + used, size - used, "(for %s, %s)", key_of(ap->replaces),
							 policy_skip_name(ap->reason));
		}
	}
}

struct pcase {
	const char *what;
	const char *item;
	const char *subject, *requester;
	const char *vars[6]; /* "name=value" */
	unsigned tweak;
	enum policy_verdict verdict;
	enum policy_code codes[3];
	const char *target;
	const char *chain;
};

#define OK_VPN { "business_justification=Remote work for the Apollo project", "end_date=2027-01-15", "sponsor=spon" }

static const struct pcase cases[] = {
	/* Seed: a contractor asks for VPN; the manager is out of office, so the
	 * backup approves; the contractors' group is granted. */
	{ "seed: contractor VPN, manager away", "VPN Access", "carl", "carl", OK_VPN, MGR_AWAY, POLICY_PROCEED, { 0 },
	  "VPN-Users-Contractors", "manager: sdl(for mgr, away) | security: sec1 sec2" },
	/* Seed: a time-bound shared mailbox grant through its access group. */
	{ "seed: shared mailbox 30 days", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Covering for Dana", "duration=30" }, 0,
	  POLICY_PROCEED, { 0 }, "Finance Shared Mailbox", "manager: mgr | mailbox owner: mbo" },

	/* Completeness. */
	{ "employee VPN, complete", "VPN Access", "alice", "alice", { "business_justification=Travel" }, 0,
	  POLICY_PROCEED, { 0 }, "VPN-Users", "manager: mgr | security: sec1 sec2" },
	{ "justification blank", "VPN Access", "alice", "alice", { "business_justification=   " }, 0,
	  POLICY_SEND_BACK, { POLICY_JUSTIFICATION_MISSING }, "VPN-Users", "" },
	{ "time-bound without duration", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Covering" }, 0, POLICY_SEND_BACK,
	  { POLICY_END_MISSING }, "Finance Shared Mailbox", "" },
	{ "duration that is not one", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Covering", "duration=a while" }, 0,
	  POLICY_SEND_BACK, { POLICY_DATE_INVALID }, "Finance Shared Mailbox", "" },
	{ "end date that is not one", "VPN Access", "alice", "alice",
	  { "business_justification=Travel", "end_date=2026-13-01" }, 0, POLICY_SEND_BACK, { POLICY_DATE_INVALID },
	  "VPN-Users", "" },
	{ "end date in the past", "VPN Access", "alice", "alice", { "business_justification=Travel", "end_date=2026-11-24" },
	  0, POLICY_SEND_BACK, { POLICY_END_NOT_AFTER_START }, "VPN-Users", "" },
	{ "end date today is fine (end of day)", "VPN Access", "alice", "alice",
	  { "business_justification=Travel", "end_date=2026-11-25" }, 0, POLICY_PROCEED, { 0 }, "VPN-Users",
	  "manager: mgr | security: sec1 sec2" },
	{ "mailbox beyond the item's 90d", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Covering", "duration=91" }, 0, POLICY_SEND_BACK,
	  { POLICY_DURATION_TOO_LONG }, "Finance Shared Mailbox", "" },
	{ "mailbox exactly 90d", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Covering", "duration=90d" }, 0, POLICY_PROCEED,
	  { 0 }, "Finance Shared Mailbox", "manager: mgr | mailbox owner: mbo" },

	/* Allow list: free text never names an arbitrary group. */
	{ "group not on the allow list", "Add to Group", "alice", "alice",
	  { "group=Domain Admins", "business_justification=Because" }, 0, POLICY_SEND_BACK, { POLICY_TARGET_NOT_ALLOWED },
	  NULL, "" },
	{ "no group chosen", "Add to Group", "alice", "alice", { "business_justification=Because" }, 0, POLICY_SEND_BACK,
	  { POLICY_TARGET_MISSING }, NULL, "" },
	{ "standard group: manager only", "Add to Group", "alice", "alice",
	  { "group=project-apollo", "business_justification=Joining Apollo" }, 0, POLICY_PROCEED, { 0 },
	  "Project-Apollo", "manager: mgr" },
	/* Privileged => the security stage as well. */
	{ "privileged group: manager and security", "Add to Group", "alice", "alice",
	  { "group=Server-Admins", "business_justification=On-call rota" }, 0, POLICY_PROCEED, { 0 }, "Server-Admins",
	  "manager: mgr | security: sec1 sec2" },
	{ "privileged group by object id", "Add to Group", "alice", "alice",
	  { "group=1ADA63B6-44C6-442A-B397-D7EC8C7E4380", "business_justification=On-call rota" }, 0, POLICY_PROCEED,
	  { 0 }, "Server-Admins", "manager: mgr | security: sec1 sec2" },

	/* Contractors, from the directory only. */
	{ "contractor VPN, complete", "VPN Access", "carl", "carl", OK_VPN, 0, POLICY_PROCEED, { 0 },
	  "VPN-Users-Contractors", "manager: mgr | security: sec1 sec2" },
	{ "guest is a contractor too", "VPN Access", "gina", "gina", OK_VPN, 0, POLICY_PROCEED, { 0 },
	  "VPN-Users-Contractors", "manager: mgr | security: sec1 sec2" },
	{ "ticket text cannot make a contractor", "VPN Access", "alice", "alice",
	  { "business_justification=Travel", "employee_type=Contractor", "user_type=Guest" }, 0, POLICY_PROCEED, { 0 },
	  "VPN-Users", "manager: mgr | security: sec1 sec2" },
	{ "contractor without end date", "VPN Access", "carl", "carl",
	  { "business_justification=Remote work", "sponsor=spon" }, 0, POLICY_SEND_BACK, { POLICY_END_MISSING },
	  "VPN-Users-Contractors", "" },
	{ "contractor beyond 90d", "VPN Access", "carl", "carl",
	  { "business_justification=Remote work", "end_date=2027-06-01", "sponsor=spon" }, 0, POLICY_SEND_BACK,
	  { POLICY_DURATION_TOO_LONG }, "VPN-Users-Contractors", "" },
	{ "employee beyond 90d is fine", "VPN Access", "alice", "alice",
	  { "business_justification=Travel", "end_date=2027-06-01" }, 0, POLICY_PROCEED, { 0 }, "VPN-Users",
	  "manager: mgr | security: sec1 sec2" },
	{ "contractor without sponsor", "VPN Access", "carl", "carl",
	  { "business_justification=Remote work", "end_date=2027-01-15" }, 0, POLICY_SEND_BACK,
	  { POLICY_SPONSOR_MISSING }, "VPN-Users-Contractors", "" },
	{ "contractor's sponsor unknown", "VPN Access", "carl", "carl", OK_VPN, NO_SPONSOR, POLICY_SEND_BACK,
	  { POLICY_SPONSOR_INVALID }, "VPN-Users-Contractors", "" },
	{ "contractor's sponsor is a contractor", "VPN Access", "carl", "carl", OK_VPN, SPONSOR_IS_CONTRACTOR,
	  POLICY_SEND_BACK, { POLICY_SPONSOR_INVALID }, "VPN-Users-Contractors", "" },
	{ "every problem at once", "VPN Access", "carl", "carl", { "end_date=someday" }, 0, POLICY_SEND_BACK,
	  { POLICY_JUSTIFICATION_MISSING, POLICY_DATE_INVALID, POLICY_SPONSOR_MISSING }, "VPN-Users-Contractors", "" },

	/* The person and the requester. */
	{ "person not in the directory", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  SUBJECT_MISSING, POLICY_SEND_BACK, { POLICY_SUBJECT_MISSING }, "VPN-Users", "" },
	{ "person disabled", "VPN Access", "alice", "alice", { "business_justification=Travel" }, SUBJECT_DISABLED,
	  POLICY_SEND_BACK, { POLICY_SUBJECT_DISABLED }, "VPN-Users", "" },
	{ "requester is someone else", "VPN Access", "alice", "bob", { "business_justification=Travel" }, 0,
	  POLICY_SEND_BACK, { POLICY_REQUESTER_NOT_ALLOWED }, "VPN-Users", "" },
	/* The manager may ask, but then cannot approve: the backup does. */
	{ "requester is the manager", "VPN Access", "alice", "mgr", { "business_justification=Travel" }, 0,
	  POLICY_PROCEED, { 0 }, "VPN-Users", "manager: sdl(for mgr, requester) | security: sec1 sec2" },
	{ "approver is the person", "Shared Mailbox Access", "mbo", "boss",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Own mailbox", "duration=7" }, 0, POLICY_PROCEED,
	  { 0 }, "Finance Shared Mailbox", "manager: sdl(for boss, requester) | mailbox owner: mbb(for mbo, subject)" },

	/* Approvers who cannot act are replaced at once. */
	{ "manager disabled", "VPN Access", "alice", "alice", { "business_justification=Travel" }, MGR_DISABLED,
	  POLICY_PROCEED, { 0 }, "VPN-Users", "manager: sdl(for mgr, disabled) | security: sec1 sec2" },
	{ "manager gone from the directory", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  MGR_MISSING, POLICY_PROCEED, { 0 }, "VPN-Users", "manager: sdl(for mgr, missing) | security: sec1 sec2" },
	{ "mailbox owner away", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Covering", "duration=30" }, MBO_AWAY,
	  POLICY_PROCEED, { 0 }, "Finance Shared Mailbox", "manager: mgr | mailbox owner: mbb(for mbo, away)" },
	{ "whole security group away", "VPN Access", "alice", "alice", { "business_justification=Travel" }, SEC_AWAY,
	  POLICY_PROCEED, { 0 }, "VPN-Users", "manager: mgr | security: secb(for -, away)" },
	{ "security group and its backup away", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  SEC_AWAY | SECB_AWAY, POLICY_BLOCK, { POLICY_NO_APPROVER }, "VPN-Users", "manager: mgr | security:" },

	/* Duplicates and existing access. */
	{ "duplicate open request", "VPN Access", "alice", "alice", { "business_justification=Travel" }, DUPLICATE,
	  POLICY_LINK_DUPLICATE, { POLICY_DUPLICATE }, "VPN-Users", "" },
	{ "already a member", "VPN Access", "alice", "alice", { "business_justification=Travel" }, HAS_ACCESS,
	  POLICY_ALREADY_GRANTED, { POLICY_ALREADY_HAS_ACCESS }, "VPN-Users", "" },
	{ "duplicate of a request that is not allowed", "Add to Group", "alice", "alice", { "group=Domain Admins" },
	  DUPLICATE, POLICY_SEND_BACK, { POLICY_TARGET_NOT_ALLOWED, POLICY_JUSTIFICATION_MISSING }, NULL, "" },

	/* Items: by sys_id when configured, else by name. */
	{ "app role by sys_id", "*", "alice", "alice", { "business_justification=Expenses duty", "verified_by=desk" }, 0,
	  POLICY_PROCEED,
	  { 0 }, "Expenses Approver", "manager: mgr | application owner: mbo" },
	{ "item not governed", "Printer Access", "alice", "alice", { 0 }, 0, POLICY_IGNORE, { 0 }, NULL, "" },
	{ "name of an item matched by sys_id", "Application Access", "alice", "alice", { 0 }, 0, POLICY_IGNORE, { 0 },
	  NULL, "" },

	/* Rules (the example's finance-staff-short, it-staff-vpn,
	 * apollo-team and no-guest-admins): a stage a rule approves is marked
	 * with its name; its approvers are still resolved, for the record. */
	{ "finance staff, 30 days: manager by rule", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Month end", "duration=30" }, FINANCE,
	  POLICY_PROCEED, { 0 }, "Finance Shared Mailbox", "manager[finance-staff-short]: mgr | mailbox owner: mbo" },
	{ "finance staff, 31 days: the manager is asked", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Month end", "duration=31" }, FINANCE,
	  POLICY_PROCEED, { 0 }, "Finance Shared Mailbox", "manager: mgr | mailbox owner: mbo" },
	{ "IT staff, not finance: the manager is asked", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Month end", "duration=30" }, IT_DEPT,
	  POLICY_PROCEED, { 0 }, "Finance Shared Mailbox", "manager: mgr | mailbox owner: mbo" },
	{ "a contractor in finance: never by rule", "Shared Mailbox Access", "carl", "carl",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Month end", "duration=30", "sponsor=spon" },
	  FINANCE, POLICY_PROCEED, { 0 }, "Finance Shared Mailbox", "manager: mgr | mailbox owner: mbo" },
	{ "a rule stage nobody could staff needs nobody", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Month end", "duration=30" },
	  FINANCE | MGR_AWAY | SDL_AWAY, POLICY_PROCEED, { 0 }, "Finance Shared Mailbox",
	  "manager[finance-staff-short]: | mailbox owner: mbo" },
	{ "without the rule that stage blocks", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=Finance Shared Mailbox", "business_justification=Month end", "duration=30" }, MGR_AWAY | SDL_AWAY,
	  POLICY_BLOCK, { POLICY_NO_APPROVER }, "Finance Shared Mailbox", "manager: | mailbox owner: mbo" },
	{ "IT staff asking in office hours", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  IT_DEPT, POLICY_PROCEED, { 0 }, "VPN-Users", "manager[it-staff-vpn]: mgr | security: sec1 sec2" },
	{ "IT staff asking at night", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  IT_DEPT | NIGHT, POLICY_PROCEED, { 0 }, "VPN-Users", "manager: mgr | security: sec1 sec2" },
	{ "IT staff, the zone cannot be resolved", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  IT_DEPT | NO_ZONE, POLICY_PROCEED, { 0 }, "VPN-Users", "manager: mgr | security: sec1 sec2" },
	{ "IT staff, but the manager asked", "VPN Access", "alice", "mgr", { "business_justification=Travel" },
	  IT_DEPT, POLICY_PROCEED, { 0 }, "VPN-Users", "manager: sdl(for mgr, requester) | security: sec1 sec2" },
	{ "Apollo team member joins Apollo", "Add to Group", "alice", "alice",
	  { "group=Project-Apollo", "business_justification=Joining" }, APOLLO_MEMBER | GROUPS_KNOWN, POLICY_PROCEED,
	  { 0 }, "Project-Apollo", "manager[apollo-team]: mgr" },
	{ "memberships unknown: the manager is asked", "Add to Group", "alice", "alice",
	  { "group=Project-Apollo", "business_justification=Joining" }, APOLLO_MEMBER, POLICY_PROCEED, { 0 },
	  "Project-Apollo", "manager: mgr" },
	{ "already in the wiki joins Apollo", "Add to Group", "alice", "alice",
	  { "group=Project-Apollo", "business_justification=Joining" }, HOLDS_WIKI, POLICY_PROCEED, { 0 },
	  "Project-Apollo", "manager[apollo-team]: mgr" },
	{ "Apollo team member asks for Server-Admins: people decide", "Add to Group", "alice", "alice",
	  { "group=Server-Admins", "business_justification=On call" }, APOLLO_MEMBER | GROUPS_KNOWN | HOLDS_WIKI,
	  POLICY_PROCEED, { 0 }, "Server-Admins", "manager: mgr | security: sec1 sec2" },
	{ "a guest asking for Server-Admins is rejected by rule", "Add to Group", "gina", "gina",
	  { "group=Server-Admins", "business_justification=On call", "end_date=2027-01-15", "sponsor=spon" }, 0,
	  POLICY_REJECT, { 0 }, "Server-Admins", "" },
	{ "an incomplete request is sent back, not rejected", "Add to Group", "gina", "gina",
	  { "group=Server-Admins", "business_justification=On call" }, 0, POLICY_SEND_BACK,
	  { POLICY_END_MISSING, POLICY_SPONSOR_MISSING }, "Server-Admins", "" },

	/* Issue 12. People who have left or not started yet, in every role. */
	{ "manager has left: the backup at once", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  MGR_DEPARTED, POLICY_PROCEED, { 0 }, "VPN-Users", "manager: sdl(for mgr, departed) | security: sec1 sec2" },
	{ "manager has not started: the backup", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  MGR_NOT_STARTED, POLICY_PROCEED, { 0 }, "VPN-Users", "manager: sdl(for mgr, not_started) | security: sec1 sec2" },
	{ "person has left", "VPN Access", "alice", "alice", { "business_justification=Travel" }, SUBJECT_DEPARTED,
	  POLICY_SEND_BACK, { POLICY_SUBJECT_NOT_CURRENT }, "VPN-Users", "" },
	{ "person has not started", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  SUBJECT_NOT_STARTED, POLICY_SEND_BACK, { POLICY_SUBJECT_NOT_CURRENT }, "VPN-Users", "" },
	{ "person's record holds a refused value", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  SUBJECT_REFUSED, POLICY_SEND_BACK, { POLICY_SUBJECT_NOT_CURRENT }, "VPN-Users", "" },
	{ "requester has left", "VPN Access", "alice", "mgr", { "business_justification=Travel" }, REQUESTER_DEPARTED,
	  POLICY_SEND_BACK, { POLICY_REQUESTER_NOT_CURRENT }, "VPN-Users", "" },
	{ "sponsor has left", "VPN Access", "carl", "carl", OK_VPN, SPONSOR_DEPARTED, POLICY_SEND_BACK,
	  { POLICY_SPONSOR_NOT_CURRENT }, "VPN-Users-Contractors", "" },
	{ "sponsor has not started", "VPN Access", "carl", "carl", OK_VPN, SPONSOR_NOT_STARTED, POLICY_SEND_BACK,
	  { POLICY_SPONSOR_NOT_CURRENT }, "VPN-Users-Contractors", "" },

	/* Requesters as the policy says: the person, the manager, the desk. */
	{ "service desk asks for someone", "VPN Access", "alice", "desk", { "business_justification=Travel" },
	  REQUESTER_IN_DESK, POLICY_PROCEED, { 0 }, "VPN-Users", "manager: mgr | security: sec1 sec2" },
	{ "someone outside the desk cannot", "VPN Access", "alice", "desk", { "business_justification=Travel" }, 0,
	  POLICY_SEND_BACK, { POLICY_REQUESTER_NOT_ALLOWED }, "VPN-Users", "" },
	{ "verified by a desk agent", "*", "alice", "alice", { "business_justification=Expenses", "verified_by=desk" },
	  0, POLICY_PROCEED, { 0 }, "Expenses Approver", "manager: mgr | application owner: mbo" },
	{ "verification missing", "*", "alice", "alice", { "business_justification=Expenses" }, 0, POLICY_SEND_BACK,
	  { POLICY_VERIFICATION_MISSING }, "Expenses Approver", "" },
	{ "verified by the requester", "*", "alice", "alice", { "business_justification=Expenses", "verified_by=alice" },
	  0, POLICY_SEND_BACK, { POLICY_VERIFIER_INVALID }, "Expenses Approver", "" },
	{ "verified by the person", "*", "alice", "mgr", { "business_justification=Expenses", "verified_by=alice" },
	  0, POLICY_SEND_BACK, { POLICY_VERIFIER_INVALID }, "Expenses Approver", "" },
	{ "verifier outside the desk", "*", "alice", "alice", { "business_justification=Expenses", "verified_by=desk" },
	  VERIFIER_OUTSIDE, POLICY_SEND_BACK, { POLICY_VERIFIER_INVALID }, "Expenses Approver", "" },
	{ "verifier has left", "*", "alice", "alice", { "business_justification=Expenses", "verified_by=desk" },
	  VERIFIER_DEPARTED, POLICY_SEND_BACK, { POLICY_VERIFIER_INVALID }, "Expenses Approver", "" },

	/* A contractor on an item without a sponsor variable: the manager. */
	{ "contractor's manager sponsors", "*", "carl", "carl",
	  { "business_justification=Expenses", "verified_by=desk", "end_date=2027-01-15" }, 0, POLICY_PROCEED, { 0 },
	  "Expenses Approver", "manager: mgr | application owner: mbo" },
	{ "contractor's manager has left", "*", "carl", "carl",
	  { "business_justification=Expenses", "verified_by=desk", "end_date=2027-01-15" }, MGR_DEPARTED,
	  POLICY_SEND_BACK, { POLICY_SPONSOR_NOT_CURRENT }, "Expenses Approver", "" },

	/* A mailbox by its address, in any case. */
	{ "mailbox by its address", "Shared Mailbox Access", "alice", "alice",
	  { "mailbox=FINANCE@Contoso.Example", "business_justification=Covering", "duration=30" }, 0, POLICY_PROCEED,
	  { 0 }, "Finance Shared Mailbox", "manager: mgr | mailbox owner: mbo" },

	/* A value that could hide another never names a target or a person. */
	{ "group with a second name behind U+0000", "Add to Group", "alice", "alice",
	  { "group=Project-Apollo\x1aServer-Admins", "business_justification=Joining" }, 0, POLICY_SEND_BACK,
	  { POLICY_VALUE_REFUSED }, NULL, "" },
	{ "sponsor on two lines", "VPN Access", "carl", "carl",
	  { "business_justification=Remote", "end_date=2027-01-15", "sponsor=spon\nmallory" }, 0, POLICY_SEND_BACK,
	  { POLICY_VALUE_REFUSED }, NULL, "" },
	{ "a field the connector refused", "VPN Access", "alice", "alice", { "business_justification=Travel" },
	  REQ_REFUSED, POLICY_SEND_BACK, { POLICY_VALUE_REFUSED }, NULL, "" },
	{ "a justification may hold line breaks", "VPN Access", "alice", "alice",
	  { "business_justification=Travel\nand more travel" }, 0, POLICY_PROCEED, { 0 }, "VPN-Users",
	  "manager: mgr | security: sec1 sec2" },
};

struct world {
	struct person everyone[N_PEOPLE];
	struct person subject, requester, sponsor, verifier;
	const char *desk_groups[1];
	const char *secgroup[2];
	struct policy_group groups[1];
	struct request req;
	struct policy_facts facts;
	struct rule_holding holdings[1];
	struct rule_zone zones[1];
};

#define APOLLO_TEAM "4e1f7a2c-9b3d-4c8e-a5f6-2d7b8c9e0f1a"
static const char *const apollo_team[] = { APOLLO_TEAM };

static void build(struct world *w, const struct pcase *c)
{
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < N_PEOPLE; i++) {
		if ((c->tweak & MGR_MISSING) && strcmp(people[i].key, "mgr") == 0)
			continue;
		make_person(&w->everyone[n++], i, c->tweak);
	}
	make_person(&w->subject, person_index(c->subject), c->tweak);
	if (c->tweak & SUBJECT_MISSING) {
		person_clear(&w->subject);
		w->subject.exists = 0;
	}
	if (c->tweak & SUBJECT_DISABLED)
		w->subject.enabled = 0;
	if (c->tweak & SUBJECT_DEPARTED)
		w->subject.leave_ms = now_ms - 3600000;
	if (c->tweak & SUBJECT_NOT_STARTED)
		w->subject.hire_ms = now_ms + DAY_MS;
	if (c->tweak & SUBJECT_REFUSED)
		w->subject.refused = xdup("employeeType");
	if (c->tweak & (FINANCE | IT_DEPT)) {
		w->subject.attrs = calloc(1, sizeof(*w->subject.attrs));
		assert_non_null(w->subject.attrs);
		w->subject.n_attrs = 1;
		w->subject.attrs[0].name = xdup("department");
		w->subject.attrs[0].value = xdup(c->tweak & FINANCE ? "Finance" : "IT");
	}
	make_person(&w->requester, person_index(c->requester), c->tweak);
	if (c->tweak & REQUESTER_DEPARTED)
		w->requester.leave_ms = now_ms - DAY_MS;
	make_person(&w->sponsor, person_index(c->tweak & SPONSOR_IS_CONTRACTOR ? "gina" : "spon"), c->tweak);
	if (c->tweak & SPONSOR_DEPARTED)
		w->sponsor.leave_ms = now_ms - DAY_MS;
	if (c->tweak & SPONSOR_NOT_STARTED)
		w->sponsor.hire_ms = now_ms + 30 * DAY_MS;
	w->secgroup[0] = SEC1;
	w->secgroup[1] = SEC2;
	w->groups[0] = (struct policy_group){ .id = SECGROUP, .members = w->secgroup, .n_members = 2 };

	w->req.id = xdup("9d3e4f50a1b2c3d4e5f60718293a4b5c");
	w->req.number = xdup("RITM0010001");
	if (strcmp(c->item, "*") == 0) {
		w->req.item_id = xdup("2b7c4e91a3f04d5e8c1b6a7d9e0f1a2b");
		w->req.item_name = xdup("Expense Tool Roles");
	} else {
		w->req.item_name = xdup(c->item);
	}
	for (size_t i = 0; i < 6 && c->vars[i]; i++)
		w->req.n_vars++;
	w->req.vars = calloc(w->req.n_vars + 1, sizeof(*w->req.vars));
	assert_non_null(w->req.vars);
	for (size_t i = 0; i < w->req.n_vars; i++) {
		const char *eq = strchr(c->vars[i], '=');

		w->req.vars[i].name = strndup(c->vars[i], (size_t)(eq - c->vars[i]));
		w->req.vars[i].value = xdup(eq + 1);
		if (strcmp(w->req.vars[i].name, "verified_by") == 0) {
			make_person(&w->verifier, person_index(eq + 1), c->tweak);
			if (c->tweak & VERIFIER_DEPARTED)
				w->verifier.leave_ms = now_ms - DAY_MS;
			w->facts.verifier = &w->verifier;
			w->facts.verifier_in_group = !(c->tweak & VERIFIER_OUTSIDE) && strcmp(eq + 1, "desk") == 0;
		}
	}
	if (c->tweak & REQ_REFUSED)
		w->req.refused = xdup("requested_for.email");
	/* The sponsor of an item without a sponsor variable is the manager. */
	if (strcmp(c->item, "*") == 0 && strcmp(c->subject, "carl") == 0) {
		person_clear(&w->sponsor);
		make_person(&w->sponsor, person_index("mgr"), c->tweak);
	}
	w->desk_groups[0] = DESKGROUP;
	w->facts.requester_groups = w->desk_groups;
	w->facts.n_requester_groups = c->tweak & REQUESTER_IN_DESK ? 1 : 0;

	w->facts.subject = &w->subject;
	w->facts.requester = &w->requester;
	w->facts.sponsor = c->tweak & NO_SPONSOR ? NULL : &w->sponsor;
	w->facts.people = w->everyone;
	w->facts.n_people = n;
	w->facts.groups = w->groups;
	w->facts.n_groups = 1;
	w->facts.has_access = !!(c->tweak & HAS_ACCESS);
	w->facts.duplicate_of = c->tweak & DUPLICATE ? "RITM0009999" : NULL;
	w->facts.member_of_known = !!(c->tweak & GROUPS_KNOWN);
	w->facts.member_of = c->tweak & APOLLO_MEMBER ? apollo_team : NULL;
	w->facts.n_member_of = c->tweak & APOLLO_MEMBER ? 1 : 0;
	w->holdings[0] = (struct rule_holding){ conf_find_target(&cfg->policy, "Project-Apollo-Wiki"), 1,
						!!(c->tweak & HOLDS_WIKI) };
	w->facts.holdings = w->holdings;
	w->facts.n_holdings = 1;
	/* now_ms is 08:00 UTC: 09:00 in Amsterdam, or 03:00 for NIGHT. */
	w->zones[0] = (struct rule_zone){ "Europe/Amsterdam", !(c->tweak & NO_ZONE), c->tweak & NIGHT ? -5 * 3600 : 3600 };
	w->facts.zones = w->zones;
	w->facts.n_zones = 1;
}

static void destroy(struct world *w)
{
	for (size_t i = 0; i < N_PEOPLE; i++)
		person_clear(&w->everyone[i]);
	person_clear(&w->subject);
	person_clear(&w->requester);
	person_clear(&w->sponsor);
	person_clear(&w->verifier);
	request_clear(&w->req);
}

static void test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct policy_result res;
		struct world w;
		char chain[512];
		size_t n_codes = 0;

		build(&w, c);
		assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
		render(&res, chain, sizeof(chain));
		while (n_codes < 3 && c->codes[n_codes])
			n_codes++;
		if (res.verdict != c->verdict || res.n_problems != n_codes || strcmp(chain, c->chain) != 0 ||
		    (c->target ? !res.target || strcmp(res.target->name, c->target) != 0 : res.target != NULL)) {
			print_message("case \"%s\": verdict %s, target %s, chain \"%s\"\n", c->what,
				      policy_verdict_name(res.verdict), res.target ? res.target->name : "(none)", chain);
			for (size_t k = 0; k < res.n_problems; k++)
				print_message("  %s: %s\n", policy_code_name(res.problems[k].code), res.problems[k].text);
			fail_msg("case \"%s\"", c->what);
		}
		for (size_t k = 0; k < n_codes; k++) {
			assert_int_equal(res.problems[k].code, c->codes[k]);
			assert_non_null(res.problems[k].text);
			assert_true(strlen(res.problems[k].text) > 20);
		}
		policy_result_clear(&res);
		destroy(&w);
	}
}

/* The contractor seed case end to end: what to look up, then the verdict,
 * the ticket's facts and the timers. */
static void test_seed_contractor_vpn(void **state)
{
	const struct pcase *c = &cases[0];
	struct policy_lookup lk;
	struct policy_result res;
	struct world w;
	int64_t end;

	(void)state;
	build(&w, c);
	assert_int_equal(policy_prepare(cfg, &w.req, &w.subject, &lk), 0);
	assert_string_equal(lk.item->name, "VPN Access");
	assert_string_equal(lk.target->name, "VPN-Users-Contractors");
	assert_string_equal(lk.target->group_id, "7800b657-0b95-4283-8209-652cebccdcd0");
	assert_true(lk.contractor);
	assert_string_equal(lk.sponsor, "spon");
	assert_int_equal(lk.n_people, 3);
	assert_string_equal(lk.people[0], MGR);
	assert_string_equal(lk.people[1], SDL);
	assert_string_equal(lk.people[2], SECB);
	assert_int_equal(lk.n_groups, 1);
	assert_string_equal(lk.groups[0], SECGROUP);
	policy_lookup_clear(&lk);

	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_PROCEED);
	assert_true(res.contractor);
	assert_int_equal(res.start_ms, now_ms);
	assert_int_equal(policy_parse_date("2027-01-16", 0, &end), 0);
	assert_int_equal(res.end_ms, end);
	assert_int_equal(res.n_stages, 2);
	assert_string_equal(res.stages[0].approvers[0].upn, "sdl@contoso.example");
	assert_string_equal(res.stages[0].approvers[0].replaces, MGR);
	assert_int_equal(res.stages[0].approvers[0].reason, POLICY_SKIP_AWAY);
	assert_int_equal(res.stages[0].n_skipped, 1);
	assert_string_equal(res.stages[0].skipped[0].id, MGR);
	assert_string_equal(res.stages[0].skipped[0].role, "manager");
	/* The backup already stands in: nobody is left to escalate to. */
	assert_int_equal(res.stages[0].n_escalation, 0);
	assert_int_equal(res.stages[0].remind_at_ms, now_ms + 8 * 3600000LL);
	assert_int_equal(res.stages[0].escalate_at_ms, now_ms + 24 * 3600000LL);
	assert_int_equal(res.stages[0].expire_at_ms, now_ms + 5 * 86400000LL);
	assert_int_equal(res.stages[1].quorum, QUORUM_ANY);
	assert_int_equal(res.stages[1].n_escalation, 1);
	assert_string_equal(res.stages[1].escalation[0].id, SECB);
	assert_int_equal(res.stages[1].remind_at_ms, 0);
	policy_result_clear(&res);
	destroy(&w);
}

/* The mailbox seed case: the owner does not answer, the backup owner is
 * added at 24h; the access ends after the duration. */
static void test_seed_shared_mailbox(void **state)
{
	const struct pcase *c = &cases[1];
	struct policy_lookup lk;
	struct policy_result res;
	struct world w;
	int64_t remind, escalate, expire;

	(void)state;
	build(&w, c);
	assert_int_equal(policy_prepare(cfg, &w.req, &w.subject, &lk), 0);
	assert_int_equal(lk.target->kind, TARGET_MAILBOX);
	assert_string_equal(lk.target->group_id, "b0a42d18-699f-4f11-89b2-6a7f971a081d");
	assert_false(lk.contractor);
	assert_int_equal(lk.n_people, 4);
	assert_string_equal(lk.people[0], MGR);
	assert_string_equal(lk.people[1], SDL);
	assert_string_equal(lk.people[2], MBO);
	assert_string_equal(lk.people[3], MBB);
	assert_int_equal(lk.n_groups, 0);
	/* The manager stage's rule reads the department and the duration,
	 * which need no lookup of their own. */
	assert_false(lk.member_of);
	assert_int_equal(lk.n_holds, 0);
	assert_int_equal(lk.n_zones, 0);
	policy_lookup_clear(&lk);

	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_PROCEED);
	assert_int_equal(res.end_ms, now_ms + 30 * 86400000LL);
	assert_int_equal(res.n_stages, 2);
	assert_null(res.stages[0].rule.rule);
	assert_string_equal(res.stages[0].rule.text, "rule \"finance-staff-short\": department is not known");
	assert_string_equal(res.stages[1].rule.text, "");
	assert_int_equal(res.stages[1].escalate_at_ms, now_ms + 24 * 3600000LL);
	assert_int_equal(res.stages[1].n_escalation, 1);
	assert_string_equal(res.stages[1].escalation[0].id, MBB);
	/* A later start re-times the stage. */
	policy_stage_deadlines(res.stages[1].config, now_ms + 1000, &remind, &escalate, &expire);
	assert_int_equal(remind, now_ms + 1000 + 4 * 3600000LL);
	assert_int_equal(escalate, now_ms + 1000 + 24 * 3600000LL);
	assert_int_equal(expire, now_ms + 1000 + 3 * 86400000LL);
	policy_result_clear(&res);
	destroy(&w);
}

/* A start date in the future: the duration counts from it. */
static void test_start_date(void **state)
{
	struct pcase c = cases[1];
	struct policy_result res;
	struct world w;
	int64_t start;

	(void)state;
	c.vars[3] = "start_date=2026-12-01";
	build(&w, &c);
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_PROCEED);
	assert_int_equal(policy_parse_date("2026-12-01", 0, &start), 0);
	assert_int_equal(res.start_ms, start);
	assert_int_equal(res.end_ms, start + 30 * 86400000LL);
	policy_result_clear(&res);
	destroy(&w);
}

/* The case named WHAT, evaluated into *RES (the caller clears it and W). */
static void evaluate_case(const char *what, struct world *w, struct policy_result *res)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].what, what) == 0) {
			build(w, &cases[i]);
			assert_int_equal(policy_evaluate(cfg, &w->req, &w->facts, now_ms, res), 0);
			return;
		}
	fail_msg("no case \"%s\"", what);
}

/* What a rule's decision records: the rule and the facts that matched,
 * or why no rule decided (what accessctl explain shows). */
static void test_rule_words(void **state)
{
	struct policy_result res;
	struct world w;

	(void)state;
	evaluate_case("finance staff, 30 days: manager by rule", &w, &res);
	assert_string_equal(res.stages[0].rule.rule->name, "finance-staff-short");
	assert_string_equal(res.stages[0].rule.text,
			    "department is \"Finance\"; employee type is \"Employee\"; requested for 30d, at most 30d");
	policy_result_clear(&res);
	destroy(&w);

	evaluate_case("finance staff, 31 days: the manager is asked", &w, &res);
	assert_null(res.stages[0].rule.rule);
	assert_string_equal(res.stages[0].rule.text,
			    "rule \"finance-staff-short\": requested for 31d, more than 30d");
	policy_result_clear(&res);
	destroy(&w);

	evaluate_case("IT staff asking in office hours", &w, &res);
	assert_string_equal(res.stages[0].rule.text,
			    "department is \"IT\"; employee type is \"Employee\"; requested by the person themselves; "
			    "Wed 09:00 in Europe/Amsterdam, within Mon-Fri 07:00-19:00");
	policy_result_clear(&res);
	destroy(&w);

	evaluate_case("IT staff asking at night", &w, &res);
	assert_string_equal(res.stages[0].rule.text, "rule \"it-staff-vpn\": Wed 03:00 in Europe/Amsterdam, outside "
						     "Mon-Fri 07:00-19:00");
	policy_result_clear(&res);
	destroy(&w);

	evaluate_case("a guest asking for Server-Admins is rejected by rule", &w, &res);
	assert_int_equal(res.verdict, POLICY_REJECT);
	assert_string_equal(res.reject.rule->name, "no-guest-admins");
	assert_string_equal(res.reject.text, "user type is \"Guest\"; the target is \"Server-Admins\"");
	assert_int_equal(res.n_stages, 0);
	assert_int_equal(res.n_problems, 0);
	policy_result_clear(&res);
	destroy(&w);

	evaluate_case("Apollo team member joins Apollo", &w, &res);
	assert_null(res.reject.rule);
	assert_string_equal(res.reject.text, "rule \"no-guest-admins\": user type is \"Member\", not \"Guest\"");
	assert_string_equal(res.stages[0].rule.text,
			    "the target is \"Project-Apollo\"; a direct member of group " APOLLO_TEAM);
	policy_result_clear(&res);
	destroy(&w);
}

/* What the rules need looked up: only what the item's rules and its
 * chain's stages read. */
static void test_rule_lookups(void **state)
{
	struct policy_lookup lk;
	struct world w;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].what, "Apollo team member joins Apollo") != 0)
			continue;
		build(&w, &cases[i]);
		assert_int_equal(policy_prepare(cfg, &w.req, &w.subject, &lk), 0);
		assert_true(lk.member_of);
		assert_int_equal(lk.n_holds, 1);
		assert_string_equal(lk.holds[0]->name, "Project-Apollo-Wiki");
		assert_int_equal(lk.n_zones, 0);
		policy_lookup_clear(&lk);
		destroy(&w);
	}
	build(&w, &cases[2]); /* employee VPN */
	assert_int_equal(policy_prepare(cfg, &w.req, &w.subject, &lk), 0);
	assert_false(lk.member_of);
	assert_int_equal(lk.n_holds, 0);
	assert_int_equal(lk.n_zones, 1);
	assert_string_equal(lk.zones[0], "Europe/Amsterdam");
	policy_lookup_clear(&lk);
	destroy(&w);
}

/* A rule never approves for a contractor, and never a privileged target's
 * stage unless that stage says auto_approve_privileged. Both are checked
 * here by widening the example's rules in place, which the configuration
 * file could not express. */
static void test_rule_guards(void **state)
{
	struct stage_config *mailbox_manager = &cfg->items[1].stages[0], *security = &cfg->policy.privileged_stages[0];
	struct rule_config *finance = &mailbox_manager->auto_approve[0];
	struct pcase c = { "finance admin", "Add to Group", "alice", "alice",
			   { "group=Server-Admins", "business_justification=On call", "end_date=2026-12-10" },
			   FINANCE, POLICY_PROCEED, { 0 }, "Server-Admins", NULL };
	size_t children = finance->when.n_children;
	struct policy_result res;
	struct world w;

	(void)state;
	assert_string_equal(finance->name, "finance-staff-short");
	/* department = "Finance" alone: Carl, a contractor in Finance, would
	 * match, and still is not approved by it. */
	finance->when.n_children = 1;
	evaluate_case("a contractor in finance: never by rule", &w, &res);
	assert_null(res.stages[0].rule.rule);
	assert_string_equal(res.stages[0].rule.text, "a rule never approves access for a contractor");
	policy_result_clear(&res);
	destroy(&w);
	evaluate_case("finance staff, 31 days: the manager is asked", &w, &res);
	assert_ptr_equal(res.stages[0].rule.rule, finance);
	policy_result_clear(&res);
	destroy(&w);
	finance->when.n_children = children;

	/* The same rule on the security stage: not without the flag. */
	security->auto_approve = finance;
	security->n_auto_approve = 1;
	build(&w, &c);
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.n_stages, 2);
	assert_true(res.stages[1].privileged);
	assert_null(res.stages[1].rule.rule);
	assert_string_equal(res.stages[1].rule.text,
			    "a rule approves a stage of a privileged target only with auto_approve_privileged");
	policy_result_clear(&res);
	security->auto_approve_privileged = 1;
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_ptr_equal(res.stages[1].rule.rule, finance);
	policy_result_clear(&res);
	destroy(&w);
	security->auto_approve_privileged = 0;
	security->auto_approve = NULL;
	security->n_auto_approve = 0;
}

/* The sentences that go on the ticket. */
static void test_ticket_sentences(void **state)
{
	static const struct {
		size_t case_index;
		const char *text;
	} expect[] = {
		{ 11, "\"Domain Admins\" cannot be requested through \"Add to Group\"; choose one of: Project-Apollo, "
		      "Server-Admins." },
		{ 20, "Access for a contractor can last at most 90d; choose an end date no later than 2027-02-22." },
		{ 22, "Access for a contractor needs a sponsor; fill in \"sponsor\" with the employee who vouches for "
		      "it." },
		{ 28, "bob@contoso.example cannot ask for this access for alice@contoso.example: only the person "
		      "themselves or their manager or a member of the service desk group named in the policy can; ask "
		      "one of them to submit it." },
		{ 60, "alice@contoso.example left the organisation on 2026-11-25; access is granted only to people who "
		      "are here now." },
		{ 61, "alice@contoso.example starts only on 2026-11-26; access is granted only to people who are here "
		      "now." },
		{ 62, "alice@contoso.example has a directory record accessd cannot use (employeeType holds a control "
		      "character or is not a date); access is granted only to people who are here now." },
		{ 63, "The requester mgr@contoso.example left the organisation on 2026-11-24; a request must come from "
		      "someone who is here now, so ask a current colleague to submit it." },
		{ 64, "The sponsor spon@contoso.example left the organisation on 2026-11-24, so they cannot sponsor "
		      "this access; name an employee who is here now." },
		{ 65, "The sponsor spon@contoso.example starts only on 2026-12-25, so they cannot sponsor this access; "
		      "name an employee who is here now." },
		{ 69, "This access needs the requester's identity verified by the service desk; a service-desk agent "
		      "must check it and fill in \"verified_by\" with their name." },
		{ 70, "The requester cannot verify their own identity; a service-desk agent must, and fill in "
		      "\"verified_by\"." },
		{ 72, "desk@contoso.example is not in the service-desk group that verifies requesters; the "
		      "verification must come from a member of it." },
		{ 75, "The manager mgr@contoso.example, who sponsors a contractor, left the organisation on "
		      "2026-11-24, so they cannot sponsor this access; ask the IAM team to set a current manager." },
		{ 77, "\"group\" holds a control character (a line break, a tab, or one that can hide the rest of a "
		      "name), so it cannot be used; write it again on one line without one." },
		{ 79, "\"requested_for.email\" holds a control character (such as U+0000, which can hide the rest of a "
		      "name), so it cannot be used; write it again without one." },
		{ 36, "An open request (RITM0009999) already asks for VPN-Users for alice@contoso.example; this request "
		      "is linked to it and closed." },
		{ 37, "alice@contoso.example already has VPN-Users; nothing needed to change." },
		{ 35, "Nobody can approve the \"security\" stage right now (group is out of office); the IAM team has "
		      "been asked to name an approver." },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const struct pcase *c = &cases[expect[i].case_index];
		struct policy_result res;
		struct world w;

		build(&w, c);
		assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
		assert_true(res.n_problems >= 1);
		assert_string_equal(res.problems[0].text, expect[i].text);
		policy_result_clear(&res);
		destroy(&w);
	}
}

static void test_dates(void **state)
{
	static const struct {
		const char *text;
		int end_of_day;
		int64_t ms; /* -1: invalid */
	} cases_[] = {
		{ "1970-01-01", 0, 0 },
		{ "1970-01-01", 1, 86400000 },
		{ "2026-11-25 08:00:00", 0, 1795593600000LL },
		{ "2026-11-25 08:00:00", 1, 1795593600000LL },
		{ "2024-02-29", 0, 1709164800000LL },
		{ "2025-02-29", 0, -1 },
		{ "2026-04-31", 0, -1 },
		{ "2026-1-05", 0, -1 },
		{ "2026-01-05T00:00:00", 0, -1 },
		{ "2026-01-05 24:00:00", 0, -1 },
		{ "tomorrow", 0, -1 },
		{ "", 0, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
		int64_t ms = -7;
		int r = policy_parse_date(cases_[i].text, cases_[i].end_of_day, &ms);

		if (cases_[i].ms < 0) {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(ms, -7);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(ms, cases_[i].ms);
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(policy_code_name(POLICY_TARGET_NOT_ALLOWED), "target_not_allowed");
	assert_string_equal(policy_code_name(POLICY_NO_APPROVER), "no_approver");
	assert_string_equal(policy_code_name((enum policy_code)999), "unknown");
	assert_string_equal(policy_skip_name(POLICY_SKIP_AWAY), "away");
	assert_string_equal(policy_verdict_name(POLICY_SEND_BACK), "send_back");
}

/* Quorum "all": a skipped approver must be replaced, or the stage cannot be
 * staffed; with "any" the others suffice. Built from its own configuration
 * because the example has no such stage. */
static void test_quorum_all(void **state)
{
	static const char *const text =
		"itsm = { kind = \"servicenow\"; base_url = \"https://x\"; auth = { method = \"basic\"; username = "
		"\"u\"; password_file = \"/p\"; }; };\n"
		"directory = { kind = \"entra\"; base_url = \"https://g\"; auth = { method = \"client_credentials\"; "
		"client_id = \"c\"; client_secret_file = \"/s\"; }; };\n"
		"policy = { targets = ( { name = \"G\"; kind = \"group\"; group_id = \"" SECGROUP "\"; } );\n"
		"  items = ( { name = \"All\"; allow = ( \"G\" ); target = \"G\"; stages = ( { name = \"both\"; "
		"approvers = ( \"user:" SEC1 "\", \"user:" SEC2 "\" ); quorum = \"all\"; } ); },\n"
		"            { name = \"Any\"; allow = ( \"G\" ); target = \"G\"; stages = ( { name = \"either\"; "
		"approvers = ( \"user:" SEC1 "\", \"user:" SEC2 "\" ); } ); } ); };\n";
	char path[] = "/tmp/accessd-policy-XXXXXX";
	struct config *own = NULL;
	struct diag d = { 0 };
	struct pcase c = { .item = "All", .subject = "alice", .requester = "alice" };
	struct policy_result res;
	struct world w;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(conf_load(path, &connectors_builtin, &own, &d), 0);
	unlink(path);

	build(&w, &c);
	w.everyone[person_index("sec2")].presence = PRESENCE_AWAY;
	assert_int_equal(policy_evaluate(own, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_BLOCK);
	assert_int_equal(res.problems[0].code, POLICY_NO_APPROVER);
	assert_int_equal(res.stages[0].n_approvers, 1);
	policy_result_clear(&res);
	free(w.req.item_name);
	w.req.item_name = xdup("Any");
	assert_int_equal(policy_evaluate(own, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_PROCEED);
	assert_int_equal(res.stages[0].quorum, QUORUM_ANY);
	assert_int_equal(res.stages[0].n_approvers, 1);
	assert_string_equal(res.stages[0].approvers[0].id, SEC1);
	assert_int_equal(res.stages[0].n_skipped, 1);
	assert_int_equal(res.stages[0].skipped[0].reason, POLICY_SKIP_AWAY);
	policy_result_clear(&res);
	destroy(&w);
	conf_free(own);
}

/* A stand-in says on the ticket whom it replaces and why, with the date;
 * a backup who has gone is never escalated to. */
static void test_departed_approvers(void **state)
{
	struct pcase c = cases[58];
	struct policy_result res;
	struct world w;

	(void)state;
	build(&w, &c);
	w.everyone[person_index("secb")].leave_ms = now_ms - 1;
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_PROCEED);
	assert_string_equal(res.stages[0].approvers[0].why, "mgr@contoso.example left the organisation on 2026-11-24");
	assert_int_equal(res.stages[1].n_escalation, 0);
	assert_null(res.stages[1].approvers[0].why);
	policy_result_clear(&res);
	destroy(&w);

	/* One who leaves later approves until then: the plan knows when. */
	build(&w, &cases[2]);
	w.everyone[person_index("mgr")].leave_ms = now_ms + 3 * DAY_MS;
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_string_equal(res.stages[0].approvers[0].id, MGR);
	assert_true(res.stages[0].approvers[0].leave_ms == now_ms + 3 * DAY_MS);
	policy_result_clear(&res);
	destroy(&w);
}

/* No access outlives the person's or the sponsor's known leave date: the
 * end comes forward, and a sentence says so. */
static void test_leave_date_caps_the_end(void **state)
{
	struct policy_result res;
	struct world w;
	int64_t end;

	(void)state;
	/* No end asked for, and the person leaves in ten days. */
	build(&w, &cases[2]);
	w.subject.leave_ms = now_ms + 10 * DAY_MS;
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_PROCEED);
	assert_true(res.end_ms == now_ms + 10 * DAY_MS);
	assert_string_equal(res.end_note,
			    "Access ends on 2026-12-05, when alice@contoso.example leaves the organisation.");
	policy_result_clear(&res);
	destroy(&w);

	/* A contractor until 2027-01-15, but the sponsor leaves on 2026-12-31. */
	build(&w, &cases[16]);
	assert_int_equal(policy_parse_date("2026-12-31 17:00:00", 0, &w.sponsor.leave_ms), 0);
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_PROCEED);
	assert_true(res.end_ms == w.sponsor.leave_ms);
	assert_string_equal(res.end_note, "Access ends on 2026-12-31, when spon@contoso.example leaves the "
					  "organisation, not on 2027-01-15 as asked.");
	policy_result_clear(&res);
	/* The earlier of the two leave dates wins. */
	w.subject.leave_ms = w.sponsor.leave_ms - DAY_MS;
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_true(res.end_ms == w.subject.leave_ms);
	policy_result_clear(&res);
	/* An end before the leave date stays as asked, without a note. */
	w.subject.leave_ms = w.sponsor.leave_ms = 0;
	assert_int_equal(policy_parse_date("2027-06-30", 0, &w.subject.leave_ms), 0);
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(policy_parse_date("2027-01-16", 0, &end), 0);
	assert_true(res.end_ms == end);
	assert_null(res.end_note);
	policy_result_clear(&res);
	destroy(&w);

	/* Leaving before the access would start: back to the requester. */
	{
		struct pcase c = cases[1];

		c.vars[3] = "start_date=2026-12-20";
		build(&w, &c);
	}
	w.subject.leave_ms = now_ms + 5 * DAY_MS;
	assert_int_equal(policy_evaluate(cfg, &w.req, &w.facts, now_ms, &res), 0);
	assert_int_equal(res.verdict, POLICY_SEND_BACK);
	assert_int_equal(res.problems[0].code, POLICY_END_NOT_AFTER_START);
	policy_result_clear(&res);
	destroy(&w);
}

/* What must be looked up for issue 12: the requester's groups, the
 * verifier, and the manager as sponsor. */
static void test_prepare_lookups(void **state)
{
	struct policy_lookup lk;
	struct world w;

	(void)state;
	build(&w, &cases[74]);
	assert_int_equal(policy_prepare(cfg, &w.req, &w.subject, &lk), 0);
	assert_true(lk.contractor);
	assert_true(lk.sponsor_is_manager);
	assert_null(lk.sponsor);
	assert_string_equal(lk.verifier, "desk");
	assert_string_equal(lk.verifier_group, DESKGROUP);
	assert_int_equal(lk.n_requester_groups, 1);
	assert_string_equal(lk.requester_groups[0], DESKGROUP);
	policy_lookup_clear(&lk);
	destroy(&w);
	build(&w, &cases[2]);
	assert_int_equal(policy_prepare(cfg, &w.req, &w.subject, &lk), 0);
	assert_false(lk.sponsor_is_manager);
	assert_null(lk.verifier);
	assert_int_equal(lk.n_requester_groups, 1);
	policy_lookup_clear(&lk);
	destroy(&w);
}

static void test_text_names_a_target(void **state)
{
	(void)state;
	assert_true(facts_text_names("Please add me to vpn-users today", "VPN-Users"));
	assert_true(facts_text_names("VPN-Users", "VPN-Users"));
	assert_true(facts_text_names("(VPN-Users).", "VPN-Users"));
	assert_true(facts_text_names("Access to Finance@Contoso.example please", "finance@contoso.example"));
	assert_false(facts_text_names("VPN-Users-Contractors for alice", "VPN-Users"));
	assert_false(facts_text_names("MyVPN-Users", "VPN-Users"));
	assert_false(facts_text_names("x@finance@contoso.example", "finance@contoso.example"));
	assert_false(facts_text_names(NULL, "VPN-Users"));
	assert_false(facts_text_names("VPN-Users", ""));
}

static void test_missing_facts(void **state)
{
	struct policy_facts facts = { 0 };
	struct request req = { 0 };
	struct policy_result res = { .verdict = POLICY_PROCEED };

	(void)state;
	assert_int_equal(policy_evaluate(cfg, &req, &facts, now_ms, &res), -EINVAL);
	assert_int_equal(res.verdict, POLICY_PROCEED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_seed_contractor_vpn),
		cmocka_unit_test(test_seed_shared_mailbox),
		cmocka_unit_test(test_start_date),
		cmocka_unit_test(test_rule_words),
		cmocka_unit_test(test_rule_lookups),
		cmocka_unit_test(test_rule_guards),
		cmocka_unit_test(test_ticket_sentences),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_quorum_all),
		cmocka_unit_test(test_missing_facts),
		cmocka_unit_test(test_departed_approvers),
		cmocka_unit_test(test_leave_date_caps_the_end),
		cmocka_unit_test(test_prepare_lookups),
		cmocka_unit_test(test_text_names_a_target),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
