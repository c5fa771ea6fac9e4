/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "conf_policy.h"
#include "conf_rules.h"
#include "util/text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const policy_keys[] = { "approvals", "partial_failure", "incident", "contractors", "targets",
					   "privileged_stages", "requesters", "items", NULL };
static const char *const incident_keys[] = { "assignment_group", "category", "subcategory", "impact", "urgency",
					     NULL };
static const char *const contractor_keys[] = { "match", "max_duration", "end_date_required", "sponsor_required",
					       "manager_as_sponsor", NULL };
static const char *const match_keys[] = { "attribute", "values", NULL };
static const char *const target_keys[] = { "name", "kind", "group_id", "resource_id", "app_role_id", "mailbox",
					   "class", "owner", "backup_owner", "also", NULL };
static const char *const item_keys[] = { "name", "id", "sys_id", "allow", "target", "contractor_target", "variables",
					 "time_bound", "max_duration", "stages", "privileged_stages", "auto_reject_when",
					 "requesters", "sponsor_required", "verification", NULL };
static const char *const verification_keys[] = { "variable", "group", NULL };
static const char *const variable_keys[] = { "target", "justification", "start_date", "end_date", "duration",
					     "sponsor", NULL };
static const char *const stage_keys[] = { "name", "approvers", "backup", "quorum", "remind_after",
					  "escalate_after", "expire_after", "auto_approve_when", "auto_approve_privileged",
					  NULL };

static const char *const approvals_words[] = { "create", "observe", NULL };
static const char *const partial_words[] = { "rollback", "compensate", NULL };
static const char *const kind_words[] = { "group", "app_role", "mailbox", NULL };
static const char *const class_words[] = { "standard", "privileged", NULL };
static const char *const quorum_words[] = { "any", "all", NULL };
static const char *const approver_words[] = { "manager", "target_owner", "backup_owner", "user:", "group:", NULL };
static const char *const requester_words[] = { "subject", "manager", "group:", NULL };

#define EXAMPLE_GUID "3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f"

/* Limits on what the file controls, so a mistake cannot make a huge chain. */
#define MAX_LIST 1000

/* The list member NAME of GROUP; NULL when absent or not a list (reported). */
static const config_setting_t *list_of(struct conf_parser *p, const config_setting_t *group, const char *name,
				       const char *example)
{
	const config_setting_t *s = config_setting_get_member(group, name);

	if (!s)
		return NULL;
	if (!config_setting_is_list(s) || config_setting_length(s) > MAX_LIST) {
		conf_problem(p, s, "'%s' must be a list in ( ) of at most %d entries; write %s = %s;", name, MAX_LIST,
			     name, example);
		return NULL;
	}
	return s;
}

/* An object id member: a GUID, or reported. */
static char *get_guid(struct conf_parser *p, const config_setting_t *group, const char *name, int required,
		      const char *what)
{
	char *v = conf_get_string(p, group, name, required);

	if (v && !text_is_guid(v)) {
		conf_problem(p, config_setting_get_member(group, name),
			     "%s \"%s\" is not a GUID; write the object id of %s, like %s = \"" EXAMPLE_GUID "\";",
			     name, v, what, name);
		free(v);
		return NULL;
	}
	return v;
}

/* A duration where zero would mean "never" by accident: leaving the
 * setting out says that. */
static void get_period(struct conf_parser *p, const config_setting_t *g, const char *name, int64_t *ms)
{
	int64_t v = 0;

	if (conf_get_duration(p, g, name, &v) <= 0)
		return;
	if (v == 0)
		conf_problem(p, config_setting_get_member(g, name),
			     "%s must be longer than 0s; write a duration like \"24h\", or remove %s for no limit", name,
			     name);
	else
		*ms = v;
}

/* Parse "manager", "target_owner", "backup_owner", "user:<guid>" or
 * "group:<guid>" (the entry S of list NAME). */
static int parse_approver(struct conf_parser *p, const config_setting_t *s, const char *name,
			  struct approver_ref *ret)
{
	const char *text = config_setting_get_string(s), *id = NULL, *near;
	enum approver_kind kind;

	if (!text) {
		conf_problem(p, s, "each entry of '%s' must be a string; write %s = ( \"manager\" );", name, name);
		return -EINVAL;
	}
	if (strcmp(text, "manager") == 0)
		kind = APPROVER_MANAGER;
	else if (strcmp(text, "target_owner") == 0)
		kind = APPROVER_TARGET_OWNER;
	else if (strcmp(text, "backup_owner") == 0)
		kind = APPROVER_BACKUP_OWNER;
	else if (strncmp(text, "user:", 5) == 0) {
		kind = APPROVER_USER;
		id = text + 5;
	} else if (strncmp(text, "group:", 6) == 0) {
		kind = APPROVER_GROUP;
		id = text + 6;
	} else {
		near = conf_nearest(text, approver_words);
		if (near && near[strlen(near) - 1] != ':')
			conf_problem(p, s, "unknown approver \"%s\" in %s; write \"%s\" instead", text, name, near);
		else
			conf_problem(p, s,
				     "unknown approver \"%s\" in %s; write \"manager\", \"target_owner\", "
				     "\"backup_owner\", \"user:<object id>\" or \"group:<object id>\"",
				     text, name);
		return -EINVAL;
	}
	if (id && !text_is_guid(id)) {
		conf_problem(p, s, "\"%s\" in %s does not end in a GUID; write \"%s" EXAMPLE_GUID "\" with the "
				   "directory object id",
			     text, name, kind == APPROVER_USER ? "user:" : "group:");
		return -EINVAL;
	}
	ret->kind = kind;
	ret->id = NULL;
	if (id && !(ret->id = strdup(id))) {
		p->diag->oom = 1;
		return -ENOMEM;
	}
	return 0;
}

