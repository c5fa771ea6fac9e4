/* SPDX-License-Identifier: Apache-2.0 */
/* The words of one ServiceNow instance: how each phase accessd writes is
 * set on sc_req_item (state and stage), which states count as closed, and
 * which sysapproval_approver states mean which decision. Instances
 * customise their choice lists, so the itsm group of accessd.conf may say
 * (states, closed_states, approval_states); what it leaves out keeps the
 * out-of-the-box values below. The same parse refuses an auth method the
 * Table API does not take. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_parse.h"
#include "servicenow.h"

/* Longest state, stage or approval state accepted: choice values are short. */
#define MAX_VALUE 40

static const char *const default_closed[] = { "3", "4", "7", NULL };
static const char *const default_requested[] = { "requested", NULL };
static const char *const default_approved[] = { "approved", NULL };
static const char *const default_rejected[] = { "rejected", NULL };
static const char *const default_cancelled[] = { "cancelled", NULL };

/* sc_req_item: -5 Pending, 2 Work in Progress, 3 Closed Complete,
 * 4 Closed Incomplete, 7 Closed Skipped; stages of the default flow. */
const struct snow_states snow_default_states = {
	.state = {
		[TICKET_SENT_BACK] = "-5",
		[TICKET_IMPLEMENTING] = "2",
		[TICKET_BLOCKED] = "2",
		[TICKET_COMPLETED] = "3",
		[TICKET_REJECTED] = "4",
		[TICKET_EXPIRED] = "4",
		[TICKET_DUPLICATE] = "7",
	},
	.stage = {
		[TICKET_IMPLEMENTING] = "fulfillment",
		[TICKET_COMPLETED] = "complete",
	},
	.closed = default_closed,
	.approval = {
		[APPROVAL_REQUESTED] = default_requested,
		[APPROVAL_APPROVED] = default_approved,
		[APPROVAL_REJECTED] = default_rejected,
		[APPROVAL_CANCELLED] = default_cancelled,
	},
};

/* The phases accessd writes, which "states" may map. */
static const char *const phase_keys[] = { "sent_back", "implementing", "blocked", "completed",
					  "rejected",  "expired",      "duplicate", NULL };
static const char *const decision_keys[] = { "requested", "approved", "rejected", "cancelled", NULL };
static const char *const value_keys[] = { "state", "stage", NULL };
const char *const snow_conf_keys[] = { "states", "closed_states", "approval_states", NULL };

static int in_list(const char *const *v, const char *s)
{
	for (size_t i = 0; s && v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

enum ticket_phase snow_phase_of(const struct snow_states *st, const char *state)
{
	int closed = in_list(st->closed, state);

	for (int p = 0; state && p < TICKET_PHASES; p++)
		if (st->state[p] && strcmp(st->state[p], state) == 0 && ticket_phase_closed(p) == closed)
			return (enum ticket_phase)p;
	return closed ? TICKET_CANCELLED : TICKET_OPEN;
}

enum approval_decision snow_decision_of(const struct snow_states *st, const char *state)
{
	for (int d = 0; d < APPROVAL_DECISIONS; d++)
		if (in_list(st->approval[d], state))
			return (enum approval_decision)d;
	return APPROVAL_UNKNOWN;
}

const char *snow_decision_value(const struct snow_states *st, enum approval_decision d)
{
	return (unsigned)d < APPROVAL_DECISIONS && st->approval[d] ? st->approval[d][0] : NULL;
}

void snow_conf_free(void *settings)
{
	struct snow_states *st = settings;

	if (!st)
		return;
	for (size_t i = 0; i < st->n_owned; i++)
		conf_strings_free(st->owned[i]);
	free(st);
}

/* Keep V (from conf_get_strings) with ST; NULL when it cannot. */
static const char *const *keep(struct snow_states *st, char **v)
{
	if (!v || st->n_owned == sizeof(st->owned) / sizeof(st->owned[0])) {
		conf_strings_free(v);
		return NULL;
	}
	st->owned[st->n_owned++] = v;
	return (const char *const *)v;
}

/* Whether every value of V can stand as a choice value. */
static int values_ok(struct conf_parser *p, const config_setting_t *s, const char *name, char **v, size_t n)
{
	if (n == 0) {
		conf_problem(p, s, "'%s' is empty; write %s = \"...\"; or leave it out for ServiceNow's default", name,
			     name);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]);

		for (size_t k = 0; k < len; k++)
			if ((unsigned char)v[i][k] < 0x20 || v[i][k] == 0x7f)
				len = 0;
		if (len == 0 || len > MAX_VALUE) {
			conf_problem(p, s, "'%s' must hold choice values of 1 to %d printable characters, as the "
					   "instance's choice list has them; write %s = \"...\";",
				     name, MAX_VALUE, name);
			return 0;
		}
	}
	return 1;
}

/* One setting NAME of GROUP as a list of values (one string is a list of
 * one) kept with ST; NULL when absent or wrong (reported). */
static const char *const *get_values(struct conf_parser *p, struct snow_states *st, const config_setting_t *group,
				     const char *name)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	char **v = NULL;
	size_t n = 0;

	if (!s)
		return NULL;
	conf_get_strings(p, group, name, &v, &n);
	if (!v)
		return NULL; /* reported, or out of memory (noted in the diag) */
	if (!values_ok(p, s, name, v, n)) {
		conf_strings_free(v);
		return NULL;
	}
	return keep(st, v);
}

