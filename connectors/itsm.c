/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "itsm.h"

struct itsm {
	const struct itsm_ops *ops;
	void *impl;
};

static const struct itsm_ops *const all_ops[] = {
	&servicenow_ops,
};

const struct itsm_ops *itsm_ops_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (kind && strcmp(all_ops[i]->kind, kind) == 0)
			return all_ops[i];
	return NULL;
}

int itsm_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
	      struct itsm **ret)
{
	const struct itsm_ops *ops = itsm_ops_find(conf->kind);
	struct itsm *itsm;
	int r;

	if (!ops)
		return -ENOENT;
	itsm = calloc(1, sizeof(*itsm));
	if (!itsm)
		return -ENOMEM;
	itsm->ops = ops;
	r = ops->open(conf, retry, env ? env : &retry_env_system, &itsm->impl);
	if (r < 0) {
		free(itsm);
		return r;
	}
	*ret = itsm;
	return 0;
}

struct itsm *itsm_close(struct itsm *itsm)
{
	if (!itsm)
		return NULL;
	itsm->ops->close(itsm->impl);
	free(itsm);
	return NULL;
}

const struct itsm_ops *itsm_ops(const struct itsm *itsm)
{
	return itsm->ops;
}

void *itsm_impl(const struct itsm *itsm)
{
	return itsm->impl;
}

int itsm_error_transient(int r)
{
	return r == -EAGAIN;
}

int itsm_action_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > 100)
		return 0;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}