static void approvers_free(struct approver_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].id);
	free(v);
}

/* The member NAME of GROUP as approver references (a string or a list). */
static void parse_approver_list(struct conf_parser *p, const config_setting_t *group, const char *name,
				struct approver_ref **ret, size_t *n)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	size_t count;
	struct approver_ref *v;

	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		count = 1;
	else if (config_setting_is_list(s) && config_setting_length(s) <= MAX_LIST)
		count = (size_t)config_setting_length(s);
	else {
		conf_problem(p, s, "'%s' must be a list of approvers; write %s = ( \"manager\", \"user:%s\" );", name,
			     name, EXAMPLE_GUID);
		return;
	}
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v) {
		p->diag->oom = 1;
		return;
	}
	*ret = v;
	for (size_t i = 0; i < count; i++) {
		const config_setting_t *e =
			config_setting_type(s) == CONFIG_TYPE_STRING ? s : config_setting_get_elem(s, (unsigned)i);

		if (parse_approver(p, e, name, &v[*n]) == 0)
			(*n)++;
	}
}

static int approver_equal(const struct approver_ref *a, const struct approver_ref *b)
{
	return a->kind == b->kind && (!a->id || strcasecmp(a->id, b->id) == 0);
}

/* A stage's rules: a privileged stage (security) is approved by a rule
 * only when it says so itself, so that a rule written for the manager
 * cannot be copied onto it by mistake. */
static void parse_stage_rules(struct conf_parser *p, const config_setting_t *g, const struct config *cfg,
			      const struct item_config *it, struct stage_config *st)
{
	const config_setting_t *flag = config_setting_get_member(g, "auto_approve_privileged");

	conf_rules_parse(p, g, "auto_approve_when", cfg, it, &st->auto_approve, &st->n_auto_approve);
	conf_get_bool(p, g, "auto_approve_privileged", &st->auto_approve_privileged);
	if (flag && !st->privileged)
		conf_problem(p, flag, "auto_approve_privileged is for the stages a privileged target adds; remove it "
				      "from stage \"%s\"",
			     st->name ? st->name : "?");
	else if (st->auto_approve_privileged && st->n_auto_approve == 0)
		conf_problem(p, flag, "auto_approve_privileged is set but stage \"%s\" has no auto_approve_when; "
				      "add the rule, or remove auto_approve_privileged",
			     st->name ? st->name : "?");
	else if (st->privileged && st->n_auto_approve > 0 && !st->auto_approve_privileged)
		conf_problem(p, config_setting_get_member(g, "auto_approve_when"),
			     "stage \"%s\" is added for privileged targets, and a rule approves it only when the stage "
			     "says so; add auto_approve_privileged = true; or remove auto_approve_when",
			     st->name ? st->name : "?");
}

static void parse_stage(struct conf_parser *p, const config_setting_t *g, const struct config *cfg,
			const struct item_config *it, int privileged, struct stage_config *st)
{
	const char *order[] = { "remind_after", "escalate_after", "expire_after" };
	int64_t *times[] = { &st->remind_after_ms, &st->escalate_after_ms, &st->expire_after_ms };
	const config_setting_t *approvers = config_setting_get_member(g, "approvers");
	int quorum = QUORUM_ANY;

	st->line = conf_line(g);
	st->privileged = privileged;
	conf_check_keys(p, g, "a stage", stage_keys);
	st->name = conf_get_string(p, g, "name", 1);
	if (!approvers)
		conf_problem(p, g, "this stage has no approvers; add approvers = ( \"manager\" ); (or \"target_owner\", "
				   "\"user:<object id>\", \"group:<object id>\")");
	parse_approver_list(p, g, "approvers", &st->approvers, &st->n_approvers);
	if (approvers && config_setting_is_list(approvers) && config_setting_length(approvers) == 0)
		conf_problem(p, approvers, "this stage has no approvers; write approvers = ( \"manager\" );");
	parse_approver_list(p, g, "backup", &st->backups, &st->n_backups);
	for (size_t i = 0; i < st->n_backups; i++)
		for (size_t j = 0; j < st->n_approvers; j++)
			if (approver_equal(&st->backups[i], &st->approvers[j]))
				conf_problem(p, config_setting_get_member(g, "backup"),
					     "a backup of stage \"%s\" is also one of its approvers; name someone "
					     "else as the backup",
					     st->name ? st->name : "?");
	if (conf_get_word(p, g, "quorum", quorum_words, &quorum) >= 0)
		st->quorum = (enum quorum)quorum;
	for (size_t i = 0; i < 3; i++)
		get_period(p, g, order[i], times[i]);
	/* Each deadline must come after the one before it, or it never fires. */
	for (size_t i = 0; i < 3; i++)
		for (size_t j = i + 1; j < 3; j++)
			if (*times[i] && *times[j] && *times[i] >= *times[j])
				conf_problem(p, config_setting_get_member(g, order[i]),
					     "%s must be shorter than %s of the same stage; shorten %s or lengthen %s",
					     order[i], order[j], order[i], order[j]);
	if (st->escalate_after_ms && st->n_backups == 0)
		conf_problem(p, config_setting_get_member(g, "escalate_after"),
			     "escalate_after is set but the stage has no backup to escalate to; add backup = ( "
			     "\"user:<object id>\" ); or remove escalate_after");
	parse_stage_rules(p, g, cfg, it, st);
}

