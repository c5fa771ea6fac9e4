/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "policy.h"
#include "util/civil.h"
#include "util/text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY_MS (86400 * INT64_C(1000))

/* ---- small helpers ---------------------------------------------------- */

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int same_id(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* A catalog variable of the request, NULL when the item has none or it is
 * blank. */
static const char *var(const struct request *req, const char *name)
{
	const char *v = name ? request_var(req, name) : NULL;

	return blank(v) ? NULL : v;
}

/* BUF holds the widest int64 fields, so the output is never truncated. */
static void format_day(int64_t ms, char buf[static 64])
{
	int64_t y;
	int m, d;

	civil_from_days(civil_floor_div(ms, DAY_MS), &y, &m, &d);
	snprintf(buf, 64, "%04lld-%02d-%02d", (long long)y, m, d);
}

int policy_parse_date(const char *s, int end_of_day, int64_t *ret_ms)
{
	int64_t ms;

	if (civil_parse(s, CIVIL_DATE | CIVIL_DATE_TIME, &ms) < 0 || ms < 0)
		return -EINVAL;
	*ret_ms = ms + (end_of_day && strlen(s) == 10 ? DAY_MS : 0);
	return 0;
}

/* A duration variable: "30d", "12h", ... or a whole number of days. */
static int parse_request_duration(const char *s, int64_t *ret_ms)
{
	char *end;
	long long days;

	if (conf_parse_duration(s, ret_ms) == 0)
		return 0;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	days = strtoll(s, &end, 10);
	if (errno || *end || days > INT64_MAX / DAY_MS)
		return -EINVAL;
	*ret_ms = days * DAY_MS;
	return 0;
}

const char *policy_code_name(enum policy_code code)
{
	static const char *const names[] = {
		[POLICY_SUBJECT_MISSING] = "subject_missing",
		[POLICY_SUBJECT_DISABLED] = "subject_disabled",
		[POLICY_REQUESTER_NOT_ALLOWED] = "requester_not_allowed",
		[POLICY_TARGET_MISSING] = "target_missing",
		[POLICY_TARGET_NOT_ALLOWED] = "target_not_allowed",
		[POLICY_JUSTIFICATION_MISSING] = "justification_missing",
		[POLICY_END_MISSING] = "end_missing",
		[POLICY_DATE_INVALID] = "date_invalid",
		[POLICY_END_NOT_AFTER_START] = "end_not_after_start",
		[POLICY_DURATION_TOO_LONG] = "duration_too_long",
		[POLICY_SPONSOR_MISSING] = "sponsor_missing",
		[POLICY_SPONSOR_INVALID] = "sponsor_invalid",
		[POLICY_DUPLICATE] = "duplicate",
		[POLICY_ALREADY_HAS_ACCESS] = "already_has_access",
		[POLICY_NO_APPROVER] = "no_approver",
		[POLICY_VALUE_REFUSED] = "value_refused",
		[POLICY_SUBJECT_NOT_CURRENT] = "subject_not_current",
		[POLICY_REQUESTER_NOT_CURRENT] = "requester_not_current",
		[POLICY_SPONSOR_NOT_CURRENT] = "sponsor_not_current",
		[POLICY_VERIFICATION_MISSING] = "verification_missing",
		[POLICY_VERIFIER_INVALID] = "verifier_invalid",
	};

	return (size_t)code < sizeof(names) / sizeof(names[0]) && names[code] ? names[code] : "unknown";
}

const char *policy_skip_name(enum policy_skip reason)
{
	static const char *const names[] = { "none",	  "missing",  "disabled",    "away",
					     "requester", "subject",  "departed",    "not_started",
					     "unreadable" };

	return (size_t)reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}

const char *policy_verdict_name(enum policy_verdict verdict)
{
	static const char *const names[] = { "ignore", "send_back", "link_duplicate", "already_granted", "block",
					     "proceed", "reject" };

	return (size_t)verdict < sizeof(names) / sizeof(names[0]) ? names[verdict] : "unknown";
}

static const char *skip_words(enum policy_skip reason)
{
	static const char *const words[] = { "",
					     "is not in the directory",
					     "is disabled",
					     "is out of office",
					     "is the requester",
					     "is the person the access is for",
					     "has left the organisation",
					     "has not started yet",
					     "has a directory record accessd cannot use" };

	return (size_t)reason < sizeof(words) / sizeof(words[0]) ? words[reason] : "";
}

int policy_is_contractor(const struct config *cfg, const struct person *person)
{
	const struct contractor_config *c = &cfg->policy.contractor;

	if (!person || !person->exists)
		return 0;
	for (size_t i = 0; i < c->n_match; i++) {
		const struct person_match *m = &c->match[i];
		const char *v;

		if (!m->attribute)
			continue;
		if (strcmp(m->attribute, "employeeType") == 0)
			v = person->employee_type;
		else if (strcmp(m->attribute, "userType") == 0)
			v = person->user_type;
		else
			v = variable_get(person->attrs, person->n_attrs, m->attribute);
		for (size_t k = 0; v && k < m->n_values; k++)
			if (strcasecmp(v, m->values[k]) == 0)
				return 1;
	}
	return 0;
}

void policy_stage_deadlines(const struct stage_config *stage, int64_t started_ms, int64_t *remind_at_ms,
			    int64_t *escalate_at_ms, int64_t *expire_at_ms)
{
	*remind_at_ms = stage->remind_after_ms ? started_ms + stage->remind_after_ms : 0;
	*escalate_at_ms = stage->escalate_after_ms ? started_ms + stage->escalate_after_ms : 0;
	*expire_at_ms = stage->expire_after_ms ? started_ms + stage->expire_after_ms : 0;
}

/* ---- the target ------------------------------------------------------- */

/* A target is asked for by its name, its object id or, for a mailbox,
 * its address; none of them in a particular case. */
static int target_matches(const struct target_config *t, const char *given)
{
	return strcasecmp(t->name, given) == 0 || same_id(t->group_id, given) || same_id(t->app_role_id, given) ||
	       same_id(t->mailbox, given);
}

/* The target REQ gets, or NULL with *CODE saying why. */
static const struct target_config *resolve_target(const struct item_config *it, const struct request *req,
						  int contractor, enum policy_code *code)
{
	const char *given = var(req, it->vars.target);
	const struct target_config *t = NULL;

	if (given) {
		for (size_t i = 0; i < it->n_allow && !t; i++)
			if (target_matches(it->allow[i], given))
				t = it->allow[i];
	} else {
		t = it->target;
	}
	if (!t) {
		*code = given || it->n_allow == 0 ? POLICY_TARGET_NOT_ALLOWED : POLICY_TARGET_MISSING;
		return NULL;
	}
	if (it->contractor_target) {
		/* Contractors always get their own target, and only they do. */
		if (contractor)
			return it->contractor_target;
		if (t == it->contractor_target) {
			*code = POLICY_TARGET_NOT_ALLOWED;
			return NULL;
		}
	}
	return t;
}

/* ---- growing arrays --------------------------------------------------- */

static int grow(void **v, size_t n, size_t size)
{
	void *p = realloc(*v, (n + 1) * size);

	if (!p)
		return -ENOMEM;
	*v = p;
	return 0;
}

static int add_string(char ***v, size_t *n, const char *s)
{
	char *copy;

	for (size_t i = 0; i < *n; i++)
		if (same_id((*v)[i], s))
			return 0;
	if (grow((void **)v, *n, sizeof(**v)) < 0)
		return -ENOMEM;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	(*v)[(*n)++] = copy;
	return 0;
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- prepare ---------------------------------------------------------- */

/* The object id a reference names for SUBJECT and TARGET; NULL when there
 * is none (no manager, no owner) or it is a group. */
static const char *ref_id(const struct approver_ref *ref, const struct person *subject,
			  const struct target_config *target)
{
	switch (ref->kind) {
	case APPROVER_MANAGER:
		return subject && subject->exists ? subject->manager_id : NULL;
	case APPROVER_TARGET_OWNER:
		return target ? target->owner : NULL;
	case APPROVER_BACKUP_OWNER:
		return target ? target->backup_owner : NULL;
	case APPROVER_USER:
		return ref->id;
	case APPROVER_GROUP:
		return NULL;
	}
	return NULL;
}

static const char *ref_role(const struct approver_ref *ref)
{
	static const char *const roles[] = { "manager", "target_owner", "backup_owner", "user", "group" };

	return roles[ref->kind];
}

static int lookup_refs(struct policy_lookup *lk, const struct approver_ref *refs, size_t n,
		       const struct person *subject)
{
	for (size_t i = 0; i < n; i++) {
		const char *id = ref_id(&refs[i], subject, lk->target);
		int r = 0;

		if (refs[i].kind == APPROVER_GROUP)
			r = add_string(&lk->groups, &lk->n_groups, refs[i].id);
		else if (id)
			r = add_string(&lk->people, &lk->n_people, id);
		if (r < 0)
			return r;
	}
	return 0;
}

/* What the rules need looked up, gathered from their conditions. */
struct needs {
	struct policy_lookup *lk;
	int oom;
};

static void need_member_of(const struct rule_cond *c, void *ud)
{
	struct needs *n = ud;

	(void)c;
	n->lk->member_of = 1;
}

static void need_holds(const struct rule_cond *c, void *ud)
{
	struct policy_lookup *lk = ((struct needs *)ud)->lk;

	for (size_t i = 0; i < c->n_targets; i++) {
		size_t k = 0;

		while (k < lk->n_holds && lk->holds[k] != c->targets[i])
			k++;
		if (k < lk->n_holds)
			continue;
		if (grow((void **)&lk->holds, lk->n_holds, sizeof(*lk->holds)) < 0) {
			((struct needs *)ud)->oom = 1;
			return;
		}
		lk->holds[lk->n_holds++] = c->targets[i];
	}
}

static void need_zone(const struct rule_cond *c, void *ud)
{
	struct policy_lookup *lk = ((struct needs *)ud)->lk;

	for (size_t k = 0; k < lk->n_zones; k++)
		if (strcmp(lk->zones[k], c->zone) == 0)
			return;
	if (grow((void **)&lk->zones, lk->n_zones, sizeof(*lk->zones)) < 0) {
		((struct needs *)ud)->oom = 1;
		return;
	}
	lk->zones[lk->n_zones++] = c->zone;
}

static int lookup_rules(struct policy_lookup *lk, const struct rule_config *v, size_t n)
{
	struct needs needs = { lk, 0 };

	conf_rules_each(v, n, RULE_MEMBER_OF, need_member_of, &needs);
	conf_rules_each(v, n, RULE_HOLDS, need_holds, &needs);
	conf_rules_each(v, n, RULE_TIME, need_zone, &needs);
	return needs.oom ? -ENOMEM : 0;
}

void policy_lookup_clear(struct policy_lookup *lk)
{
	strings_free(lk->people, lk->n_people);
	strings_free(lk->groups, lk->n_groups);
	free((void *)lk->requester_groups);
	free(lk->holds);
	free(lk->zones);
	memset(lk, 0, sizeof(*lk));
}

int policy_prepare(const struct config *cfg, const struct request *req, const struct person *subject,
		   struct policy_lookup *ret)
{
	struct policy_lookup lk = { 0 };
	const struct stage_config *chain[2];
	size_t n_chain[2];
	enum policy_code code;
	int r = 0;

	const struct requester_rule *rules;
	size_t n_rules;

	lk.item = conf_find_item(cfg, req->item_id, req->item_name);
	if (!lk.item)
		goto done;
	lk.contractor = policy_is_contractor(cfg, subject);
	lk.target = resolve_target(lk.item, req, lk.contractor, &code);
	lk.sponsor = var(req, lk.item->vars.sponsor);
	lk.sponsor_is_manager = !lk.item->vars.sponsor && cfg->policy.contractor.manager_as_sponsor && lk.contractor &&
				conf_item_sponsor_required(cfg, lk.item);
	lk.verifier = var(req, lk.item->verification_variable);
	lk.verifier_group = lk.item->verification_group;
	rules = conf_item_requesters(cfg, lk.item, &n_rules);
	for (size_t i = 0; i < n_rules; i++) {
		const char **grown;

		if (rules[i].kind != REQUESTER_GROUP)
			continue;
		grown = realloc((void *)lk.requester_groups, (lk.n_requester_groups + 1) * sizeof(*grown));
		if (!grown) {
			policy_lookup_clear(&lk);
			return -ENOMEM;
		}
		grown[lk.n_requester_groups++] = rules[i].group_id;
		lk.requester_groups = grown;
	}
	if (!lk.target)
		goto done;
	conf_item_chain(cfg, lk.item, lk.target->class, &chain[0], &n_chain[0], &chain[1], &n_chain[1]);
	r = lookup_rules(&lk, lk.item->auto_reject, lk.item->n_auto_reject);
	for (size_t c = 0; c < 2 && r == 0; c++)
		for (size_t s = 0; s < n_chain[c] && r == 0; s++) {
			r = lookup_refs(&lk, chain[c][s].approvers, chain[c][s].n_approvers, subject);
			if (r == 0)
				r = lookup_refs(&lk, chain[c][s].backups, chain[c][s].n_backups, subject);
			if (r == 0)
				r = lookup_rules(&lk, chain[c][s].auto_approve, chain[c][s].n_auto_approve);
		}
	if (r < 0) {
		policy_lookup_clear(&lk);
		return r;
	}
done:
	*ret = lk;
	return 0;
}

/* ---- evaluate --------------------------------------------------------- */

struct eval {
	const struct config *cfg;
	const struct request *req;
	const struct policy_facts *facts;
	const struct item_config *item;
	const struct person *sponsor; /* the sponsor, once found valid */
	int64_t now_ms;
	struct policy_result res;
	int oom;
};

static void problem(struct eval *e, enum policy_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(struct eval *e, enum policy_code code, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0 || grow((void **)&e->res.problems, e->res.n_problems, sizeof(*e->res.problems)) < 0) {
		if (n >= 0)
			free(text);
		e->oom = 1;
		return;
	}
	e->res.problems[e->res.n_problems++] = (struct policy_problem){ .code = code, .text = text };
}

static int has_problem(const struct eval *e, enum policy_code code)
{
	for (size_t i = 0; i < e->res.n_problems; i++)
		if (e->res.problems[i].code == code)
			return 1;
	return 0;
}

static const char *who(const struct person *p)
{
	return p && p->upn ? p->upn : p && p->mail ? p->mail : "the person";
}

/* Why P is not here at NOW, as the words after their name ("left the
 * organisation on 2024-06-30"), in BUF; NULL when they are here. */
static const char *absence(const struct person *p, int64_t now, char buf[static 256])
{
	char day[64];

	if (!p || !p->exists)
		return "is not in the directory";
	if (p->refused) {
		snprintf(buf, 256, "has a directory record accessd cannot use (%.100s holds a control character or "
				   "is not a date)",
			 p->refused);
		return buf;
	}
	if (!p->enabled)
		return "has a disabled account";
	if (p->leave_ms && p->leave_ms <= now) {
		format_day(p->leave_ms, day);
		snprintf(buf, 256, "left the organisation on %s", day);
		return buf;
	}
	if (p->hire_ms && p->hire_ms > now) {
		format_day(p->hire_ms, day);
		snprintf(buf, 256, "starts only on %s", day);
		return buf;
	}
	return NULL;
}

/* Why P cannot approve at NOW, as a skip reason (NONE: they can). */
static enum policy_skip presence_skip(const struct person *p, int64_t now)
{
	if (!p || !p->exists)
		return POLICY_SKIP_MISSING;
	if (p->refused)
		return POLICY_SKIP_UNREADABLE;
	if (!p->enabled)
		return POLICY_SKIP_DISABLED;
	if (p->leave_ms && p->leave_ms <= now)
		return POLICY_SKIP_DEPARTED;
	if (p->hire_ms && p->hire_ms > now)
		return POLICY_SKIP_NOT_STARTED;
	if (p->presence == PRESENCE_AWAY)
		return POLICY_SKIP_AWAY;
	return POLICY_SKIP_NONE;
}

/* The variables of the item that name something (a target, a person, a
 * date): no control character at all may stand in them. */
static int check_values(struct eval *e)
{
	const struct item_variables *v = &e->item->vars;
	const char *const names[] = { v->target,   v->sponsor,  v->start_date,
				      v->end_date, v->duration, e->item->verification_variable };

	if (e->req->refused)
		problem(e, POLICY_VALUE_REFUSED,
			"\"%s\" holds a control character (such as U+0000, which can hide the rest of a name), so it "
			"cannot be used; write it again without one.",
			e->req->refused);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] && text_has_control(request_var(e->req, names[i]), 0))
			problem(e, POLICY_VALUE_REFUSED,
				"\"%s\" holds a control character (a line break, a tab, or one that can hide the rest "
				"of a name), so it cannot be used; write it again on one line without one.",
				names[i]);
	return e->res.n_problems > 0;
}

