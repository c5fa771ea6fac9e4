/* SPDX-License-Identifier: Apache-2.0 */
/* The TOPdesk connector's settings: topdesk = { ... } in the itsm group
 * (how each phase accessd writes is set, where the IAM team's incidents
 * go, whether the change list takes a query) and in each item of the
 * policy (the change template or the call category that makes a request
 * of that item, the fields and labels its variables are read from). Every
 * mistake is reported with its line, as the rest of the file is; names of
 * the tenant's statuses and templates are looked up at start
 * (topdesk_tenant.c), where TOPdesk can be asked. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_parse.h"
#include "topdesk.h"
#include "util/text.h"

/* The longest name of a status, template, category or label accepted. */
#define MAX_NAME 100

const char *const td_conf_keys[] = { "topdesk", NULL };
const char *const td_item_keys[] = { "topdesk", NULL };

static const char *const group_keys[] = { "change_query", "phases", "incident", NULL };
static const char *const phase_keys[] = { "sent_back", "implementing", "blocked", "completed",
					  "rejected",  "expired",      "duplicate", NULL };
static const char *const phase_value_keys[] = { "transitions", "status", "call_status", NULL };
static const char *const incident_keys[] = { "caller", "category", "subcategory", "status", NULL };
static const char *const item_keys[] = { "template", "category", "subcategory", "approval_template", "fields",
					 "labels", NULL };
static const char *const query_words[] = { "auto", "yes", "no", NULL };
static const char *const actions[] = { "submit", "approve", "reject", "no_go", "start", "implement", "close", NULL };
static const char *const attributes[] = { "email", "tasLoginName", "networkLoginName", "employeeNumber", NULL };

/* Out of the box: the processing status moves with TOPdesk's own
 * transitions, each applied when the change allows it; no tenant status
 * is set (a tenant's statuses have the names it gave them). */
static char *implementing_default[] = { "approve", "start", NULL };
static char *completed_default[] = { "approve", "implement", "close", NULL };
static char *reject_default[] = { "reject", NULL };

const struct td_settings td_default_settings = {
	.change_query = TD_QUERY_AUTO,
	.phase = {
		[TICKET_IMPLEMENTING] = { .transitions = implementing_default, .n_transitions = 2 },
		[TICKET_COMPLETED] = { .transitions = completed_default, .n_transitions = 3 },
		[TICKET_REJECTED] = { .transitions = reject_default, .n_transitions = 1 },
		[TICKET_EXPIRED] = { .transitions = reject_default, .n_transitions = 1 },
		[TICKET_DUPLICATE] = { .transitions = reject_default, .n_transitions = 1 },
	},
};

int td_action_closes(const char *action)
{
	return strcmp(action, "close") == 0 || strcmp(action, "reject") == 0 || strcmp(action, "no_go") == 0;
}

int td_base_url_ok(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	return n > strlen("/tas/api") && strncmp(url + n - strlen("/tas/api"), "/tas/api", strlen("/tas/api")) == 0;
}

int td_optional_field_ok(const char *name)
{
	static const char *const kinds[] = { "boolean", "number", "text", "memo", "date", "searchlist" };
	const char *dot;

	if (!name || strncmp(name, "optionalFields", 14) != 0 || (name[14] != '1' && name[14] != '2') ||
	    name[15] != '.')
		return 0;
	dot = name + 16;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]);

		if (strncmp(dot, kinds[i], n) == 0 && dot[n] >= '1' && dot[n] <= '5' && dot[n + 1] == '\0')
			return 1;
	}
	return 0;
}

/* -- the itsm group --------------------------------------------------------- */


void td_conf_free(void *settings)
{
	struct td_settings *s = settings;

	if (!s)
		return;
	/* The defaults' lists are static and they name no status. */
	for (int i = 0; i < TICKET_PHASES; i++) {
		if (s->phase[i].transitions != td_default_settings.phase[i].transitions)
			conf_strings_free(s->phase[i].transitions);
		free(s->phase[i].status);
		free(s->phase[i].call_status);
	}
	free(s->incident_caller);
	free(s->incident_category);
	free(s->incident_subcategory);
	free(s->incident_status);
	free(s);
}