static void stages_free(struct stage_config *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		approvers_free(v[i].approvers, v[i].n_approvers);
		approvers_free(v[i].backups, v[i].n_backups);
		conf_rules_free(v[i].auto_approve, v[i].n_auto_approve);
	}
	free(v);
}

static void requesters_free(struct requester_rule *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].group_id);
	free(v);
}

/* "requesters": who may ask for a person's access. */
static void parse_requesters(struct conf_parser *p, const config_setting_t *group, struct requester_rule **ret,
			     size_t *n)
{
	char **words = NULL;
	size_t count = 0;

	conf_get_strings(p, group, "requesters", &words, &count);
	if (!config_setting_get_member(group, "requesters"))
		return;
	if (count == 0) {
		conf_problem(p, config_setting_get_member(group, "requesters"),
			     "requesters is empty, so nobody could ask; write requesters = ( \"subject\", \"manager\" );");
		conf_strings_free(words);
		return;
	}
	*ret = calloc(count, sizeof(**ret));
	if (!*ret) {
		p->diag->oom = 1;
		conf_strings_free(words);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		const config_setting_t *s = config_setting_get_member(group, "requesters");
		struct requester_rule *rule = &(*ret)[*n];
		const char *w = words[i], *near;

		if (strcmp(w, "subject") == 0) {
			rule->kind = REQUESTER_SUBJECT;
		} else if (strcmp(w, "manager") == 0) {
			rule->kind = REQUESTER_MANAGER;
		} else if (strncmp(w, "group:", 6) == 0 && text_is_guid(w + 6)) {
			rule->kind = REQUESTER_GROUP;
			if (!(rule->group_id = strdup(w + 6))) {
				p->diag->oom = 1;
				break;
			}
		} else if (strncmp(w, "group:", 6) == 0) {
			conf_problem(p, s, "\"%s\" in requesters does not end in a GUID; write \"group:" EXAMPLE_GUID "\" with "
					   "the object id of the group whose members may request",
				     w);
			continue;
		} else {
			near = conf_nearest(w, requester_words);
			if (near && near[strlen(near) - 1] != ':')
				conf_problem(p, s, "unknown requester \"%s\"; write \"%s\" instead", w, near);
			else
				conf_problem(p, s, "unknown requester \"%s\"; write \"subject\", \"manager\" or "
						   "\"group:<object id>\"",
					     w);
			continue;
		}
		(*n)++;
	}
	conf_strings_free(words);
}

/* The stages NAME of GROUP: of item IT (NULL: the policy's own), the
 * privileged ones when PRIVILEGED. */
static void parse_stages(struct conf_parser *p, const config_setting_t *group, const char *name,
			 const struct config *cfg, const struct item_config *it, int privileged,
			 struct stage_config **ret, size_t *n)
{
	const config_setting_t *list =
		list_of(p, group, name, "( { name = \"manager\"; approvers = ( \"manager\" ); } )");
	size_t count;

	if (!list)
		return;
	count = (size_t)config_setting_length(list);
	if (count == 0) {
		conf_problem(p, list, "'%s' is empty; add a stage, or remove %s", name, name);
		return;
	}
	*ret = calloc(count, sizeof(**ret));
	if (!*ret) {
		p->diag->oom = 1;
		return;
	}
	*n = count;
	for (size_t i = 0; i < count; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);

		if (!config_setting_is_group(g)) {
			conf_problem(p, g, "each stage must be a group; write { name = \"manager\"; approvers = ( "
					   "\"manager\" ); }");
			continue;
		}
		parse_stage(p, g, cfg, it, privileged, &(*ret)[i]);
	}
}

