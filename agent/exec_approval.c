/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "exec.h"
#include "store/state.h"
#include "util/json.h"
#include "util/log.h"

/* The current stage's name for a sentence. */
static const char *stage(struct exec_run *x)
{
	const char *name = exec_stage_name(x, x->stage);

	return name ? name : "?";
}

/* TEXT as a work note, audited as KIND by WHO. Returns 0, or the write's
 * error (nothing is audited then). */
static int on_ticket(struct exec_run *x, enum audit_kind kind, const char *who, const char *text)
{
	int r = exec_note(x, text);

	if (r == 0)
		exec_audit(x, kind, who, text, NULL, NULL);
	return r;
}

/* The ticket moved to PHASE with TEXT as its work note and as a comment
 * for the requester; then audited as on_ticket. */
static int move_ticket(struct exec_run *x, enum ticket_phase phase, enum audit_kind kind, const char *who,
			const char *text)
{
	int r = exec_set_phase(x, phase, text);

	if (r == 0)
		r = exec_comment(x, text);
	if (r == 0)
		exec_audit(x, kind, who, text, NULL, NULL);
	return r;
}

static int ask(struct exec_run *x, const char *who, int escalation)
{
	char *approver = NULL, *approval = NULL, text[512];
	int r;

	if (!who) {
		x->result = WF_RESULT_PERMANENT;
		return -EINVAL;
	}
	if (x->a->cfg->policy.approvals == APPROVALS_OBSERVE) {
		/* The ITSM's own flow asks; its records are checked as they come. */
		exec_audit(x, escalation ? AUDIT_ESCALATION : AUDIT_APPROVAL_REQUESTED, who, "observe mode: the ITSM asks",
		      NULL, NULL);
		return 0;
	}
	r = itsm_find_user(x->a->itsm, who, &approver);
	if (r == -ENOENT) {
		snprintf(text, sizeof(text), "The approver %s has no account in the ITSM; the stage waits for its "
					     "backup or expires.", who);
		exec_note(x, text);
		x->result = WF_RESULT_PERMANENT;
		return r;
	}
	if (exec_itsm_failed(x, "finding the approver", r) < 0)
		return r;
	r = itsm_create_approval(x->a->itsm, x->r->id, approver, x->id, &approval);
	if (exec_itsm_failed(x, "creating the approval", r) < 0)
		goto done;
	exec_add_str(x, "approval", approval);
	exec_add_str(x, "approver", who);
	exec_audit(x, escalation ? AUDIT_ESCALATION : AUDIT_APPROVAL_REQUESTED, who, approval, NULL, NULL);
done:
	free(approver);
	free(approval);
	return r;
}

/* A stand-in approver: say on the ticket who is skipped and why. */
static int note_substitute(struct exec_run *x)
{
	const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x->r->plan->root, "stages"), x->stage);
	const cJSON *s;
	char text[512];

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "substitutes")) {
		const char *upn = json_str(s, "upn"), *reason = json_str(s, "reason"), *why = json_str(s, "why");

		if (!upn || strcasecmp(upn, x->who) != 0)
			continue;
		if (why)
			snprintf(text, sizeof(text), "Stage \"%s\": %s, so %s approves instead.",
				 json_str(st, "name") ? json_str(st, "name") : "?", why, upn);
		else
			snprintf(text, sizeof(text),
				 "Stage \"%s\": the primary approver cannot decide (%s), so %s approves instead.",
				 json_str(st, "name") ? json_str(st, "name") : "?", reason ? reason : "?", upn);
		if (exec_note(x, text) < 0)
			return -EAGAIN;
		exec_audit(x, AUDIT_ESCALATION, upn, text, NULL, NULL);
	}
	return 0;
}

int exec_request_approval(struct exec_run *x)
{
	if (ask(x, x->who, 0) < 0)
		return 0;
	note_substitute(x);
	return 0;
}

int exec_escalate(struct exec_run *x)
{
	struct notice n = { 0 };

	if (ask(x, x->who, 1) < 0)
		return 0;
	if (notice_escalated(x, &n) < 0)
		x->oom = 1;
	else if (exec_note(x, n.text) == 0)
		exec_notify(x, &n);
	notice_clear(&n);
	return 0;
}

/* A reminder names the approvers still to decide, on the ticket and in the
 * service-desk channel, where someone can chase them before escalation. */
int exec_remind(struct exec_run *x)
{
	struct notice n = { 0 };

	if (notice_reminder(x, &n) < 0)
		x->oom = 1;
	else if (on_ticket(x, AUDIT_REMINDER, NULL, n.text) == 0)
		exec_notify(x, &n);
	notice_clear(&n);
	return 0;
}

/* The ticket is closed already, so the note changes no state and the
 * requester, who closed it or was told by whoever did, gets no comment. */
int exec_withdraw(struct exec_run *x)
{
	on_ticket(x, AUDIT_WITHDRAWN, NULL,
		  "The request was closed before every approval was in: accessd stopped working on it and "
		  "granted nothing. A decision recorded from now on changes nothing.");
	return 0;
}

/* The string member NAME of the journaled data of X->who's approval record
 * (the one decided at AT; 0: the last one), copied into BUF; NULL when no
 * such record has it. */
