/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "core/plan.h"
#include "evidence.h"
#include "exec.h"
#include "store/state.h"
#include "util/json.h"
#include "util/log.h"

/* The action ids of the grant steps, for the evidence. */
static void step_ids(struct exec_run *x, char ids[][128], const char **v)
{
	for (size_t j = 0; j < x->r->plan->wf.n_steps; j++) {
		snprintf(ids[j], 128, "%s.t%zu.grant", x->r->base, j);
		v[j] = ids[j];
	}
}

int exec_complete(struct exec_run *x)
{
	const struct plan *p = x->r->plan;
	const struct state_request *sr;
	char ids[WF_MAX_STEPS][128], text[1024];
	const char *v[WF_MAX_STEPS];
	struct notice n = { 0 };
	char *evidence = NULL;
	int r;

	if (p->wf.has_access || p->wf.n_steps == 0) {
		snprintf(text, sizeof(text), "%s already has %s; nothing needed to change.",
			 p->wf.subject ? p->wf.subject : "The person", p->target ? p->target : "this access");
		if (exec_set_phase(x, TICKET_COMPLETED, text) == 0 && exec_comment(x, text) == 0)
			exec_audit(x, AUDIT_COMPLETED, NULL, text, NULL, NULL);
		return 0;
	}
	sr = state_request_find(x->a->state, x->r->source, x->r->id);
	step_ids(x, ids, v);
	evidence = sr ? evidence_build(x->a->state, sr, p, v, x->now) : NULL;
	if (!evidence || notice_completed(x, &n) < 0) {
		x->oom = 1;
		goto done;
	}
	r = itsm_attach(x->a->itsm, x->r->id, "evidence.json", "application/json", evidence, strlen(evidence), x->id);
	if (exec_itsm_failed(x, "attaching the evidence", r) < 0)
		goto done;
	exec_audit(x, AUDIT_EVIDENCE_ATTACHED, NULL, "evidence.json", NULL, NULL);
	if (exec_set_phase(x, TICKET_COMPLETED, n.text) < 0 || exec_comment(x, n.text) < 0)
		goto done;
	exec_audit(x, AUDIT_COMPLETED, NULL, n.text, NULL, NULL);
	exec_notify(x, &n);
done:
	notice_clear(&n);
	free(evidence);
	return 0;
}

/* The error of the step that failed, from its journaled outcome: the
 * first grant, else the first removal, that did not succeed; *RET_UNDO
 * tells which. */
static void step_error(struct exec_run *x, char *buf, size_t size, char *graph_id, size_t graph_size, int *ret_step,
		       int *ret_undo)
{
	static const char *const what[] = { "grant", "undo", "remove" };

	snprintf(buf, size, "unknown error");
	graph_id[0] = '\0';
	*ret_step = x->step;
	*ret_undo = 0;
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
				*ret_undo = w > 0;
				cJSON_Delete(out);
				return;
			}
			cJSON_Delete(out);
		}
}

static int open_incident(struct exec_run *x, const char *subject, const char *description, char **ret_id)
{
	struct itsm_incident inc = {
		.short_description = subject,
		.description = description,
		.assignment_group = x->a->cfg->policy.incident.assignment_group,
		.request_id = x->r->id,
	};
	int r = itsm_create_incident(x->a->itsm, &inc, x->id, ret_id);

	return exec_itsm_failed(x, "opening the incident", r);
}

/* The compensating task the request's compensate action opened, or NULL
 * (caller frees). */
static char *compensating_task(struct exec_run *x)
{
	const struct state_action *act;
	char id[160], *task = NULL;
	cJSON *out;

	snprintf(id, sizeof(id), "%s.compensate", x->r->base);
	act = state_action_find(x->a->state, id);
	out = act && act->outcome ? cJSON_Parse(act->outcome) : NULL;
	if (json_str(out, "task") && !(task = strdup(json_str(out, "task"))))
		x->oom = 1;
	cJSON_Delete(out);
	return task;
}

int exec_block(struct exec_run *x)
{
	const struct plan *p = x->r->plan;
	char error[512], graph_id[128], subject[256], *desc = NULL, *incident = NULL, *task = NULL;
	struct notice_failure f = { .unstaffed = p->wf.unstaffed, .error = error };
	struct notice n = { 0 };
	const char *why;

	step_error(x, error, sizeof(error), graph_id, sizeof(graph_id), &f.step, &f.undo);
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
		     x->r->number, x->r->id, p->wf.subject ? p->wf.subject : "?", p->target ? p->target : "?", f.step,
		     exec_step_target(x, f.step) ? exec_step_target(x, f.step)->name : "-", error,
		     graph_id[0] ? graph_id : "-",
		     x->a->cfg->policy.incident.assignment_group ? x->a->cfg->policy.incident.assignment_group : "-",
		     why) < 0) {
		x->oom = 1;
		return 0;
	}
	if (open_incident(x, subject, desc, &incident) < 0)
		goto done;
	exec_add_str(x, "incident", incident);
	exec_audit(x, AUDIT_INCIDENT_OPENED, NULL, desc, exec_step_target(x, f.step), graph_id[0] ? graph_id : NULL);
	f.incident = incident;
	f.graph_request_id = graph_id[0] ? graph_id : NULL;
	task = x->state == WF_COMPENSATING ? compensating_task(x) : NULL;
	f.task = task;
	if (notice_blocked(x, &f, &n) < 0) {
		x->oom = 1;
		goto done;
	}
	if (exec_set_phase(x, TICKET_BLOCKED, n.text) < 0 || exec_comment(x, n.text) < 0)
		goto done;
	exec_notify(x, &n);
done:
	notice_clear(&n);
	free(task);
	free(desc);
	free(incident);
	return 0;
}

int exec_compensate(struct exec_run *x)
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
		     exec_step_target(x, x->step) ? exec_step_target(x, x->step)->name : "-") < 0) {
		x->oom = 1;
		return 0;
	}
	if (open_incident(x, subject, desc, &task) == 0) {
		exec_add_str(x, "task", task);
		exec_audit(x, AUDIT_COMPENSATION, NULL, desc, NULL, NULL);
	}
	free(desc);
	free(task);
	return 0;
}

int exec_note_removed(struct exec_run *x)
{
	char text[512];

	snprintf(text, sizeof(text), "The end date was reached: %s was removed from %s.",
		 x->r->plan->wf.subject ? x->r->plan->wf.subject : "the person",
		 x->r->plan->target ? x->r->plan->target : "the access");
	if (exec_note(x, text) < 0 || exec_comment(x, text) < 0)
		return 0;
	exec_audit(x, AUDIT_REMOVAL, NULL, text, NULL, NULL);
	return 0;
}
