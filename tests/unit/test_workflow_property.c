/* SPDX-License-Identifier: Apache-2.0 */
/* A property test of the decision core: over many random histories (random
 * plans, some stages approved by rule and some requests rejected by rule,
 * decisions by approvers, outsiders, the requester and the person,
 * decisions written on an approver's record by someone else, approvers who
 * leave the organisation part-way, end dates that pass while approvals
 * arrive late, random clocks and step outcomes), no step is ever executed
 * without every required approval, each made by an approver of that stage
 * themselves, before their leave date, inside that stage or, for a stage a
 * rule approved, by that rule, and never over a rejection by a person of
 * such a stage; nothing is executed for a request a rule rejected, nor
 * executed or announced once the access's end date has passed, nor once
 * the ticket was seen closed before the grant began; and a final state
 * never acts again. The oracle below counts approvals on its own, from the
 * history it fed in. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/workflow.h"

#define HISTORIES 10000
#define EVENTS 60

static const char *const people[] = { "req@x", "subj@x", "a1@x", "a2@x", "a3@x", "b1@x", "b2@x", "out@x" };
#define N_PEOPLE (sizeof(people) / sizeof(people[0]))

static uint64_t rng_state;

/* When each person leaves, in this history (0: not known). */
static int64_t leaves[N_PEOPLE];

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

static size_t person_of(const char *who)
{
	for (size_t i = 0; i < N_PEOPLE; i++)
		if (strcmp(people[i], who) == 0)
			return i;
	return N_PEOPLE;
}

static void random_plan(struct wf_plan *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < N_PEOPLE; i++)
		leaves[i] = rnd(4) == 0 ? 1 + rnd(6000) : 0;
	p->valid = rnd(10) != 0;
	p->duplicate = rnd(20) == 0;
	p->has_access = rnd(20) == 0;
	p->unstaffed = rnd(20) == 0;
	p->rule_rejected = rnd(15) == 0;
	p->requester = people[0];
	p->subject = rnd(2) ? people[1] : people[0];
	p->n_stages = rnd(4);
	p->n_steps = 1 + rnd(4);
	p->end_ms = rnd(2) == 0 ? 1000 + rnd(9000) : 0;
	p->rollback = (int)rnd(2);
	p->max_attempts = 1 + (int)rnd(4);
	p->retry_backoff_ms = rnd(50);
	for (size_t s = 0; s < p->n_stages; s++) {
		struct wf_stage *st = &p->stages[s];

		/* Approvers may include the requester or the person: the core
		 * must not count them even when the policy slipped. */
		st->n_approvers = 1 + rnd(3);
		for (size_t i = 0; i < st->n_approvers; i++) {
			st->approvers[i] = people[rnd(5)];
			st->approver_leaves_ms[i] = leaves[person_of(st->approvers[i])];
		}
		st->n_backups = rnd(3);
		for (size_t i = 0; i < st->n_backups; i++) {
			st->backups[i] = people[5 + rnd(2)];
			st->backup_leaves_ms[i] = leaves[person_of(st->backups[i])];
		}
		st->quorum_all = (int)rnd(2);
		st->remind_after_ms = rnd(2) * rnd(500);
		st->escalate_after_ms = rnd(2) * rnd(1000);
		st->expire_after_ms = rnd(2) * (1000 + rnd(3000));
		st->by_rule = rnd(3) == 0;
	}
}

struct stage_log {
	int64_t since;
	int64_t until;
	int escalated;
};

