/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"

struct directory {
	const struct directory_ops *ops;
	void *impl;
};

static const struct directory_ops *const all_ops[] = {
	&entra_ops,
};

const struct directory_ops *directory_ops_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (kind && strcmp(all_ops[i]->conf.kind, kind) == 0)
			return all_ops[i];
	return NULL;
}

const struct conf_connector *directory_connector(size_t i)
{
	return i < sizeof(all_ops) / sizeof(all_ops[0]) ? &all_ops[i]->conf : NULL;
}

int directory_open(const struct conn_config *conf, const struct directory_params *params, struct directory **ret)
{
	const struct directory_ops *ops = directory_ops_find(conf->kind);
	struct directory *d;
	int r;

	if (!ops)
		return -ENOENT;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ops = ops;
	r = ops->open(conf, params, &d->impl);
	if (r < 0) {
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

struct directory *directory_close(struct directory *d)
{
	if (!d)
		return NULL;
	d->ops->close(d->impl);
	free(d);
	return NULL;
}

int directory_get_user(struct directory *d, enum directory_user_key key, const char *value, struct person *ret,
		       struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->get_user(d->impl, key, value, ret, res);
}

int directory_get_manager(struct directory *d, const char *user_id, char **ret_manager_id,
			  struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->get_manager(d->impl, user_id, ret_manager_id, res);
}

int directory_get_presence(struct directory *d, const char *user_id, enum presence *ret,
			   struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->get_presence(d->impl, user_id, ret, res);
}

int directory_get_group(struct directory *d, const char *group_id, struct directory_group *ret,
			struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->get_group(d->impl, group_id, ret, res);
}

int directory_get_members(struct directory *d, const char *group_id, struct directory_owner **ret, size_t *ret_n,
			  struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->get_members(d->impl, group_id, ret, ret_n, res);
}

int directory_is_member(struct directory *d, const char *group_id, const char *user_id, int *ret,
			struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->is_member(d->impl, group_id, user_id, ret, res);
}

int directory_get_member_of(struct directory *d, const char *user_id, char ***ret, size_t *ret_n,
			    struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->get_member_of(d->impl, user_id, ret, ret_n, res);
}

int directory_apply(struct directory *d, const struct directory_change *c, struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->apply(d->impl, c, res);
}

int directory_apply_batch(struct directory *d, const struct directory_change *c, size_t n,
			  struct directory_result *res)
{
	for (size_t i = 0; i < n; i++)
		directory_result_clear(&res[i]);
	return d->ops->apply_batch(d->impl, c, n, res);
}

int directory_find_assignment(struct directory *d, const char *resource_id, const char *principal_id,
			      const char *app_role_id, char **ret_assignment_id, struct directory_result *res)
{
	directory_result_clear(res);
	return d->ops->find_assignment(d->impl, resource_id, principal_id, app_role_id, ret_assignment_id, res);
}

void directory_result_clear(struct directory_result *res)
{
	free(res->request_id);
	free(res->error_code);
	free(res->error_message);
	free(res->assignment_id);
	memset(res, 0, sizeof(*res));
	res->retry_after_ms = -1;
}

void directory_users_free(struct directory_owner *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].upn);
	}
	free(v);
}

void directory_ids_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void directory_group_clear(struct directory_group *g)
{
	free(g->id);
	free(g->display_name);
	directory_users_free(g->owners, g->n_owners);
	memset(g, 0, sizeof(*g));
}

const char *directory_outcome_name(enum directory_outcome o)
{
	switch (o) {
	case DIRECTORY_OK:
		return "ok";
	case DIRECTORY_TRANSIENT:
		return "transient";
	case DIRECTORY_PERMANENT:
		return "permanent";
	}
	return "?";
}
