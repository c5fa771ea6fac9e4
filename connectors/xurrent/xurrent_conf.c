/* SPDX-License-Identifier: Apache-2.0 */
/* The settings the Xurrent connector adds to the itsm group: the account
 * (the X-Xurrent-Account header), the region and environment that give the
 * API's URL (or a base_url), the source of the records accessd creates, the
 * request status and completion reason of each phase accessd writes, the
 * approval tasks and incidents it creates, and its pacing under the rate
 * limits. The common settings it cannot use are refused here, each with
 * its line. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_parse.h"
#include "xurrent.h"

/* developer.xurrent.com/v1: the service URLs by region and environment. */
static const char *const regions[] = { "global", "au", "uk", "us", "ch", NULL };
static const char *const environments[] = { "production", "qa", "demo", NULL };
static const char *const domains[] = { "xurrent.com", "xurrent.qa", "xurrent-demo.com" };

/* The documented request statuses and completion reasons, and impacts. */
static const char *const statuses[] = { "declined", "on_backlog", "assigned", "accepted", "in_progress",
					"waiting_for", "waiting_for_customer", "reservation_pending",
					"workflow_pending", "project_pending", "completed", NULL };
static const char *const reasons[] = { "solved", "workaround", "gone", "duplicate", "withdrawn", "no_reply",
				       "rejected", "conflict", "declined", "unsolvable", NULL };
static const char *const impacts[] = { "low", "medium", "high", "top", NULL };

/* The phases accessd writes, which "statuses" may map. */
static const char *const phase_keys[] = { "sent_back", "implementing", "blocked", "completed",
					  "rejected",  "expired",      "duplicate", NULL };
static const char *const approval_keys[] = { "template", "team", "planned_duration", NULL };
static const char *const incident_keys[] = { "team", "service_instance", "impact", NULL };
static const char *const rate_keys[] = { "burst", "burst_window", "hourly_reserve", NULL };
const char *const xr_conf_keys[] = { "account", "region", "environment", "ui_url", "source", "statuses",
				     "approval_task", "incident", "rate_limit", NULL };

const struct xr_settings xr_default_settings = {
	.region = 0,
	.environment = 0,
	.status = {
		[TICKET_SENT_BACK] = "waiting_for_customer",
		[TICKET_IMPLEMENTING] = "in_progress",
		[TICKET_BLOCKED] = "in_progress",
		[TICKET_COMPLETED] = "completed",
		[TICKET_REJECTED] = "completed",
		[TICKET_EXPIRED] = "completed",
		[TICKET_DUPLICATE] = "completed",
	},
	.reason = {
		[TICKET_COMPLETED] = "solved",
		[TICKET_REJECTED] = "rejected",
		[TICKET_EXPIRED] = "no_reply",
		[TICKET_DUPLICATE] = "duplicate",
	},
	.planned_duration = 60,
	.incident_impact = "low",
	.burst = 19,
	.burst_window_ms = 2000,
	.hourly_reserve = 100,
};

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

enum ticket_phase xr_phase_of(const struct xr_settings *set, const char *status, const char *reason)
{
	int closed = same(status, "completed");

	for (int p = 0; status && p < TICKET_PHASES; p++)
		if (same(set->status[p], status) && ticket_phase_closed((enum ticket_phase)p) == closed &&
		    (!closed || same(set->reason[p], reason)))
			return (enum ticket_phase)p;
	if (closed)
		return same(reason, "withdrawn") ? TICKET_WITHDRAWN : TICKET_CANCELLED;
	return TICKET_OPEN;
}

void xr_conf_free(void *settings)
{
	struct xr_settings *set = settings;

	if (!set)
		return;
	free(set->account);
	free(set->source);
	free(set->token_url);
	free(set->ui_url);
	free(set);
}