static void parse_target(struct conf_parser *p, const config_setting_t *g, struct target_config *t)
{
	static const char *const group_only[] = { "resource_id", "app_role_id", NULL };
	static const char *const role_only[] = { "group_id", "mailbox", NULL };
	int kind = -1, class = TARGET_STANDARD;
	const char *const *unused;

	t->line = conf_line(g);
	conf_check_keys(p, g, "a target", target_keys);
	t->name = conf_get_string(p, g, "name", 1);
	if (conf_get_word(p, g, "kind", kind_words, &kind) == 0)
		conf_problem(p, g, "'kind' is missing here; add kind = \"group\"; (or \"app_role\", \"mailbox\")");
	if (conf_get_word(p, g, "class", class_words, &class) >= 0)
		t->class = (enum target_class)class;
	t->owner = get_guid(p, g, "owner", 0, "the owner in the directory");
	t->backup_owner = get_guid(p, g, "backup_owner", 0, "the backup owner in the directory");
	if (t->owner && t->backup_owner && strcasecmp(t->owner, t->backup_owner) == 0)
		conf_problem(p, config_setting_get_member(g, "backup_owner"),
			     "backup_owner is the owner; name a different person as backup_owner");
	if (kind < 0)
		return;
	t->kind = (enum target_kind)kind;
	if (t->kind == TARGET_APP_ROLE) {
		t->resource_id = get_guid(p, g, "resource_id", 1, "the application's service principal");
		t->app_role_id = get_guid(p, g, "app_role_id", 1, "the app role");
		unused = role_only;
	} else {
		t->group_id = get_guid(p, g, "group_id", 1,
				       t->kind == TARGET_MAILBOX ? "the security group that holds the mailbox permission"
								 : "the group");
		t->mailbox = conf_get_string(p, g, "mailbox", 0);
		unused = group_only;
	}
	for (size_t i = 0; unused[i]; i++) {
		config_setting_t *s = config_setting_get_member(g, unused[i]);

		if (s && !(t->kind == TARGET_GROUP && strcmp(unused[i], "mailbox") == 0))
			conf_problem(p, s, "'%s' is not used by a target of kind \"%s\"; remove it, or change kind",
				     unused[i], kind_words[kind]);
	}
	if (t->kind == TARGET_GROUP && config_setting_get_member(g, "mailbox"))
		conf_problem(p, config_setting_get_member(g, "mailbox"),
			     "'mailbox' is only used by a target of kind \"mailbox\"; write kind = \"mailbox\"; or remove it");
}

static int same_target_id(const struct target_config *a, const struct target_config *b)
{
	if (a->group_id && b->group_id)
		return strcasecmp(a->group_id, b->group_id) == 0;
	return a->resource_id && b->resource_id && a->app_role_id && b->app_role_id &&
	       strcasecmp(a->resource_id, b->resource_id) == 0 && strcasecmp(a->app_role_id, b->app_role_id) == 0;
}

static void parse_also(struct conf_parser *p, const config_setting_t *list, struct policy_config *pol);

static void parse_targets(struct conf_parser *p, const config_setting_t *policy, struct policy_config *pol)
{
	const config_setting_t *list =
		list_of(p, policy, "targets", "( { name = \"VPN-Users\"; kind = \"group\"; group_id = \"...\"; } )");
	size_t count;

	if (!list)
		return;
	count = (size_t)config_setting_length(list);
	if (count == 0)
		return;
	pol->targets = calloc(count, sizeof(*pol->targets));
	if (!pol->targets) {
		p->diag->oom = 1;
		return;
	}
	pol->n_targets = count;
	for (size_t i = 0; i < count; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct target_config *t = &pol->targets[i];

		if (!config_setting_is_group(g)) {
			t->line = conf_line(g);
			conf_problem(p, g, "each target must be a group; write { name = \"...\"; kind = \"group\"; "
					   "group_id = \"...\"; }");
			continue;
		}
		parse_target(p, g, t);
		for (size_t j = 0; j < i; j++) {
			const struct target_config *o = &pol->targets[j];

			if (t->name && o->name && strcasecmp(t->name, o->name) == 0)
				conf_problem(p, g, "target name \"%s\" is already used on line %d; give each target "
						   "its own name",
					     t->name, o->line);
			else if (same_target_id(t, o))
				conf_problem(p, g, "target \"%s\" names the same object as \"%s\" on line %d; keep "
						   "one of them",
					     t->name ? t->name : "?", o->name ? o->name : "?", o->line);
		}
	}
	parse_also(p, list, pol);
}

static void target_names(const struct policy_config *pol, char *buf, size_t size);

/* "also": further targets granted with a target, as more steps of one
 * grant. Only one level: a target named in also has no also of its own, so
 * a grant is a short, fixed list and never a cycle. */
static void parse_also(struct conf_parser *p, const config_setting_t *list, struct policy_config *pol)
{
	for (size_t i = 0; i < pol->n_targets; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct target_config *t = &pol->targets[i];
		char **names = NULL, known[512];
		size_t n = 0;

		if (!config_setting_is_group(g) || !config_setting_get_member(g, "also"))
			continue;
		conf_get_strings(p, g, "also", &names, &n);
		if (n == 0) {
			conf_strings_free(names);
			continue;
		}
		if (n + 1 > CONF_MAX_GRANT_STEPS) {
			conf_problem(p, config_setting_get_member(g, "also"),
				     "also names %zu targets; a grant has at most %d steps, so name at most %d", n,
				     CONF_MAX_GRANT_STEPS, CONF_MAX_GRANT_STEPS - 1);
			conf_strings_free(names);
			continue;
		}
		t->also = calloc(n, sizeof(*t->also));
		if (!t->also) {
			p->diag->oom = 1;
			conf_strings_free(names);
			return;
		}
		for (size_t k = 0; k < n; k++) {
			const struct target_config *o = conf_find_target(pol, names[k]);
			const config_setting_t *at = config_setting_get_member(g, "also");

			if (!o) {
				target_names(pol, known, sizeof(known));
				conf_problem(p, at, "also names \"%s\", which is not defined in policy.targets; write one of: %s",
					     names[k], known);
			} else if (o == t) {
				conf_problem(p, at, "also names the target itself; name other targets, or remove also");
			} else if (config_setting_get_member(config_setting_get_elem(list, (unsigned)(o - pol->targets)),
							     "also")) {
				conf_problem(p, at, "also names \"%s\", which has an also of its own; list every step "
						    "here instead",
					     o->name);
			} else {
				for (size_t j = 0; j < t->n_also; j++)
					if (t->also[j] == o)
						o = NULL;
				if (!o)
					conf_problem(p, at, "also names \"%s\" twice; list each target once", names[k]);
				else
					t->also[t->n_also++] = o;
			}
		}
		conf_strings_free(names);
	}
}