/* A name member NAME of G: 1 to MAX_NAME printable characters, or NULL. */
static char *get_name(struct conf_parser *p, const config_setting_t *g, const char *name, const char *what)
{
	char *v = conf_get_string(p, g, name, 0);

	if (v && (!*v || strlen(v) > MAX_NAME || text_has_control(v, 0))) {
		conf_problem(p, config_setting_get_member(g, name),
			     "'%s' must be %s as TOPdesk shows it, 1 to %d printable characters; write %s = \"...\";", name,
			     what, MAX_NAME, name);
		free(v);
		return NULL;
	}
	return v;
}

static void parse_phase(struct conf_parser *p, const config_setting_t *s, enum ticket_phase phase, struct td_phase *ph)
{
	const char *name = ticket_phase_name(phase);
	const config_setting_t *tr = config_setting_get_member(s, "transitions");
	int closed = ticket_phase_closed(phase);

	conf_check_keys(p, s, name, phase_value_keys);
	*ph = (struct td_phase){ 0 };
	ph->status = get_name(p, s, "status", "a change status");
	ph->call_status = get_name(p, s, "call_status", "an incident processing status");
	if (!tr)
		return;
	conf_get_strings(p, s, "transitions", &ph->transitions, &ph->n_transitions);
	for (size_t i = 0; i < ph->n_transitions; i++) {
		const char *a = ph->transitions[i], *near = conf_nearest(a, actions);
		size_t k = 0;

		while (actions[k] && strcmp(actions[k], a) != 0)
			k++;
		if (!actions[k]) {
			conf_problem(p, tr, "\"%s\" is no processing status transition of TOPdesk; write %s%s%s", a,
				     near ? "\"" : "one of: submit, approve, reject, no_go, start, implement, close",
				     near ? near : "", near ? "\" instead" : "");
			continue;
		}
		/* A phase must read back as itself: TOPdesk's processing status
		 * says whether a change is closed. */
		if (!closed && td_action_closes(a))
			conf_problem(p, tr, "phases.%s would close the change with \"%s\", but %s is an open phase: "
					    "accessd would take its own ticket for one closed by hand; remove \"%s\"",
				     name, a, name, a);
	}
	if (closed && ph->n_transitions && !td_action_closes(ph->transitions[ph->n_transitions - 1]))
		conf_problem(p, tr, "phases.%s must leave the change closed; end its transitions with \"close\", "
				    "\"reject\" or \"no_go\"", name);
}

static void parse_phases(struct conf_parser *p, const config_setting_t *g, struct td_settings *set)
{
	conf_check_keys(p, g, "topdesk phases", phase_keys);
	for (size_t i = 0; phase_keys[i]; i++) {
		const config_setting_t *s = config_setting_get_member(g, phase_keys[i]);
		enum ticket_phase phase;

		if (!s || ticket_phase_from_name(phase_keys[i], &phase) < 0)
			continue;
		if (!config_setting_is_group(s)) {
			conf_problem(p, s, "'%s' must be a group; write %s = { transitions = ( ... ); status = \"...\"; };",
				     phase_keys[i], phase_keys[i]);
			continue;
		}
		/* The whole phase is replaced: what it does not say is not done. */
		parse_phase(p, s, phase, &set->phase[phase]);
	}
}

static void parse_incident(struct conf_parser *p, const config_setting_t *g, struct td_settings *set)
{
	conf_check_keys(p, g, "topdesk incident", incident_keys);
	set->incident_caller = conf_get_string(p, g, "caller", 0);
	if (set->incident_caller && !text_is_guid(set->incident_caller)) {
		conf_problem(p, config_setting_get_member(g, "caller"),
			     "caller must be the id of a TOPdesk person (a UUID); leave it out for an unregistered caller "
			     "named \"accessd\"");
		free(set->incident_caller);
		set->incident_caller = NULL;
	}
	set->incident_category = get_name(p, g, "category", "an incident category");
	set->incident_subcategory = get_name(p, g, "subcategory", "an incident subcategory");
	set->incident_status = get_name(p, g, "status", "an incident processing status");
	if (set->incident_subcategory && !set->incident_category)
		conf_problem(p, g, "a subcategory belongs to a category; add category = \"...\";");
}

