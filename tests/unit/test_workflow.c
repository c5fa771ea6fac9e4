/* SPDX-License-Identifier: Apache-2.0 */
/* The decision core, transition by transition, with time in milliseconds. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/workflow.h"

#define HOUR (3600 * 1000LL)
#define T0 (1764000000000LL)

/* Manager then security; the manager's backup after 24h; expiry after 72h. */
static struct wf_plan two_stage_plan(void)
{
	struct wf_plan p = {
		.valid = 1,
		.requester = "alice@contoso.example",
		.subject = "alice@contoso.example",
		.n_stages = 2,
		.n_steps = 2,
		.rollback = 1,
		.max_attempts = 3,
		.retry_backoff_ms = 1000,
	};

	p.stages[0] = (struct wf_stage){ .approvers = { "mgr@contoso.example" }, .n_approvers = 1,
					 .backups = { "deputy@contoso.example" }, .n_backups = 1, .remind_after_ms = 8 * HOUR,
					 .escalate_after_ms = 24 * HOUR, .expire_after_ms = 72 * HOUR };
	p.stages[1] = (struct wf_stage){ .approvers = { "sec1@contoso.example", "sec2@contoso.example" },
					 .n_approvers = 2, .expire_after_ms = 72 * HOUR };
	return p;
}

struct run {
	struct wf_plan plan;
	struct wf_record rec;
	struct wf_actions acts;
	struct wf_decision decisions[16];
	size_t n_decisions;
};

static void step_seen(struct run *r, int64_t now, enum wf_result result, int changed, int closed)
{
	struct wf_input ev = { .request_changed = changed, .ticket_closed = closed, .decisions = r->decisions,
			       .n_decisions = r->n_decisions, .result = result };

	assert_int_equal(wf_decide(&r->rec, &r->plan, &ev, now, &r->rec, &r->acts), 0);
}

static void step(struct run *r, int64_t now, enum wf_result result, int changed)
{
	step_seen(r, now, result, changed, 0);
}

/* WHO decides their own approval record at AT. */
static void decide(struct run *r, const char *who, int approved, int64_t at)
{
	r->decisions[r->n_decisions++] = (struct wf_decision){ who, approved, at, 1 };
}

/* Someone else writes the decision on WHO's approval record. */
static void decide_for(struct run *r, const char *who, int approved, int64_t at)
{
	r->decisions[r->n_decisions++] = (struct wf_decision){ who, approved, at, 0 };
}

static int has(const struct run *r, enum wf_action_kind kind, int step)
{
	for (size_t i = 0; i < r->acts.n; i++)
		if (r->acts.v[i].kind == kind && (step < 0 || r->acts.v[i].step == step))
			return 1;
	return 0;
}

static void to_implementing(struct run *r)
{
	step(r, T0, WF_RESULT_NONE, 0);
	decide(r, "mgr@contoso.example", 1, T0 + HOUR);
	step(r, T0 + HOUR, WF_RESULT_NONE, 0);
	decide(r, "sec2@contoso.example", 1, T0 + 2 * HOUR);
	step(r, T0 + 2 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r->rec.state, WF_IMPLEMENTING);
	assert_true(has(r, WF_ACT_EXECUTE, 0));
}

static void test_happy_path(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_REQUEST_APPROVAL);
	assert_string_equal(r.acts.v[0].who, "mgr@contoso.example");

	decide(&r, "MGR@contoso.example", 1, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 1);
	assert_int_equal(r.acts.n, 2);

	decide(&r, "sec1@contoso.example", 1, T0 + 2 * HOUR);
	step(&r, T0 + 2 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_IMPLEMENTING);
	assert_true(has(&r, WF_ACT_EXECUTE, 0));

	step(&r, T0 + 2 * HOUR, WF_RESULT_OK, 0);
	assert_true(has(&r, WF_ACT_EXECUTE, 1));
	step(&r, T0 + 2 * HOUR, WF_RESULT_OK, 0);
	assert_int_equal(r.rec.state, WF_COMPLETED);
	assert_true(has(&r, WF_ACT_COMPLETE, -1));
	assert_int_equal(r.rec.granted, 3);

	step(&r, T0 + 100 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
	assert_int_equal(wf_next_timer(&r.rec, &r.plan), 0);
}

