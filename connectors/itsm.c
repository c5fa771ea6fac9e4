/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itsm.h"
#include "net/http.h"

struct itsm {
	const struct itsm_ops *ops;
	void *impl;
};

static const struct itsm_ops *const all_ops[] = {
	&servicenow_ops,
	&topdesk_ops,
	&freshservice_ops,
	&xurrent_ops,
};

const struct itsm_ops *itsm_ops_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (kind && strcmp(all_ops[i]->conf.kind, kind) == 0)
			return all_ops[i];
	return NULL;
}

const struct conf_connector *itsm_connector(size_t i)
{
	return i < sizeof(all_ops) / sizeof(all_ops[0]) ? &all_ops[i]->conf : NULL;
}

int itsm_open_ops(const struct itsm_ops *ops, const struct conn_config *conf, const struct retry_config *retry,
		  const struct retry_env *env, struct itsm **ret)
{
	struct itsm *itsm = calloc(1, sizeof(*itsm));
	int r;

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

int itsm_open(const struct conn_config *conf, const struct retry_config *retry, const struct retry_env *env,
	      struct itsm **ret)
{
	const struct itsm_ops *ops = itsm_ops_find(conf->kind);

	return ops ? itsm_open_ops(ops, conf, retry, env, ret) : -ENOENT;
}

struct itsm *itsm_close(struct itsm *itsm)
{
	if (!itsm)
		return NULL;
	itsm->ops->close(itsm->impl);
	free(itsm);
	return NULL;
}

int itsm_poll_requests(struct itsm *itsm, const struct item_config *items, size_t n_items, const char *since,
		       itsm_request_cb cb, void *userdata, char **ret_watermark)
{
	return itsm->ops->poll_requests(itsm->impl, items, n_items, since, cb, userdata, ret_watermark);
}

int itsm_find_request(struct itsm *itsm, const struct item_config *items, size_t n_items, const char *number,
		      itsm_request_cb cb, void *userdata)
{
	if (!itsm->ops->find_request)
		return -EOPNOTSUPP;
	return itsm->ops->find_request(itsm->impl, items, n_items, number, cb, userdata);
}

int itsm_poll_approvals(struct itsm *itsm, const struct item_config *items, size_t n_items, const char *since,
			itsm_approval_cb cb, void *userdata, char **ret_watermark)
{
	return itsm->ops->poll_approvals(itsm->impl, items, n_items, since, cb, userdata, ret_watermark);
}

int itsm_find_user(struct itsm *itsm, const char *upn, char **ret_id)
{
	return itsm->ops->find_user(itsm->impl, upn, ret_id);
}

int itsm_find_open(struct itsm *itsm, const char *person_id, const char *const *terms, size_t n_terms,
		   const char *exclude_id, struct itsm_open **ret, size_t *ret_n)
{
	return itsm->ops->find_open(itsm->impl, person_id, terms, n_terms, exclude_id, ret, ret_n);
}

int itsm_create_approval(struct itsm *itsm, const char *request_id, const char *approver_id, const char *action_id,
			 char **ret_id)
{
	return itsm->ops->create_approval(itsm->impl, request_id, approver_id, action_id, ret_id);
}

int itsm_cancel_approval(struct itsm *itsm, const char *approval_id, const char *action_id)
{
	return itsm->ops->cancel_approval(itsm->impl, approval_id, action_id);
}

int itsm_remind_approval(struct itsm *itsm, const char *approval_id, const char *action_id)
{
	if (!itsm->ops->remind_approval)
		return -EOPNOTSUPP;
	return itsm->ops->remind_approval(itsm->impl, approval_id, action_id);
}

int itsm_set_phase(struct itsm *itsm, const char *request_id, enum ticket_phase phase, const char *note,
		   const char *action_id)
{
	return itsm->ops->set_phase(itsm->impl, request_id, phase, note, action_id);
}

int itsm_add_note(struct itsm *itsm, const char *request_id, const char *text, const char *action_id)
{
	return itsm->ops->add_note(itsm->impl, request_id, text, action_id);
}

int itsm_add_comment(struct itsm *itsm, const char *request_id, const char *text, const char *action_id)
{
	return itsm->ops->add_comment(itsm->impl, request_id, text, action_id);
}

int itsm_attach(struct itsm *itsm, const char *request_id, const char *file_name, const char *content_type,
		const void *data, size_t len, const char *action_id)
{
	return itsm->ops->attach(itsm->impl, request_id, file_name, content_type, data, len, action_id);
}

int itsm_create_incident(struct itsm *itsm, const struct itsm_incident *inc, const char *action_id, char **ret_id)
{
	return itsm->ops->create_incident(itsm->impl, inc, action_id, ret_id);
}

int itsm_record_url(struct itsm *itsm, enum itsm_record kind, const char *id, char **ret_url)
{
	return itsm->ops->record_url(itsm->impl, kind, id, ret_url);
}

void itsm_open_free(struct itsm_open *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].number);
		free(v[i].text);
	}
	free(v);
}

int itsm_open_add(struct itsm_open **v, size_t *n, const char *id, const char *number, int incident,
		  const char *brief, const char *description)
{
	struct itsm_open o = { .incident = incident }, *grown;

	o.id = strdup(id);
	o.number = strdup(number);
	if (asprintf(&o.text, "%s\n%s", brief ? brief : "", description ? description : "") < 0)
		o.text = NULL;
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!o.id || !o.number || !o.text || !grown) {
		free(o.id);
		free(o.number);
		free(o.text);
		if (grown)
			*v = grown;
		return -ENOMEM;
	}
	*v = grown;
	(*v)[(*n)++] = o;
	return 0;
}

int itsm_status_error(long status)
{
	switch (status) {
	case 400:
	case 415:
	case 422:
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	default:
		return http_classify(0, &(struct http_response){ .status = status }) == HTTP_OUTCOME_TRANSIENT ? -EAGAIN
													   : -EIO;
	}
}

int itsm_file_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= 100 && name[0] != '.' &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int itsm_content_type_ok(const char *type)
{
	size_t n = type ? strlen(type) : 0;

	return n > 0 && n < 100 &&
	       strspn(type, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+.-;= ") == n;
}

int itsm_refuse(char **refused, const char *field)
{
	if (*refused)
		return 0;
	*refused = strdup(field);
	return *refused ? 0 : -ENOMEM;
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
