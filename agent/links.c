/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "links.h"
#include "util/log.h"

/* The person's own fields need no extra $select; any other attribute a
 * contractor rule names does, and so do those policy rules read. */
static int collect_attributes(const struct config *cfg, struct links *l)
{
	const struct contractor_config *c = &cfg->policy.contractor;

	l->attributes = calloc(c->n_match + 3, sizeof(*l->attributes));
	if (!l->attributes)
		return -ENOMEM;
	if (conf_rules_use(cfg, RULE_DEPARTMENT))
		l->attributes[l->params.n_attributes++] = "department";
	if (conf_rules_use(cfg, RULE_COMPANY))
		l->attributes[l->params.n_attributes++] = "companyName";
	for (size_t i = 0; i < c->n_match; i++) {
		const char *name = c->match[i].attribute;
		int known = 0;

		for (size_t k = 0; k < l->params.n_attributes; k++)
			known |= strcasecmp(name ? name : "", l->attributes[k]) == 0;
		if (!name || known || strcasecmp(name, "employeeType") == 0 || strcasecmp(name, "userType") == 0)
			continue;
		l->attributes[l->params.n_attributes++] = name;
	}
	l->params.attributes = l->attributes;
	return 0;
}

int links_open(const struct config *cfg, const struct clock *clock, struct links **ret)
{
	struct links *l = calloc(1, sizeof(*l));
	int r;

	if (!l) {
		log_error("out of memory opening the directory and notification connections");
		return -ENOMEM;
	}
	l->params.clock = clock;
	l->params.tenant = cfg->directory.tenant_id;
	r = collect_attributes(cfg, l);
	if (r < 0) {
		log_error("out of memory opening the directory and notification connections");
		goto fail;
	}
	if (cfg->directory.kind) {
		r = directory_open(&cfg->directory, &l->params, &l->directory);
		if (r < 0) {
			log_error("cannot open the %s directory connection: %s", cfg->directory.kind, strerror(-r));
			goto fail;
		}
	}
	if (cfg->notify.kind) {
		/* notify_open logs why it cannot open. */
		r = notify_open(&cfg->notify, &l->notify);
		if (r < 0)
			goto fail;
	}
	*ret = l;
	return 0;
fail:
	links_free(l);
	return r;
}

struct links *links_free(struct links *l)
{
	if (!l)
		return NULL;
	directory_close(l->directory);
	notify_close(l->notify);
	free(l->attributes);
	free(l);
	return NULL;
}