static int in_group(const struct policy_facts *f, const char *group_id)
{
	for (size_t i = 0; i < f->n_requester_groups; i++)
		if (same_id(f->requester_groups[i], group_id))
			return 1;
	return 0;
}

/* Who may ask, as words: "the person themselves or their manager". */
static void requester_words(const struct requester_rule *rules, size_t n, char *buf, size_t size)
{
	size_t used = 0;
	int groups = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		const char *w = rules[i].kind == REQUESTER_SUBJECT   ? "the person themselves"
				: rules[i].kind == REQUESTER_MANAGER ? "their manager"
				: groups++			    ? NULL
								    : "a member of the service desk group named in the policy";
		int k;

		if (!w)
			continue;
		k = snprintf(buf + used, size - used, "%s%s", used ? " or " : "", w);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static void check_requester(struct eval *e)
{
	const struct person *subject = e->facts->subject, *requester = e->facts->requester;
	size_t n;
	const struct requester_rule *rules = conf_item_requesters(e->cfg, e->item, &n);
	char why[256], allowed[256];
	const char *w;
	int ok = 0;

	if (requester->exists && (w = absence(requester, e->now_ms, why))) {
		problem(e, POLICY_REQUESTER_NOT_CURRENT,
			"The requester %s %s; a request must come from someone who is here now, so ask a current "
			"colleague to submit it.",
			who(requester), w);
		return;
	}
	for (size_t i = 0; requester->exists && i < n && !ok; i++)
		ok = rules[i].kind == REQUESTER_SUBJECT   ? same_id(requester->id, subject->id)
		     : rules[i].kind == REQUESTER_MANAGER ? same_id(requester->id, subject->manager_id)
							  : in_group(e->facts, rules[i].group_id);
	if (ok)
		return;
	requester_words(rules, n, allowed, sizeof(allowed));
	problem(e, POLICY_REQUESTER_NOT_ALLOWED, "%s cannot ask for this access for %s: only %s can; ask one of them to "
						 "submit it.",
		requester->exists ? who(requester) : "The requester", who(subject), allowed);
}

static void check_people(struct eval *e)
{
	const struct person *subject = e->facts->subject;
	char why[256];
	const char *w;

	if (!subject->exists) {
		problem(e, POLICY_SUBJECT_MISSING,
			"The person this access is for was not found in the directory; check \"Requested for\" and "
			"submit the request again.");
		return;
	}
	if (!subject->enabled)
		problem(e, POLICY_SUBJECT_DISABLED,
			"The account of %s is disabled; access can only be granted to an active account.",
			who(subject));
	else if ((w = absence(subject, e->now_ms, why)))
		problem(e, POLICY_SUBJECT_NOT_CURRENT,
			"%s %s; access is granted only to people who are here now.", who(subject), w);
	check_requester(e);
}

/* Where the item asks for it, the service-desk agent who verified the
 * requester is named, is here, is in the verification group, and is
 * neither the requester nor the person. */
static void check_verification(struct eval *e)
{
	const char *field = e->item->verification_variable, *named = var(e->req, field), *w;
	const struct person *v = e->facts->verifier;
	char why[256];

	if (!field)
		return;
	if (!named)
		problem(e, POLICY_VERIFICATION_MISSING,
			"This access needs the requester's identity verified by the service desk; a service-desk agent "
			"must check it and fill in \"%s\" with their name.",
			field);
	else if (!v || !v->exists)
		problem(e, POLICY_VERIFIER_INVALID,
			"\"%s\" in \"%s\" is not a person in the directory; name the service-desk agent who verified the "
			"requester.",
			named, field);
	else if (same_id(v->id, e->facts->requester->id))
		problem(e, POLICY_VERIFIER_INVALID,
			"The requester cannot verify their own identity; a service-desk agent must, and fill in \"%s\".",
			field);
	else if (same_id(v->id, e->facts->subject->id))
		problem(e, POLICY_VERIFIER_INVALID,
			"The person the access is for cannot verify the requester; a service-desk agent must, and fill "
			"in \"%s\".",
			field);
	else if ((w = absence(v, e->now_ms, why)))
		problem(e, POLICY_VERIFIER_INVALID, "The verifier %s %s; name a service-desk agent who is here now.",
			who(v), w);
	else if (!e->facts->verifier_in_group)
		problem(e, POLICY_VERIFIER_INVALID,
			"%s is not in the service-desk group that verifies requesters; the verification must come from a "
			"member of it.",
			who(v));
}

static void check_target(struct eval *e, int contractor)
{
	enum policy_code code = 0;
	const char *given = var(e->req, e->item->vars.target);
	char list[1024];

	e->res.target = resolve_target(e->item, e->req, contractor, &code);
	if (e->res.target)
		return;
	/* The contractors' target is not a choice: it follows from the directory. */
	conf_target_list(e->item->allow, e->item->n_allow, e->item->contractor_target, 0, list, sizeof(list));
	if (e->item->n_allow == 0)
		problem(e, POLICY_TARGET_NOT_ALLOWED,
			"Nothing can be granted through \"%s\" yet; ask the service desk to use the right catalog "
			"item.",
			e->item->name);
	else if (code == POLICY_TARGET_MISSING)
		problem(e, code, "The request does not say what access is needed; fill in \"%s\" with one of: %s.",
			e->item->vars.target, list);
	else
		problem(e, code, "\"%s\" cannot be requested through \"%s\"; choose one of: %s.", given ? given : "",
			e->item->name, list);
}

static void check_dates(struct eval *e, int contractor)
{
	const struct item_config *it = e->item;
	const struct contractor_config *cc = &e->cfg->policy.contractor;
	const char *start = var(e->req, it->vars.start_date), *end = var(e->req, it->vars.end_date);
	const char *duration = var(e->req, it->vars.duration);
	int64_t start_ms = e->now_ms, end_ms = 0, ms, max = it->max_duration_ms;
	char day[64];
	int bad = 0;

	if (start && policy_parse_date(start, 0, &ms) < 0) {
		problem(e, POLICY_DATE_INVALID, "\"%s\" is not a date in \"%s\"; write it as YYYY-MM-DD.", start,
			it->vars.start_date);
		bad = 1;
	} else if (start && ms > e->now_ms) {
		start_ms = ms;
	}
	if (end) {
		if (policy_parse_date(end, 1, &end_ms) < 0) {
			problem(e, POLICY_DATE_INVALID, "\"%s\" is not a date in \"%s\"; write it as YYYY-MM-DD.", end,
				it->vars.end_date);
			bad = 1;
		}
	} else if (duration) {
		if (parse_request_duration(duration, &ms) < 0 || ms <= 0 || ms > INT64_MAX - start_ms) {
			problem(e, POLICY_DATE_INVALID,
				"\"%s\" is not a duration in \"%s\"; write a number of days, like 30.", duration,
				it->vars.duration);
			bad = 1;
		} else {
			end_ms = start_ms + ms;
		}
	}
	if (!end && !duration && !bad && (it->time_bound || (contractor && cc->end_date_required))) {
		const char *field = it->vars.end_date ? it->vars.end_date : it->vars.duration;

		problem(e, POLICY_END_MISSING, "%s; fill in \"%s\".",
			it->time_bound ? "This access is time-bound and needs an end date or a duration"
				       : "Access for a contractor always ends, so an end date is required",
			field ? field : "end_date");
		return;
	}
	if (bad || !end_ms)
		return;
	if (end_ms <= start_ms) {
		problem(e, POLICY_END_NOT_AFTER_START,
			"The end of the access (%s) must be after its start and in the future; choose a later end "
			"date.",
			end ? end : duration);
		return;
	}
	if (contractor && cc->max_duration_ms && (!max || cc->max_duration_ms < max))
		max = cc->max_duration_ms;
	if (max && end_ms - start_ms > max) {
		char text[32];

		conf_format_duration(max, text, sizeof(text));
		format_day(start_ms + max - DAY_MS, day);
		problem(e, POLICY_DURATION_TOO_LONG,
			"%s can last at most %s; choose an end date no later than %s.",
			contractor && max == cc->max_duration_ms ? "Access for a contractor" : "This access", text, day);
		return;
	}
	e->res.start_ms = start_ms;
	e->res.end_ms = end_ms;
}

/* A contractor's sponsor: the person the item's sponsor variable names,
 * or (no such variable, and the policy says so) their manager. On success
 * E->sponsor is set: the access never outlives them either. */
static void check_sponsor(struct eval *e)
{
	const struct person *sponsor = e->facts->sponsor, *subject = e->facts->subject;
	const char *field = e->item->vars.sponsor, *named = var(e->req, field), *w;
	char why[256], label[320];

	if (field && !named) {
		problem(e, POLICY_SPONSOR_MISSING,
			"Access for a contractor needs a sponsor; fill in \"%s\" with the employee who vouches for "
			"it.",
			field);
		return;
	}
	if (!field && !subject->manager_id) {
		problem(e, POLICY_SPONSOR_MISSING,
			"Access for a contractor needs a sponsor, and %s's manager, who sponsors it, is not set in the "
			"directory; ask the IAM team to set the manager.",
			who(subject));
		return;
	}
	if (field)
		snprintf(label, sizeof(label), "The sponsor %s", sponsor && sponsor->exists ? who(sponsor) : named);
	else
		snprintf(label, sizeof(label), "The manager %s, who sponsors a contractor,",
			 sponsor && sponsor->exists ? who(sponsor) : subject->manager_id);
	if (!sponsor || !sponsor->exists)
		problem(e, POLICY_SPONSOR_INVALID,
			"%s is not an active account in the directory; name an employee with an active account.", label);
	else if ((w = absence(sponsor, e->now_ms, why)))
		problem(e, POLICY_SPONSOR_NOT_CURRENT,
			"%s %s, so they cannot sponsor this access; %s.", label, w,
			field ? "name an employee who is here now" : "ask the IAM team to set a current manager");
	else if (same_id(sponsor->id, subject->id))
		problem(e, POLICY_SPONSOR_INVALID,
			"A contractor cannot sponsor their own access; name the employee who vouches for it.");
	else if (policy_is_contractor(e->cfg, sponsor))
		problem(e, POLICY_SPONSOR_INVALID,
			"The sponsor %s is a contractor too; name an employee as the sponsor.", who(sponsor));
	else
		e->sponsor = sponsor;
}

/* The access never outlives a known leave date of the person or of the
 * sponsor: the end is brought forward to the earliest, and said so. */
static void cap_end(struct eval *e)
{
	const struct person *who_leaves[] = { e->facts->subject, e->sponsor }, *first = NULL;
	char day[64], asked[64];
	int64_t cap = 0;
	int n;

	for (size_t i = 0; i < sizeof(who_leaves) / sizeof(who_leaves[0]); i++) {
		const struct person *p = who_leaves[i];

		if (p && p->leave_ms > e->now_ms && (!cap || p->leave_ms < cap)) {
			cap = p->leave_ms;
			first = p;
		}
	}
	if (!cap || (e->res.end_ms && e->res.end_ms <= cap))
		return;
	format_day(cap, day);
	if (cap <= e->res.start_ms) {
		problem(e, POLICY_END_NOT_AFTER_START,
			"%s leaves the organisation on %s, before this access would start; choose an earlier start or "
			"drop the request.",
			who(first), day);
		return;
	}
	if (e->res.end_ms)
		format_day(e->res.end_ms - 1, asked);
	n = asprintf(&e->res.end_note, "Access ends on %s, when %s leaves the organisation%s%s%s.", day, who(first),
		     e->res.end_ms ? ", not on " : "", e->res.end_ms ? asked : "", e->res.end_ms ? " as asked" : "");
	if (n < 0) {
		e->res.end_note = NULL;
		e->oom = 1;
		return;
	}
	e->res.end_ms = cap;
}

/* ---- approvers -------------------------------------------------------- */

static const struct person *find_person(const struct policy_facts *f, const char *id)
{
	for (size_t i = 0; i < f->n_people; i++)
		if (same_id(f->people[i].id, id))
			return &f->people[i];
	if (f->subject->exists && same_id(f->subject->id, id))
		return f->subject;
	if (f->requester->exists && same_id(f->requester->id, id))
		return f->requester;
	return NULL;
}

static const struct policy_group *find_group(const struct policy_facts *f, const char *id)
{
	for (size_t i = 0; i < f->n_groups; i++)
		if (same_id(f->groups[i].id, id))
			return &f->groups[i];
	return NULL;
}

/* Why the person with object id ID cannot approve now (NONE: they can). */
static enum policy_skip eligibility(const struct eval *e, const char *id, const struct person **ret)
{
	const struct policy_facts *f = e->facts;
	enum policy_skip why;
	const struct person *p;

	*ret = NULL;
	if (!id)
		return POLICY_SKIP_MISSING;
	if (f->requester->exists && same_id(id, f->requester->id))
		return POLICY_SKIP_REQUESTER;
	if (f->subject->exists && same_id(id, f->subject->id))
		return POLICY_SKIP_SUBJECT;
	p = find_person(f, id);
	why = presence_skip(p, e->now_ms);
	if (why == POLICY_SKIP_NONE)
		*ret = p;
	return why;
}

/* Why the approver ID was skipped, as a sentence for the ticket (NULL: out
 * of memory). GROUP: nobody in a group could, ID the last one tried. */
static char *skip_sentence(const struct eval *e, const char *id, enum policy_skip reason, int group)
{
	const struct person *p = id ? find_person(e->facts, id) : NULL;
	const char *name = p && p->upn ? p->upn : id ? id : "the approver";
	char why[256], *text = NULL;
	const char *w = reason == POLICY_SKIP_DEPARTED || reason == POLICY_SKIP_NOT_STARTED ||
				reason == POLICY_SKIP_UNREADABLE
			? absence(p, e->now_ms, why)
			: skip_words(reason);

	if (group)
		return asprintf(&text, "nobody in the approver group can decide (%s %s)", id ? name : "it", w) < 0 ? NULL
															: text;
	return asprintf(&text, "%s %s", name, w) < 0 ? NULL : text;
}

static int asked(const struct policy_approver *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (same_id(v[i].id, id))
			return 1;
	return 0;
}

/* Add P to V, once; a stand-in names whom it REPLACES, the REASON and, in
 * WHY (taken over, freed when not kept), the sentence. */
static int add_approver(struct policy_approver **v, size_t *n, const struct person *p, const char *replaces,
			enum policy_skip reason, char *why)
{
	struct policy_approver a = { .reason = reason, .why = why, .leave_ms = p->leave_ms };

	if (asked(*v, *n, p->id)) {
		free(why);
		return 0;
	}
	a.id = strdup(p->id);
	a.upn = p->upn ? strdup(p->upn) : NULL;
	a.replaces = replaces ? strdup(replaces) : NULL;
	if (!a.id || (p->upn && !a.upn) || (replaces && !a.replaces) || (reason != POLICY_SKIP_NONE && !why) ||
	    grow((void **)v, *n, sizeof(**v)) < 0) {
		free(a.id);
		free(a.upn);
		free(a.replaces);
		free(a.why);
		return -ENOMEM;
	}
	(*v)[(*n)++] = a;
	return 0;
}

static int add_skipped(struct policy_stage *st, const char *id, enum policy_skip reason, const char *role)
{
	struct policy_skipped s = { .reason = reason, .role = role };

	if (grow((void **)&st->skipped, st->n_skipped, sizeof(*st->skipped)) < 0)
		return -ENOMEM;
	if (id && !(s.id = strdup(id)))
		return -ENOMEM;
	st->skipped[st->n_skipped++] = s;
	return 0;
}

/* The object ids a list of references stands for, groups expanded, in
 * order. The strings point into the facts or the configuration. */
static int expand(const struct eval *e, const struct approver_ref *refs, size_t n, const char ***ret,
		  size_t *n_ret)
{
	const struct person *subject = e->facts->subject;

	for (size_t i = 0; i < n; i++) {
		const struct policy_group *g = refs[i].kind == APPROVER_GROUP ? find_group(e->facts, refs[i].id) : NULL;
		const char *one = ref_id(&refs[i], subject, e->res.target);
		size_t count = g ? g->n_members : one ? 1 : 0;

		for (size_t k = 0; k < count; k++) {
			if (grow((void **)ret, *n_ret, sizeof(**ret)) < 0)
				return -ENOMEM;
			(*ret)[(*n_ret)++] = g ? g->members[k] : one;
		}
	}
	return 0;
}

/* The first eligible backup not yet asked; NULL when none is left. */
static const struct person *next_backup(const struct eval *e, const struct policy_stage *st, const char **ids,
					size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct person *p;

		if (eligibility(e, ids[i], &p) == POLICY_SKIP_NONE && !asked(st->approvers, st->n_approvers, p->id))
			return p;
	}
	return NULL;
}