static void parse_phases(struct conf_parser *p, struct snow_states *st, const config_setting_t *group,
			 const config_setting_t *where[TICKET_PHASES])
{
	conf_check_keys(p, group, "states", phase_keys);
	for (size_t i = 0; phase_keys[i]; i++) {
		const config_setting_t *s = config_setting_get_member(group, phase_keys[i]);
		const char *const *state, *const *stage;
		enum ticket_phase phase;

		if (!s || ticket_phase_from_name(phase_keys[i], &phase) < 0)
			continue;
		if (!config_setting_is_group(s)) {
			conf_problem(p, s, "'%s' must be a group; write %s = { state = \"...\"; stage = \"...\"; };",
				     phase_keys[i], phase_keys[i]);
			continue;
		}
		conf_check_keys(p, s, phase_keys[i], value_keys);
		state = get_values(p, st, s, "state");
		stage = get_values(p, st, s, "stage");
		if (!config_setting_get_member(s, "state"))
			conf_problem(p, s, "'state' is missing here; add state = \"...\"; (the sc_req_item state "
					   "for a %s request)", phase_keys[i]);
		if ((state && state[1]) || (stage && stage[1])) {
			conf_problem(p, s, "%s writes one state and one stage; give each as one string", phase_keys[i]);
			continue;
		}
		/* The whole phase is replaced: a stage not written stays as it is. */
		st->state[phase] = state ? state[0] : NULL;
		st->stage[phase] = stage ? stage[0] : NULL;
		where[phase] = s;
	}
}

/* A phase accessd writes must read back as itself: an open phase in a
 * closed state would make accessd take its own ticket for one closed by
 * hand, a closed one in an open state would keep it worked on. */
static void check_phases(struct conf_parser *p, const struct snow_states *st,
			 const config_setting_t *where[TICKET_PHASES], const config_setting_t *closed)
{
	for (int ph = 0; ph < TICKET_PHASES; ph++) {
		const char *state = st->state[ph], *name = ticket_phase_name((enum ticket_phase)ph);
		const config_setting_t *s = where[ph] ? where[ph] : closed;
		int is_closed = in_list(st->closed, state);

		if (!state || is_closed == ticket_phase_closed((enum ticket_phase)ph))
			continue;
		if (is_closed)
			conf_problem(p, s, "states.%s writes state \"%s\", which closed_states counts as closed: accessd "
					   "would take its own ticket for one closed by hand; write an open state for %s, "
					   "or remove \"%s\" from closed_states", name, state, name, state);
		else
			conf_problem(p, s, "states.%s writes state \"%s\", which is not in closed_states: the request "
					   "would not read as closed; add \"%s\" to closed_states", name, state, state);
	}
}

static void parse_decisions(struct conf_parser *p, struct snow_states *st, const config_setting_t *group)
{
	conf_check_keys(p, group, "approval_states", decision_keys);
	for (int d = APPROVAL_REQUESTED; d < APPROVAL_DECISIONS; d++) {
		const char *name = approval_decision_name((enum approval_decision)d);
		const char *const *v = get_values(p, st, group, name);

		if (v)
			st->approval[d] = v;
	}
	for (int d = APPROVAL_REQUESTED; d < APPROVAL_DECISIONS; d++)
		for (int e = d + 1; e < APPROVAL_DECISIONS; e++)
			for (size_t i = 0; st->approval[d][i]; i++)
				if (in_list(st->approval[e], st->approval[d][i]))
					conf_problem(p, group, "approval state \"%s\" means both %s and %s; give it to one "
							       "of them", st->approval[d][i],
						     approval_decision_name((enum approval_decision)d),
						     approval_decision_name((enum approval_decision)e));
}

int snow_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret)
{
	const config_setting_t *where[TICKET_PHASES] = { 0 }, *s;
	struct snow_states *st = malloc(sizeof(*st));
	int closed_ok = 1;

	if (!st)
		return -ENOMEM;
	*st = snow_default_states;
	s = config_setting_get_member(group, "auth");
	s = s && config_setting_is_group(s) ? config_setting_get_member(s, "method") : NULL;
	if (s && config_setting_get_string(s) && strcmp(config_setting_get_string(s), "api_key") == 0)
		conf_problem(p, s, "ServiceNow does not take an API key here; write method = \"basic\";, \"oauth2\"; "
				   "or \"client_credentials\";");
	s = config_setting_get_member(group, "states");
	if (s && config_setting_is_group(s))
		parse_phases(p, st, s, where);
	else if (s)
		conf_problem(p, s, "'states' must be a group; write states = { completed = { state = \"3\"; stage = "
				   "\"complete\"; }; };");
	if (config_setting_get_member(group, "closed_states")) {
		const char *const *v = get_values(p, st, group, "closed_states");

		if (v)
			st->closed = v;
		closed_ok = v != NULL;
	}
	s = config_setting_get_member(group, "approval_states");
	if (s && config_setting_is_group(s))
		parse_decisions(p, st, s);
	else if (s)
		conf_problem(p, s, "'approval_states' must be a group; write approval_states = { approved = "
				   "\"approved\"; };");
	/* Against the defaults, a closed_states in error would only add noise. */
	if (closed_ok)
		check_phases(p, st, where, config_setting_get_member(group, "closed_states"));
	if (p->diag->oom) {
		snow_conf_free(st);
		return -ENOMEM;
	}
	*ret = st;
	return 0;
}
