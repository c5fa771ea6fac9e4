#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

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
	free(req->state);
	free(req->updated_on);
	free(req->short_description);
	variables_free(req->vars, req->n_vars);
	memset(req, 0, sizeof(*req));
}

void approval_clear(struct approval *a)
{
	free(a->id);
	free(a->request_id);
	free(a->approver);
	free(a->approver_upn);
	free(a->state);
	free(a->comments);
	free(a->updated_on);
	memset(a, 0, sizeof(*a));
}

void person_clear(struct person *p)
{
	free(p->id);
	free(p->upn);
	free(p->mail);
	free(p->user_type);
	free(p->employee_type);
	free(p->manager_id);
	variables_free(p->attrs, p->n_attrs);
	memset(p, 0, sizeof(*p));
}