/* Resolve one stage. Returns 1 when it can be staffed, 0 when not, or
 * -ENOMEM. */
static int resolve_stage(struct eval *e, const struct stage_config *cfg, struct policy_stage *st)
{
	const char **backups = NULL;
	size_t n_backups = 0;
	int unstaffed = 0, r;

	st->config = cfg;
	st->quorum = cfg->quorum;
	policy_stage_deadlines(cfg, e->now_ms, &st->remind_at_ms, &st->escalate_at_ms, &st->expire_at_ms);
	r = expand(e, cfg->backups, cfg->n_backups, &backups, &n_backups);
	for (size_t i = 0; i < cfg->n_approvers && r == 0; i++) {
		const struct approver_ref *ref = &cfg->approvers[i];
		const struct policy_group *g = ref->kind == APPROVER_GROUP ? find_group(e->facts, ref->id) : NULL;
		size_t count = g ? g->n_members : 1, before = st->n_approvers;
		enum policy_skip reason = POLICY_SKIP_MISSING;
		const char *primary = NULL, *last = NULL;
		const struct person *b;

		if (g && g->n_members == 0)
			r = add_skipped(st, ref->id, POLICY_SKIP_MISSING, ref_role(ref));
		/* Members of a group who cannot act are left out; the group
		 * needs a stand-in only when none of them can. A group the
		 * caller did not expand counts as missing. */
		for (size_t k = 0; k < count && r == 0; k++) {
			const char *id = g ? g->members[k]
				       : ref->kind == APPROVER_GROUP ? NULL : ref_id(ref, e->facts->subject, e->res.target);
			const struct person *p;
			enum policy_skip why = eligibility(e, id, &p);

			if (why == POLICY_SKIP_NONE) {
				r = add_approver(&st->approvers, &st->n_approvers, p, NULL, POLICY_SKIP_NONE, NULL);
				continue;
			}
			reason = why;
			last = id;
			primary = ref->kind == APPROVER_GROUP ? NULL : id;
			r = add_skipped(st, ref->kind == APPROVER_GROUP && !g ? ref->id : id, why, ref_role(ref));
		}
		if (r < 0 || st->n_approvers > before)
			continue;
		b = next_backup(e, st, backups, n_backups);
		if (b)
			r = add_approver(&st->approvers, &st->n_approvers, b, primary, reason,
					 skip_sentence(e, last, reason, ref->kind == APPROVER_GROUP));
		else if (cfg->quorum == QUORUM_ALL)
			unstaffed = 1;
	}
	for (size_t i = 0; i < n_backups && r == 0; i++) {
		const struct person *p;

		if (eligibility(e, backups[i], &p) == POLICY_SKIP_NONE && !asked(st->approvers, st->n_approvers, p->id))
			r = add_approver(&st->escalation, &st->n_escalation, p, NULL, POLICY_SKIP_NONE, NULL);
	}
	free(backups);
	if (r < 0)
		return r;
	return !unstaffed && st->n_approvers > 0;
}

