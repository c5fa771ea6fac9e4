/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "conf_rules.h"
#include "util/text.h"
#include "util/tzdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The vocabulary, in the order of enum rule_kind (a key's index is its
 * kind); a rule's own group also has its name. */
static const char *const cond_keys[] = { "all", "any", "department", "company_name", "employee_type", "user_type",
					 "member_of", "requester", "target", "target_class", "duration_at_most",
					 "time", "holds", NULL };
static const char *const rule_keys[] = { "name", "all", "any", "department", "company_name", "employee_type",
					 "user_type", "member_of", "requester", "target", "target_class",
					 "duration_at_most", "time", "holds", NULL };
static const char *const time_keys[] = { "zone", "days", "hours", NULL };
static const char *const user_types[] = { "Member", "Guest", NULL };
static const char *const requester_words[] = { "subject", "manager", NULL };
static const char *const class_words[] = { "standard", "privileged", NULL };
static const char *const day_words[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL };

#define EXAMPLE_GUID "3f2b8c1e-5d4a-4e6b-9c7d-1a2b3c4d5e6f"
#define MAX_LIST 1000
#define MAX_NAME 64

struct ctx {
	struct conf_parser *p;
	const struct config *cfg;
	const struct item_config *it; /* NULL: the policy's privileged stages */
};

static void cond_clear(struct rule_cond *c)
{
	conf_strings_free(c->values);
	free(c->targets);
	free(c->zone);
	for (size_t i = 0; i < c->n_children; i++)
		cond_clear(&c->children[i]);
	free(c->children);
	memset(c, 0, sizeof(*c));
}

void conf_rules_free(struct rule_config *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		cond_clear(&v[i].when);
	}
	free(v);
}

static int index_of(const char *word, const char *const *words, int ignore_case)
{
	for (int i = 0; word && words[i]; i++)
		if (ignore_case ? strcasecmp(word, words[i]) == 0 : strcmp(word, words[i]) == 0)
			return i;
	return -1;
}

/* The strings of condition S (one, or a list), at least one. */
static int get_values(struct ctx *c, const config_setting_t *s, struct rule_cond *rc)
{
	const char *name = config_setting_name(s);

	conf_get_strings(c->p, config_setting_parent(s), name, &rc->values, &rc->n_values);
	if (!rc->values)
		return -EINVAL;
	if (rc->n_values == 0 || rc->n_values > MAX_LIST) {
		conf_problem(c->p, s, "'%s' needs one to %d values; write %s = ( \"...\" );", name, MAX_LIST, name);
		return -EINVAL;
	}
	for (size_t i = 0; i < rc->n_values; i++)
		if (!*rc->values[i]) {
			conf_problem(c->p, s, "'%s' has an empty value, which no fact matches; remove it", name);
			return -EINVAL;
		}
	return 0;
}

