/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rules.h"
#include "util/civil.h"

#define DAY_MS (86400 * INT64_C(1000))

static const char *const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* The text being written; NULL: only the answer is wanted. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!o || o->len >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= o->size - o->len) {
		/* Cut: say so rather than end mid-word. */
		o->len = o->size;
		memcpy(o->buf + o->size - 4, "...", 4);
		return;
	}
	o->len += (size_t)n;
}

static int same_id(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* "A" or "A", "B" */
static void put_values(struct out *o, const struct rule_cond *c)
{
	for (size_t i = 0; i < c->n_values; i++)
		put(o, "%s\"%s\"", i ? ", " : "", c->values[i]);
}

static void put_targets(struct out *o, const struct rule_cond *c)
{
	for (size_t i = 0; i < c->n_targets; i++)
		put(o, "%s\"%s\"", i ? ", " : "", c->targets[i]->name);
}

/* A span of time as a person reads it: "14d", "15d 16h", "2h 30m". */
static void put_span(struct out *o, int64_t ms)
{
	int64_t d = ms / DAY_MS, h = ms % DAY_MS / 3600000, m = ms % 3600000 / 60000;

	if (d)
		put(o, "%lldd", (long long)d);
	if (h)
		put(o, "%s%lldh", d ? " " : "", (long long)h);
	if (m && !d)
		put(o, "%s%lldm", h ? " " : "", (long long)m);
	if (!d && !h && !m)
		put(o, "%llds", (long long)(ms / 1000));
}

/* ---- the conditions --------------------------------------------------- */

static const char *attribute(const struct person *p, enum rule_kind kind)
{
	if (!p || !p->exists)
		return NULL;
	switch (kind) {
	case RULE_EMPLOYEE_TYPE:
		return p->employee_type;
	case RULE_USER_TYPE:
		return p->user_type;
	case RULE_DEPARTMENT:
		return variable_get(p->attrs, p->n_attrs, "department");
	case RULE_COMPANY:
		return variable_get(p->attrs, p->n_attrs, "companyName");
	default:
		return NULL;
	}
}

static int attribute_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	static const char *const what[] = { [RULE_DEPARTMENT] = "department", [RULE_COMPANY] = "company",
					    [RULE_EMPLOYEE_TYPE] = "employee type", [RULE_USER_TYPE] = "user type" };
	const char *v = attribute(f->subject, c->kind);

	if (!v || !*v) {
		put(o, "%s is not known", what[c->kind]);
		return 0;
	}
	for (size_t i = 0; i < c->n_values; i++)
		if (strcasecmp(v, c->values[i]) == 0) {
			put(o, "%s is \"%s\"", what[c->kind], v);
			return 1;
		}
	put(o, "%s is \"%s\", not %s", what[c->kind], v, c->n_values > 1 ? "one of " : "");
	put_values(o, c);
	return 0;
}

static int member_of_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	if (!f->member_of_known) {
		put(o, "the person's group memberships are not known");
		return 0;
	}
	for (size_t i = 0; i < c->n_values; i++)
		for (size_t k = 0; k < f->n_member_of; k++)
			if (same_id(c->values[i], f->member_of[k])) {
				put(o, "a direct member of group %s", c->values[i]);
				return 1;
			}
	put(o, "not a direct member of %s", c->n_values > 1 ? "any of the groups " : "group ");
	for (size_t i = 0; i < c->n_values; i++)
		put(o, "%s%s", i ? ", " : "", c->values[i]);
	return 0;
}

static int requester_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	const struct person *s = f->subject, *r = f->requester;

	if (!s || !s->exists || !r || !r->exists || !r->id) {
		put(o, "who asked is not known");
		return 0;
	}
	if ((c->requester & RULE_BY_SUBJECT) && same_id(r->id, s->id)) {
		put(o, "requested by the person themselves");
		return 1;
	}
	if ((c->requester & RULE_BY_MANAGER) && same_id(r->id, s->manager_id)) {
		put(o, "requested by the person's manager");
		return 1;
	}
	put(o, "requested by %s, not by %s", r->upn ? r->upn : r->id,
	    c->requester == RULE_BY_SUBJECT   ? "the person themselves"
	    : c->requester == RULE_BY_MANAGER ? "the person's manager"
					      : "the person or their manager");
	return 0;
}

static int target_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	if (!f->target) {
		put(o, "the target is not known");
		return 0;
	}
	for (size_t i = 0; i < c->n_targets; i++)
		if (c->targets[i] == f->target) {
			put(o, "the target is \"%s\"", f->target->name);
			return 1;
		}
	put(o, "the target is \"%s\", not %s", f->target->name, c->n_targets > 1 ? "one of " : "");
	put_targets(o, c);
	return 0;
}

static int class_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	const char *names[] = { [TARGET_STANDARD] = "standard", [TARGET_PRIVILEGED] = "privileged" };

	if (!f->target) {
		put(o, "the target is not known");
		return 0;
	}
	if (f->target->class == c->target_class) {
		put(o, "the target is %s", names[c->target_class]);
		return 1;
	}
	put(o, "the target is %s, not %s", names[f->target->class], names[c->target_class]);
	return 0;
}

