/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "workflow.h"

static const char *const state_names[] = {
	[WF_NEW] = "new",
	[WF_SENT_BACK] = "sent-back",
	[WF_AWAITING] = "awaiting-approval",
	[WF_ESCALATED] = "escalated",
	[WF_IMPLEMENTING] = "implementing",
	[WF_ACTIVE] = "active",
	[WF_REMOVING] = "removing",
	[WF_ROLLING_BACK] = "rolling-back",
	[WF_COMPLETED] = "completed",
	[WF_REJECTED] = "rejected",
	[WF_EXPIRED] = "expired",
	[WF_BLOCKED] = "blocked",
	[WF_ROLLED_BACK] = "rolled-back",
	[WF_COMPENSATING] = "compensating",
	[WF_REMOVED] = "removed",
	[WF_DUPLICATE] = "duplicate",
	[WF_WITHDRAWN] = "withdrawn",
};

const char *wf_state_name(enum wf_state state)
{
	if ((size_t)state < sizeof(state_names) / sizeof(state_names[0]) && state_names[state])
		return state_names[state];
	return "unknown";
}

int wf_state_final(enum wf_state state)
{
	return state >= WF_COMPLETED;
}

static void act(struct wf_actions *acts, enum wf_action_kind kind, int stage, int step, const char *who,
		int64_t at_ms)
{
	/* Bounded by construction: a call emits at most one action per
	 * approver or step plus a few more, and WF_MAX_ACTIONS covers that. */
	if (acts->n < WF_MAX_ACTIONS)
		acts->v[acts->n++] = (struct wf_action){ kind, stage, step, who, at_ms, WF_IGNORE_NOT_APPROVER };
}