static void parse_contractors(struct conf_parser *p, const config_setting_t *g, struct contractor_config *c)
{
	const config_setting_t *list;
	size_t count;

	conf_check_keys(p, g, "contractors", contractor_keys);
	get_period(p, g, "max_duration", &c->max_duration_ms);
	conf_get_bool(p, g, "end_date_required", &c->end_date_required);
	conf_get_bool(p, g, "sponsor_required", &c->sponsor_required);
	conf_get_bool(p, g, "manager_as_sponsor", &c->manager_as_sponsor);
	list = list_of(p, g, "match", "( { attribute = \"employeeType\"; values = ( \"Contractor\" ); } )");
	if (!list) {
		if (!config_setting_get_member(g, "match"))
			conf_problem(p, g, "contractors has no match rule, so nobody is recognised as a contractor; "
					   "add match = ( { attribute = \"employeeType\"; values = ( \"Contractor\" ); } );");
		return;
	}
	count = (size_t)config_setting_length(list);
	if (count == 0) {
		conf_problem(p, list, "match is empty; add { attribute = \"employeeType\"; values = ( \"Contractor\" ); }");
		return;
	}
	c->match = calloc(count, sizeof(*c->match));
	if (!c->match) {
		p->diag->oom = 1;
		return;
	}
	c->n_match = count;
	for (size_t i = 0; i < count; i++) {
		const config_setting_t *m = config_setting_get_elem(list, (unsigned)i);
		struct person_match *pm = &c->match[i];

		pm->line = conf_line(m);
		if (!config_setting_is_group(m)) {
			conf_problem(p, m, "each match rule must be a group; write { attribute = \"employeeType\"; "
					   "values = ( \"Contractor\" ); }");
			continue;
		}
		conf_check_keys(p, m, "a match rule", match_keys);
		pm->attribute = conf_get_string(p, m, "attribute", 1);
		conf_get_strings(p, m, "values", &pm->values, &pm->n_values);
		if (pm->n_values == 0)
			conf_problem(p, m, "this match rule has no values; add values = ( \"Contractor\" );");
	}
}

static void parse_incident(struct conf_parser *p, const config_setting_t *g, struct incident_config *inc)
{
	conf_check_keys(p, g, "incident", incident_keys);
	inc->assignment_group = conf_get_string(p, g, "assignment_group", 0);
	inc->category = conf_get_string(p, g, "category", 0);
	inc->subcategory = conf_get_string(p, g, "subcategory", 0);
	conf_get_int(p, g, "impact", 1, 3, &inc->impact);
	conf_get_int(p, g, "urgency", 1, 3, &inc->urgency);
}

static void target_names(const struct policy_config *pol, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < pol->n_targets && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s\"%s\"", i ? ", " : "",
				 pol->targets[i].name ? pol->targets[i].name : "?");

		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (pol->n_targets == 0)
		snprintf(buf, size, "(none: define them in policy.targets)");
}

static int allowed(const struct item_config *it, const struct target_config *t)
{
	for (size_t i = 0; i < it->n_allow; i++)
		if (it->allow[i] == t)
			return 1;
	return 0;
}

static void parse_allow(struct conf_parser *p, const config_setting_t *g, const struct policy_config *pol,
			struct item_config *it)
{
	char **names = NULL;
	size_t n = 0;
	char list[1024];

	conf_get_strings(p, g, "allow", &names, &n);
	if (n == 0) {
		conf_strings_free(names);
		return;
	}
	it->allow = calloc(n, sizeof(*it->allow));
	if (!it->allow) {
		p->diag->oom = 1;
		conf_strings_free(names);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct target_config *t = conf_find_target(pol, names[i]);

		if (!t) {
			target_names(pol, list, sizeof(list));
			conf_problem(p, config_setting_get_member(g, "allow"),
				     "allow names \"%s\", which is not defined in policy.targets; define it there, or "
				     "write one of: %s",
				     names[i], list);
			continue;
		}
		if (allowed(it, t)) {
			conf_problem(p, config_setting_get_member(g, "allow"),
				     "allow names \"%s\" twice; list each target once", names[i]);
			continue;
		}
		it->allow[it->n_allow++] = t;
	}
	conf_strings_free(names);
}