static int same(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Whether decision D is WHO's own, made before they left, inside the stage. */
static int counts(const struct wf_decision *d, const char *who, const struct stage_log *log)
{
	int64_t gone = leaves[person_of(who)];

	return same(d->approver, who) && d->by_approver && !(gone && d->at_ms >= gone) && d->at_ms >= log->since &&
	       d->at_ms <= log->until;
}

/* The oracle: were the decisions inside the stage's window enough? */
static int stage_approved(const struct wf_plan *p, size_t s, const struct stage_log *log,
			  const struct wf_decision *d, size_t n)
{
	const struct wf_stage *st = &p->stages[s];
	size_t ok = 0, needed = 0;
	int backup_ok = 0;

	for (size_t i = 0; i < st->n_approvers; i++) {
		const char *who = st->approvers[i];
		int64_t best_at = -1;
		int best = 0;

		if (same(who, p->requester) || same(who, p->subject)) {
			needed++;
			continue;
		}
		needed++;
		for (size_t k = 0; k < n; k++) {
			if (!counts(&d[k], who, log))
				continue;
			if (d[k].at_ms >= best_at) {
				best_at = d[k].at_ms;
				best = d[k].approved;
			}
		}
		ok += best;
	}
	for (size_t b = 0; log->escalated && b < st->n_backups; b++)
		for (size_t k = 0; k < n; k++)
			if (counts(&d[k], st->backups[b], log) && d[k].approved)
				backup_ok = 1;
	return st->quorum_all ? (ok == needed || backup_ok) : (ok > 0 || backup_ok);
}

/* The oracle for a stage a rule approved: does any of its people (an
 * approver or backup, not the requester or the person) have a rejection
 * as their latest decision? Decisions come in time order. */
static int person_rejected(const struct wf_plan *p, size_t s, const struct wf_decision *d, size_t n)
{
	const struct wf_stage *st = &p->stages[s];
	const char *who[2 * WF_MAX_APPROVERS];
	size_t n_who = 0;

	for (size_t i = 0; i < st->n_approvers; i++)
		who[n_who++] = st->approvers[i];
	for (size_t i = 0; i < st->n_backups; i++)
		who[n_who++] = st->backups[i];
	for (size_t w = 0; w < n_who; w++) {
		int last = -1;

		if (same(who[w], p->requester) || same(who[w], p->subject))
			continue;
		for (size_t k = 0; k < n; k++)
			if (same(d[k].approver, who[w]))
				last = (int)k;
		if (last >= 0 && !d[last].approved)
			return 1;
	}
	return 0;
}

static void test_no_execution_without_every_approval(void **state)
{
	static struct wf_decision decisions[EVENTS];
	size_t executions = 0, rule_decided = 0, late_expiries = 0, other_hands = 0, gone = 0;

	(void)state;
	rng_state = 0x5eed;
	for (int h = 0; h < HISTORIES; h++) {
		struct stage_log log[WF_MAX_STAGES] = { { 0 } };
		struct wf_record rec = { 0 };
		struct wf_actions acts;
		struct wf_plan plan;
		size_t n = 0;
		int64_t now = 0;
		enum wf_result result = WF_RESULT_NONE;
		int executed_before = 0, closed_before_grant = 0, by_rule[WF_MAX_STAGES] = { 0 };

		random_plan(&plan);
		for (int e = 0; e < EVENTS; e++) {
			struct wf_input ev = { .decisions = decisions, .n_decisions = n, .result = result };
			enum wf_state before = rec.state;
			int stage_before = rec.stage;

			ev.request_changed = rnd(10) == 0;
			ev.ticket_closed = rnd(50) == 0;
			if (ev.ticket_closed && !executed_before)
				closed_before_grant = 1;
			assert_int_equal(wf_decide(&rec, &plan, &ev, now, &rec, &acts), 0);
			if (wf_state_final(before))
				assert_int_equal(acts.n, 0);
			if ((before == WF_AWAITING || before == WF_ESCALATED) &&
			    (rec.stage != stage_before || rec.state == WF_IMPLEMENTING || rec.state == WF_COMPLETED))
				log[stage_before].until = now;
			if (rec.state == WF_AWAITING && (rec.stage != stage_before || before != WF_AWAITING) &&
			    before != WF_ESCALATED) {
				log[rec.stage].since = rec.stage_since_ms;
				log[rec.stage].escalated = 0;
			}
			if (rec.state == WF_ESCALATED)
				log[rec.stage].escalated = 1;
			for (size_t i = 0; i < acts.n; i++) {
				/* Nothing granted, nothing announced after the end. */
				if (acts.v[i].kind == WF_ACT_EXECUTE || acts.v[i].kind == WF_ACT_COMPLETE)
					assert_false(plan.end_ms > 0 && now >= plan.end_ms);
				if (acts.v[i].kind == WF_ACT_EXPIRE && plan.end_ms > 0 && now >= plan.end_ms)
					late_expiries++;
				if (acts.v[i].kind == WF_ACT_IGNORE_DECISION && acts.v[i].why == WF_IGNORE_OTHER_HAND)
					other_hands++;
				if (acts.v[i].kind == WF_ACT_IGNORE_DECISION && acts.v[i].why == WF_IGNORE_GONE)
					gone++;
				if (acts.v[i].kind == WF_ACT_RULE_APPROVE) {
					/* Only a stage the rule approved, once, and
					 * never over a person's rejection. */
					assert_true(plan.stages[acts.v[i].stage].by_rule);
					assert_false(by_rule[acts.v[i].stage]);
					assert_false(person_rejected(&plan, (size_t)acts.v[i].stage, decisions, n));
					by_rule[acts.v[i].stage] = 1;
				}
				if (acts.v[i].kind == WF_ACT_RULE_REJECT)
					assert_true(plan.rule_rejected);
				if (acts.v[i].kind != WF_ACT_EXECUTE)
					continue;
				assert_false(plan.duplicate);
				assert_true(plan.valid);
				assert_false(plan.rule_rejected);
				assert_false(closed_before_grant);
				assert_false(rec.granted & (1u << acts.v[i].step));
				if (!executed_before) {
					for (size_t s = 0; s < plan.n_stages; s++) {
						if (plan.stages[s].by_rule) {
							assert_true(by_rule[s]);
							assert_false(person_rejected(&plan, s, decisions, n));
						} else {
							assert_true(stage_approved(&plan, s, &log[s], decisions, n));
						}
					}
					executed_before = 1;
					executions++;
					rule_decided += plan.n_stages > 0 && by_rule[0];
				}
			}
			/* The next event: a decision, time passing, or an outcome. */
			now += rnd(400);
			result = WF_RESULT_NONE;
			if (rec.state == WF_IMPLEMENTING || rec.state == WF_ROLLING_BACK || rec.state == WF_REMOVING)
				result = (enum wf_result)rnd(4);
			if (rnd(2) && n < EVENTS)
				decisions[n++] = (struct wf_decision){ people[rnd(N_PEOPLE)], rnd(5) != 0, now, rnd(4) != 0 };
		}
	}
	/* The histories must reach execution often, some through a rule, and
	 * meet each of the hazards often, or the property says little. */
	assert_true(executions > HISTORIES / 10);
	assert_true(rule_decided > executions / 10);
	assert_true(late_expiries > HISTORIES / 50);
	assert_true(other_hands > HISTORIES / 10);
	assert_true(gone > HISTORIES / 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_execution_without_every_approval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
