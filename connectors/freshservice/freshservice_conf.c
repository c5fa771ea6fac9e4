/* SPDX-License-Identifier: Apache-2.0 */
/* The settings of a Freshservice connection, in the itsm group beside the
 * common ones: the workspace, how far the first start reads back, the rate
 * limit's reserve, the approval type asked for, the ticket status and
 * requested-item stage each phase writes (accounts add custom statuses),
 * the statuses of a closed ticket, and who the IAM team's incidents are
 * raised as. The same parse refuses common values Freshservice cannot use
 * (an auth method other than an API key, users mapped by anything but
 * e-mail, pages over 100, a base_url that already names the API). */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_parse.h"
#include "freshservice.h"
#include "util/text.h"

#define DAY_MS (86400 * INT64_C(1000))

/* Out of the box: 2 Open, 3 Pending, 4 Resolved, 5 Closed; requested-item
 * stages 1 Requested, 2 Delivered, 3 Cancelled, 4 Fulfilled. */
const struct fs_settings fs_default_settings = {
	.workspace_id = -1,
	.first_poll_lookback_ms = 30 * DAY_MS,
	.rate_reserve = -1,
	.rate_window_ms = 60 * 1000,
	.approval_type = 1,
	.status = {
		[TICKET_SENT_BACK] = 3,
		[TICKET_IMPLEMENTING] = 2,
		[TICKET_BLOCKED] = 2,
		[TICKET_COMPLETED] = 4,
		[TICKET_REJECTED] = 5,
		[TICKET_EXPIRED] = 5,
		[TICKET_DUPLICATE] = 5,
	},
	.stage = {
		[TICKET_COMPLETED] = 4,
		[TICKET_REJECTED] = 3,
		[TICKET_EXPIRED] = 3,
		[TICKET_DUPLICATE] = 3,
	},
	.closed = { 4, 5 },
	.n_closed = 2,
	.incident_priority = 2,
	.incident_lookback_ms = 30 * DAY_MS,
};

const char *const fs_conf_keys[] = { "workspace_id", "first_poll_lookback", "rate_limit", "approval_type", "statuses",
				     "closed_statuses", "stages", "incident", NULL };
/* The phases accessd writes, which statuses and stages may map. */
static const char *const phase_keys[] = { "sent_back", "implementing", "blocked", "completed",
					  "rejected",  "expired",      "duplicate", NULL };
static const char *const rate_keys[] = { "reserve", "window", NULL };
static const char *const incident_keys[] = { "requester", "priority", "group_id", "lookback", NULL };

static int is_closed(const struct fs_settings *st, int64_t status)
{
	for (size_t i = 0; i < st->n_closed; i++)
		if (st->closed[i] == status)
			return 1;
	return 0;
}

enum ticket_phase fs_phase_of(const struct fs_settings *st, int64_t status)
{
	int closed = is_closed(st, status);

	for (int p = 0; p < TICKET_PHASES; p++)
		if (st->status[p] && st->status[p] == status && ticket_phase_closed((enum ticket_phase)p) == closed)
			return (enum ticket_phase)p;
	return closed ? TICKET_CANCELLED : TICKET_OPEN;
}

enum approval_decision fs_decision_of(int64_t status)
{
	switch (status) {
	case 0:
		return APPROVAL_REQUESTED;
	case 1:
		return APPROVAL_APPROVED;
	case 2:
		return APPROVAL_REJECTED;
	case 3:
		return APPROVAL_CANCELLED;
	default:
		return APPROVAL_UNKNOWN;
	}
}

void fs_conf_free(void *settings)
{
	struct fs_settings *st = settings;

	if (!st)
		return;
	free(st->incident_requester);
	free(st);
}

/* The integer member NAME of GROUP within [MIN, MAX] (an id may pass
 * 2^31) into *RET; absent leaves it. */
static void get_number(struct conf_parser *p, const config_setting_t *group, const char *name, long long min,
		       long long max, const char *example, int64_t *ret)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	long long v;

	if (!s)
		return;
	v = config_setting_get_int64(s);
	if ((config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) || v < min ||
	    v > max)
		conf_problem(p, s, "'%s' must be a whole number from %lld to %lld (no quotes); write %s = %s;", name, min,
			     max, name, example);
	else
		*ret = v;
}

/* The id member NAME of GROUP into *RET; absent leaves it. Freshservice's
 * ids pass 2^31, which a plain libconfig integer wraps at without a word
 * (libconfig 1.5), so an id is written as a string of digits (or an
 * integer with an L). */