static void stage_clear(struct policy_stage *st)
{
	for (size_t i = 0; i < st->n_approvers; i++) {
		free(st->approvers[i].id);
		free(st->approvers[i].upn);
		free(st->approvers[i].replaces);
		free(st->approvers[i].why);
	}
	free(st->approvers);
	for (size_t i = 0; i < st->n_escalation; i++) {
		free(st->escalation[i].id);
		free(st->escalation[i].upn);
		free(st->escalation[i].replaces);
		free(st->escalation[i].why);
	}
	free(st->escalation);
	for (size_t i = 0; i < st->n_skipped; i++)
		free(st->skipped[i].id);
	free(st->skipped);
}

/* ---- rules ------------------------------------------------------------ */

/* The facts the rules read, as the policy evaluated the request. */
static struct rule_facts rule_facts(const struct eval *e)
{
	const struct policy_facts *f = e->facts;

	return (struct rule_facts){
		.subject = f->subject,
		.requester = f->requester,
		.target = e->res.target,
		.duration_ms = e->res.end_ms ? e->res.end_ms - e->res.start_ms : 0,
		.member_of_known = f->member_of_known,
		.member_of = f->member_of,
		.n_member_of = f->n_member_of,
		.holdings = f->holdings,
		.n_holdings = f->n_holdings,
		.zones = f->zones,
		.n_zones = f->n_zones,
		.now_ms = e->now_ms,
	};
}