/* Each value one of WORDS: its index is set in *MASK when MASK. */
static int check_words(struct ctx *c, const config_setting_t *s, const struct rule_cond *rc,
		       const char *const *words, int ignore_case, unsigned *mask)
{
	const char *name = config_setting_name(s);
	int bad = 0;

	for (size_t i = 0; i < rc->n_values; i++) {
		int k = index_of(rc->values[i], words, ignore_case);
		const char *near;

		if (k >= 0) {
			if (mask)
				*mask |= 1u << k;
			continue;
		}
		near = conf_nearest(rc->values[i], words);
		if (near) {
			conf_problem(c->p, s, "%s \"%s\" is not known; write \"%s\"", name, rc->values[i], near);
		} else {
			char list[128];
			size_t used = 0;

			list[0] = '\0';
			for (size_t w = 0; words[w] && used < sizeof(list); w++)
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s\"%s\"", w ? ", " : "",
							 words[w]);
			conf_problem(c->p, s, "%s \"%s\" is not known; write one of %s", name, rc->values[i], list);
		}
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

static void allow_names(const struct ctx *c, char *buf, size_t size)
{
	if (c->it)
		conf_target_list(c->it->allow, c->it->n_allow, NULL, 1, buf, size);
	else
		snprintf(buf, size, "a name from policy.targets");
}

/* Each value names a target: on the item's allow list for "target", any
 * of policy.targets for "holds". */
static int get_targets(struct ctx *c, const config_setting_t *s, struct rule_cond *rc, int allowed_only)
{
	const char *name = config_setting_name(s);
	char list[1024];

	rc->targets = calloc(rc->n_values, sizeof(*rc->targets));
	if (!rc->targets) {
		c->p->diag->oom = 1;
		return -ENOMEM;
	}
	for (size_t i = 0; i < rc->n_values; i++) {
		const struct target_config *t = conf_find_target(&c->cfg->policy, rc->values[i]);
		int ok = t != NULL;

		if (ok && allowed_only && c->it) {
			ok = 0;
			for (size_t k = 0; k < c->it->n_allow; k++)
				ok |= c->it->allow[k] == t;
		}
		if (!ok) {
			allow_names(c, list, sizeof(list));
			conf_problem(c->p, s, "%s \"%s\" is not %s; write %s", name, rc->values[i],
				     allowed_only ? "a target this item allows" : "defined in policy.targets",
				     allowed_only ? list : "a name from policy.targets");
			return -EINVAL;
		}
		rc->targets[rc->n_targets++] = t;
	}
	return 0;
}

static int get_guids(struct ctx *c, const config_setting_t *s, const struct rule_cond *rc)
{
	for (size_t i = 0; i < rc->n_values; i++)
		if (!text_is_guid(rc->values[i])) {
			conf_problem(c->p, s, "member_of \"%s\" is not a GUID; write the group's object id, like "
					      "member_of = ( \"" EXAMPLE_GUID "\" );",
				     rc->values[i]);
			return -EINVAL;
		}
	return 0;
}

static int get_duration(struct ctx *c, const config_setting_t *s, struct rule_cond *rc)
{
	const char *name = config_setting_name(s);
	const struct item_config *it = c->it;

	if (conf_get_duration(c->p, config_setting_parent(s), name, &rc->duration_ms) <= 0)
		return -EINVAL;
	if (rc->duration_ms <= 0) {
		conf_problem(c->p, s, "%s must be longer than 0s, or no request matches; write a duration like "
				      "\"30d\"",
			     name);
		return -EINVAL;
	}
	if (it && !it->vars.end_date && !it->vars.duration) {
		conf_problem(c->p, s, "requests for \"%s\" carry no end date or duration, so %s never matches; add "
				      "variables = { duration = \"...\"; }; to the item, or remove %s",
			     it->name ? it->name : "?", name, name);
		return -EINVAL;
	}
	return 0;
}

/* "HH:MM-HH:MM" into minutes of the day; 24:00 ends a day. */
static int parse_hours(const char *s, int *from, int *to)
{
	int h1, m1, h2, m2, n = 0;

	if (!s || sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 || (size_t)n != strlen(s) ||
	    strlen(s) != 11)
		return -EINVAL;
	if (h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 || (h2 == 24 && m2))
		return -EINVAL;
	*from = h1 * 60 + m1;
	*to = h2 * 60 + m2;
	return 0;
}

/* The zone must be one the time zone database here can resolve: a rule
 * that cannot read the time never matches. */
static int check_zone(struct ctx *c, const config_setting_t *s, const char *zone)
{
	struct tzdb *db = NULL;
	int32_t off;
	int r;

	r = tzdb_new(NULL, &db);
	if (r < 0) {
		c->p->diag->oom = 1;
		return r;
	}
	r = tzdb_offset_at(db, zone, 0, &off);
	tzdb_free(db);
	if (r == -EINVAL)
		conf_problem(c->p, s, "\"%s\" is not a time zone name; write an IANA name like zone = "
				      "\"Europe/Amsterdam\";",
			     zone);
	else if (r == -ENOENT)
		conf_problem(c->p, s, "time zone \"%s\" is not in the time zone database (" TZDB_DIR "; is tzdata "
				      "installed?); write an IANA name like zone = \"Europe/Amsterdam\";",
			     zone);
	else if (r < 0)
		conf_problem(c->p, s, "time zone \"%s\" cannot be read: %s", zone, strerror(-r));
	return r < 0 ? r : 0;
}

static int get_time(struct ctx *c, const config_setting_t *s, struct rule_cond *rc)
{
	const config_setting_t *hours = config_setting_get_member(s, "hours");
	const config_setting_t *days = config_setting_get_member(s, "days");
	struct rule_cond words = { 0 };
	int r = 0;

	if (!config_setting_is_group(s)) {
		conf_problem(c->p, s, "'time' must be a group; write time = { zone = \"Europe/Amsterdam\"; days = ( "
				      "\"mon\", \"tue\", \"wed\", \"thu\", \"fri\" ); hours = \"08:00-18:00\"; };");
		return -EINVAL;
	}
	conf_check_keys(c->p, s, "time", time_keys);
	rc->zone = conf_get_string(c->p, s, "zone", 1);
	if (!rc->zone || check_zone(c, config_setting_get_member(s, "zone"), rc->zone) < 0)
		r = -EINVAL;
	if (!hours && !days) {
		conf_problem(c->p, s, "'time' says neither days nor hours, so it would hold at any time; add "
				      "days = ( \"mon\", ... ); or hours = \"08:00-18:00\";");
		r = -EINVAL;
	}
	rc->days = 0x7f;
	if (days) {
		rc->days = 0;
		if (get_values(c, days, &words) < 0 || check_words(c, days, &words, day_words, 1, &rc->days) < 0)
			r = -EINVAL;
		cond_clear(&words);
	}
	if (hours) {
		const char *text = config_setting_get_string(hours);

		if (parse_hours(text, &rc->from_min, &rc->to_min) < 0) {
			conf_problem(c->p, hours, "hours \"%s\" is not a span of the day; write hours = \"08:00-18:00\";",
				     text ? text : "");
			r = -EINVAL;
		} else if (rc->from_min == rc->to_min) {
			conf_problem(c->p, hours, "hours \"%s\" starts where it ends, so it never holds; write hours = "
						  "\"08:00-18:00\";",
				     text);
			r = -EINVAL;
		}
	} else {
		rc->from_min = 0;
		rc->to_min = 24 * 60;
	}
	return r;
}

static int parse_group(struct ctx *c, const config_setting_t *g, int depth, int top, struct rule_cond *ret);

/* "all" or "any": a list of condition groups. */
static int get_children(struct ctx *c, const config_setting_t *s, int depth, struct rule_cond *rc)
{
	const char *name = config_setting_name(s);
	int n = config_setting_is_list(s) ? config_setting_length(s) : -1;
	int r = 0;

	if (n <= 0 || n > MAX_LIST) {
		conf_problem(c->p, s, "'%s' must be a list of one to %d condition groups; write %s = ( { department = "
				      "\"Finance\"; }, { department = \"IT\"; } );",
			     name, MAX_LIST, name);
		return -EINVAL;
	}
	if (depth >= RULE_MAX_DEPTH) {
		conf_problem(c->p, s, "'%s' nests deeper than %d levels of all and any; write the rule flatter, or "
				      "split it into two rules",
			     name, RULE_MAX_DEPTH);
		return -EINVAL;
	}
	rc->children = calloc((size_t)n, sizeof(*rc->children));
	if (!rc->children) {
		c->p->diag->oom = 1;
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);

		if (!config_setting_is_group(g)) {
			conf_problem(c->p, g, "each entry of '%s' must be a group of conditions; write { department = "
					      "\"Finance\"; }",
				     name);
			r = -EINVAL;
			continue;
		}
		if (parse_group(c, g, depth + 1, 0, &rc->children[rc->n_children]) < 0)
			r = -EINVAL;
		rc->n_children++;
	}
	return r;
}

