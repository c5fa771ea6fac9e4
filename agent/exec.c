/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent.h"
#include "exec.h"
#include "links.h"
#include "util/json.h"
#include "util/log.h"

void exec_add_str(struct exec_run *x, const char *name, const char *value)
{
	if (value && !cJSON_AddStringToObject(x->out, name, value))
		x->oom = 1;
}

void exec_add_num(struct exec_run *x, const char *name, int64_t value)
{
	if (!cJSON_AddNumberToObject(x->out, name, (double)value))
		x->oom = 1;
}

/* Note the failure of WHAT (error R of an ITSM write); returns R. */
int exec_itsm_failed(struct exec_run *x, const char *what, int r)
{
	char text[160];

	if (r >= 0)
		return r;
	x->result = itsm_error_transient(r) ? WF_RESULT_TRANSIENT : WF_RESULT_PERMANENT;
	snprintf(text, sizeof(text), "%s: %s", what, strerror(-r));
	exec_add_str(x, "error", text);
	log_request(LOG_LEVEL_WARNING, x->r->number, x->id, "%s failed: %s", what, strerror(-r));
	return r;
}

const char *exec_stage_name(struct exec_run *x, int stage)
{
	const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x->r->plan->root, "stages"), stage);

	return json_str(st, "name");
}

void exec_audit(struct exec_run *x, enum audit_kind kind, const char *who, const char *detail,
		  const struct target_config *t, const char *graph_id)
{
	const char *ids[1] = { graph_id }, *stage = x->kind == WF_ACT_EXECUTE ? NULL : exec_stage_name(x, x->stage);
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

int exec_note(struct exec_run *x, const char *text)
{
	char id[160];

	snprintf(id, sizeof(id), "%s.note", x->id);
	return exec_itsm_failed(x, "work note", itsm_add_note(x->a->itsm, x->r->id, text, id));
}

int exec_set_phase(struct exec_run *x, enum ticket_phase phase, const char *text)
{
	char id[160];

	snprintf(id, sizeof(id), "%s.note", x->id);
	return exec_itsm_failed(x, "work note", itsm_set_phase(x->a->itsm, x->r->id, phase, text, id));
}

int exec_comment(struct exec_run *x, const char *text)
{
	char id[160];

	snprintf(id, sizeof(id), "%s.comment", x->id);
	return exec_itsm_failed(x, "comment", itsm_add_comment(x->a->itsm, x->r->id, text, id));
}

void exec_notify(struct exec_run *x, const struct notice *n)
{
	enum notify_event event = n->msg.event;
	int r;

	if (!x->a->links || !x->a->links->notify || !notify_wants(x->a->links->notify, event))
		return;
	r = notify_send(x->a->links->notify, &n->msg);
	if (r < 0) {
		/* The ticket is the record; a card that did not go out is logged. */
		log_request(LOG_LEVEL_WARNING, x->r->number, x->id, "the %s card was not sent: %s",
			    notify_event_name(event), strerror(-r));
		return;
	}
	exec_audit(x, AUDIT_NOTIFICATION_SENT, NULL, notify_event_name(event), NULL, NULL);
}

const struct target_config *exec_step_target(struct exec_run *x, int step)
{
	return step >= 0 && (size_t)step < x->r->plan->wf.n_steps ? x->r->plan->steps[step] : NULL;
}
