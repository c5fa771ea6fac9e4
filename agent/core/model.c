/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const char *const phase_names[TICKET_PHASES] = {
	[TICKET_OPEN] = "open",
	[TICKET_SENT_BACK] = "sent_back",
	[TICKET_PENDING_APPROVAL] = "pending_approval",
	[TICKET_IMPLEMENTING] = "implementing",
	[TICKET_BLOCKED] = "blocked",
	[TICKET_COMPLETED] = "completed",
	[TICKET_REJECTED] = "rejected",
	[TICKET_EXPIRED] = "expired",
	[TICKET_DUPLICATE] = "duplicate",
	[TICKET_WITHDRAWN] = "withdrawn",
	[TICKET_CANCELLED] = "cancelled",
};

static const char *const decision_names[] = {
	[APPROVAL_UNKNOWN] = "unknown",
	[APPROVAL_REQUESTED] = "requested",
	[APPROVAL_APPROVED] = "approved",
	[APPROVAL_REJECTED] = "rejected",
	[APPROVAL_CANCELLED] = "cancelled",
};

int ticket_phase_closed(enum ticket_phase p)
{
	return p >= TICKET_COMPLETED;
}

const char *ticket_phase_name(enum ticket_phase p)
{
	return (unsigned)p < TICKET_PHASES ? phase_names[p] : "?";
}

int ticket_phase_from_name(const char *name, enum ticket_phase *ret)
{
	for (int p = 0; name && p < TICKET_PHASES; p++)
		if (strcmp(phase_names[p], name) == 0) {
			*ret = (enum ticket_phase)p;
			return 0;
		}
	return -EINVAL;
}

const char *approval_decision_name(enum approval_decision d)
{
	return (unsigned)d < sizeof(decision_names) / sizeof(decision_names[0]) ? decision_names[d] : "unknown";
}

enum approval_decision approval_decision_from_name(const char *name)
{
	for (size_t d = 0; name && d < sizeof(decision_names) / sizeof(decision_names[0]); d++)
		if (strcmp(decision_names[d], name) == 0)
			return (enum approval_decision)d;
	return APPROVAL_UNKNOWN;
}

const char *variable_get(const struct variable *vars, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (vars[i].name && strcmp(vars[i].name, name) == 0)
			return vars[i].value;
	return NULL;
}

const char *request_var(const struct request *req, const char *name)
{
	return variable_get(req->vars, req->n_vars, name);
}

void variables_free(struct variable *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(vars[i].name);
		free(vars[i].value);
	}
	free(vars);
}

void request_clear(struct request *req)
{
	free(req->id);
	free(req->number);
	free(req->item_id);
	free(req->item_name);
	free(req->requested_for);
	free(req->opened_by);
	free(req->requested_for_upn);
	free(req->opened_by_upn);
	free(req->status);
	free(req->updated_on);
	free(req->short_description);
	free(req->refused);
	variables_free(req->vars, req->n_vars);
	memset(req, 0, sizeof(*req));
}

/* A copy of S, or NULL when S is NULL; *OOM is set when it cannot be made. */
static char *copy(const char *s, int *oom)
{
	char *c = s ? strdup(s) : NULL;

	if (s && !c)
		*oom = 1;
	return c;
}

int request_copy(const struct request *req, struct request *ret)
{
	struct request c = {
		.n_vars = 0,
	};
	int oom = 0;

	c.id = copy(req->id, &oom);
	c.number = copy(req->number, &oom);
	c.item_id = copy(req->item_id, &oom);
	c.item_name = copy(req->item_name, &oom);
	c.requested_for = copy(req->requested_for, &oom);
	c.opened_by = copy(req->opened_by, &oom);
	c.requested_for_upn = copy(req->requested_for_upn, &oom);
	c.opened_by_upn = copy(req->opened_by_upn, &oom);
	c.phase = req->phase;
	c.status = copy(req->status, &oom);
	c.updated_on = copy(req->updated_on, &oom);
	c.short_description = copy(req->short_description, &oom);
	c.refused = copy(req->refused, &oom);
	c.vars = calloc(req->n_vars ? req->n_vars : 1, sizeof(*c.vars));
	if (!c.vars)
		oom = 1;
	for (size_t i = 0; c.vars && i < req->n_vars; i++) {
		c.vars[i].name = copy(req->vars[i].name, &oom);
		c.vars[i].value = copy(req->vars[i].value, &oom);
		c.n_vars++;
	}
	if (oom) {
		request_clear(&c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void approval_clear(struct approval *a)
{
	free(a->id);
	free(a->request_id);
	free(a->approver);
	free(a->approver_upn);
	free(a->status);
	free(a->comments);
	free(a->updated_on);
	free(a->decided_by);
	memset(a, 0, sizeof(*a));
}

void person_clear(struct person *p)
{
	free(p->id);
	free(p->upn);
	free(p->mail);
	free(p->display_name);
	free(p->user_type);
	free(p->employee_type);
	free(p->manager_id);
	free(p->refused);
	variables_free(p->attrs, p->n_attrs);
	memset(p, 0, sizeof(*p));
}

int person_current(const struct person *p, int64_t now_ms)
{
	return p && p->exists && p->enabled && !p->refused && !(p->hire_ms && p->hire_ms > now_ms) &&
	       !(p->leave_ms && p->leave_ms <= now_ms);
}