static void test_quorum_all(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.stages[1].quorum_all = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "mgr@contoso.example", 1, T0 + 1);
	step(&r, T0 + 1, WF_RESULT_NONE, 0);
	decide(&r, "sec1@contoso.example", 1, T0 + 2);
	step(&r, T0 + 2, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	decide(&r, "sec2@contoso.example", 1, T0 + 3);
	step(&r, T0 + 3, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_IMPLEMENTING);
}

static void test_rejection_at_stage_two(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "mgr@contoso.example", 1, T0 + 1);
	step(&r, T0 + 1, WF_RESULT_NONE, 0);
	decide(&r, "sec1@contoso.example", 0, T0 + 2);
	step(&r, T0 + 2, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_REJECTED);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_REJECT);
	assert_string_equal(r.acts.v[0].who, "sec1@contoso.example");
}

static void test_self_and_outsider_approvals_never_count(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.stages[0].approvers[1] = "alice@contoso.example"; /* policy slip: the requester listed */
	r.plan.stages[0].n_approvers = 2;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "alice@contoso.example", 1, T0 + 1);
	decide(&r, "mallory@contoso.example", 1, T0 + 2);
	decide(&r, "deputy@contoso.example", 1, T0 + 3); /* the backup, before escalation */
	step(&r, T0 + 10, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.acts.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(r.acts.v[i].kind, WF_ACT_IGNORE_DECISION);
	/* Noted once, not on every cycle. */
	step(&r, T0 + 20, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
	/* A rejection by an outsider does not end the request either. */
	decide(&r, "mallory@contoso.example", 0, T0 + 30);
	step(&r, T0 + 30, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
}

/* A decision counts only when its approver wrote it: one written on the
 * manager's record by someone else is noted and never counted, neither an
 * approval nor a rejection; the manager's own decision still counts. */
static void test_decision_by_another_hand_never_counts(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide_for(&r, "mgr@contoso.example", 1, T0 + 1);
	step(&r, T0 + 1, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 0);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_IGNORE_DECISION);
	assert_int_equal(r.acts.v[0].why, WF_IGNORE_OTHER_HAND);
	assert_string_equal(r.acts.v[0].who, "mgr@contoso.example");
	decide_for(&r, "mgr@contoso.example", 0, T0 + 2);
	step(&r, T0 + 2, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	/* The manager's own approval, later, counts. */
	decide(&r, "mgr@contoso.example", 1, T0 + 3);
	step(&r, T0 + 3, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.stage, 1);
	/* An outsider's decision is ignored as not an approver's, whoever wrote it. */
	decide_for(&r, "mallory@contoso.example", 1, T0 + 4);
	step(&r, T0 + 4, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.v[0].why, WF_IGNORE_NOT_APPROVER);
}

/* An approver known to leave counts until then: a decision made from the
 * leave date on is noted as such, and the stage waits for the backup. */
static void test_decision_after_the_leave_date_never_counts(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.stages[0].approver_leaves_ms[0] = T0 + HOUR;
	r.plan.stages[0].backup_leaves_ms[0] = 0;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "mgr@contoso.example", 1, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 0);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_IGNORE_DECISION);
	assert_int_equal(r.acts.v[0].why, WF_IGNORE_GONE);
	step(&r, T0 + 24 * HOUR, WF_RESULT_NONE, 0);
	assert_true(has(&r, WF_ACT_ESCALATE, -1));
	decide(&r, "deputy@contoso.example", 1, T0 + 25 * HOUR);
	step(&r, T0 + 25 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.stage, 1);

	/* Before the leave date the same decision counts. */
	r = (struct run){ .plan = two_stage_plan() };
	r.plan.stages[0].approver_leaves_ms[0] = T0 + HOUR;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "mgr@contoso.example", 1, T0 + HOUR - 1);
	step(&r, T0 + HOUR - 1, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.stage, 1);
}

/* An approval that arrives after the access's end date grants nothing:
 * the request expires (a sentence says why), nothing is executed and no
 * completion is announced. The end date is a timer while it waits. */