/* A target named by NAME that must also be on the item's allow list. */
static const struct target_config *allowed_target(struct conf_parser *p, const config_setting_t *g,
						  const char *name, const struct policy_config *pol,
						  const struct item_config *it)
{
	char *v = conf_get_string(p, g, name, 0);
	const struct target_config *t;

	if (!v)
		return NULL;
	t = conf_find_target(pol, v);
	if (!t || !allowed(it, t)) {
		char list[1024];

		conf_target_list(it->allow, it->n_allow, NULL, 1, list, sizeof(list));
		conf_problem(p, config_setting_get_member(g, name),
			     "%s \"%s\" is not on this item's allow list; add it to allow, or write one of: %s", name,
			     v, it->n_allow ? list : "(the allow list is empty)");
		t = NULL;
	}
	free(v);
	return t;
}

static void parse_variables(struct conf_parser *p, const config_setting_t *g, struct item_variables *v)
{
	conf_check_keys(p, g, "variables", variable_keys);
	v->target = conf_get_string(p, g, "target", 0);
	v->justification = conf_get_string(p, g, "justification", 0);
	v->start_date = conf_get_string(p, g, "start_date", 0);
	v->end_date = conf_get_string(p, g, "end_date", 0);
	v->duration = conf_get_string(p, g, "duration", 0);
	v->sponsor = conf_get_string(p, g, "sponsor", 0);
}

static void check_stage_names(struct conf_parser *p, const struct stage_config *a, size_t na,
			      const struct stage_config *b, size_t nb)
{
	for (size_t i = 0; i < na + nb; i++) {
		const struct stage_config *s = i < na ? &a[i] : &b[i - na];

		for (size_t j = 0; j < i && s->name; j++) {
			const struct stage_config *o = j < na ? &a[j] : &b[j - na];

			if (o->name && strcasecmp(s->name, o->name) == 0) {
				diag_add(p->diag, p->file, s->line,
					 "stage name \"%s\" is already used on line %d in this approval chain; give "
					 "each stage its own name",
					 s->name, o->line);
				break;
			}
		}
	}
}

/* A chain that asks a target's owner needs every target it can apply to
 * to have one, or the stage could never be staffed. */
static void check_owners(struct conf_parser *p, const struct item_config *it, const struct stage_config *st,
			 size_t n, int privileged_only)
{
	for (size_t s = 0; s < n; s++) {
		for (size_t k = 0; k < st[s].n_approvers + st[s].n_backups; k++) {
			const struct approver_ref *a = k < st[s].n_approvers ? &st[s].approvers[k]
									     : &st[s].backups[k - st[s].n_approvers];

			for (size_t t = 0; t < it->n_allow; t++) {
				const struct target_config *tg = it->allow[t];

				if (privileged_only && tg->class != TARGET_PRIVILEGED)
					continue;
				if (a->kind == APPROVER_TARGET_OWNER && !tg->owner)
					diag_add(p->diag, p->file, st[s].line,
						 "stage \"%s\" asks the target owner, but target \"%s\" has none; add "
						 "owner = \"<object id>\"; to the target (line %d)",
						 st[s].name ? st[s].name : "?", tg->name, tg->line);
				else if (a->kind == APPROVER_BACKUP_OWNER && !tg->backup_owner)
					diag_add(p->diag, p->file, st[s].line,
						 "stage \"%s\" asks the backup owner, but target \"%s\" has none; add "
						 "backup_owner = \"<object id>\"; to the target (line %d)",
						 st[s].name ? st[s].name : "?", tg->name, tg->line);
			}
		}
	}
}

/* What an item that grants something must have: a way to pick the target,
 * approvals, the variables its rules read, and a directory to ask. */
static void check_item(struct conf_parser *p, const config_setting_t *g, const struct config *cfg,
		       const struct item_config *it)
{
	const struct policy_config *pol = &cfg->policy;
	int privileged = 0;

	if (it->n_allow == 0) {
		if (it->target || it->contractor_target || it->n_stages)
			conf_problem(p, g, "item \"%s\" has no allow list, so it can grant nothing; add allow = ( "
					   "\"<target name>\" );",
				     it->name ? it->name : "?");
		return;
	}
	for (size_t i = 0; i < it->n_allow; i++)
		privileged |= it->allow[i]->class == TARGET_PRIVILEGED;
	if (!it->target && !it->vars.target)
		conf_problem(p, g, "nothing says which target a request for \"%s\" gets; write target = \"%s\"; or "
				   "variables = { target = \"<catalog variable>\"; };",
			     it->name ? it->name : "?", it->allow[0]->name);
	if (it->n_stages == 0)
		conf_problem(p, g, "item \"%s\" grants access without approval; add stages = ( { name = \"manager\"; "
				   "approvers = ( \"manager\" ); } );",
			     it->name ? it->name : "?");
	if (privileged && it->n_privileged_stages == 0 && pol->n_privileged_stages == 0)
		conf_problem(p, g, "item \"%s\" allows a privileged target but no privileged stage exists; add "
				   "privileged_stages = ( { name = \"security\"; approvers = ( \"group:<object id>\" ); "
				   "} ); to the policy",
			     it->name ? it->name : "?");
	if (it->time_bound && !it->vars.end_date && !it->vars.duration)
		conf_problem(p, g, "item \"%s\" is time_bound but no variable carries the end; add variables = { "
				   "end_date = \"...\"; }; or duration = \"...\";",
			     it->name ? it->name : "?");
	if (pol->contractor.n_match > 0 && pol->contractor.end_date_required && !it->vars.end_date &&
	    !it->vars.duration)
		conf_problem(p, g, "contractors need an end date, but item \"%s\" has no end_date or duration "
				   "variable; add variables = { end_date = \"...\"; };",
			     it->name ? it->name : "?");
	if (pol->contractor.n_match > 0 && conf_item_sponsor_required(cfg, it) && !it->vars.sponsor &&
	    !pol->contractor.manager_as_sponsor)
		conf_problem(p, g, "contractors need a sponsor, but item \"%s\" has no sponsor variable; add "
				   "variables = { sponsor = \"...\"; }; or sponsor_required = false; to the item, or "
				   "manager_as_sponsor = true; to policy.contractors",
			     it->name ? it->name : "?");
	if (it->contractor_target && pol->contractor.n_match == 0)
		conf_problem(p, config_setting_get_member(g, "contractor_target"),
			     "contractor_target is set, but policy.contractors does not say who is a contractor; add "
			     "contractors = { match = ( { attribute = \"employeeType\"; values = ( \"Contractor\" ); } ); };");
	if (!cfg->directory.kind)
		conf_problem(p, g, "item \"%s\" grants access, which needs the directory; add directory = { kind = "
				   "\"entra\"; ... };",
			     it->name ? it->name : "?");
	check_owners(p, it, it->stages, it->n_stages, 0);
	if (it->n_privileged_stages)
		check_owners(p, it, it->privileged_stages, it->n_privileged_stages, 1);
	else if (privileged)
		check_owners(p, it, pol->privileged_stages, pol->n_privileged_stages, 1);
	check_stage_names(p, it->stages, it->n_stages,
			  it->n_privileged_stages ? it->privileged_stages : pol->privileged_stages,
			  it->n_privileged_stages ? it->n_privileged_stages : (privileged ? pol->n_privileged_stages : 0));
}

