#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent.h"
#include "audit.h"
#include "directory.h"
#include "evidence.h"
#include "executor.h"
#include "itsm.h"
#include "json.h"
#include "links.h"
#include "log.h"
#include "notify.h"
#include "state.h"

/* ServiceNow's request item states (sc_req_item.state). */
#define TICKET_PENDING "-5"
#define TICKET_WORK_IN_PROGRESS "2"
#define TICKET_CLOSED_COMPLETE "3"
#define TICKET_CLOSED_INCOMPLETE "4"
#define TICKET_CLOSED_SKIPPED "7"

static const char *const kind_names[] = {
	[WF_ACT_SEND_BACK] = "send_back",
	[WF_ACT_LINK_DUPLICATE] = "link_duplicate",
	[WF_ACT_REQUEST_APPROVAL] = "request_approval",
	[WF_ACT_REMIND] = "remind",
	[WF_ACT_ESCALATE] = "escalate",
	[WF_ACT_IGNORE_DECISION] = "ignore_decision",
	[WF_ACT_REJECT] = "reject",
	[WF_ACT_EXPIRE] = "expire",
	[WF_ACT_EXECUTE] = "execute",
	[WF_ACT_RETRY_AT] = "retry_at",
	[WF_ACT_UNDO] = "undo",
	[WF_ACT_COMPLETE] = "complete",
	[WF_ACT_COMPENSATE] = "compensate",
	[WF_ACT_BLOCK] = "block",
	[WF_ACT_NOTE_REMOVED] = "note_removed",
};

static int kind_parse(const char *name, enum wf_action_kind *ret)
{
	for (size_t i = 0; name && i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (kind_names[i] && strcmp(kind_names[i], name) == 0) {
			*ret = (enum wf_action_kind)i;
			return 0;
		}
	return -EINVAL;
}

/* A short stable tag for a person in an action id (FNV-1a of the UPN,
 * ignoring case): UPNs hold characters an action id may not. */
static uint32_t tag(const char *who)
{
	uint32_t h = 2166136261u;

	for (; who && *who; who++)
		h = (h ^ (uint32_t)tolower((unsigned char)*who)) * 16777619u;
	return h;
}

void executor_action_id(const struct exec_request *r, const struct wf_action *act, enum wf_state state, char *buf,
			size_t size)
{
	switch (act->kind) {
	case WF_ACT_REQUEST_APPROVAL:
		snprintf(buf, size, "%s.s%d.%08x.approve", r->base, act->stage, tag(act->who));
		break;
	case WF_ACT_REMIND:
		snprintf(buf, size, "%s.s%d.remind", r->base, act->stage);
		break;
	case WF_ACT_ESCALATE:
		snprintf(buf, size, "%s.s%d.escalate", r->base, act->stage);
		break;
	case WF_ACT_IGNORE_DECISION:
		snprintf(buf, size, "%s.s%d.%08x.%lld.ignore", r->base, act->stage, tag(act->who), (long long)act->at_ms);
		break;
	case WF_ACT_EXECUTE:
		snprintf(buf, size, "%s.t%d.grant", r->base, act->step);
		break;
	case WF_ACT_UNDO:
		snprintf(buf, size, "%s.t%d.%s", r->base, act->step, state == WF_REMOVING ? "remove" : "undo");
		break;
	case WF_ACT_SEND_BACK:
		snprintf(buf, size, "%s.send-back", r->base);
		break;
	case WF_ACT_LINK_DUPLICATE:
		snprintf(buf, size, "%s.duplicate", r->base);
		break;
	default:
		snprintf(buf, size, "%s.%s", r->base, kind_names[act->kind]);
		break;
	}
}

cJSON *executor_intent(const struct wf_action *act, enum wf_state state)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "kind", kind_names[act->kind]) ||
	    !cJSON_AddNumberToObject(o, "stage", act->stage) || !cJSON_AddNumberToObject(o, "step", act->step) ||
	    !cJSON_AddNumberToObject(o, "state", state) || (act->at_ms && !cJSON_AddNumberToObject(o, "at", (double)act->at_ms)) ||
	    (act->who && !cJSON_AddStringToObject(o, "who", act->who))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* One run of one action. */