static void test_late_approval_grants_nothing(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.end_ms = T0 + 10 * HOUR;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(wf_next_timer(&r.rec, &r.plan), T0 + 8 * HOUR);
	decide(&r, "mgr@contoso.example", 1, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(wf_next_timer(&r.rec, &r.plan), T0 + 10 * HOUR);
	decide(&r, "sec1@contoso.example", 1, T0 + 10 * HOUR);
	step(&r, T0 + 10 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_EXPIRED);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_EXPIRE);
	assert_int_equal(r.rec.granted, 0);

	/* Without any decision, the end date alone ends the wait. */
	r = (struct run){ .plan = two_stage_plan() };
	r.plan.end_ms = T0 + 10 * HOUR;
	step(&r, T0, WF_RESULT_NONE, 0);
	step(&r, T0 + 10 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_EXPIRED);

	/* A rejection is still a rejection. */
	r = (struct run){ .plan = two_stage_plan() };
	r.plan.end_ms = T0 + 10 * HOUR;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "mgr@contoso.example", 0, T0 + 11 * HOUR);
	step(&r, T0 + 11 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_REJECTED);
}

/* The end date passing during the grant: no further step is executed, no
 * completion announced; what was granted is removed. */
static void test_end_date_during_the_grant(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.end_ms = T0 + 3 * HOUR;
	to_implementing(&r);
	step(&r, T0 + 3 * HOUR, WF_RESULT_OK, 0);
	assert_int_equal(r.rec.state, WF_REMOVING);
	assert_false(has(&r, WF_ACT_EXECUTE, -1));
	assert_true(has(&r, WF_ACT_UNDO, 0));
	step(&r, T0 + 3 * HOUR, WF_RESULT_OK, 0);
	assert_int_equal(r.rec.state, WF_REMOVED);
	assert_false(has(&r, WF_ACT_COMPLETE, -1));

	/* A retry due after the end date: nothing granted, so expired. */
	r = (struct run){ .plan = two_stage_plan() };
	r.plan.end_ms = T0 + 3 * HOUR;
	to_implementing(&r);
	step(&r, T0 + 2 * HOUR, WF_RESULT_TRANSIENT, 0);
	assert_true(has(&r, WF_ACT_RETRY_AT, 0));
	step(&r, T0 + 3 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_EXPIRED);
	assert_false(has(&r, WF_ACT_EXECUTE, -1));
}

static void test_remind_escalate_backup_approves(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(wf_next_timer(&r.rec, &r.plan), T0 + 8 * HOUR);
	step(&r, T0 + 8 * HOUR - 1, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
	step(&r, T0 + 8 * HOUR, WF_RESULT_NONE, 0);
	assert_true(has(&r, WF_ACT_REMIND, -1));
	step(&r, T0 + 9 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
	assert_int_equal(wf_next_timer(&r.rec, &r.plan), T0 + 24 * HOUR);
	step(&r, T0 + 24 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_ESCALATED);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_ESCALATE);
	assert_string_equal(r.acts.v[0].who, "deputy@contoso.example");
	decide(&r, "deputy@contoso.example", 1, T0 + 25 * HOUR);
	step(&r, T0 + 25 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 1);
}

/* Several backups: each is added at the escalation, and any one decides,
 * even for a stage whose quorum is "all"; before the escalation a backup's
 * decision is noted as ignored, and counts once the backups are added. */
static void test_every_backup_added_any_decides(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.stages[0].backups[1] = "deputy2@contoso.example";
	r.plan.stages[0].n_backups = 2;
	r.plan.stages[0].quorum_all = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "deputy2@contoso.example", 1, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_true(has(&r, WF_ACT_IGNORE_DECISION, -1));
	step(&r, T0 + 24 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_ESCALATED);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_ESCALATE);
	assert_string_equal(r.acts.v[0].who, "deputy@contoso.example");
	assert_int_equal(r.acts.v[1].kind, WF_ACT_ESCALATE);
	assert_string_equal(r.acts.v[1].who, "deputy2@contoso.example");
	step(&r, T0 + 24 * HOUR + 1, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 1);
}

static void test_expiry(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	step(&r, T0, WF_RESULT_NONE, 0);
	step(&r, T0 + 72 * HOUR - 1, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_ESCALATED);
	step(&r, T0 + 72 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_EXPIRED);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_EXPIRE);
}