/* UPNs compare without regard to case, as the directory does. */
static int same(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

static int is_listed(const struct wf_stage *st, const char *who)
{
	for (size_t i = 0; i < st->n_approvers; i++)
		if (same(st->approvers[i], who))
			return 1;
	return 0;
}

static int is_backup(const struct wf_stage *st, const char *who)
{
	for (size_t i = 0; i < st->n_backups; i++)
		if (same(st->backups[i], who))
			return 1;
	return 0;
}

static int eligible(const struct wf_plan *plan, const struct wf_record *r, const char *who)
{
	const struct wf_stage *st = &plan->stages[r->stage];

	if (!who || same(who, plan->requester) || same(who, plan->subject))
		return 0;
	return is_listed(st, who) || (r->escalated && is_backup(st, who));
}

/* When WHO, an approver or backup of ST, leaves (0: not known). */
static int64_t leaves_at(const struct wf_stage *st, const char *who)
{
	for (size_t i = 0; i < st->n_approvers; i++)
		if (same(st->approvers[i], who) && st->approver_leaves_ms[i])
			return st->approver_leaves_ms[i];
	for (size_t i = 0; i < st->n_backups; i++)
		if (same(st->backups[i], who) && st->backup_leaves_ms[i])
			return st->backup_leaves_ms[i];
	return 0;
}

/* Why decision D does not count for the current stage; -1: it counts. */
static int why_not(const struct wf_plan *plan, const struct wf_record *r, const struct wf_decision *d)
{
	int64_t leaves;

	if (!eligible(plan, r, d->approver))
		return WF_IGNORE_NOT_APPROVER;
	if (!d->by_approver)
		return WF_IGNORE_OTHER_HAND;
	leaves = leaves_at(&plan->stages[r->stage], d->approver);
	if (leaves && d->at_ms >= leaves)
		return WF_IGNORE_GONE;
	return -1;
}

/* The latest decision WHO made themselves in the current stage while they
 * could, or NULL. One written by someone else is not theirs at all. */
static const struct wf_decision *latest(const struct wf_plan *plan, const struct wf_input *ev,
					const struct wf_record *r, const char *who)
{
	const struct wf_decision *best = NULL;

	for (size_t i = 0; i < ev->n_decisions; i++) {
		const struct wf_decision *d = &ev->decisions[i];

		if (d->at_ms < r->stage_since_ms || !same(d->approver, who) || why_not(plan, r, d) >= 0)
			continue;
		if (!best || d->at_ms >= best->at_ms)
			best = d;
	}
	return best;
}

/* The person of stage S (an approver or backup, neither the requester nor
 * the person) whose latest decision, whenever made, is a rejection; NULL
 * when none. For a stage a rule approved: the rule never overrides them. */
static const char *rule_stage_rejecter(const struct wf_plan *plan, size_t s, const struct wf_input *ev)
{
	const struct wf_stage *st = &plan->stages[s];

	for (size_t i = 0; i < ev->n_decisions; i++) {
		const struct wf_decision *d = &ev->decisions[i];
		int later = 0;

		if (d->approved || !d->approver || same(d->approver, plan->requester) || same(d->approver, plan->subject) ||
		    !(is_listed(st, d->approver) || is_backup(st, d->approver)))
			continue;
		for (size_t k = 0; k < ev->n_decisions; k++)
			later |= k != i && same(ev->decisions[k].approver, d->approver) &&
				 (ev->decisions[k].at_ms > d->at_ms || (ev->decisions[k].at_ms == d->at_ms && k > i));
		if (!later)
			return d->approver;
	}
	return NULL;
}

/* A person's rejection of a stage before the current one that a rule
 * approved; NULL when none. *STAGE is set to that stage. */
static const char *overruled(const struct wf_plan *plan, const struct wf_record *r, const struct wf_input *ev,
			     int *stage)
{
	const char *who;

	for (int s = 0; s < r->stage; s++)
		if (plan->stages[s].by_rule && (who = rule_stage_rejecter(plan, (size_t)s, ev))) {
			*stage = s;
			return who;
		}
	return NULL;
}

enum verdict { PENDING, APPROVED, REJECTED };

/* Count the current stage's decisions. Sets *rejecter on a rejection. */
static enum verdict stage_verdict(const struct wf_plan *plan, const struct wf_record *r,
				  const struct wf_input *ev, const char **rejecter)
{
	const struct wf_stage *st = &plan->stages[r->stage];
	const struct wf_decision *d;
	size_t approvals = 0;
	int backup_approved = 0;

	for (size_t i = 0; i < ev->n_decisions; i++) {
		d = &ev->decisions[i];
		if (d->at_ms < r->stage_since_ms || why_not(plan, r, d) >= 0)
			continue;
		if (latest(plan, ev, r, d->approver) == d && !d->approved) {
			*rejecter = d->approver;
			return REJECTED;
		}
	}
	for (size_t i = 0; i < st->n_approvers; i++) {
		if (!eligible(plan, r, st->approvers[i]))
			continue;
		d = latest(plan, ev, r, st->approvers[i]);
		if (d && d->approved)
			approvals++;
	}
	for (size_t i = 0; r->escalated && i < st->n_backups; i++) {
		if (!eligible(plan, r, st->backups[i]) || is_listed(st, st->backups[i]))
			continue;
		d = latest(plan, ev, r, st->backups[i]);
		backup_approved |= d && d->approved;
	}
	if (st->quorum_all)
		return (st->n_approvers > 0 && approvals == st->n_approvers) || backup_approved ? APPROVED : PENDING;
	return approvals > 0 || backup_approved ? APPROVED : PENDING;
}

/* Note decisions that do not count for this stage, once each, with why. */
static void note_ignored(const struct wf_plan *plan, struct wf_record *r, const struct wf_input *ev,
			 struct wf_actions *acts)
{
	int64_t seen = r->seen_ms;

	for (size_t i = 0; i < ev->n_decisions; i++) {
		const struct wf_decision *d = &ev->decisions[i];
		int why;

		if (d->at_ms <= r->seen_ms)
			continue;
		if (d->at_ms > seen)
			seen = d->at_ms;
		if (d->at_ms < r->stage_since_ms || (why = why_not(plan, r, d)) < 0)
			continue;
		act(acts, WF_ACT_IGNORE_DECISION, r->stage, 0, d->approver, d->at_ms);
		if (acts->n > 0 && acts->v[acts->n - 1].kind == WF_ACT_IGNORE_DECISION)
			acts->v[acts->n - 1].why = (enum wf_ignore)why;
	}
	r->seen_ms = seen;
}

static void start_step(struct wf_record *r, enum wf_state state, int step, struct wf_actions *acts)
{
	r->state = state;
	r->step = step;
	r->attempts = 0;
	r->retry_at_ms = 0;
	act(acts, state == WF_IMPLEMENTING ? WF_ACT_EXECUTE : WF_ACT_UNDO, r->stage, step, NULL, 0);
}

/* The highest step that was granted and not yet undone, or -1. */
static int next_undo(const struct wf_record *r)
{
	for (int j = WF_MAX_STEPS - 1; j >= 0; j--)
		if ((r->granted & (1u << j)) && !(r->undone & (1u << j)))
			return j;
	return -1;
}

/* Whether the access's end date has passed: nothing is granted then. */
static int too_late(const struct wf_plan *plan, int64_t now)
{
	return plan->end_ms > 0 && now >= plan->end_ms;
}

/* The end date passed before the grant was done: nothing more is granted.
 * Steps already granted are removed, as at the end date; with none, the
 * request ends expired and says why. */
static void end_passed(struct wf_record *r, struct wf_actions *acts)
{
	int j = next_undo(r);

	if (j >= 0) {
		start_step(r, WF_REMOVING, j, acts);
		return;
	}
	r->state = WF_EXPIRED;
	act(acts, WF_ACT_EXPIRE, r->stage, 0, NULL, 0);
}

static void begin_execution(const struct wf_plan *plan, struct wf_record *r, int64_t now, struct wf_actions *acts)
{
	if (too_late(plan, now)) {
		end_passed(r, acts);
		return;
	}
	if (plan->n_steps == 0) {
		r->state = WF_COMPLETED;
		act(acts, WF_ACT_COMPLETE, r->stage, 0, NULL, 0);
		return;
	}
	start_step(r, WF_IMPLEMENTING, 0, acts);
}

static void reject(struct wf_record *r, const char *rejecter, struct wf_actions *acts)
{
	r->state = WF_REJECTED;
	act(acts, WF_ACT_REJECT, r->stage, 0, rejecter, 0);
}

/* Enter STAGE; a stage a rule approved passes at once, unless one of its
 * people rejected. */
static void enter_stage(const struct wf_plan *plan, struct wf_record *r, int stage, const struct wf_input *ev,
			int64_t now, struct wf_actions *acts)
{
	const struct wf_stage *st;

	for (; (size_t)stage < plan->n_stages && plan->stages[stage].by_rule; stage++) {
		const char *rejecter = rule_stage_rejecter(plan, (size_t)stage, ev);

		r->stage = stage;
		r->stage_since_ms = now;
		if (rejecter) {
			reject(r, rejecter, acts);
			return;
		}
		act(acts, WF_ACT_RULE_APPROVE, stage, 0, NULL, 0);
	}
	if ((size_t)stage == plan->n_stages) {
		begin_execution(plan, r, now, acts);
		return;
	}
	st = &plan->stages[stage];
	r->state = WF_AWAITING;
	r->stage = stage;
	r->stage_since_ms = now;
	r->reminded = 0;
	r->escalated = 0;
	for (size_t i = 0; i < st->n_approvers; i++)
		act(acts, WF_ACT_REQUEST_APPROVAL, stage, 0, st->approvers[i], 0);
}

static void start(const struct wf_plan *plan, struct wf_record *r, const struct wf_input *ev, int64_t now,
		  struct wf_actions *acts)
{
	if (plan->duplicate) {
		r->state = WF_DUPLICATE;
		act(acts, WF_ACT_LINK_DUPLICATE, 0, 0, NULL, 0);
	} else if (!plan->valid) {
		r->state = WF_SENT_BACK;
		act(acts, WF_ACT_SEND_BACK, 0, 0, NULL, 0);
	} else if (plan->has_access) {
		r->state = WF_COMPLETED;
		act(acts, WF_ACT_COMPLETE, 0, 0, NULL, 0);
	} else if (plan->rule_rejected) {
		r->state = WF_REJECTED;
		act(acts, WF_ACT_RULE_REJECT, 0, 0, NULL, 0);
	} else if (plan->unstaffed) {
		r->state = WF_BLOCKED;
		act(acts, WF_ACT_BLOCK, 0, 0, NULL, 0);
	} else if (plan->n_stages > 0) {
		enter_stage(plan, r, 0, ev, now, acts);
	} else {
		begin_execution(plan, r, now, acts);
	}
}

static void await(const struct wf_plan *plan, struct wf_record *r, const struct wf_input *ev, int64_t now,
		  struct wf_actions *acts)
{
	const struct wf_stage *st = &plan->stages[r->stage];
	int stage = r->stage;
	const char *rejecter = overruled(plan, r, ev, &stage);

	if (rejecter) {
		/* The request ends at the stage the person rejected. */
		r->stage = stage;
		reject(r, rejecter, acts);
		return;
	}
	note_ignored(plan, r, ev, acts);
	switch (stage_verdict(plan, r, ev, &rejecter)) {
	case REJECTED:
		reject(r, rejecter, acts);
		return;
	case APPROVED:
		if (too_late(plan, now))
			break;
		if ((size_t)r->stage + 1 < plan->n_stages)
			enter_stage(plan, r, r->stage + 1, ev, now, acts);
		else
			begin_execution(plan, r, now, acts);
		return;
	case PENDING:
		break;
	}
	/* Approved or not, an approval after the end date grants nothing. */
	if (too_late(plan, now)) {
		end_passed(r, acts);
		return;
	}
	if (st->expire_after_ms > 0 && now >= r->stage_since_ms + st->expire_after_ms) {
		r->state = WF_EXPIRED;
		act(acts, WF_ACT_EXPIRE, r->stage, 0, NULL, 0);
		return;
	}
	if (!r->escalated && st->n_backups > 0 && st->escalate_after_ms > 0 &&
	    now >= r->stage_since_ms + st->escalate_after_ms) {
		r->state = WF_ESCALATED;
		r->escalated = 1;
		for (size_t i = 0; i < st->n_backups; i++)
			act(acts, WF_ACT_ESCALATE, r->stage, 0, st->backups[i], 0);
	}
	if (!r->reminded && st->remind_after_ms > 0 && now >= r->stage_since_ms + st->remind_after_ms) {
		r->reminded = 1;
		act(acts, WF_ACT_REMIND, r->stage, 0, NULL, 0);
	}
}

static void block(struct wf_record *r, enum wf_state state, struct wf_actions *acts)
{
	r->state = state;
	act(acts, WF_ACT_BLOCK, r->stage, r->step, NULL, 0);
}

/* The step in flight failed for good (or ran out of attempts). */
static void step_failed(const struct wf_plan *plan, struct wf_record *r, struct wf_actions *acts)
{
	int j;

	if (r->state != WF_IMPLEMENTING) {
		block(r, WF_BLOCKED, acts);
		return;
	}
	if (r->granted == 0) {
		block(r, WF_BLOCKED, acts);
	} else if (plan->rollback) {
		j = next_undo(r);
		start_step(r, WF_ROLLING_BACK, j, acts);
	} else {
		act(acts, WF_ACT_COMPENSATE, r->stage, r->step, NULL, 0);
		block(r, WF_COMPENSATING, acts);
	}
}

static void step_succeeded(const struct wf_plan *plan, struct wf_record *r, int64_t now, struct wf_actions *acts)
{
	int j;

	if (r->state == WF_IMPLEMENTING) {
		r->granted |= 1u << r->step;
		if (too_late(plan, now)) {
			end_passed(r, acts);
			return;
		}
		if ((size_t)r->step + 1 < plan->n_steps) {
			start_step(r, WF_IMPLEMENTING, r->step + 1, acts);
			return;
		}
		r->state = plan->end_ms > 0 ? WF_ACTIVE : WF_COMPLETED;
		act(acts, WF_ACT_COMPLETE, r->stage, r->step, NULL, 0);
		return;
	}
	r->undone |= 1u << r->step;
	j = next_undo(r);
	if (j >= 0) {
		start_step(r, r->state, j, acts);
	} else if (r->state == WF_ROLLING_BACK) {
		block(r, WF_ROLLED_BACK, acts);
	} else {
		r->state = WF_REMOVED;
		act(acts, WF_ACT_NOTE_REMOVED, r->stage, r->step, NULL, 0);
	}
}

/* IMPLEMENTING, ROLLING_BACK and REMOVING: one step in flight at a time. */
static void run_step(const struct wf_plan *plan, struct wf_record *r, const struct wf_input *ev, int64_t now,
		     struct wf_actions *acts)
{
	switch (ev->result) {
	case WF_RESULT_OK:
		step_succeeded(plan, r, now, acts);
		return;
	case WF_RESULT_TRANSIENT:
		if (++r->attempts < plan->max_attempts) {
			int shift = r->attempts - 1 < 20 ? r->attempts - 1 : 20;

			r->retry_at_ms = now + (plan->retry_backoff_ms << shift);
			act(acts, WF_ACT_RETRY_AT, r->stage, r->step, NULL, r->retry_at_ms);
			return;
		}
		step_failed(plan, r, acts);
		return;
	case WF_RESULT_PERMANENT:
		step_failed(plan, r, acts);
		return;
	case WF_RESULT_NONE:
		/* Nothing came back for the step in flight: it is due again
		 * (after a crash the shell re-checks the target before acting). */
		if (r->retry_at_ms > now)
			return;
		r->retry_at_ms = 0;
		if (r->state == WF_IMPLEMENTING && too_late(plan, now)) {
			end_passed(r, acts);
			return;
		}
		act(acts, r->state == WF_IMPLEMENTING ? WF_ACT_EXECUTE : WF_ACT_UNDO, r->stage, r->step, NULL, 0);
		return;
	}
}

static int plan_ok(const struct wf_plan *plan)
{
	if (plan->n_stages > WF_MAX_STAGES || plan->n_steps > WF_MAX_STEPS)
		return 0;
	for (size_t i = 0; i < plan->n_stages; i++)
		if (plan->stages[i].n_approvers > WF_MAX_APPROVERS || plan->stages[i].n_backups > WF_MAX_APPROVERS)
			return 0;
	return plan->max_attempts >= 1 && plan->retry_backoff_ms >= 0;
}

int wf_decide(const struct wf_record *in, const struct wf_plan *plan, const struct wf_input *ev, int64_t now_ms,
	      struct wf_record *out, struct wf_actions *acts)
{
	struct wf_actions a = { .n = 0 };
	struct wf_record r = *in;

	if (!plan_ok(plan) || (size_t)r.stage >= WF_MAX_STAGES || r.step < 0 || r.step >= WF_MAX_STEPS)
		return -EINVAL;
	if ((r.state == WF_AWAITING || r.state == WF_ESCALATED) && (size_t)r.stage >= plan->n_stages)
		return -EINVAL;

	/* Closed in the ITSM (withdrawn, or closed by hand) before anything
	 * was granted: it ends, and a decision arriving later counts for
	 * nothing. A rejection that came with the closing (an ITSM's own
	 * flow closes a rejected ticket) still ends it as rejected. From
	 * IMPLEMENTING on, the grant and its record run to their end:
	 * accessd closes the ticket itself when it completes. */
	if (ev->ticket_closed &&
	    (r.state == WF_NEW || r.state == WF_SENT_BACK || r.state == WF_AWAITING || r.state == WF_ESCALATED)) {
		const char *rejecter = NULL;
		int stage = r.stage;

		if ((r.state == WF_AWAITING || r.state == WF_ESCALATED) &&
		    ((rejecter = overruled(plan, &r, ev, &stage)) || stage_verdict(plan, &r, ev, &rejecter) == REJECTED)) {
			r.stage = stage;
			reject(&r, rejecter, &a);
		} else {
			r.state = WF_WITHDRAWN;
			act(&a, WF_ACT_WITHDRAW, r.stage, 0, NULL, 0);
		}
		goto done;
	}
	switch (r.state) {
	case WF_SENT_BACK:
		/* It waits for the requester's edit, then is validated again. */
		if (ev->request_changed)
			start(plan, &r, ev, now_ms, &a);
		break;
	case WF_NEW:
		start(plan, &r, ev, now_ms, &a);
		break;
	case WF_AWAITING:
	case WF_ESCALATED:
		await(plan, &r, ev, now_ms, &a);
		break;
	case WF_IMPLEMENTING:
	case WF_ROLLING_BACK:
	case WF_REMOVING:
		run_step(plan, &r, ev, now_ms, &a);
		break;
	case WF_ACTIVE:
		if (now_ms >= plan->end_ms) {
			int j = next_undo(&r);

			if (j >= 0)
				start_step(&r, WF_REMOVING, j, &a);
			else {
				r.state = WF_REMOVED;
				act(&a, WF_ACT_NOTE_REMOVED, r.stage, 0, NULL, 0);
			}
		}
		break;
	default:
		break;
	}
done:
	*out = r;
	*acts = a;
	return 0;
}

static int64_t earliest(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

int64_t wf_next_timer(const struct wf_record *rec, const struct wf_plan *plan)
{
	const struct wf_stage *st;
	int64_t t = 0;

	switch (rec->state) {
	case WF_AWAITING:
	case WF_ESCALATED:
		if ((size_t)rec->stage >= plan->n_stages)
			return 0;
		st = &plan->stages[rec->stage];
		if (!rec->reminded && st->remind_after_ms > 0)
			t = earliest(t, rec->stage_since_ms + st->remind_after_ms);
		if (!rec->escalated && st->n_backups > 0 && st->escalate_after_ms > 0)
			t = earliest(t, rec->stage_since_ms + st->escalate_after_ms);
		if (st->expire_after_ms > 0)
			t = earliest(t, rec->stage_since_ms + st->expire_after_ms);
		/* The end date ends a request still waiting for approval. */
		return earliest(t, plan->end_ms);
	case WF_IMPLEMENTING:
	case WF_ROLLING_BACK:
	case WF_REMOVING:
		return rec->retry_at_ms;
	case WF_ACTIVE:
		return plan->end_ms;
	default:
		return 0;
	}
}