struct run {
	struct agent *a;
	const struct exec_request *r;
	const char *id; /* the action id */
	int64_t now;
	enum wf_action_kind kind;
	enum wf_state state;
	int stage, step;
	const char *who;
	cJSON *out;
	enum wf_result result;
	int oom;
};

static const struct itsm_ops *ops(struct run *x)
{
	return itsm_ops(x->a->itsm);
}

static void *impl(struct run *x)
{
	return itsm_impl(x->a->itsm);
}

static void add_str(struct run *x, const char *name, const char *value)
{
	if (value && !cJSON_AddStringToObject(x->out, name, value))
		x->oom = 1;
}

static void add_num(struct run *x, const char *name, int64_t value)
{
	if (!cJSON_AddNumberToObject(x->out, name, (double)value))
		x->oom = 1;
}

/* Note the failure of WHAT (error R of an ITSM write); returns R. */
static int itsm_failed(struct run *x, const char *what, int r)
{
	char text[160];

	if (r >= 0)
		return r;
	x->result = itsm_error_transient(r) ? WF_RESULT_TRANSIENT : WF_RESULT_PERMANENT;
	snprintf(text, sizeof(text), "%s: %s", what, strerror(-r));
	add_str(x, "error", text);
	log_request(LOG_LEVEL_WARNING, x->r->number, x->id, "%s failed: %s", what, strerror(-r));
	return r;
}

static const char *stage_name(struct run *x, int stage)
{
	const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x->r->plan->root, "stages"), stage);

	return json_str(st, "name");
}

static void audit(struct run *x, enum audit_kind kind, const char *who, const char *detail,
		  const struct target_config *t, const char *graph_id)
{
	const char *ids[1] = { graph_id }, *stage = x->kind == WF_ACT_EXECUTE ? NULL : stage_name(x, x->stage);
	const char *item = x->r->plan->item ? x->r->plan->item : "";
	char rule[200];
	struct audit_event ev = {
		.kind = kind,
		.request_number = x->r->number,
		.request_id = x->r->id,
		.action_id = x->id,
		.who = who ? who : "accessd",
		.rule = rule,
		.detail = detail,
		.user_id = x->r->plan->subject_id,
		.graph_request_ids = graph_id ? ids : NULL,
		.n_graph_request_ids = graph_id ? 1 : 0,
	};
	int r;

	if (!x->a->audit)
		return;
	/* The rule: the catalog item, and the stage that required a decision. */
	snprintf(rule, sizeof(rule), "%s%s%s", item, stage ? " / " : "", stage ? stage : "");
	if (t) {
		ev.group_id = t->group_id ? t->group_id : t->resource_id;
		ev.role_id = t->app_role_id;
	}
	r = audit_append(x->a->audit, x->now, &ev);
	if (r < 0)
		log_request(LOG_LEVEL_ERR, x->r->number, x->id, "cannot append to the audit trail: %s", strerror(-r));
}

static int note(struct run *x, const char *state, const char *stage, const char *text)
{
	char id[160];

	snprintf(id, sizeof(id), "%s.note", x->id);
	return itsm_failed(x, "work note", ops(x)->set_state(impl(x), x->r->id, state, stage, text, id));
}

static int comment(struct run *x, const char *text)
{
	char id[160];

	snprintf(id, sizeof(id), "%s.comment", x->id);
	return itsm_failed(x, "comment", ops(x)->add_comment(impl(x), x->r->id, text, id));
}

static void notify(struct run *x, enum notify_event event, const char *outcome, const char *incident)
{
	struct notify_message m = {
		.event = event,
		.action_id = x->id,
		.request_number = x->r->number,
		.person = x->r->plan->wf.subject,
		.target = x->r->plan->target,
		.outcome = outcome,
		.incident_number = incident,
	};
	int r;

	if (!x->a->links || !x->a->links->notify)
		return;
	r = notify_send(x->a->links->notify, &m);
	if (r < 0) {
		/* The ticket is the record; a card that did not go out is logged. */
		log_request(LOG_LEVEL_WARNING, x->r->number, x->id, "the %s card was not sent: %s",
			    notify_event_name(event), strerror(-r));
		return;
	}
	audit(x, AUDIT_NOTIFICATION_SENT, NULL, notify_event_name(event), NULL, NULL);
}

