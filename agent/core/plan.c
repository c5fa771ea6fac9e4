/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan.h"
#include "util/json.h"

static int add_upn(cJSON *arr, const struct policy_approver *a)
{
	const char *who = a->upn ? a->upn : a->id;

	return cJSON_AddItemToArray(arr, cJSON_CreateString(who)) ? 0 : -ENOMEM;
}

static int add_leave(cJSON *arr, const struct policy_approver *a)
{
	return cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)a->leave_ms)) ? 0 : -ENOMEM;
}

static cJSON *stage_json(const struct policy_stage *st)
{
	cJSON *o = cJSON_CreateObject(), *approvers, *subs, *backups, *leaves, *backup_leaves;
	const struct stage_config *c = st->config;

	if (!o)
		return NULL;
	approvers = cJSON_AddArrayToObject(o, "approvers");
	subs = cJSON_AddArrayToObject(o, "substitutes");
	leaves = cJSON_AddArrayToObject(o, "leaves");
	/* The rule that approved the stage and the facts it matched, frozen
	 * with the plan; or why the stage's rules did not decide. */
	if (st->rule.rule ? !cJSON_AddStringToObject(o, "rule", st->rule.rule->name) ||
				    !cJSON_AddStringToObject(o, "because", st->rule.text)
			  : st->rule.text[0] && !cJSON_AddStringToObject(o, "no_rule", st->rule.text))
		goto fail;
	if (!approvers || !subs || !leaves || !cJSON_AddStringToObject(o, "name", c->name) ||
	    !cJSON_AddNumberToObject(o, "quorum_all", st->quorum == QUORUM_ALL) ||
	    !cJSON_AddNumberToObject(o, "remind", (double)c->remind_after_ms) ||
	    !cJSON_AddNumberToObject(o, "escalate", (double)c->escalate_after_ms) ||
	    !cJSON_AddNumberToObject(o, "expire", (double)c->expire_after_ms))
		goto fail;
	for (size_t i = 0; i < st->n_approvers && i < WF_MAX_APPROVERS; i++) {
		const struct policy_approver *a = &st->approvers[i];
		cJSON *s;

		if (add_upn(approvers, a) < 0 || add_leave(leaves, a) < 0)
			goto fail;
		if (a->reason == POLICY_SKIP_NONE)
			continue;
		s = cJSON_CreateObject();
		if (!s || !cJSON_AddItemToArray(subs, s) || !cJSON_AddStringToObject(s, "upn", a->upn ? a->upn : a->id) ||
		    !cJSON_AddStringToObject(s, "reason", policy_skip_name(a->reason)) ||
		    (a->why && !cJSON_AddStringToObject(s, "why", a->why)) ||
		    (a->replaces && !cJSON_AddStringToObject(s, "replaces", a->replaces)))
			goto fail;
	}
	backups = cJSON_AddArrayToObject(o, "backups");
	backup_leaves = cJSON_AddArrayToObject(o, "backup_leaves");
	if (!backups || !backup_leaves)
		goto fail;
	for (size_t i = 0; i < st->n_escalation && i < WF_MAX_APPROVERS; i++)
		if (add_upn(backups, &st->escalation[i]) < 0 || add_leave(backup_leaves, &st->escalation[i]) < 0)
			goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int add_steps(cJSON *o, const struct target_config *t)
{
	cJSON *steps = cJSON_AddArrayToObject(o, "steps");

	if (!steps)
		return -ENOMEM;
	if (!t)
		return 0;
	if (!cJSON_AddItemToArray(steps, cJSON_CreateString(t->name)))
		return -ENOMEM;
	for (size_t i = 0; i < t->n_also; i++)
		if (!cJSON_AddItemToArray(steps, cJSON_CreateString(t->also[i]->name)))
			return -ENOMEM;
	return 0;
}

/* The display names of everyone the facts hold, by UPN: what the ticket and
 * the cards call people. */
static int add_names(cJSON *o, const struct facts *f)
{
	const struct person *who[] = { &f->subject, &f->requester, &f->sponsor };
	const size_t n_who = sizeof(who) / sizeof(who[0]);
	cJSON *names = cJSON_AddObjectToObject(o, "names");

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < n_who + f->n_people; i++) {
		const struct person *p = i < n_who ? who[i] : &f->people[i - n_who];

		if (!p->exists || !p->upn || !p->display_name || cJSON_GetObjectItemCaseSensitive(names, p->upn))
			continue;
		if (!cJSON_AddStringToObject(names, p->upn, p->display_name))
			return -ENOMEM;
	}
	return 0;
}