/* TOPdesk's API is below /tas/api, takes an application password with
 * Basic authentication only, and maps people by one of its persons' fields. */
static void check_common(struct conf_parser *p, const config_setting_t *group)
{
	const config_setting_t *auth = config_setting_get_member(group, "auth");
	const config_setting_t *m = auth && config_setting_is_group(auth) ? config_setting_get_member(auth, "method")
									  : NULL;
	const config_setting_t *attr = config_setting_get_member(group, "user_attribute");
	const config_setting_t *url = config_setting_get_member(group, "base_url");
	const char *v;

	if (url && (v = config_setting_get_string(url)) && !td_base_url_ok(v))
		conf_problem(p, url, "TOPdesk's REST API is below /tas/api; write base_url = "
				     "\"https://<tenant>.topdesk.net/tas/api\"; (on premises: your host, the same path)");
	if (m && (v = config_setting_get_string(m)) && strcmp(v, "basic") != 0)
		conf_problem(p, m, "TOPdesk takes an application password with Basic authentication; write method = "
				   "\"basic\"; with username and password_file (the application password)");
	if (attr && (v = config_setting_get_string(attr))) {
		size_t k = 0;

		while (attributes[k] && strcmp(attributes[k], v) != 0)
			k++;
		if (!attributes[k])
			conf_problem(p, attr, "TOPdesk maps people by \"email\" (the default), \"tasLoginName\", "
					      "\"networkLoginName\" or \"employeeNumber\"; write user_attribute = \"email\";");
	}
}

int td_conf_parse(struct conf_parser *p, const struct config_setting_t *group, void **ret)
{
	const config_setting_t *g = config_setting_get_member(group, "topdesk"), *s;
	struct td_settings *set = malloc(sizeof(*set));
	int word = TD_QUERY_AUTO;

	if (!set)
		return -ENOMEM;
	*set = td_default_settings;
	check_common(p, group);
	if (g && !config_setting_is_group(g)) {
		conf_problem(p, g, "'topdesk' must be a group; write topdesk = { phases = { ... }; };");
		g = NULL;
	}
	if (g) {
		conf_check_keys(p, g, "topdesk", group_keys);
		if (conf_get_word(p, g, "change_query", query_words, &word) == 1)
			set->change_query = (enum td_change_query)word;
		if ((s = config_setting_get_member(g, "phases")) && config_setting_is_group(s))
			parse_phases(p, s, set);
		else if (s)
			conf_problem(p, s, "'phases' must be a group; write phases = { completed = { transitions = ( "
					   "\"implement\", \"close\" ); }; };");
		if ((s = config_setting_get_member(g, "incident")) && config_setting_is_group(s))
			parse_incident(p, s, set);
		else if (s)
			conf_problem(p, s, "'incident' must be a group; write incident = { category = \"...\"; };");
	}
	if (p->diag->oom) {
		td_conf_free(set);
		return -ENOMEM;
	}
	*ret = set;
	return 0;
}

/* -- each item -------------------------------------------------------------- */

void td_conf_free_item(void *settings)
{
	struct td_item *it = settings;

	if (!it)
		return;
	free(it->template);
	free(it->category);
	free(it->subcategory);
	free(it->approval_template);
	variables_free(it->fields, it->n_fields);
	variables_free(it->labels, it->n_labels);
	free(it);
}

/* The members of group G (variable = "value") into *RET; CHECK says
 * whether a value may stand there, WHAT and EXAMPLE explain it. */
static void parse_map(struct conf_parser *p, const config_setting_t *g, int (*check)(const char *),
		      const char *what, const char *example, struct variable **ret, size_t *ret_n)
{
	int n = config_setting_length(g);
	struct variable *v = calloc((size_t)(n > 0 ? n : 1), sizeof(*v));
	size_t k = 0;

	if (!v) {
		p->diag->oom = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *value = config_setting_get_string(s);

		if (!value || !check(value)) {
			conf_problem(p, s, "%s '%s' must be %s; write %s = \"%s\";", config_setting_name(g),
				     config_setting_name(s), what, config_setting_name(s), example);
			continue;
		}
		v[k].name = strdup(config_setting_name(s));
		v[k].value = strdup(value);
		if (!v[k].name || !v[k].value)
			p->diag->oom = 1;
		k++;
	}
	*ret = v;
	*ret_n = k;
}