/* "verification = { variable = \"verified_by\"; group = \"<object id>\"; };" */
static void parse_verification(struct conf_parser *p, const config_setting_t *g, struct item_config *it)
{
	conf_check_keys(p, g, "verification", verification_keys);
	it->verification_variable = conf_get_string(p, g, "variable", 0);
	it->verification_group = get_guid(p, g, "group", 0, "the service-desk group whose members verify requesters");
	if (!config_setting_get_member(g, "variable"))
		conf_problem(p, g, "verification names no catalog variable; add variable = \"verified_by\"; (the "
				   "variable naming the agent who verified the requester)");
	if (!config_setting_get_member(g, "group"))
		conf_problem(p, g, "verification names no group; add group = \"" EXAMPLE_GUID "\"; with the object id "
				   "of the service-desk group whose members verify requesters");
}

static void parse_item(struct conf_parser *p, const config_setting_t *g, struct config *cfg,
		       struct item_config *it)
{
	const config_setting_t *vars = config_setting_get_member(g, "variables");
	const struct conf_connector *c = cfg->itsm.connector;
	const config_setting_t *verification = config_setting_get_member(g, "verification");

	conf_check_connector_keys(p, g, "an item", item_keys, p->connectors ? p->connectors->itsm : NULL, c, 1);
	if (c && c->parse_item && c->parse_item(p, g, &it->settings) < 0)
		p->diag->oom = 1;
	it->name = conf_get_string(p, g, "name", 1);
	it->sys_id = conf_get_string(p, g, "id", 0);
	if (!it->sys_id)
		it->sys_id = conf_get_string(p, g, "sys_id", 0);
	else if (config_setting_get_member(g, "sys_id"))
		conf_problem(p, config_setting_get_member(g, "sys_id"),
			     "id and sys_id both name the catalog item; keep id");
	parse_allow(p, g, &cfg->policy, it);
	it->target = allowed_target(p, g, "target", &cfg->policy, it);
	it->contractor_target = allowed_target(p, g, "contractor_target", &cfg->policy, it);
	if (vars && config_setting_is_group(vars))
		parse_variables(p, vars, &it->vars);
	else if (vars)
		conf_problem(p, vars, "'variables' must be a group; write variables = { target = \"...\"; };");
	conf_get_bool(p, g, "time_bound", &it->time_bound);
	it->sponsor_required = -1;
	conf_get_bool(p, g, "sponsor_required", &it->sponsor_required);
	parse_requesters(p, g, &it->requesters, &it->n_requesters);
	if (verification && config_setting_is_group(verification))
		parse_verification(p, verification, it);
	else if (verification)
		conf_problem(p, verification, "'verification' must be a group; write verification = { variable = "
					      "\"verified_by\"; group = \"<object id>\"; };");
	get_period(p, g, "max_duration", &it->max_duration_ms);
	parse_stages(p, g, "stages", cfg, it, 0, &it->stages, &it->n_stages);
	parse_stages(p, g, "privileged_stages", cfg, it, 1, &it->privileged_stages, &it->n_privileged_stages);
	conf_rules_parse(p, g, "auto_reject_when", cfg, it, &it->auto_reject, &it->n_auto_reject);
	check_item(p, g, cfg, it);
}