static const struct target_config *step_target(struct run *x, int step)
{
	return step >= 0 && (size_t)step < x->r->plan->wf.n_steps ? x->r->plan->steps[step] : NULL;
}

/* ---- approvals ----------------------------------------------------------- */

static int ask(struct run *x, const char *who, int escalation)
{
	char *approver = NULL, *approval = NULL, text[512];
	int r;

	if (!who) {
		x->result = WF_RESULT_PERMANENT;
		return -EINVAL;
	}
	if (x->a->cfg->policy.approvals == APPROVALS_OBSERVE) {
		/* The ITSM's own flow asks; its records are checked as they come. */
		audit(x, escalation ? AUDIT_ESCALATION : AUDIT_APPROVAL_REQUESTED, who, "observe mode: the ITSM asks",
		      NULL, NULL);
		return 0;
	}
	r = ops(x)->find_user(impl(x), who, &approver);
	if (r == -ENOENT) {
		snprintf(text, sizeof(text), "The approver %s has no account in the ITSM; the stage waits for its "
					     "backup or expires.", who);
		note(x, NULL, NULL, text);
		x->result = WF_RESULT_PERMANENT;
		return r;
	}
	if (itsm_failed(x, "finding the approver", r) < 0)
		return r;
	r = ops(x)->create_approval(impl(x), x->r->id, approver, x->id, &approval);
	if (itsm_failed(x, "creating the approval", r) < 0)
		goto done;
	add_str(x, "approval", approval);
	add_str(x, "approver", who);
	audit(x, escalation ? AUDIT_ESCALATION : AUDIT_APPROVAL_REQUESTED, who, approval, NULL, NULL);
done:
	free(approver);
	free(approval);
	return r;
}

/* A stand-in approver: say on the ticket who is skipped and why. */
static int note_substitute(struct run *x)
{
	const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x->r->plan->root, "stages"), x->stage);
	const cJSON *s;
	char text[512];

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(st, "substitutes")) {
		const char *upn = json_str(s, "upn"), *reason = json_str(s, "reason");

		if (!upn || strcasecmp(upn, x->who) != 0)
			continue;
		snprintf(text, sizeof(text),
			 "Stage \"%s\": the primary approver cannot decide (%s), so %s approves instead.",
			 json_str(st, "name") ? json_str(st, "name") : "?", reason ? reason : "?", upn);
		if (note(x, NULL, NULL, text) < 0)
			return -EAGAIN;
		audit(x, AUDIT_ESCALATION, upn, text, NULL, NULL);
	}
	return 0;
}

static int request_approval(struct run *x)
{
	if (ask(x, x->who, 0) < 0)
		return 0;
	note_substitute(x);
	return 0;
}

static int escalate(struct run *x)
{
	char text[512];

	if (ask(x, x->who, 1) < 0)
		return 0;
	snprintf(text, sizeof(text), "Stage \"%s\" had no decision in time; escalated to the backup approver %s.",
		 stage_name(x, x->stage) ? stage_name(x, x->stage) : "?", x->who);
	if (note(x, NULL, NULL, text) < 0)
		return 0;
	notify(x, NOTIFY_ESCALATED, text, NULL);
	return 0;
}

static int remind(struct run *x)
{
	char text[256];

	snprintf(text, sizeof(text), "Reminder: stage \"%s\" is waiting for a decision.",
		 stage_name(x, x->stage) ? stage_name(x, x->stage) : "?");
	if (note(x, NULL, NULL, text) == 0)
		audit(x, AUDIT_REMINDER, NULL, text, NULL, NULL);
	return 0;
}

static int ignore_decision(struct run *x)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "A decision by %s was ignored: they are not an approver of stage \"%s\" (or it is their own "
		 "request).",
		 x->who ? x->who : "?", stage_name(x, x->stage) ? stage_name(x, x->stage) : "?");
	if (note(x, NULL, NULL, text) == 0)
		audit(x, AUDIT_APPROVAL_IGNORED, x->who, text, NULL, NULL);
	return 0;
}