static int label_ok(const char *v)
{
	return *v && strlen(v) <= MAX_NAME && !text_has_control(v, 0) && !strchr(v, '<');
}

/* Whether a request of ITEM can need an approval: stages of its own, or a
 * privileged target on its allow list (whose stages the policy adds). */
static int may_need_approval(const config_setting_t *item)
{
	config_setting_t *root = config_root_setting(item->config);
	const config_setting_t *stages, *allow, *targets;
	int n;

	stages = config_setting_get_member(item, "stages");
	if (stages && config_setting_length(stages) > 0)
		return 1;
	stages = config_setting_get_member(item, "privileged_stages");
	if (stages && config_setting_length(stages) > 0)
		return 1;
	allow = config_setting_get_member(item, "allow");
	targets = config_setting_lookup(root, "policy.targets");
	n = allow ? config_setting_length(allow) : 0;
	for (int i = 0; i < n; i++) {
		const char *name = config_setting_get_string_elem(allow, i);

		for (int k = 0; name && targets && k < config_setting_length(targets); k++) {
			const config_setting_t *t = config_setting_get_elem(targets, (unsigned)k);
			const char *tn = NULL, *cls = NULL;

			if (config_setting_lookup_string(t, "name", &tn) && strcmp(tn, name) == 0 &&
			    config_setting_lookup_string(t, "class", &cls) && strcmp(cls, "privileged") == 0)
				return 1;
		}
	}
	return 0;
}

int td_conf_parse_item(struct conf_parser *p, const struct config_setting_t *item, void **ret)
{
	const config_setting_t *g = config_setting_get_member(item, "topdesk"), *s;
	struct td_item *it;

	*ret = NULL;
	if (g && !config_setting_is_group(g)) {
		conf_problem(p, g, "'topdesk' must be a group; write topdesk = { template = \"...\"; };");
		return 0;
	}
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	if (g) {
		conf_check_keys(p, g, "an item's topdesk", item_keys);
		it->template = get_name(p, g, "template", "a change template's id, number or name");
		it->category = get_name(p, g, "category", "an incident category");
		it->subcategory = get_name(p, g, "subcategory", "an incident subcategory");
		it->approval_template = get_name(p, g, "approval_template", "a change template's id, number or name");
		if ((s = config_setting_get_member(g, "fields")) && config_setting_is_group(s))
			parse_map(p, s, td_optional_field_ok, "an optional field", "optionalFields1.text1", &it->fields,
				  &it->n_fields);
		else if (s)
			conf_problem(p, s, "'fields' must be a group; write fields = { end_date = \"optionalFields1.date1\"; };");
		if ((s = config_setting_get_member(g, "labels")) && config_setting_is_group(s))
			parse_map(p, s, label_ok, "the label a form shows, without markup", "End date", &it->labels,
				  &it->n_labels);
		else if (s)
			conf_problem(p, s, "'labels' must be a group; write labels = { end_date = \"End date\"; };");
		if (it->template && it->category)
			conf_problem(p, g, "an item is a request for change (template) or a request call (category), not "
					   "both; remove one");
		if (!it->category != !it->subcategory)
			conf_problem(p, g, "a request call item names its category and its subcategory; add %s = \"...\";",
				     it->category ? "subcategory" : "category");
		if (it->approval_template && !it->category)
			conf_problem(p, config_setting_get_member(g, "approval_template"),
				     "approval_template is for request call items (category); a change item is "
				     "approved on its own change: remove it");
	}
	/* TOPdesk has no authorization on a call: its approvers decide on a
	 * change linked to it, made from approval_template. */
	if (it->category && !it->approval_template && may_need_approval(item))
		conf_problem(p, g, "a request call has no authorizations in TOPdesk, and this item's requests need "
				   "approval; add approval_template = \"...\"; (the change template whose change "
				   "carries the approvers' authorization activities)");
	if (p->diag->oom) {
		td_conf_free_item(it);
		return -ENOMEM;
	}
	*ret = it;
	return 0;
}