static const char *approval_member(struct exec_run *x, const char *name, int64_t at, char *buf, size_t size)
{
	const struct state_request *sr = state_request_find(x->a->state, x->r->source, x->r->id);
	const char *found = NULL;

	buf[0] = '\0';
	for (size_t i = 0; sr && i < sr->n_approvals; i++) {
		const struct state_approval *ap = &sr->approvals[i];
		cJSON *data;

		if (!ap->approver || !x->who || strcasecmp(ap->approver, x->who) != 0 || (at && ap->at_ms != at) ||
		    !ap->data)
			continue;
		data = cJSON_Parse(ap->data);
		if (json_str(data, name) && *json_str(data, name)) {
			snprintf(buf, size, "%s", json_str(data, name));
			found = buf;
		}
		cJSON_Delete(data);
	}
	return found;
}

int exec_ignore_decision(struct exec_run *x)
{
	char text[512], by[128];
	const char *who = x->who ? x->who : "?", *hand;

	switch (x->why) {
	case WF_IGNORE_OTHER_HAND:
		hand = approval_member(x, "by", x->at, by, sizeof(by));
		snprintf(text, sizeof(text),
			 "A decision on %s's approval for stage \"%s\" was ignored: %s%s%s wrote it, not %s, and only "
			 "an approver's own decision counts.",
			 who, stage(x), hand ? "\"" : "", hand ? hand : "someone the ITSM does not name", hand ? "\"" : "",
			 who);
		break;
	case WF_IGNORE_GONE:
		snprintf(text, sizeof(text),
			 "A decision by %s for stage \"%s\" was ignored: it came after they left the organisation.", who,
			 stage(x));
		break;
	default:
		snprintf(text, sizeof(text),
			 "A decision by %s was ignored: they are not an approver of stage \"%s\" (or it is their own "
			 "request).",
			 who, stage(x));
		break;
	}
	on_ticket(x, AUDIT_APPROVAL_IGNORED, x->who, text);
	return 0;
}

int exec_reject(struct exec_run *x)
{
	struct notice n = { 0 };
	char why[512];

	if (notice_rejected(x, NULL, approval_member(x, "comments", 0, why, sizeof(why)), &n) < 0)
		x->oom = 1;
	else if (move_ticket(x, TICKET_REJECTED, AUDIT_REJECTED, x->who, n.text) == 0)
		exec_notify(x, &n);
	notice_clear(&n);
	return 0;
}

int exec_expire(struct exec_run *x)
{
	struct notice n = { 0 };

	if (notice_expired(x, &n) < 0)
		x->oom = 1;
	else if (move_ticket(x, TICKET_EXPIRED, AUDIT_EXPIRED, NULL, n.text) == 0)
		exec_notify(x, &n);
	notice_clear(&n);
	return 0;
}

int exec_send_back(struct exec_run *x)
{
	char *problems = plan_problems(x->r->plan), *text = NULL;

	if (!problems || asprintf(&text, "This request cannot go ahead yet:\n%sPlease update the request; it is "
					 "checked again when it changes.",
				  problems) < 0) {
		text = NULL;
		x->oom = 1;
		goto done;
	}
	move_ticket(x, TICKET_SENT_BACK, AUDIT_SENT_BACK, NULL, text);
done:
	free(problems);
	free(text);
	return 0;
}

int exec_link_duplicate(struct exec_run *x)
{
	char text[512];
	const char *dup = json_str(x->r->plan->root, "duplicate_of");

	snprintf(text, sizeof(text), "Duplicate of %s, which already asks for %s for the same person; closed here "
				     "and followed there.",
		 dup ? dup : "an open request", x->r->plan->target ? x->r->plan->target : "this access");
	exec_add_str(x, "duplicate_of", dup);
	move_ticket(x, TICKET_DUPLICATE, AUDIT_DECISION, NULL, text);
	return 0;
}

/* A decision by rule is written where a person's would be: on the ticket,
 * and in the audit as a decision by "rule:<name>", with the facts the rule
 * matched (frozen in the plan when the request was validated), so a
 * reviewer sees why nobody was asked. The outcome repeats them for the
 * journal. */
static int by_rule(struct exec_run *x, int which, enum audit_kind kind)
{
	struct notice n = { 0 };
	struct plan_rule pr;
	char text[1024], who[96];

	plan_rule(x->r->plan, which, &pr);
	if (!pr.rule || !pr.because) {
		/* The core acts on the plan it was given: this one says no rule. */
		x->result = WF_RESULT_PERMANENT;
		exec_add_str(x, "error", "the plan names no rule for this decision");
		return 0;
	}
	snprintf(who, sizeof(who), "rule:%s", pr.rule);
	exec_add_str(x, "rule", pr.rule);
	exec_add_str(x, "because", pr.because);
	if (which >= 0) {
		snprintf(text, sizeof(text), "Stage \"%s\" approved by rule %s: %s.", stage(x), pr.rule, pr.because);
		on_ticket(x, kind, who, text);
		return 0;
	}
	/* A rejection, by rule as by a person, ends the request and is told
	 * on a card too. */
	if (notice_rejected(x, pr.rule, pr.because, &n) < 0)
		x->oom = 1;
	else if (move_ticket(x, TICKET_REJECTED, kind, who, n.text) == 0)
		exec_notify(x, &n);
	notice_clear(&n);
	return 0;
}

int exec_rule_approve(struct exec_run *x)
{
	return by_rule(x, x->stage, AUDIT_APPROVAL_SEEN);
}

int exec_rule_reject(struct exec_run *x)
{
	return by_rule(x, -1, AUDIT_REJECTED);
}