/* The comment the approver wrote on their decision, from the journal. */
static const char *decision_comment(struct run *x, char *buf, size_t size)
{
	const struct state_request *sr = state_request_find(x->a->state, x->r->source, x->r->id);
	const char *found = NULL;

	buf[0] = '\0';
	for (size_t i = 0; sr && i < sr->n_approvals; i++) {
		const struct state_approval *ap = &sr->approvals[i];
		cJSON *data;

		if (!ap->approver || !x->who || strcasecmp(ap->approver, x->who) != 0 || !ap->data)
			continue;
		data = cJSON_Parse(ap->data);
		if (json_str(data, "comments") && *json_str(data, "comments")) {
			snprintf(buf, size, "%s", json_str(data, "comments"));
			found = buf;
		}
		cJSON_Delete(data);
	}
	return found;
}

static int reject(struct run *x)
{
	char text[1024], why[512];
	const char *c = decision_comment(x, why, sizeof(why));

	snprintf(text, sizeof(text), "Rejected by %s at stage \"%s\"%s%s", x->who ? x->who : "?",
		 stage_name(x, x->stage) ? stage_name(x, x->stage) : "?", c ? ": " : ".", c ? c : "");
	if (note(x, TICKET_CLOSED_INCOMPLETE, NULL, text) < 0 || comment(x, text) < 0)
		return 0;
	audit(x, AUDIT_REJECTED, x->who, text, NULL, NULL);
	return 0;
}

static int expire(struct run *x)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "Closed: stage \"%s\" had no decision before it expired. Open a new request if the access is "
		 "still needed.",
		 stage_name(x, x->stage) ? stage_name(x, x->stage) : "?");
	if (note(x, TICKET_CLOSED_INCOMPLETE, NULL, text) < 0 || comment(x, text) < 0)
		return 0;
	audit(x, AUDIT_EXPIRED, NULL, text, NULL, NULL);
	return 0;
}

static int send_back(struct run *x)
{
	char *problems = plan_problems(x->r->plan), *text = NULL;

	if (!problems || asprintf(&text, "This request cannot go ahead yet:\n%sPlease update the request; it is "
					 "checked again when it changes.",
				  problems) < 0) {
		text = NULL;
		x->oom = 1;
		goto done;
	}
	if (note(x, TICKET_PENDING, NULL, text) < 0 || comment(x, text) < 0)
		goto done;
	audit(x, AUDIT_SENT_BACK, NULL, problems, NULL, NULL);
done:
	free(problems);
	free(text);
	return 0;
}

static int link_duplicate(struct run *x)
{
	char text[512];
	const char *dup = json_str(x->r->plan->root, "duplicate_of");

	snprintf(text, sizeof(text), "Duplicate of %s, which already asks for %s for the same person; closed here "
				     "and followed there.",
		 dup ? dup : "an open request", x->r->plan->target ? x->r->plan->target : "this access");
	if (note(x, TICKET_CLOSED_SKIPPED, NULL, text) < 0 || comment(x, text) < 0)
		return 0;
	add_str(x, "duplicate_of", dup);
	audit(x, AUDIT_DECISION, NULL, text, NULL, NULL);
	return 0;
}

/* ---- grants -------------------------------------------------------------- */

static void directory_outcome(struct run *x, const struct directory_result *res)
{
	x->result = res->outcome == DIRECTORY_OK ? WF_RESULT_OK
		    : res->outcome == DIRECTORY_TRANSIENT ? WF_RESULT_TRANSIENT
							  : WF_RESULT_PERMANENT;
	add_str(x, "graph_request_id", res->request_id);
	add_num(x, "status", res->status);
	add_num(x, "at_ms", res->at_ms);
	if (res->unchanged && !cJSON_AddTrueToObject(x->out, "unchanged"))
		x->oom = 1;
	add_str(x, "assignment_id", res->assignment_id);
	add_str(x, "error_code", res->error_code);
	add_str(x, "error", res->error_message ? res->error_message
				: res->outcome != DIRECTORY_OK ? strerror(res->error < 0 ? -res->error : EIO)
							       : NULL);
}