/* Whether a rule approves stage ST (of the privileged span when
 * PRIVILEGED) instead of a person. */
static void stage_rules(const struct eval *e, const struct stage_config *cfg, int privileged,
			struct policy_stage *st)
{
	struct rule_facts rf;

	st->privileged = privileged;
	if (cfg->n_auto_approve == 0)
		return;
	if (privileged && !cfg->auto_approve_privileged) {
		snprintf(st->rule.text, sizeof(st->rule.text),
			 "a rule approves a stage of a privileged target only with auto_approve_privileged");
		return;
	}
	if (e->res.contractor) {
		snprintf(st->rule.text, sizeof(st->rule.text), "a rule never approves access for a contractor");
		return;
	}
	rf = rule_facts(e);
	rules_evaluate(cfg->auto_approve, cfg->n_auto_approve, &rf, &st->rule);
}

/* Whether one of the item's auto_reject_when rules rejects the request. */
static int rejected_by_rule(struct eval *e)
{
	struct rule_facts rf = rule_facts(e);

	if (e->item->n_auto_reject == 0)
		return 0;
	rules_evaluate(e->item->auto_reject, e->item->n_auto_reject, &rf, &e->res.reject);
	return e->res.reject.rule != NULL;
}

static int resolve_chain(struct eval *e)
{
	const struct stage_config *chain[2];
	size_t n_chain[2], total;

	total = conf_item_chain(e->cfg, e->item, e->res.target->class, &chain[0], &n_chain[0], &chain[1],
				&n_chain[1]);
	e->res.stages = calloc(total ? total : 1, sizeof(*e->res.stages));
	if (!e->res.stages)
		return -ENOMEM;
	for (size_t c = 0; c < 2; c++) {
		for (size_t s = 0; s < n_chain[c]; s++) {
			struct policy_stage *st = &e->res.stages[e->res.n_stages++];
			int r = resolve_stage(e, &chain[c][s], st);

			if (r < 0)
				return r;
			stage_rules(e, &chain[c][s], c == 1, st);
			/* A stage a rule approves needs nobody. */
			if (r == 0 && !st->rule.rule)
				problem(e, POLICY_NO_APPROVER,
					"Nobody can approve the \"%s\" stage right now (%s%s%s); the IAM team has been "
					"asked to name an approver.",
					chain[c][s].name,
					st->n_skipped ? st->skipped[0].role : "no approver",
					st->n_skipped ? " " : "", st->n_skipped ? skip_words(st->skipped[0].reason) : "");
		}
	}
	return 0;
}