/* One condition: the member S of a condition group. */
static int parse_cond(struct ctx *c, const config_setting_t *s, int depth, struct rule_cond *rc)
{
	const char *name = config_setting_name(s);
	int k = index_of(name, cond_keys, 0), word = 0;

	rc->line = conf_line(s);
	rc->kind = (enum rule_kind)k;
	switch (rc->kind) {
	case RULE_ALL:
	case RULE_ANY:
		return get_children(c, s, depth, rc);
	case RULE_DEPARTMENT:
	case RULE_COMPANY:
	case RULE_EMPLOYEE_TYPE:
		return get_values(c, s, rc);
	case RULE_USER_TYPE:
		if (get_values(c, s, rc) < 0)
			return -EINVAL;
		return check_words(c, s, rc, user_types, 1, NULL);
	case RULE_MEMBER_OF:
		if (get_values(c, s, rc) < 0)
			return -EINVAL;
		return get_guids(c, s, rc);
	case RULE_REQUESTER:
		if (get_values(c, s, rc) < 0)
			return -EINVAL;
		return check_words(c, s, rc, requester_words, 0, &rc->requester);
	case RULE_TARGET:
	case RULE_HOLDS:
		if (get_values(c, s, rc) < 0)
			return -EINVAL;
		return get_targets(c, s, rc, rc->kind == RULE_TARGET);
	case RULE_TARGET_CLASS:
		if (conf_get_word(c->p, config_setting_parent(s), name, class_words, &word) <= 0)
			return -EINVAL;
		rc->target_class = (enum target_class)word;
		return 0;
	case RULE_DURATION:
		return get_duration(c, s, rc);
	case RULE_TIME:
		return get_time(c, s, rc);
	}
	return -EINVAL;
}

