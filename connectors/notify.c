/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

struct notify {
	const struct notify_ops *ops;
	void *impl;
};

static const struct notify_ops *const all_ops[] = {
	&teams_ops,
};

static const char *const event_names[NOTIFY_EVENT_COUNT] = {
	[NOTIFY_COMPLETED] = "completed",
	[NOTIFY_BLOCKED] = "blocked",
	[NOTIFY_ESCALATED] = "escalated",
	[NOTIFY_REMINDER] = "reminder",
};

const struct notify_ops *notify_ops_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (kind && strcmp(all_ops[i]->conf.kind, kind) == 0)
			return all_ops[i];
	return NULL;
}

const struct conf_connector *notify_connector(size_t i)
{
	return i < sizeof(all_ops) / sizeof(all_ops[0]) ? &all_ops[i]->conf : NULL;
}

int notify_open(const struct notify_config *conf, struct notify **ret)
{
	const struct notify_ops *ops = notify_ops_find(conf->kind);
	struct notify *n;
	int r;

	if (!ops)
		return -ENOENT;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->ops = ops;
	r = ops->open(conf, &n->impl);
	if (r < 0) {
		free(n);
		return r;
	}
	*ret = n;
	return 0;
}

struct notify *notify_close(struct notify *n)
{
	if (!n)
		return NULL;
	n->ops->close(n->impl);
	free(n);
	return NULL;
}

int notify_send(struct notify *n, const struct notify_message *msg)
{
	if (!notify_event_name(msg->event) || !msg->action_id || !*msg->action_id || !msg->request_number ||
	    !*msg->request_number || msg->n_facts > NOTIFY_MAX_FACTS || (msg->n_facts && !msg->facts))
		return -EINVAL;
	return n->ops->send(n->impl, msg);
}

bool notify_error_is_transient(int r)
{
	switch (r) {
	case -EAGAIN:
	case -ETIMEDOUT:
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -EHOSTUNREACH:
	case -EIO:
		return true;
	default:
		return false;
	}
}

const char *notify_event_name(enum notify_event event)
{
	if ((unsigned)event >= NOTIFY_EVENT_COUNT)
		return NULL;
	return event_names[event];
}