/* The end as the requester wrote it: the end date, else the duration (from
 * the start date, when one was given). */
static int add_end_asked(cJSON *o, const struct request *req, const struct policy_result *res)
{
	const struct item_variables *v = res->item ? &res->item->vars : NULL;
	const char *end = v && v->end_date ? request_var(req, v->end_date) : NULL;
	const char *duration = v && v->duration ? request_var(req, v->duration) : NULL;
	const char *start = v && v->start_date ? request_var(req, v->start_date) : NULL;
	char *text = NULL;
	int r = 0;

	if (res->end_ms <= 0 || (!end && !duration))
		return 0;
	if (end)
		r = asprintf(&text, "until %s", end);
	else
		r = asprintf(&text, "for %s%s%s", duration, start ? " from " : "", start ? start : "");
	if (r < 0)
		return -ENOMEM;
	r = cJSON_AddStringToObject(o, "end_asked", text) ? 0 : -ENOMEM;
	free(text);
	return r;
}

int plan_build(const struct config *cfg, const struct request *req, const struct facts *f,
	       const struct policy_result *res, cJSON **ret)
{
	cJSON *o = cJSON_CreateObject(), *problems, *stages;
	const char *requester = f->requester.exists ? f->requester.upn : req->opened_by_upn;
	const char *subject = f->subject.exists ? f->subject.upn : req->requested_for_upn;

	if (!o)
		return -ENOMEM;
	problems = cJSON_AddArrayToObject(o, "problems");
	stages = cJSON_AddArrayToObject(o, "stages");
	if (!problems || !stages || !cJSON_AddStringToObject(o, "verdict", policy_verdict_name(res->verdict)) ||
	    (requester && !cJSON_AddStringToObject(o, "requester", requester)) ||
	    (subject && !cJSON_AddStringToObject(o, "subject", subject)) ||
	    (f->subject.exists && !cJSON_AddStringToObject(o, "subject_id", f->subject.id)) ||
	    (res->item && !cJSON_AddStringToObject(o, "item", res->item->name)) ||
	    (res->target && !cJSON_AddStringToObject(o, "target", res->target->name)) ||
	    (f->duplicate_of && !cJSON_AddStringToObject(o, "duplicate_of", f->duplicate_of)) ||
	    !cJSON_AddNumberToObject(o, "end", (double)res->end_ms) ||
	    (res->end_note && !cJSON_AddStringToObject(o, "end_note", res->end_note)) ||
	    !cJSON_AddNumberToObject(o, "rollback", cfg->policy.partial_failure == PARTIAL_ROLLBACK) ||
	    !cJSON_AddNumberToObject(o, "max_attempts", cfg->retry.max_attempts) ||
	    !cJSON_AddNumberToObject(o, "backoff", (double)cfg->retry.initial_backoff_ms) ||
	    add_steps(o, res->verdict == POLICY_PROCEED ? res->target : NULL) < 0 || add_names(o, f) < 0 ||
	    add_end_asked(o, req, res) < 0)
		goto fail;
	for (size_t i = 0; i < res->n_problems; i++)
		if (!cJSON_AddItemToArray(problems, cJSON_CreateString(res->problems[i].text)))
			goto fail;
	if (res->reject.rule ? !cJSON_AddStringToObject(o, "rejected_by_rule", res->reject.rule->name) ||
				       !cJSON_AddStringToObject(o, "because", res->reject.text)
			     : res->reject.text[0] && !cJSON_AddStringToObject(o, "no_reject_rule", res->reject.text))
		goto fail;
	for (size_t i = 0; i < res->n_stages && i < WF_MAX_STAGES && res->verdict == POLICY_PROCEED; i++) {
		cJSON *s = stage_json(&res->stages[i]);

		if (!s || !cJSON_AddItemToArray(stages, s)) {
			cJSON_Delete(s);
			goto fail;
		}
	}
	*ret = o;
	return 0;
fail:
	cJSON_Delete(o);
	return -ENOMEM;
}