/* Whether the person holds T now: 1, 0, or a negative errno (RES says). */
static int holds(struct directory *d, const struct target_config *t, const char *user, char **ret_assignment,
		 struct directory_result *res)
{
	int member = 0, r;

	if (t->kind == TARGET_APP_ROLE) {
		r = directory_find_assignment(d, t->resource_id, user, t->app_role_id, ret_assignment, res);
		return r < 0 ? r : *ret_assignment != NULL;
	}
	r = directory_is_member(d, t->group_id, user, &member, res);
	return r < 0 ? r : member;
}

/* The assignment id the grant of step STEP recorded, or NULL. */
static char *granted_assignment(struct run *x)
{
	const struct state_action *act;
	char id[160], *copy = NULL;
	cJSON *out;

	snprintf(id, sizeof(id), "%s.t%d.grant", x->r->base, x->step);
	act = state_action_find(x->a->state, id);
	if (!act || !act->outcome)
		return NULL;
	out = cJSON_Parse(act->outcome);
	if (json_str(out, "assignment_id"))
		copy = strdup(json_str(out, "assignment_id"));
	cJSON_Delete(out);
	return copy;
}

static int run_step(struct run *x, int recheck)
{
	const struct target_config *t = step_target(x, x->step);
	const char *user = x->r->plan->subject_id;
	struct directory *d = x->a->links ? x->a->links->directory : NULL;
	struct directory_result res = { 0 };
	struct directory_change c = { 0 };
	char *assignment = NULL, text[512];
	int undo = x->kind == WF_ACT_UNDO, r;

	if (!t || !user || !d) {
		x->result = WF_RESULT_PERMANENT;
		add_str(x, "error", !d ? "no directory is configured" : "the plan names no person or target");
		goto done;
	}
	if (!undo && x->step == 0) {
		snprintf(text, sizeof(text), "Approved; implementing: %s for %s.", x->r->plan->target,
			 x->r->plan->wf.subject ? x->r->plan->wf.subject : user);
		if (note(x, TICKET_WORK_IN_PROGRESS, "fulfillment", text) < 0)
			goto done;
	}
	if (recheck) {
		/* The agent died between intent and outcome: the directory
		 * tells whether the change was made. */
		r = holds(d, t, user, &assignment, &res);
		if (r >= 0 && r == !undo) {
			log_request(LOG_LEVEL_NOTICE, x->r->number, x->id, "%s already %s %s: not changed again", user,
				    undo ? "lacks" : "holds", t->name);
			directory_outcome(x, &res);
			add_str(x, "assignment_id", assignment);
			if (!cJSON_AddTrueToObject(x->out, "rechecked"))
				x->oom = 1;
			goto record;
		}
		free(assignment);
		assignment = NULL;
	}
	c.target_id = t->kind == TARGET_APP_ROLE ? t->resource_id : t->group_id;
	c.principal_id = user;
	c.app_role_id = t->app_role_id;
	if (t->kind != TARGET_APP_ROLE) {
		c.kind = undo ? DIRECTORY_REMOVE_MEMBER : DIRECTORY_ADD_MEMBER;
	} else if (!undo) {
		c.kind = DIRECTORY_ASSIGN_APP_ROLE;
	} else {
		c.kind = DIRECTORY_REMOVE_APP_ROLE;
		assignment = granted_assignment(x);
		if (!assignment) {
			r = directory_find_assignment(d, t->resource_id, user, t->app_role_id, &assignment, &res);
			if (r < 0 || !assignment) {
				directory_outcome(x, &res);
				goto record;
			}
		}
		c.assignment_id = assignment;
	}
	directory_apply(d, &c, &res);
	directory_outcome(x, &res);
	if (undo && res.outcome == DIRECTORY_OK && t->kind != TARGET_APP_ROLE) {
		struct directory_result check = { 0 };
		int member = 1;

		/* Verified as far as Graph's replication lets a read tell. */
		if (directory_is_member(d, t->group_id, user, &member, &check) == 0 &&
		    !cJSON_AddBoolToObject(x->out, "verified", !member))
			x->oom = 1;
		directory_result_clear(&check);
	}
record:
	snprintf(text, sizeof(text), "%s %s %s %s: %s", undo ? "remove" : "grant", t->name, undo ? "from" : "to",
		 x->r->plan->wf.subject ? x->r->plan->wf.subject : user,
		 x->result == WF_RESULT_OK ? "done" : x->result == WF_RESULT_TRANSIENT ? "failed, will retry" : "failed");
	log_request(x->result == WF_RESULT_OK ? LOG_LEVEL_NOTICE : LOG_LEVEL_WARNING, x->r->number, x->id, "%s", text);
	audit(x, !undo ? (x->result == WF_RESULT_OK ? AUDIT_GRANT_EXECUTED : AUDIT_GRANT_FAILED)
		       : x->state == WF_REMOVING ? AUDIT_REMOVAL : AUDIT_ROLLBACK,
	      NULL, text, t, res.request_id);
done:
	free(assignment);
	directory_result_clear(&res);
	return 0;
}