static void parse_items(struct conf_parser *p, const config_setting_t *policy, struct config *cfg)
{
	config_setting_t *items = config_setting_get_member(policy, "items");
	int n;

	if (!items || !config_setting_is_list(items)) {
		conf_problem(p, items ? items : policy,
			     "'items' must be a list of catalog items; write items = ( { name = \"VPN Access\"; } );");
		return;
	}
	n = config_setting_length(items);
	if (n == 0) {
		conf_problem(p, items, "the policy governs no catalog item; add one to items");
		return;
	}
	cfg->items = calloc((size_t)n, sizeof(*cfg->items));
	if (!cfg->items) {
		p->diag->oom = 1;
		return;
	}
	cfg->n_items = (size_t)n;
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(items, (unsigned)i);
		struct item_config *it = &cfg->items[i];

		it->line = conf_line(g);
		if (!config_setting_is_group(g)) {
			conf_problem(p, g, "each item must be a group; write { name = \"...\"; }");
			continue;
		}
		parse_item(p, g, cfg, it);
		for (int j = 0; j < i; j++) {
			const struct item_config *o = &cfg->items[j];

			if (it->name && o->name && strcmp(it->name, o->name) == 0 && !it->sys_id && !o->sys_id)
				conf_problem(p, g, "catalog item \"%s\" is already governed on line %d; merge the two, "
						   "or tell them apart with sys_id",
					     it->name, o->line);
			else if (it->sys_id && o->sys_id && strcasecmp(it->sys_id, o->sys_id) == 0)
				conf_problem(p, config_setting_get_member(g, "sys_id"),
					     "sys_id \"%s\" is already used on line %d; each catalog item appears once",
					     it->sys_id, o->line);
		}
	}
}

void conf_policy_parse(struct conf_parser *p, const config_setting_t *policy, struct config *cfg)
{
	struct policy_config *pol = &cfg->policy;
	const config_setting_t *s;
	int word;

	pol->line = conf_line(policy);
	conf_check_keys(p, policy, "policy", policy_keys);
	word = APPROVALS_CREATE;
	if (conf_get_word(p, policy, "approvals", approvals_words, &word) >= 0)
		pol->approvals = (enum approvals_mode)word;
	word = PARTIAL_ROLLBACK;
	if (conf_get_word(p, policy, "partial_failure", partial_words, &word) >= 0)
		pol->partial_failure = (enum partial_failure)word;
	s = config_setting_get_member(policy, "incident");
	if (s && config_setting_is_group(s))
		parse_incident(p, s, &pol->incident);
	else if (s)
		conf_problem(p, s, "'incident' must be a group; write incident = { assignment_group = \"IAM\"; };");
	s = config_setting_get_member(policy, "contractors");
	if (s && config_setting_is_group(s))
		parse_contractors(p, s, &pol->contractor);
	else if (s)
		conf_problem(p, s, "'contractors' must be a group; write contractors = { match = ( ... ); };");
	parse_targets(p, policy, pol);
	parse_stages(p, policy, "privileged_stages", cfg, NULL, 1, &pol->privileged_stages, &pol->n_privileged_stages);
	parse_requesters(p, policy, &pol->requesters, &pol->n_requesters);
	if (pol->n_requesters == 0 && !config_setting_get_member(policy, "requesters")) {
		pol->requesters = calloc(2, sizeof(*pol->requesters));
		if (!pol->requesters) {
			p->diag->oom = 1;
			return;
		}
		pol->requesters[0].kind = REQUESTER_SUBJECT;
		pol->requesters[1].kind = REQUESTER_MANAGER;
		pol->n_requesters = 2;
	}
	parse_items(p, policy, cfg);
	conf_rules_check_names(p, cfg);
}

static void targets_free(struct target_config *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].group_id);
		free(v[i].resource_id);
		free(v[i].app_role_id);
		free(v[i].mailbox);
		free(v[i].owner);
		free(v[i].backup_owner);
		free(v[i].also);
	}
	free(v);
}

static void item_free(const struct conf_connector *c, struct item_config *it)
{
	if (c && c->free_item)
		c->free_item(it->settings);
	free(it->name);
	free(it->sys_id);
	free(it->allow);
	free(it->vars.target);
	free(it->vars.justification);
	free(it->vars.start_date);
	free(it->vars.end_date);
	free(it->vars.duration);
	free(it->vars.sponsor);
	free(it->verification_variable);
	free(it->verification_group);
	requesters_free(it->requesters, it->n_requesters);
	stages_free(it->stages, it->n_stages);
	stages_free(it->privileged_stages, it->n_privileged_stages);
	conf_rules_free(it->auto_reject, it->n_auto_reject);
}

void conf_policy_free(struct config *cfg)
{
	struct policy_config *pol = &cfg->policy;

	for (size_t i = 0; i < cfg->n_items; i++)
		item_free(cfg->itsm.connector, &cfg->items[i]);
	free(cfg->items);
	targets_free(pol->targets, pol->n_targets);
	stages_free(pol->privileged_stages, pol->n_privileged_stages);
	requesters_free(pol->requesters, pol->n_requesters);
	for (size_t i = 0; i < pol->contractor.n_match; i++) {
		free(pol->contractor.match[i].attribute);
		conf_strings_free(pol->contractor.match[i].values);
	}
	free(pol->contractor.match);
	free(pol->incident.assignment_group);
	free(pol->incident.category);
	free(pol->incident.subcategory);
}