static void test_sent_back_then_valid(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.valid = 0;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_SENT_BACK);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_SEND_BACK);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
	r.plan.valid = 1;
	step(&r, T0 + 2 * HOUR, WF_RESULT_NONE, 1);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage_since_ms, T0 + 2 * HOUR);
}

static void test_duplicate_and_already_has_access(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.duplicate = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_DUPLICATE);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_LINK_DUPLICATE);

	memset(&r.rec, 0, sizeof(r.rec));
	r.plan.duplicate = 0;
	r.plan.has_access = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_COMPLETED);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_COMPLETE);
	assert_int_equal(r.rec.granted, 0);
}

static void test_unstaffed_is_blocked_before_any_approval(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.unstaffed = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_BLOCKED);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_BLOCK);
	assert_true(wf_state_final(r.rec.state));
}

static void test_transient_then_success(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	to_implementing(&r);
	step(&r, T0 + 3 * HOUR, WF_RESULT_TRANSIENT, 0);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_RETRY_AT);
	assert_int_equal(r.acts.v[0].at_ms, T0 + 3 * HOUR + 1000);
	step(&r, T0 + 3 * HOUR + 999, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
	step(&r, T0 + 3 * HOUR + 1000, WF_RESULT_NONE, 0);
	assert_true(has(&r, WF_ACT_EXECUTE, 0));
	step(&r, T0 + 3 * HOUR + 1000, WF_RESULT_TRANSIENT, 0);
	assert_int_equal(r.acts.v[0].at_ms, T0 + 3 * HOUR + 3000);
	step(&r, T0 + 3 * HOUR + 3000, WF_RESULT_NONE, 0);
	step(&r, T0 + 3 * HOUR + 3000, WF_RESULT_OK, 0);
	assert_true(has(&r, WF_ACT_EXECUTE, 1));
	step(&r, T0 + 3 * HOUR + 3000, WF_RESULT_OK, 0);
	assert_int_equal(r.rec.state, WF_COMPLETED);
}

static void test_permanent_failure_blocks(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	to_implementing(&r);
	step(&r, T0 + 3 * HOUR, WF_RESULT_PERMANENT, 0);
	assert_int_equal(r.rec.state, WF_BLOCKED);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_BLOCK);
}

static void test_budget_exhausted_blocks(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	to_implementing(&r);
	for (int i = 0; i < 2; i++) {
		step(&r, T0 + 3 * HOUR, WF_RESULT_TRANSIENT, 0);
		assert_int_equal(r.acts.v[0].kind, WF_ACT_RETRY_AT);
		step(&r, r.rec.retry_at_ms, WF_RESULT_NONE, 0);
	}
	step(&r, T0 + 4 * HOUR, WF_RESULT_TRANSIENT, 0);
	assert_int_equal(r.rec.state, WF_BLOCKED);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_BLOCK);
}

static void test_partial_failure_rollback(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	to_implementing(&r);
	step(&r, T0 + 3 * HOUR, WF_RESULT_OK, 0);
	step(&r, T0 + 3 * HOUR, WF_RESULT_PERMANENT, 0);
	assert_int_equal(r.rec.state, WF_ROLLING_BACK);
	assert_true(has(&r, WF_ACT_UNDO, 0));
	step(&r, T0 + 3 * HOUR, WF_RESULT_OK, 0);
	assert_int_equal(r.rec.state, WF_ROLLED_BACK);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_BLOCK);
	assert_int_equal(r.rec.undone, r.rec.granted);
}

static void test_partial_failure_compensate(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.rollback = 0;
	to_implementing(&r);
	step(&r, T0 + 3 * HOUR, WF_RESULT_OK, 0);
	step(&r, T0 + 3 * HOUR, WF_RESULT_PERMANENT, 0);
	assert_int_equal(r.rec.state, WF_COMPENSATING);
	assert_int_equal(r.acts.n, 2);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_COMPENSATE);
	assert_int_equal(r.acts.v[1].kind, WF_ACT_BLOCK);
}