static int duration_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	if (f->duration_ms <= 0) {
		put(o, "the access has no end date");
		return 0;
	}
	put(o, "requested for ");
	put_span(o, f->duration_ms);
	put(o, ", %s ", f->duration_ms <= c->duration_ms ? "at most" : "more than");
	put_span(o, c->duration_ms);
	return f->duration_ms <= c->duration_ms;
}

static void put_window(struct out *o, const struct rule_cond *c)
{
	int first = -1, last = -1, run = 1;

	if (c->days == 0x7f) {
		put(o, "every day");
	} else {
		/* Mon-Fri when the days are one run, else each of them. */
		for (int d = 0; d < 7; d++)
			if (c->days & (1u << d)) {
				if (first < 0)
					first = d;
				else if (last != d - 1)
					run = 0;
				last = d;
			}
		if (run && last > first)
			put(o, "%s-%s", day_names[first], day_names[last]);
		else
			for (int d = 0, n = 0; d < 7; d++)
				if (c->days & (1u << d))
					put(o, "%s%s", n++ ? "," : "", day_names[d]);
	}
	if (c->from_min != 0 || c->to_min != 24 * 60)
		put(o, " %02d:%02d-%02d:%02d", c->from_min / 60, c->from_min % 60, c->to_min / 60, c->to_min % 60);
}

static int time_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	const struct rule_zone *z = NULL;
	int64_t local, days;
	int day, minute, in;

	for (size_t i = 0; i < f->n_zones && !z; i++)
		if (f->zones[i].zone && strcmp(f->zones[i].zone, c->zone) == 0)
			z = &f->zones[i];
	if (!z || !z->known) {
		put(o, "the time in %s is not known", c->zone);
		return 0;
	}
	local = f->now_ms + (int64_t)z->offset_s * 1000;
	days = civil_floor_div(local, DAY_MS);
	/* civil_weekday counts from Sunday; the days mask from Monday. */
	day = (civil_weekday(days) + 6) % 7;
	minute = (int)((local - days * DAY_MS) / 60000);
	in = (c->days & (1u << day)) &&
	     (c->from_min < c->to_min ? minute >= c->from_min && minute < c->to_min
				      : minute >= c->from_min || minute < c->to_min);
	put(o, "%s %02d:%02d in %s, %s ", day_names[day], minute / 60, minute % 60, c->zone, in ? "within" : "outside");
	put_window(o, c);
	return in;
}

static int holds_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	int unknown = 0;

	for (size_t i = 0; i < c->n_targets; i++)
		for (size_t k = 0; k < f->n_holdings; k++) {
			const struct rule_holding *h = &f->holdings[k];

			if (h->target != c->targets[i])
				continue;
			if (h->known && h->holds) {
				put(o, "already holds \"%s\"", h->target->name);
				return 1;
			}
			unknown |= !h->known;
		}
	put(o, "%s", unknown ? "whether the person holds " : "does not hold ");
	put_targets(o, c);
	put(o, "%s", unknown ? " is not known" : "");
	return 0;
}

static int cond_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o);

/* Every child holds: the facts of each; else why the first did not. */
static int all_hold(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	for (size_t i = 0; i < c->n_children; i++)
		if (!cond_holds(&c->children[i], f, NULL))
			return cond_holds(&c->children[i], f, o);
	for (size_t i = 0; i < c->n_children; i++) {
		if (i)
			put(o, "; ");
		cond_holds(&c->children[i], f, o);
	}
	return 1;
}

/* One child holds: its facts; else why none did. */
static int any_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	for (size_t i = 0; i < c->n_children; i++)
		if (cond_holds(&c->children[i], f, NULL))
			return cond_holds(&c->children[i], f, o);
	put(o, "none of (");
	for (size_t i = 0; i < c->n_children; i++) {
		if (i)
			put(o, " | ");
		cond_holds(&c->children[i], f, o);
	}
	put(o, ")");
	return 0;
}

static int cond_holds(const struct rule_cond *c, const struct rule_facts *f, struct out *o)
{
	switch (c->kind) {
	case RULE_ALL:
		return all_hold(c, f, o);
	case RULE_ANY:
		return any_holds(c, f, o);
	case RULE_DEPARTMENT:
	case RULE_COMPANY:
	case RULE_EMPLOYEE_TYPE:
	case RULE_USER_TYPE:
		return attribute_holds(c, f, o);
	case RULE_MEMBER_OF:
		return member_of_holds(c, f, o);
	case RULE_REQUESTER:
		return requester_holds(c, f, o);
	case RULE_TARGET:
		return target_holds(c, f, o);
	case RULE_TARGET_CLASS:
		return class_holds(c, f, o);
	case RULE_DURATION:
		return duration_holds(c, f, o);
	case RULE_TIME:
		return time_holds(c, f, o);
	case RULE_HOLDS:
		return holds_holds(c, f, o);
	}
	return 0;
}

void rules_evaluate(const struct rule_config *rules, size_t n, const struct rule_facts *f, struct rule_verdict *ret)
{
	struct out o = { ret->text, sizeof(ret->text), 0 };

	ret->rule = NULL;
	ret->text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (cond_holds(&rules[i].when, f, NULL)) {
			ret->rule = &rules[i];
			cond_holds(&rules[i].when, f, &o);
			return;
		}
	for (size_t i = 0; i < n; i++) {
		put(&o, "%srule \"%s\": ", i ? "; " : "", rules[i].name);
		cond_holds(&rules[i].when, f, &o);
	}
}
