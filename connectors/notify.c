/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "util/civil.h"

struct notify {
	const struct notify_ops *ops;
	void *impl;
	unsigned events;
};

static const struct notify_ops *const all_ops[] = {
	&teams_ops,
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
	n->events = conf->events;
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

bool notify_wants(const struct notify *n, enum notify_event event)
{
	return (unsigned)event < NOTIFY_EVENT_COUNT && (n->events & (1u << event));
}

int notify_send(struct notify *n, const struct notify_message *msg)
{
	if (!notify_event_name(msg->event) || !msg->action_id || !*msg->action_id || !msg->request_number ||
	    !*msg->request_number || msg->n_facts > NOTIFY_MAX_FACTS || (msg->n_facts && !msg->facts) ||
	    msg->n_links > NOTIFY_MAX_LINKS || (msg->n_links && !msg->links))
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

void notify_time_text(int64_t ms, char buf[static NOTIFY_TIME_SIZE])
{
	char utc[20];

	/* To the minute: "YYYY-MM-DD HH:MM" of civil_format's text. */
	if (civil_format(ms, utc) < 0)
		snprintf(buf, NOTIFY_TIME_SIZE, "?");
	else
		snprintf(buf, NOTIFY_TIME_SIZE, "%.16s UTC", utc);
}

void notify_span_text(int64_t ms, char *buf, size_t size)
{
	static const struct {
		const char *name;
		int64_t ms;
	} units[] = { { "day", 86400000 }, { "hour", 3600000 }, { "minute", 60000 }, { "second", 1000 } };
	size_t n = 0, shown = 0;

	if (size)
		buf[0] = '\0';
	if (ms < 1000)
		ms = 1000;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		int64_t v = ms / units[i].ms;

		if (v == 0) {
			/* Two units next to each other, or one: "2 days 3 hours", never "2 days 5 seconds". */
			if (shown)
				break;
			continue;
		}
		ms -= v * units[i].ms;
		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%lld %s%s", shown ? " " : "", (long long)v,
					      units[i].name, v == 1 ? "" : "s");
		shown++;
	}
}