int xr_conf_base_url(const void *settings, char **ret)
{
	const struct xr_settings *set = settings;
	int n;

	*ret = NULL;
	if (set->region < 0 || set->environment < 0)
		return 0;
	n = set->region == 0 ? asprintf(ret, "https://api.%s", domains[set->environment])
			     : asprintf(ret, "https://api.%s.%s", regions[set->region], domains[set->environment]);
	if (n < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int xr_ui_url(const struct xr_settings *set, const char *base_url, char **ret)
{
	const char *host = strstr(base_url, "://");
	size_t n = set->account ? strlen(set->account) : 0;
	int w;

	if (set->ui_url) {
		*ret = strdup(set->ui_url);
		return *ret ? 0 : -ENOMEM;
	}
	host = host ? host + 3 : base_url;
	if (strncmp(host, "api.", 4) != 0) {
		*ret = strdup(base_url);
		return *ret ? 0 : -ENOMEM;
	}
	/* The account names a host: letters, digits and '-' only. */
	if (n == 0 || n > 63 || strspn(set->account, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return -EINVAL;
	w = asprintf(ret, "%.*s%s.%s", (int)(host - base_url), base_url, set->account, host + 4);
	if (w < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The index of WORD in V, or -1. */
static int index_of(const char *const *v, const char *word)
{
	for (int i = 0; word && v[i]; i++)
		if (strcmp(v[i], word) == 0)
			return i;
	return -1;
}

/* One phase's "status" or "status/reason" into SET. */
static void parse_phase(struct conf_parser *p, struct xr_settings *set, const config_setting_t *s, const char *name,
			enum ticket_phase phase)
{
	const char *value = config_setting_get_string(s);
	char status[40] = "";
	const char *slash = value ? strchr(value, '/') : NULL;
	int st, why = -1;

	if (!value) {
		conf_problem(p, s, "'%s' must be a string; write %s = \"in_progress\"; or %s = \"completed/solved\";",
			     name, name, name);
		return;
	}
	snprintf(status, sizeof(status), "%.*s", slash ? (int)(slash - value) : (int)strlen(value), value);
	st = index_of(statuses, status);
	if (st < 0) {
		const char *near = conf_nearest(status, statuses);

		conf_problem(p, s, "'%s' names no request status \"%s\"; write %s = \"%s\"; (a status as the API spells "
				   "it)", name, status, name, near ? near : "in_progress");
		return;
	}
	if (slash) {
		why = index_of(reasons, slash + 1);
		if (why < 0) {
			const char *near = conf_nearest(slash + 1, reasons);

			conf_problem(p, s, "'%s' names no completion reason \"%s\"; write %s = \"completed/%s\";", name,
				     slash + 1, name, near ? near : "solved");
			return;
		}
	}
	if (ticket_phase_closed(phase) && (st != index_of(statuses, "completed") || why < 0)) {
		conf_problem(p, s, "%s closes the request, so it is completed with a reason; write %s = "
				   "\"completed/%s\";", name, name, reasons[why >= 0 ? why : 0]);
		return;
	}
	if (!ticket_phase_closed(phase) && (st == index_of(statuses, "completed") || why >= 0)) {
		conf_problem(p, s, "%s leaves the request open, so it takes a status other than completed and no "
				   "reason; write %s = \"in_progress\";", name, name);
		return;
	}
	set->status[phase] = statuses[st];
	set->reason[phase] = why >= 0 ? reasons[why] : NULL;
}

static void parse_statuses(struct conf_parser *p, struct xr_settings *set, const config_setting_t *group)
{
	conf_check_keys(p, group, "statuses", phase_keys);
	for (size_t i = 0; phase_keys[i]; i++) {
		const config_setting_t *s = config_setting_get_member(group, phase_keys[i]);
		enum ticket_phase phase;

		if (s && ticket_phase_from_name(phase_keys[i], &phase) == 0)
			parse_phase(p, set, s, phase_keys[i], phase);
	}
}

/* An id member (a positive integer) of GROUP into *RET; absent leaves it. */
static void get_id(struct conf_parser *p, const config_setting_t *group, const char *name, long *ret)
{
	int v = 0;

	if (!config_setting_get_member(group, name))
		return;
	conf_get_int(p, group, name, 1, 2147483647, &v);
	if (v > 0)
		*ret = v;
}

/* NAME of GROUP, which must be a group with the keys KEYS; NULL otherwise. */
static const config_setting_t *subgroup(struct conf_parser *p, const config_setting_t *group, const char *name,
					const char *const *keys, const char *example)
{
	const config_setting_t *s = config_setting_get_member(group, name);

	if (!s)
		return NULL;
	if (!config_setting_is_group(s)) {
		conf_problem(p, s, "'%s' must be a group; write %s = { %s };", name, name, example);
		return NULL;
	}
	conf_check_keys(p, s, name, keys);
	return s;
}

static void parse_limits(struct conf_parser *p, struct xr_settings *set, const config_setting_t *group)
{
	const config_setting_t *s;

	s = subgroup(p, group, "approval_task", approval_keys, "team = 7; planned_duration = 60;");
	if (s) {
		get_id(p, s, "template", &set->approval_template);
		get_id(p, s, "team", &set->approval_team);
		conf_get_int(p, s, "planned_duration", 1, 600000, &set->planned_duration);
	}
	s = subgroup(p, group, "incident", incident_keys, "team = 7; impact = \"low\";");
	if (s) {
		int impact = -1;

		get_id(p, s, "team", &set->incident_team);
		get_id(p, s, "service_instance", &set->incident_service_instance);
		if (conf_get_word(p, s, "impact", impacts, &impact) > 0)
			set->incident_impact = impacts[impact];
	}
	s = subgroup(p, group, "rate_limit", rate_keys, "burst = 19; burst_window = \"2s\"; hourly_reserve = 100;");
	if (s) {
		conf_get_int(p, s, "burst", 1, 1000, &set->burst);
		if (conf_get_duration(p, s, "burst_window", &set->burst_window_ms) > 0 &&
		    (set->burst_window_ms < 1000 || set->burst_window_ms > 3600 * 1000))
			conf_problem(p, config_setting_get_member(s, "burst_window"),
				     "burst_window must be 1s to 1h; write burst_window = \"2s\";");
		conf_get_int(p, s, "hourly_reserve", 0, 100000, &set->hourly_reserve);
	}
}

/* The region and environment, or a base_url: one of the two. */
static void parse_place(struct conf_parser *p, struct xr_settings *set, const config_setting_t *group)
{
	const config_setting_t *base = config_setting_get_member(group, "base_url");
	const config_setting_t *region = config_setting_get_member(group, "region");
	const config_setting_t *env = config_setting_get_member(group, "environment");

	if (base) {
		set->region = set->environment = -1;
		if (region || env)
			conf_problem(p, region ? region : env, "base_url names the API already; remove %s, or remove "
							       "base_url and let region and environment name it",
				     region ? "region" : "environment");
		return;
	}
	conf_get_word(p, group, "region", regions, &set->region);
	conf_get_word(p, group, "environment", environments, &set->environment);
	if (set->environment == 2 && set->region > 0)
		conf_problem(p, region, "the demo environment has the global region only; remove region, or write "
					"environment = \"production\";");
}

/* What the common settings may hold for Xurrent: a bearer token (api_key)
 * or OAuth client credentials, people by primary e-mail, 100 a page. */
static void check_common(struct conf_parser *p, struct xr_settings *set, const config_setting_t *group)
{
	const config_setting_t *auth = config_setting_get_member(group, "auth");
	const config_setting_t *s = auth && config_setting_is_group(auth) ? config_setting_get_member(auth, "method")
									  : NULL;
	const char *method = s ? config_setting_get_string(s) : NULL;
	int page = 0;

	if (method && strcmp(method, "api_key") != 0 && strcmp(method, "client_credentials") != 0)
		conf_problem(p, s, "Xurrent takes a personal access token or OAuth client credentials; write method = "
				   "\"api_key\"; (with api_key_file) or method = \"client_credentials\";");
	if (method && strcmp(method, "client_credentials") == 0 && set->region < 0 &&
	    !config_setting_get_member(auth, "token_url"))
		conf_problem(p, auth, "with a base_url, client credentials need the token endpoint; add token_url = "
				      "\"https://oauth.xurrent.com/token\"; (the region's oauth host)");
	s = config_setting_get_member(group, "user_attribute");
	if (s && !same(config_setting_get_string(s), "primary_email"))
		conf_problem(p, s, "Xurrent people are mapped to the directory by their primary e-mail; write "
				   "user_attribute = \"primary_email\"; or leave it out");
	s = config_setting_get_member(group, "page_size");
	if (s && config_setting_lookup_int(group, "page_size", &page) == CONFIG_TRUE && page > XR_PAGE_MAX)
		conf_problem(p, s, "Xurrent pages hold at most %d records; write page_size = %d;", XR_PAGE_MAX,
			     XR_PAGE_MAX);
}

static void parse_source(struct conf_parser *p, struct xr_settings *set, const config_setting_t *group)
{
	const config_setting_t *s = config_setting_get_member(group, "source");
	size_t n;

	set->source = conf_get_string(p, group, "source", 0);
	if (!set->source) {
		set->source = strdup("accessd");
		if (!set->source)
			p->diag->oom = 1;
		return;
	}
	n = strlen(set->source);
	/* It is compared in a filter, so it must be a value one can send. */
	if (n == 0 || n > XR_SOURCE_MAX || !xr_value_ok(set->source))
		conf_problem(p, s, "source must be 1 to %d characters, no comma or control character, not starting "
				   "with '!', '<', '>' or '='; write source = \"accessd\";", XR_SOURCE_MAX);
}

static int token_url(struct xr_settings *set)
{
	int n;

	if (set->region < 0 || set->environment < 0)
		return 0;
	n = set->region == 0 ? asprintf(&set->token_url, "https://oauth.%s/token", domains[set->environment])
			     : asprintf(&set->token_url, "https://oauth.%s.%s/token", regions[set->region],
					domains[set->environment]);
	if (n < 0) {
		set->token_url = NULL;
		return -ENOMEM;
	}
	return 0;
}

int xr_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret)
{
	struct xr_settings *set = malloc(sizeof(*set));
	const config_setting_t *s;

	if (!set)
		return -ENOMEM;
	*set = xr_default_settings;
	set->account = conf_get_string(p, group, "account", 1);
	if (set->account && (!*set->account || strlen(set->account) > 128 || strpbrk(set->account, "\r\n")))
		conf_problem(p, config_setting_get_member(group, "account"),
			     "account must be the account id Xurrent shows under Settings (1 to 128 characters); write "
			     "account = \"contoso-it\";");
	parse_place(p, set, group);
	set->ui_url = conf_get_string(p, group, "ui_url", 0);
	if (set->ui_url && (strncmp(set->ui_url, "https://", 8) != 0 || strpbrk(set->ui_url, " \t\r\n?#") ||
			    set->ui_url[strlen(set->ui_url) - 1] == '/'))
		conf_problem(p, config_setting_get_member(group, "ui_url"),
			     "ui_url is where people open the account's records, https:// and a host, no trailing "
			     "slash; write ui_url = \"https://contoso-it.xurrent.com\";");
	parse_source(p, set, group);
	check_common(p, set, group);
	s = config_setting_get_member(group, "statuses");
	if (s && config_setting_is_group(s))
		parse_statuses(p, set, s);
	else if (s)
		conf_problem(p, s, "'statuses' must be a group; write statuses = { blocked = \"waiting_for\"; };");
	parse_limits(p, set, group);
	if (token_url(set) < 0 || p->diag->oom) {
		xr_conf_free(set);
		return -ENOMEM;
	}
	*ret = set;
	return 0;
}