void policy_result_clear(struct policy_result *res)
{
	for (size_t i = 0; i < res->n_problems; i++)
		free(res->problems[i].text);
	free(res->problems);
	for (size_t i = 0; i < res->n_stages; i++)
		stage_clear(&res->stages[i]);
	free(res->stages);
	free(res->end_note);
	memset(res, 0, sizeof(*res));
}

/* A duplicate or existing access ends the evaluation with a single note. */
static int settled(struct eval *e)
{
	const struct policy_facts *f = e->facts;

	if (f->duplicate_of) {
		e->res.verdict = POLICY_LINK_DUPLICATE;
		problem(e, POLICY_DUPLICATE,
			"An open %s (%s) already asks for %s for %s; this request is linked to it and closed.",
			f->duplicate_incident ? "incident" : "request", f->duplicate_of, e->res.target->name,
			who(f->subject));
		return 1;
	}
	if (f->has_access) {
		e->res.verdict = POLICY_ALREADY_GRANTED;
		problem(e, POLICY_ALREADY_HAS_ACCESS, "%s already has %s; nothing needed to change.", who(f->subject),
			e->res.target->name);
		return 1;
	}
	return 0;
}

int policy_evaluate(const struct config *cfg, const struct request *req, const struct policy_facts *facts,
		    int64_t now_ms, struct policy_result *ret)
{
	struct eval e = { .cfg = cfg, .req = req, .facts = facts, .now_ms = now_ms };
	int r = 0;

	if (!facts->subject || !facts->requester)
		return -EINVAL;
	e.item = conf_find_item(cfg, req->item_id, req->item_name);
	e.res.item = e.item;
	e.res.start_ms = now_ms;
	if (!e.item) {
		e.res.verdict = POLICY_IGNORE;
		goto done;
	}
	e.res.contractor = policy_is_contractor(cfg, facts->subject);
	/* A value that may hide another is not read further: what it names
	 * is not known. */
	if (check_values(&e)) {
		e.res.verdict = POLICY_SEND_BACK;
		goto done;
	}
	check_people(&e);
	check_target(&e, e.res.contractor);
	if (e.res.n_problems == 0 && !e.oom && settled(&e))
		goto done;
	check_verification(&e);
	if (e.item->vars.justification && !var(req, e.item->vars.justification))
		problem(&e, POLICY_JUSTIFICATION_MISSING,
			"A business justification is required; fill in \"%s\" with why the access is needed.",
			e.item->vars.justification);
	check_dates(&e, e.res.contractor);
	if (e.res.contractor && conf_item_sponsor_required(cfg, e.item) &&
	    (e.item->vars.sponsor || cfg->policy.contractor.manager_as_sponsor))
		check_sponsor(&e);
	if (e.res.n_problems == 0)
		cap_end(&e);
	if (e.res.n_problems > 0 || e.oom) {
		e.res.verdict = POLICY_SEND_BACK;
		goto done;
	}
	if (rejected_by_rule(&e)) {
		e.res.verdict = POLICY_REJECT;
		goto done;
	}
	r = resolve_chain(&e);
	e.res.verdict = has_problem(&e, POLICY_NO_APPROVER) ? POLICY_BLOCK : POLICY_PROCEED;
done:
	if (r < 0 || e.oom) {
		policy_result_clear(&e.res);
		return -ENOMEM;
	}
	*ret = e.res;
	return 0;
}