static void test_time_bound_access_is_removed(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.end_ms = T0 + 14 * 24 * HOUR;
	to_implementing(&r);
	step(&r, T0 + 3 * HOUR, WF_RESULT_OK, 0);
	step(&r, T0 + 3 * HOUR, WF_RESULT_OK, 0);
	assert_int_equal(r.rec.state, WF_ACTIVE);
	assert_int_equal(wf_next_timer(&r.rec, &r.plan), r.plan.end_ms);
	step(&r, r.plan.end_ms - 1, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
	step(&r, r.plan.end_ms, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_REMOVING);
	assert_true(has(&r, WF_ACT_UNDO, 1));
	step(&r, r.plan.end_ms, WF_RESULT_OK, 0);
	assert_true(has(&r, WF_ACT_UNDO, 0));
	step(&r, r.plan.end_ms, WF_RESULT_OK, 0);
	assert_int_equal(r.rec.state, WF_REMOVED);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_NOTE_REMOVED);
}

static void test_restart_reissues_the_step_in_flight(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	to_implementing(&r);
	/* The outcome was lost with the process: the same step comes again. */
	step(&r, T0 + 5 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 1);
	assert_true(has(&r, WF_ACT_EXECUTE, 0));
}

/* A ticket closed in the ITSM before the grant began ends the request,
 * and no approval after that grants anything; a rejection that came with
 * the closing still counts as one. */
static void test_ticket_closed_before_the_grant(void **state)
{
	struct run r = { .plan = two_stage_plan() };
	struct run sent_back = { .plan = two_stage_plan() }, fresh = { .plan = two_stage_plan() };
	struct run rejected = { .plan = two_stage_plan() };

	(void)state;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "mgr@contoso.example", 1, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.stage, 1);
	step_seen(&r, T0 + 2 * HOUR, WF_RESULT_NONE, 0, 1);
	assert_int_equal(r.rec.state, WF_WITHDRAWN);
	assert_true(wf_state_final(r.rec.state));
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_WITHDRAW);
	assert_string_equal(wf_state_name(r.rec.state), "withdrawn");
	decide(&r, "sec1@contoso.example", 1, T0 + 3 * HOUR);
	decide(&r, "sec2@contoso.example", 1, T0 + 3 * HOUR);
	step_seen(&r, T0 + 3 * HOUR, WF_RESULT_NONE, 0, 0);
	assert_int_equal(r.rec.state, WF_WITHDRAWN);
	assert_int_equal(r.acts.n, 0);
	assert_int_equal(wf_next_timer(&r.rec, &r.plan), 0);

	/* approvals arriving with the closing grant nothing either */
	step(&fresh, T0, WF_RESULT_NONE, 0);
	decide(&fresh, "mgr@contoso.example", 1, T0 + HOUR);
	step_seen(&fresh, T0 + HOUR, WF_RESULT_NONE, 0, 1);
	assert_int_equal(fresh.rec.state, WF_WITHDRAWN);

	decide(&rejected, "mgr@contoso.example", 0, T0 + HOUR);
	step(&rejected, T0, WF_RESULT_NONE, 0);
	step_seen(&rejected, T0 + HOUR, WF_RESULT_NONE, 0, 1);
	assert_int_equal(rejected.rec.state, WF_REJECTED);
	assert_int_equal(rejected.acts.v[0].kind, WF_ACT_REJECT);
	assert_string_equal(rejected.acts.v[0].who, "mgr@contoso.example");

	sent_back.plan.valid = 0;
	step(&sent_back, T0, WF_RESULT_NONE, 0);
	assert_int_equal(sent_back.rec.state, WF_SENT_BACK);
	sent_back.plan.valid = 1;
	step_seen(&sent_back, T0 + HOUR, WF_RESULT_NONE, 1, 1);
	assert_int_equal(sent_back.rec.state, WF_WITHDRAWN);

	memset(&fresh.rec, 0, sizeof(fresh.rec));
	step_seen(&fresh, T0, WF_RESULT_NONE, 0, 1);
	assert_int_equal(fresh.rec.state, WF_WITHDRAWN);
}

/* Once the grant began, the closed ticket changes nothing: the steps run
 * to their end (accessd closes the ticket itself when it completes). */