/* A group of conditions, which all must hold (TOP: a rule's own group,
 * which also has its name). */
static int parse_group(struct ctx *c, const config_setting_t *g, int depth, int top, struct rule_cond *ret)
{
	int n = config_setting_length(g), count = 0, r = 0;

	ret->kind = RULE_ALL;
	ret->line = conf_line(g);
	conf_check_keys(c->p, g, top ? "a rule" : "a condition group", top ? rule_keys : cond_keys);
	for (int i = 0; i < n; i++)
		if (index_of(config_setting_name(config_setting_get_elem(g, (unsigned)i)), cond_keys, 0) >= 0)
			count++;
	if (count == 0) {
		conf_problem(c->p, g, "%s has no condition, so it would match every request; add one, like "
				      "department = \"Finance\";",
			     top ? "this rule" : "this condition group");
		return -EINVAL;
	}
	ret->children = calloc((size_t)count, sizeof(*ret->children));
	if (!ret->children) {
		c->p->diag->oom = 1;
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);

		if (index_of(config_setting_name(s), cond_keys, 0) < 0)
			continue;
		if (parse_cond(c, s, depth, &ret->children[ret->n_children]) < 0)
			r = -EINVAL;
		ret->n_children++;
	}
	return r;
}

static char *get_name(struct ctx *c, const config_setting_t *g)
{
	char *name = conf_get_string(c->p, g, "name", 1);

	if (!name)
		return NULL;
	for (const char *q = name; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f) {
			conf_problem(c->p, config_setting_get_member(g, "name"),
				     "a rule's name is written on tickets; use printable characters only");
			free(name);
			return NULL;
		}
	if (!*name || strlen(name) > MAX_NAME) {
		conf_problem(c->p, config_setting_get_member(g, "name"),
			     "a rule's name must have 1 to %d characters; write name = \"finance-mailbox\";", MAX_NAME);
		free(name);
		return NULL;
	}
	return name;
}

void conf_rules_parse(struct conf_parser *p, const config_setting_t *group, const char *name,
		      const struct config *cfg, const struct item_config *it, struct rule_config **ret, size_t *n)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	struct ctx c = { p, cfg, it };
	int single, count;

	*ret = NULL;
	*n = 0;
	if (!s)
		return;
	single = config_setting_is_group(s);
	count = single ? 1 : config_setting_is_list(s) ? config_setting_length(s) : -1;
	if (count <= 0 || count > MAX_LIST) {
		conf_problem(p, s, "'%s' must be a rule or a list of one to %d rules; write %s = ( { name = "
				   "\"finance-staff\"; department = \"Finance\"; } );",
			     name, MAX_LIST, name);
		return;
	}
	*ret = calloc((size_t)count, sizeof(**ret));
	if (!*ret) {
		p->diag->oom = 1;
		return;
	}
	for (int i = 0; i < count; i++) {
		const config_setting_t *g = single ? s : config_setting_get_elem(s, (unsigned)i);
		struct rule_config *rule = &(*ret)[*n];

		if (!config_setting_is_group(g)) {
			conf_problem(p, g, "each rule of '%s' must be a group; write { name = \"finance-staff\"; "
					   "department = \"Finance\"; }",
				     name);
			continue;
		}
		rule->line = conf_line(g);
		rule->name = get_name(&c, g);
		parse_group(&c, g, 0, 1, &rule->when);
		(*n)++;
		for (size_t k = 0; rule->name && k + 1 < *n; k++)
			if ((*ret)[k].name && strcmp((*ret)[k].name, rule->name) == 0)
				conf_problem(p, g, "rule name \"%s\" is already used on line %d; give each rule its own "
						   "name",
					     rule->name, (*ret)[k].line);
	}
}