/* ---- endings -------------------------------------------------------------- */

/* The action ids of the grant steps, for the evidence. */
static void step_ids(struct run *x, char ids[][128], const char **v)
{
	for (size_t j = 0; j < x->r->plan->wf.n_steps; j++) {
		snprintf(ids[j], 128, "%s.t%zu.grant", x->r->base, j);
		v[j] = ids[j];
	}
}

static void format_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "?");
}

static int complete(struct run *x)
{
	const struct plan *p = x->r->plan;
	const struct state_request *sr;
	char ids[WF_MAX_STEPS][128], ends[64] = "", text[1024];
	const char *v[WF_MAX_STEPS];
	char *evidence = NULL;
	int r;

	if (p->wf.has_access || p->wf.n_steps == 0) {
		snprintf(text, sizeof(text), "%s already has %s; nothing needed to change.",
			 p->wf.subject ? p->wf.subject : "The person", p->target ? p->target : "this access");
		if (note(x, TICKET_CLOSED_COMPLETE, "complete", text) == 0 && comment(x, text) == 0)
			audit(x, AUDIT_COMPLETED, NULL, text, NULL, NULL);
		return 0;
	}
	sr = state_request_find(x->a->state, x->r->source, x->r->id);
	step_ids(x, ids, v);
	evidence = sr ? evidence_build(x->a->state, sr, p, v, x->now) : NULL;
	if (!evidence) {
		x->oom = 1;
		return 0;
	}
	r = ops(x)->attach(impl(x), x->r->id, "evidence.json", "application/json", evidence, strlen(evidence), x->id);
	if (itsm_failed(x, "attaching the evidence", r) < 0)
		goto done;
	audit(x, AUDIT_EVIDENCE_ATTACHED, NULL, "evidence.json", NULL, NULL);
	if (p->wf.end_ms > 0) {
		format_time(p->wf.end_ms, ends, sizeof(ends));
		snprintf(text, sizeof(text), "Completed: %s granted %s. Access ends %s and is removed then.",
			 p->wf.subject ? p->wf.subject : "the person", p->target ? p->target : "the access", ends);
	} else {
		snprintf(text, sizeof(text), "Completed: %s granted %s. Evidence attached.",
			 p->wf.subject ? p->wf.subject : "the person", p->target ? p->target : "the access");
	}
	if (note(x, TICKET_CLOSED_COMPLETE, "complete", text) < 0 || comment(x, text) < 0)
		goto done;
	audit(x, AUDIT_COMPLETED, NULL, text, NULL, NULL);
	notify(x, NOTIFY_COMPLETED, text, NULL);
done:
	free(evidence);
	return 0;
}

/* The error of the step that failed, from its journaled outcome: the
 * first grant, else the first removal, that did not succeed. */