static void test_ticket_closed_after_the_grant_began(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	to_implementing(&r);
	step_seen(&r, T0 + 2 * HOUR, WF_RESULT_OK, 0, 1);
	assert_int_equal(r.rec.state, WF_IMPLEMENTING);
	assert_true(has(&r, WF_ACT_EXECUTE, 1));
	r.plan.end_ms = T0 + 48 * HOUR;
	step_seen(&r, T0 + 2 * HOUR, WF_RESULT_OK, 0, 1);
	assert_int_equal(r.rec.state, WF_ACTIVE);
	step_seen(&r, T0 + 3 * HOUR, WF_RESULT_NONE, 0, 1);
	assert_int_equal(r.rec.state, WF_ACTIVE);
	assert_int_equal(r.acts.n, 0);
	step_seen(&r, T0 + 48 * HOUR, WF_RESULT_NONE, 0, 1);
	assert_int_equal(r.rec.state, WF_REMOVING);
}

/* A stage a rule approved passes at once, with RULE_APPROVE, and the next
 * stage is asked; the rule's stage is never asked of anyone. */
static void test_rule_stage_passes_and_the_next_is_asked(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.stages[0].by_rule = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 1);
	assert_int_equal(r.rec.stage_since_ms, T0);
	assert_int_equal(r.acts.n, 3);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_RULE_APPROVE);
	assert_int_equal(r.acts.v[0].stage, 0);
	assert_int_equal(r.acts.v[1].kind, WF_ACT_REQUEST_APPROVAL);
	assert_string_equal(r.acts.v[1].who, "sec1@contoso.example");
	assert_false(has(&r, WF_ACT_EXECUTE, -1));
	/* The manager's approval counts for nothing now; security decides. */
	decide(&r, "mgr@contoso.example", 1, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_true(has(&r, WF_ACT_IGNORE_DECISION, -1));
	decide(&r, "sec1@contoso.example", 1, T0 + 2 * HOUR);
	step(&r, T0 + 2 * HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_IMPLEMENTING);
	assert_true(has(&r, WF_ACT_EXECUTE, 0));
}

/* Every stage by rule: straight to the grant; a rule stage after a
 * person's stage passes when that stage is approved. */
static void test_rule_stages_lead_to_the_grant(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.stages[0].by_rule = 1;
	r.plan.stages[1].by_rule = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_IMPLEMENTING);
	assert_int_equal(r.acts.n, 3);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_RULE_APPROVE);
	assert_int_equal(r.acts.v[1].kind, WF_ACT_RULE_APPROVE);
	assert_int_equal(r.acts.v[1].stage, 1);
	assert_int_equal(r.acts.v[2].kind, WF_ACT_EXECUTE);

	r = (struct run){ .plan = two_stage_plan() };
	r.plan.stages[1].by_rule = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 0);
	decide(&r, "mgr@contoso.example", 1, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_IMPLEMENTING);
	assert_true(has(&r, WF_ACT_RULE_APPROVE, -1));
	assert_true(has(&r, WF_ACT_EXECUTE, 0));
	assert_false(has(&r, WF_ACT_REQUEST_APPROVAL, -1));
}

/* A rule never overrides a person: a rejection by an approver or backup
 * of a stage a rule approved ends the request, whether it came before the
 * rule decided or while a later stage is waiting, and on a closed ticket. */