/* ---- across the configuration ----------------------------------------- */

/* Calls EACH for every list of rules in CFG (the policy's privileged
 * stages once, not once per item). */
static void each_list(const struct config *cfg, void (*each)(const struct rule_config *, size_t, void *), void *ud)
{
	const struct policy_config *pol = &cfg->policy;

	for (size_t s = 0; s < pol->n_privileged_stages; s++)
		each(pol->privileged_stages[s].auto_approve, pol->privileged_stages[s].n_auto_approve, ud);
	for (size_t i = 0; i < cfg->n_items; i++) {
		const struct item_config *it = &cfg->items[i];

		each(it->auto_reject, it->n_auto_reject, ud);
		for (size_t s = 0; s < it->n_stages; s++)
			each(it->stages[s].auto_approve, it->stages[s].n_auto_approve, ud);
		for (size_t s = 0; s < it->n_privileged_stages; s++)
			each(it->privileged_stages[s].auto_approve, it->privileged_stages[s].n_auto_approve, ud);
	}
}

static void cond_each(const struct rule_cond *c, enum rule_kind kind,
		      void (*each)(const struct rule_cond *c, void *ud), void *ud)
{
	if (c->kind == kind)
		each(c, ud);
	for (size_t i = 0; i < c->n_children; i++)
		cond_each(&c->children[i], kind, each, ud);
}

void conf_rules_each(const struct rule_config *v, size_t n, enum rule_kind kind,
		     void (*each)(const struct rule_cond *c, void *ud), void *ud)
{
	for (size_t i = 0; i < n; i++)
		cond_each(&v[i].when, kind, each, ud);
}

struct uses {
	enum rule_kind kind;
	int found;
};

static void found(const struct rule_cond *c, void *ud)
{
	(void)c;
	*(int *)ud = 1;
}

static void list_uses(const struct rule_config *v, size_t n, void *ud)
{
	struct uses *u = ud;

	conf_rules_each(v, n, u->kind, found, &u->found);
}

int conf_rules_use(const struct config *cfg, enum rule_kind kind)
{
	struct uses u = { kind, 0 };

	each_list(cfg, list_uses, &u);
	return u.found;
}

/* The rules seen so far, with the list each is in: conf_rules_parse
 * already reported a name used twice within one list. */
struct names {
	struct conf_parser *p;
	struct seen {
		const struct rule_config *rule, *list;
	} *seen;
	size_t n;
};

static void list_names(const struct rule_config *v, size_t n, void *ud)
{
	struct names *nm = ud;

	for (size_t i = 0; i < n && !nm->p->diag->oom; i++) {
		struct seen *grown;

		if (!v[i].name)
			continue;
		for (size_t k = 0; k < nm->n; k++)
			if (nm->seen[k].list != v && strcmp(nm->seen[k].rule->name, v[i].name) == 0) {
				diag_add(nm->p->diag, nm->p->file, v[i].line,
					 "rule name \"%s\" is already used on line %d; give each rule its own name, so "
					 "that a decision names the one that made it",
					 v[i].name, nm->seen[k].rule->line);
				break;
			}
		grown = realloc(nm->seen, (nm->n + 1) * sizeof(*grown));
		if (!grown) {
			nm->p->diag->oom = 1;
			return;
		}
		nm->seen = grown;
		nm->seen[nm->n++] = (struct seen){ &v[i], v };
	}
}

void conf_rules_check_names(struct conf_parser *p, const struct config *cfg)
{
	struct names nm = { p, NULL, 0 };

	each_list(cfg, list_names, &nm);
	free(nm.seen);
}