static void step_error(struct run *x, char *buf, size_t size, char *graph_id, size_t graph_size, int *ret_step)
{
	static const char *const what[] = { "grant", "undo", "remove" };

	snprintf(buf, size, "unknown error");
	graph_id[0] = '\0';
	*ret_step = x->step;
	for (size_t w = 0; w < sizeof(what) / sizeof(what[0]); w++)
		for (size_t j = 0; j < x->r->plan->wf.n_steps; j++) {
			const struct state_action *act;
			char id[160];
			cJSON *out;

			snprintf(id, sizeof(id), "%s.t%zu.%s", x->r->base, j, what[w]);
			act = state_action_find(x->a->state, id);
			if (!act || !act->outcome)
				continue;
			out = cJSON_Parse(act->outcome);
			if (json_str(out, "result") && strcmp(json_str(out, "result"), "ok") != 0) {
				snprintf(buf, size, "%s%s%s", json_str(out, "error_code") ? json_str(out, "error_code") : "",
					 json_str(out, "error_code") ? ": " : "",
					 json_str(out, "error") ? json_str(out, "error") : "failed");
				if (json_str(out, "graph_request_id"))
					snprintf(graph_id, graph_size, "%s", json_str(out, "graph_request_id"));
				*ret_step = (int)j;
				cJSON_Delete(out);
				return;
			}
			cJSON_Delete(out);
		}
}

static int open_incident(struct run *x, const char *subject, const char *description, char **ret_id)
{
	const char *group = x->a->cfg->policy.incident.assignment_group;
	struct itsm_incident inc = {
		.short_description = subject,
		.description = description,
		/* The connector takes the group's record id; a name stays in the text. */
		.assignment_group = group && strlen(group) == 32 && strspn(group, "0123456789abcdef") == 32 ? group : NULL,
		.request_id = x->r->id,
	};
	int r = ops(x)->create_incident(impl(x), &inc, x->id, ret_id);

	return itsm_failed(x, "opening the incident", r);
}

static int block(struct run *x)
{
	const struct plan *p = x->r->plan;
	char error[512], graph_id[128], subject[256], *desc = NULL, *incident = NULL, text[1024];
	const char *why;
	int step;

	step_error(x, error, sizeof(error), graph_id, sizeof(graph_id), &step);
	if (p->wf.unstaffed) {
		why = "a stage cannot be staffed";
		snprintf(error, sizeof(error), "%s", "nobody can approve a stage of the chain");
	} else if (x->state == WF_ROLLED_BACK) {
		why = "a step failed; the steps granted were rolled back";
	} else if (x->state == WF_COMPENSATING) {
		why = "a step failed after others were granted; a compensating task was opened";
	} else {
		why = "a step failed";
	}
	snprintf(subject, sizeof(subject), "accessd: %s blocked (%s)", x->r->number, p->target ? p->target : "access");
	if (asprintf(&desc,
		     "Request: %s (%s)\nPerson: %s\nTarget: %s\nStep: %d (%s)\nError: %s\nGraph request id: %s\n"
		     "Assignment group: %s\nWhat happened: %s.",
		     x->r->number, x->r->id, p->wf.subject ? p->wf.subject : "?", p->target ? p->target : "?", step,
		     step_target(x, step) ? step_target(x, step)->name : "-", error, graph_id[0] ? graph_id : "-",
		     x->a->cfg->policy.incident.assignment_group ? x->a->cfg->policy.incident.assignment_group : "-",
		     why) < 0) {
		x->oom = 1;
		return 0;
	}
	if (open_incident(x, subject, desc, &incident) < 0)
		goto done;
	add_str(x, "incident", incident);
	audit(x, AUDIT_INCIDENT_OPENED, NULL, desc, step_target(x, step), graph_id[0] ? graph_id : NULL);
	snprintf(text, sizeof(text), "Implementing (Blocked): %s (%s). Incident %s is open for the IAM team.", why,
		 error, incident ? incident : "?");
	if (note(x, TICKET_WORK_IN_PROGRESS, NULL, text) < 0)
		goto done;
	notify(x, NOTIFY_BLOCKED, text, incident);
done:
	free(desc);
	free(incident);
	return 0;
}

