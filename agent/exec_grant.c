/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "connectors/directory.h"
#include "exec.h"
#include "links.h"
#include "store/state.h"
#include "util/json.h"
#include "util/log.h"

static void directory_outcome(struct exec_run *x, const struct directory_result *res)
{
	x->result = res->outcome == DIRECTORY_OK ? WF_RESULT_OK
		    : res->outcome == DIRECTORY_TRANSIENT ? WF_RESULT_TRANSIENT
							  : WF_RESULT_PERMANENT;
	exec_add_str(x, "graph_request_id", res->request_id);
	exec_add_num(x, "status", res->status);
	exec_add_num(x, "at_ms", res->at_ms);
	if (res->unchanged && !cJSON_AddTrueToObject(x->out, "unchanged"))
		x->oom = 1;
	exec_add_str(x, "assignment_id", res->assignment_id);
	exec_add_str(x, "error_code", res->error_code);
	exec_add_str(x, "error", res->error_message ? res->error_message
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
static char *granted_assignment(struct exec_run *x)
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

/* Whether the person USER is still here, asked again just before a grant:
 * they may have left, or been disabled, since the request was planned.
 * 1 here; 0 not (X's outcome says why, permanent); -1 the directory could
 * not tell (X's outcome says so). */
static int still_here(struct exec_run *x, struct directory *d, const char *user)
{
	struct directory_result res = { 0 };
	struct person p = { 0 };
	int here;

	if (directory_get_user(d, DIRECTORY_BY_ID, user, &p, &res) < 0) {
		directory_outcome(x, &res);
		directory_result_clear(&res);
		return -1;
	}
	here = person_current(&p, x->now);
	if (!here) {
		x->result = WF_RESULT_PERMANENT;
		exec_add_str(x, "error", !p.exists	? "the person is no longer in the directory"
					 : !p.enabled ? "the person's account is disabled"
					 : p.refused  ? "the person's directory record holds a value accessd refuses"
						      : "the person has left the organisation or not started yet");
	}
	person_clear(&p);
	directory_result_clear(&res);
	return here;
}

int exec_step(struct exec_run *x, int recheck)
{
	const struct target_config *t = exec_step_target(x, x->step);
	const char *user = x->r->plan->subject_id;
	struct directory *d = x->a->links ? x->a->links->directory : NULL;
	struct directory_result res = { 0 };
	struct directory_change c = { 0 };
	char *assignment = NULL, text[512];
	int undo = x->kind == WF_ACT_UNDO, r;

	if (!t || !user || !d) {
		x->result = WF_RESULT_PERMANENT;
		exec_add_str(x, "error", !d ? "no directory is configured" : "the plan names no person or target");
		goto done;
	}
	if (!undo && x->step == 0) {
		snprintf(text, sizeof(text), "Approved; implementing: %s for %s.", x->r->plan->target,
			 x->r->plan->wf.subject ? x->r->plan->wf.subject : user);
		if (exec_set_phase(x, TICKET_IMPLEMENTING, text) < 0)
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
			exec_add_str(x, "assignment_id", assignment);
			if (!cJSON_AddTrueToObject(x->out, "rechecked"))
				x->oom = 1;
			goto record;
		}
		free(assignment);
		assignment = NULL;
	}
	/* Nobody is granted who is not here now, whatever the plan knew. */
	if (!undo && still_here(x, d, user) <= 0)
		goto record;
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
	exec_audit(x, !undo ? (x->result == WF_RESULT_OK ? AUDIT_GRANT_EXECUTED : AUDIT_GRANT_FAILED)
		       : x->state == WF_REMOVING ? AUDIT_REMOVAL : AUDIT_ROLLBACK,
	      NULL, text, t, res.request_id);
done:
	free(assignment);
	directory_result_clear(&res);
	return 0;
}