static void test_rule_never_overrides_a_rejection(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.stages[0].by_rule = 1;
	decide(&r, "deputy@contoso.example", 0, T0 - HOUR);
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_REJECTED);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_REJECT);
	assert_string_equal(r.acts.v[0].who, "deputy@contoso.example");
	assert_int_equal(r.acts.v[0].stage, 0);

	/* Rejected, then approved after all: the latest decision stands. */
	r = (struct run){ .plan = two_stage_plan() };
	r.plan.stages[0].by_rule = 1;
	decide(&r, "mgr@contoso.example", 0, T0 - 2 * HOUR);
	decide(&r, "mgr@contoso.example", 1, T0 - HOUR);
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 1);

	/* While security waits, the manager rejects: rejected, not ignored,
	 * at the manager's stage. */
	decide(&r, "mgr@contoso.example", 0, T0 + HOUR);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_REJECTED);
	assert_int_equal(r.rec.stage, 0);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_REJECT);
	assert_int_equal(r.acts.v[0].stage, 0);
	assert_string_equal(r.acts.v[0].who, "mgr@contoso.example");

	/* Neither the requester nor the person counts, as ever. */
	r = (struct run){ .plan = two_stage_plan() };
	r.plan.stages[0].by_rule = 1;
	r.plan.stages[0].approvers[1] = "alice@contoso.example";
	r.plan.stages[0].n_approvers = 2;
	decide(&r, "alice@contoso.example", 0, T0 - HOUR);
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_AWAITING);
	assert_int_equal(r.rec.stage, 1);

	/* Closed in the ITSM with the manager's rejection: rejected. */
	r = (struct run){ .plan = two_stage_plan() };
	r.plan.stages[0].by_rule = 1;
	step(&r, T0, WF_RESULT_NONE, 0);
	decide(&r, "mgr@contoso.example", 0, T0 + HOUR);
	step_seen(&r, T0 + HOUR, WF_RESULT_NONE, 0, 1);
	assert_int_equal(r.rec.state, WF_REJECTED);
	assert_int_equal(r.acts.v[0].stage, 0);
	assert_string_equal(r.acts.v[0].who, "mgr@contoso.example");
}

/* An item's rule rejects a valid request before anyone is asked. */
static void test_rule_rejects_at_once(void **state)
{
	struct run r = { .plan = two_stage_plan() };

	(void)state;
	r.plan.rule_rejected = 1;
	r.plan.n_stages = 0;
	r.plan.n_steps = 0;
	step(&r, T0, WF_RESULT_NONE, 0);
	assert_int_equal(r.rec.state, WF_REJECTED);
	assert_int_equal(r.acts.n, 1);
	assert_int_equal(r.acts.v[0].kind, WF_ACT_RULE_REJECT);
	step(&r, T0 + HOUR, WF_RESULT_NONE, 0);
	assert_int_equal(r.acts.n, 0);
}

static void test_bad_plan_refused(void **state)
{
	struct run r = { .plan = two_stage_plan() };
	struct wf_input ev = { 0 };
	struct wf_record out = { .state = WF_BLOCKED };

	(void)state;
	r.plan.n_stages = WF_MAX_STAGES + 1;
	assert_int_equal(wf_decide(&r.rec, &r.plan, &ev, T0, &out, &r.acts), -EINVAL);
	assert_int_equal(out.state, WF_BLOCKED);
	assert_string_equal(wf_state_name(WF_AWAITING), "awaiting-approval");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path),
		cmocka_unit_test(test_quorum_all),
		cmocka_unit_test(test_rejection_at_stage_two),
		cmocka_unit_test(test_self_and_outsider_approvals_never_count),
		cmocka_unit_test(test_decision_by_another_hand_never_counts),
		cmocka_unit_test(test_decision_after_the_leave_date_never_counts),
		cmocka_unit_test(test_late_approval_grants_nothing),
		cmocka_unit_test(test_end_date_during_the_grant),
		cmocka_unit_test(test_remind_escalate_backup_approves),
		cmocka_unit_test(test_every_backup_added_any_decides),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_sent_back_then_valid),
		cmocka_unit_test(test_duplicate_and_already_has_access),
		cmocka_unit_test(test_unstaffed_is_blocked_before_any_approval),
		cmocka_unit_test(test_transient_then_success),
		cmocka_unit_test(test_permanent_failure_blocks),
		cmocka_unit_test(test_budget_exhausted_blocks),
		cmocka_unit_test(test_partial_failure_rollback),
		cmocka_unit_test(test_partial_failure_compensate),
		cmocka_unit_test(test_time_bound_access_is_removed),
		cmocka_unit_test(test_restart_reissues_the_step_in_flight),
		cmocka_unit_test(test_ticket_closed_before_the_grant),
		cmocka_unit_test(test_ticket_closed_after_the_grant_began),
		cmocka_unit_test(test_rule_stage_passes_and_the_next_is_asked),
		cmocka_unit_test(test_rule_stages_lead_to_the_grant),
		cmocka_unit_test(test_rule_never_overrides_a_rejection),
		cmocka_unit_test(test_rule_rejects_at_once),
		cmocka_unit_test(test_bad_plan_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