static void get_id(struct conf_parser *p, const config_setting_t *group, const char *name, int64_t *ret)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	const char *v;
	int64_t id;

	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_INT64 || config_setting_type(s) == CONFIG_TYPE_INT)
		id = config_setting_get_int64(s);
	else if (!(v = config_setting_get_string(s)) || !fs_id_parse(v, &id))
		id = 0;
	if (id <= 0 || id >= INT64_C(9007199254740992))
		conf_problem(p, s, "'%s' must be a Freshservice id, written as a string of digits; write %s = "
				   "\"21000188390\";", name, name);
	else
		*ret = id;
}

/* A group of phases to numbers within [MIN, MAX] into V. */
static void parse_phases(struct conf_parser *p, const config_setting_t *group, const char *name, int min, int max,
			 const char *what, int v[TICKET_PHASES], const config_setting_t *where[TICKET_PHASES])
{
	const config_setting_t *g = config_setting_get_member(group, name);

	if (!g)
		return;
	if (!config_setting_is_group(g)) {
		conf_problem(p, g, "'%s' must be a group; write %s = { completed = %d; };", name, name, min + 1);
		return;
	}
	conf_check_keys(p, g, name, phase_keys);
	for (size_t i = 0; phase_keys[i]; i++) {
		enum ticket_phase phase;
		int64_t n = -1;

		if (!config_setting_get_member(g, phase_keys[i]) || ticket_phase_from_name(phase_keys[i], &phase) < 0)
			continue;
		get_number(p, g, phase_keys[i], min, max, what, &n);
		if (n < 0)
			continue;
		v[phase] = (int)n;
		if (where)
			where[phase] = config_setting_get_member(g, phase_keys[i]);
	}
}

/* closed_statuses into ST; 0 when it is in error (reported). */
static int parse_closed(struct conf_parser *p, const config_setting_t *group, struct fs_settings *st)
{
	const config_setting_t *s = config_setting_get_member(group, "closed_statuses");
	int n, ok = 1;

	if (!s)
		return 1;
	n = config_setting_length(s);
	if ((!config_setting_is_list(s) && !config_setting_is_array(s)) || n < 1 || n > FS_MAX_CLOSED) {
		conf_problem(p, s, "'closed_statuses' must be a list of 1 to %d ticket statuses; write closed_statuses = "
				   "( 4, 5 );", FS_MAX_CLOSED);
		return 0;
	}
	st->n_closed = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_INT || config_setting_get_int(e) < 2) {
			conf_problem(p, e, "closed_statuses holds ticket status ids (2 Open, 3 Pending, 4 Resolved, 5 "
					   "Closed, or a custom status's id); write closed_statuses = ( 4, 5 );");
			ok = 0;
			continue;
		}
		st->closed[st->n_closed++] = config_setting_get_int(e);
	}
	return ok;
}

/* A phase accessd writes must read back as itself (doc/itsm.md). */
static void check_phases(struct conf_parser *p, const struct fs_settings *st,
			 const config_setting_t *where[TICKET_PHASES], const config_setting_t *closed)
{
	for (int ph = 0; ph < TICKET_PHASES; ph++) {
		const char *name = ticket_phase_name((enum ticket_phase)ph);
		const config_setting_t *s = where[ph] ? where[ph] : closed;
		int status = st->status[ph], c = is_closed(st, status);

		if (!status || c == ticket_phase_closed((enum ticket_phase)ph))
			continue;
		if (c)
			conf_problem(p, s, "statuses.%s writes status %d, which closed_statuses counts as closed: accessd "
					   "would take its own ticket for one closed by hand; write an open status for %s, "
					   "or remove %d from closed_statuses", name, status, name, status);
		else
			conf_problem(p, s, "statuses.%s writes status %d, which is not in closed_statuses: the request "
					   "would not read as closed; add %d to closed_statuses", name, status, status);
	}
}