static int compensate(struct run *x)
{
	const struct plan *p = x->r->plan;
	char subject[256], *desc = NULL, *task = NULL, granted[512] = "";
	const struct state_request *sr = state_request_find(x->a->state, x->r->source, x->r->id);
	struct wf_record rec = { 0 };
	cJSON *data = sr && sr->data ? cJSON_Parse(sr->data) : NULL;

	if (plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec) < 0)
		rec.granted = 0;
	cJSON_Delete(data);
	for (size_t j = 0; j < p->wf.n_steps; j++)
		if (rec.granted & (1u << j)) {
			strncat(granted, p->steps[j]->name, sizeof(granted) - strlen(granted) - 3);
			strncat(granted, "; ", sizeof(granted) - strlen(granted) - 1);
		}
	snprintf(subject, sizeof(subject), "accessd: compensate a partial grant for %s", x->r->number);
	if (asprintf(&desc,
		     "A multi-step grant half succeeded and the policy says compensate.\nRequest: %s\nPerson: %s\n"
		     "Granted and left in place: %s\nFailed at step %d (%s).\nDecide whether to complete the grant by "
		     "hand or remove the steps above.",
		     x->r->number, p->wf.subject ? p->wf.subject : "?", granted[0] ? granted : "-", x->step,
		     step_target(x, x->step) ? step_target(x, x->step)->name : "-") < 0) {
		x->oom = 1;
		return 0;
	}
	if (open_incident(x, subject, desc, &task) == 0) {
		add_str(x, "task", task);
		audit(x, AUDIT_COMPENSATION, NULL, desc, NULL, NULL);
	}
	free(desc);
	free(task);
	return 0;
}

static int note_removed(struct run *x)
{
	char text[512];

	snprintf(text, sizeof(text), "The end date was reached: %s was removed from %s.",
		 x->r->plan->wf.subject ? x->r->plan->wf.subject : "the person",
		 x->r->plan->target ? x->r->plan->target : "the access");
	if (note(x, NULL, NULL, text) < 0 || comment(x, text) < 0)
		return 0;
	audit(x, AUDIT_REMOVAL, NULL, text, NULL, NULL);
	return 0;
}

int executor_run(struct agent *a, const struct exec_request *r, const cJSON *intent, const char *action_id,
		 int recheck, int64_t now_ms, cJSON **ret_outcome, enum wf_result *ret)
{
	struct run x = {
		.a = a,
		.r = r,
		.id = action_id,
		.now = now_ms,
		.stage = (int)json_int(intent, "stage"),
		.step = (int)json_int(intent, "step"),
		.state = (enum wf_state)json_int(intent, "state"),
		.who = json_str(intent, "who"),
		.result = WF_RESULT_OK,
	};

	x.out = cJSON_CreateObject();
	if (!x.out || kind_parse(json_str(intent, "kind"), &x.kind) < 0) {
		cJSON_Delete(x.out);
		return x.out ? -EINVAL : -ENOMEM;
	}
	switch (x.kind) {
	case WF_ACT_SEND_BACK:
		send_back(&x);
		break;
	case WF_ACT_LINK_DUPLICATE:
		link_duplicate(&x);
		break;
	case WF_ACT_REQUEST_APPROVAL:
		request_approval(&x);
		break;
	case WF_ACT_REMIND:
		remind(&x);
		break;
	case WF_ACT_ESCALATE:
		escalate(&x);
		break;
	case WF_ACT_IGNORE_DECISION:
		ignore_decision(&x);
		break;
	case WF_ACT_REJECT:
		reject(&x);
		break;
	case WF_ACT_EXPIRE:
		expire(&x);
		break;
	case WF_ACT_EXECUTE:
	case WF_ACT_UNDO:
		run_step(&x, recheck);
		break;
	case WF_ACT_COMPLETE:
		complete(&x);
		break;
	case WF_ACT_COMPENSATE:
		compensate(&x);
		break;
	case WF_ACT_BLOCK:
		block(&x);
		break;
	case WF_ACT_NOTE_REMOVED:
		note_removed(&x);
		break;
	case WF_ACT_RETRY_AT:
		break;
	}
	if (x.oom || !cJSON_AddStringToObject(x.out, "result", x.result == WF_RESULT_OK          ? "ok"
								 : x.result == WF_RESULT_TRANSIENT ? "transient"
												   : "permanent")) {
		cJSON_Delete(x.out);
		return -ENOMEM;
	}
	*ret_outcome = x.out;
	*ret = x.result;
	return 0;
}