/* The leave dates NAME lists, one per approver (or backup) in V. A plan
 * journaled before they were kept has none: 0, not known. */
static int load_leaves(const cJSON *s, const char *name, size_t n, int64_t *v)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(s, name), *a;
	size_t i = 0;

	if (!list)
		return 0;
	if (!cJSON_IsArray(list) || (size_t)cJSON_GetArraySize(list) != n)
		return -EINVAL;
	cJSON_ArrayForEach(a, list) {
		if (!cJSON_IsNumber(a))
			return -EINVAL;
		v[i++] = (int64_t)a->valuedouble;
	}
	return 0;
}

static int load_stage(const cJSON *s, struct wf_stage *st)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(s, "approvers")) {
		if (!cJSON_IsString(a) || st->n_approvers >= WF_MAX_APPROVERS)
			return -EINVAL;
		st->approvers[st->n_approvers++] = a->valuestring;
	}
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(s, "backups")) {
		if (!cJSON_IsString(a) || st->n_backups >= WF_MAX_APPROVERS)
			return -EINVAL;
		st->backups[st->n_backups++] = a->valuestring;
	}
	if (load_leaves(s, "leaves", st->n_approvers, st->approver_leaves_ms) < 0 ||
	    load_leaves(s, "backup_leaves", st->n_backups, st->backup_leaves_ms) < 0)
		return -EINVAL;
	st->quorum_all = json_int(s, "quorum_all") != 0;
	st->by_rule = json_str(s, "rule") != NULL;
	st->remind_after_ms = json_int(s, "remind");
	st->escalate_after_ms = json_int(s, "escalate");
	st->expire_after_ms = json_int(s, "expire");
	return 0;
}

int plan_load(const struct config *cfg, const cJSON *json, struct plan *ret)
{
	struct plan p = { 0 };
	const char *verdict;
	const cJSON *v;
	int r = -EINVAL;

	p.root = cJSON_Duplicate(json, 1);
	if (!p.root)
		return -ENOMEM;
	verdict = json_str(p.root, "verdict");
	if (!verdict)
		goto fail;
	p.wf.valid = strcmp(verdict, policy_verdict_name(POLICY_SEND_BACK)) != 0;
	p.wf.duplicate = strcmp(verdict, policy_verdict_name(POLICY_LINK_DUPLICATE)) == 0;
	p.wf.has_access = strcmp(verdict, policy_verdict_name(POLICY_ALREADY_GRANTED)) == 0;
	p.wf.unstaffed = strcmp(verdict, policy_verdict_name(POLICY_BLOCK)) == 0;
	p.wf.rule_rejected = strcmp(verdict, policy_verdict_name(POLICY_REJECT)) == 0;
	p.wf.requester = json_str(p.root, "requester");
	p.wf.subject = json_str(p.root, "subject");
	p.subject_id = json_str(p.root, "subject_id");
	p.target = json_str(p.root, "target");
	p.item = json_str(p.root, "item");
	p.end_asked = json_str(p.root, "end_asked");
	p.wf.end_ms = json_int(p.root, "end");
	p.wf.rollback = json_int(p.root, "rollback") != 0;
	p.wf.max_attempts = (int)json_int(p.root, "max_attempts");
	if (p.wf.max_attempts < 1)
		p.wf.max_attempts = 1;
	p.wf.retry_backoff_ms = json_int(p.root, "backoff");
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p.root, "steps")) {
		if (!cJSON_IsString(v) || p.wf.n_steps >= WF_MAX_STEPS)
			goto fail;
		p.steps[p.wf.n_steps] = conf_find_target(&cfg->policy, v->valuestring);
		if (!p.steps[p.wf.n_steps])
			goto fail;
		p.wf.n_steps++;
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p.root, "stages")) {
		if (p.wf.n_stages >= WF_MAX_STAGES || load_stage(v, &p.wf.stages[p.wf.n_stages]) < 0)
			goto fail;
		p.wf.n_stages++;
	}
	*ret = p;
	return 0;