static void parse_incident(struct conf_parser *p, const config_setting_t *group, struct fs_settings *st)
{
	const config_setting_t *g = config_setting_get_member(group, "incident");
	int64_t v;

	if (!g || !config_setting_is_group(g)) {
		conf_problem(p, g ? g : group, "%s; write incident = { requester = \"accessd@example.com\"; }; (the "
					       "requester of the incidents accessd opens for the IAM team)",
			     g ? "'incident' must be a group" : "'incident' is missing in this Freshservice connection");
		return;
	}
	conf_check_keys(p, g, "incident", incident_keys);
	st->incident_requester = conf_get_string(p, g, "requester", 0);
	if (!config_setting_get_member(g, "requester"))
		conf_problem(p, g, "'requester' is missing here; add requester = \"accessd@example.com\"; (an e-mail: "
				   "incidents are raised as this requester)");
	else if (st->incident_requester &&
		 (!strchr(st->incident_requester, '@') || strpbrk(st->incident_requester, " \"<>") ||
		  text_has_control(st->incident_requester, 0)))
		conf_problem(p, config_setting_get_member(g, "requester"),
			     "requester \"%s\" is not an e-mail address; write requester = \"accessd@example.com\";",
			     st->incident_requester);
	v = st->incident_priority;
	get_number(p, g, "priority", 1, 4, "2", &v);
	st->incident_priority = (int)v;
	get_id(p, g, "group_id", &st->incident_group_id);
	conf_get_duration(p, g, "lookback", &st->incident_lookback_ms);
}

/* Common settings Freshservice cannot use, each with what to write. */
static void check_common(struct conf_parser *p, const config_setting_t *group)
{
	const config_setting_t *auth = config_setting_get_member(group, "auth");
	const config_setting_t *s = auth && config_setting_is_group(auth) ? config_setting_get_member(auth, "method") : NULL;
	const char *v;

	if (s && (v = config_setting_get_string(s)) && strcmp(v, "api_key") != 0)
		conf_problem(p, s, "Freshservice takes an API key (an agent's, from their profile settings); write "
				   "method = \"api_key\"; api_key_file = \"/etc/accessd/freshservice.key\";");
	s = config_setting_get_member(group, "user_attribute");
	if (s && (v = config_setting_get_string(s)) && strcmp(v, "email") != 0)
		conf_problem(p, s, "Freshservice users map to the directory by e-mail; write user_attribute = "
				   "\"email\"; or leave it out");
	s = config_setting_get_member(group, "page_size");
	if (s && config_setting_type(s) == CONFIG_TYPE_INT && config_setting_get_int(s) > FS_PAGE_MAX)
		conf_problem(p, s, "Freshservice pages at most %d records; write page_size = %d;", FS_PAGE_MAX,
			     FS_PAGE_MAX);
	s = config_setting_get_member(group, "base_url");
	if (s && (v = config_setting_get_string(s)) && strstr(v, "/api/"))
		conf_problem(p, s, "base_url is the account's address, without the API's path; write base_url = "
				   "\"https://yourcompany.freshservice.com\";");
}

int fs_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret)
{
	const config_setting_t *where[TICKET_PHASES] = { 0 }, *s;
	struct fs_settings *st = malloc(sizeof(*st));
	int closed_ok;
	int64_t v;

	if (!st)
		return -ENOMEM;
	*st = fs_default_settings;
	check_common(p, group);
	get_number(p, group, "workspace_id", 0, INT64_C(9007199254740991), "2", &st->workspace_id);
	conf_get_duration(p, group, "first_poll_lookback", &st->first_poll_lookback_ms);
	v = st->approval_type;
	get_number(p, group, "approval_type", 1, 4, "1", &v);
	st->approval_type = (int)v;
	s = config_setting_get_member(group, "rate_limit");
	if (s && config_setting_is_group(s)) {
		conf_check_keys(p, s, "rate_limit", rate_keys);
		v = st->rate_reserve;
		get_number(p, s, "reserve", 0, 10000, "50", &v);
		st->rate_reserve = (int)v;
		if (conf_get_duration(p, s, "window", &st->rate_window_ms) > 0 && st->rate_window_ms < 1000)
			conf_problem(p, config_setting_get_member(s, "window"),
				     "the rate limit's window is at least 1s; write window = \"60s\";");
	} else if (s) {
		conf_problem(p, s, "'rate_limit' must be a group; write rate_limit = { reserve = 50; };");
	}
	parse_phases(p, group, "statuses", 2, 1000000, "7", st->status, where);
	parse_phases(p, group, "stages", 1, 5, "4", st->stage, NULL);
	closed_ok = parse_closed(p, group, st);
	parse_incident(p, group, st);
	/* Against a closed_statuses in error, the checks would only add noise. */
	if (closed_ok)
		check_phases(p, st, where, config_setting_get_member(group, "closed_statuses"));
	if (p->diag->oom) {
		fs_conf_free(st);
		return -ENOMEM;
	}
	*ret = st;
	return 0;
}