fail:
	cJSON_Delete(p.root);
	return r;
}

void plan_clear(struct plan *p)
{
	cJSON_Delete(p->root);
	memset(p, 0, sizeof(*p));
}

const char *plan_name(const struct plan *p, const char *upn)
{
	const cJSON *n;

	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(p->root, "names"))
		if (upn && n->string && strcasecmp(n->string, upn) == 0 && cJSON_IsString(n))
			return n->valuestring;
	return NULL;
}

char *plan_problems(const struct plan *p)
{
	const cJSON *v;
	size_t len = 1;
	char *text;

	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p->root, "problems"))
		if (cJSON_IsString(v))
			len += strlen(v->valuestring) + 3;
	text = calloc(1, len);
	if (!text)
		return NULL;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(p->root, "problems")) {
		if (!cJSON_IsString(v))
			continue;
		strcat(text, "- ");
		strcat(text, v->valuestring);
		strcat(text, "\n");
	}
	return text;
}

void plan_rule(const struct plan *p, int stage, struct plan_rule *ret)
{
	const cJSON *from = stage < 0 ? p->root
				      : cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p->root, "stages"), stage);

	ret->rule = json_str(from, stage < 0 ? "rejected_by_rule" : "rule");
	ret->because = ret->rule ? json_str(from, "because") : NULL;
	ret->why_not = ret->rule ? NULL : json_str(from, stage < 0 ? "no_reject_rule" : "no_rule");
}

cJSON *plan_record_json(const struct wf_record *rec)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddNumberToObject(o, "state", rec->state) || !cJSON_AddNumberToObject(o, "stage", rec->stage) ||
	    !cJSON_AddNumberToObject(o, "since", (double)rec->stage_since_ms) ||
	    !cJSON_AddNumberToObject(o, "reminded", rec->reminded) ||
	    !cJSON_AddNumberToObject(o, "escalated", rec->escalated) ||
	    !cJSON_AddNumberToObject(o, "granted", rec->granted) || !cJSON_AddNumberToObject(o, "undone", rec->undone) ||
	    !cJSON_AddNumberToObject(o, "step", rec->step) || !cJSON_AddNumberToObject(o, "attempts", rec->attempts) ||
	    !cJSON_AddNumberToObject(o, "retry_at", (double)rec->retry_at_ms) ||
	    !cJSON_AddNumberToObject(o, "seen", (double)rec->seen_ms)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int plan_record_parse(const cJSON *json, struct wf_record *ret)
{
	struct wf_record r = { 0 };
	int64_t state = json_int(json, "state"), stage = json_int(json, "stage"), step = json_int(json, "step");

	if (!cJSON_IsObject(json) || state < WF_NEW || state >= WF_STATE_COUNT || stage < 0 || stage >= WF_MAX_STAGES ||
	    step < 0 || step >= WF_MAX_STEPS)
		return -EINVAL;
	r.state = (enum wf_state)state;
	r.stage = (int)stage;
	r.stage_since_ms = json_int(json, "since");
	r.reminded = json_int(json, "reminded") != 0;
	r.escalated = json_int(json, "escalated") != 0;
	r.granted = (uint32_t)json_int(json, "granted");
	r.undone = (uint32_t)json_int(json, "undone");
	r.step = (int)step;
	r.attempts = (int)json_int(json, "attempts");
	r.retry_at_ms = json_int(json, "retry_at");
	r.seen_ms = json_int(json, "seen");
	*ret = r;
	return 0;
}
