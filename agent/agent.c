#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "itsm.h"
#include "log.h"

int agent_new(struct config *cfg, const struct clock *clock, struct agent **ret)
{
	struct agent *a;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a) {
		conf_free(cfg);
		return -ENOMEM;
	}
	a->cfg = cfg;
	a->clock = clock;
	r = itsm_open(&cfg->itsm, &a->itsm);
	if (r < 0) {
		if (r == -ENOENT)
			log_error("%s: no ITSM connector of kind \"%s\"", cfg->path, cfg->itsm.kind);
		else if (r == -EACCES && cfg->itsm.password.file)
			log_error("the secret file %s is readable by group or others; make it private with chmod 600 %s",
				  cfg->itsm.password.file, cfg->itsm.password.file);
		else
			log_error("cannot open the %s connection: %s", cfg->itsm.kind, strerror(-r));
		agent_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

struct agent *agent_free(struct agent *a)
{
	if (!a)
		return NULL;
	itsm_close(a->itsm);
	conf_free(a->cfg);
	free(a);
	return NULL;
}

struct found {
	const struct item_config *item;
	size_t count;
};

static int on_request(const struct request *req, void *userdata)
{
	struct found *f = userdata;

	f->count++;
	log_info("found %s (sys_id %s) for catalog item \"%s\", state %s, updated %s", req->number, req->id,
		 f->item->name, req->state ? req->state : "?", req->updated_on ? req->updated_on : "?");
	return 0;
}

int agent_cycle(struct agent *a)
{
	int failed = 0;

	for (size_t i = 0; i < a->cfg->n_items; i++) {
		struct found f = { .item = &a->cfg->items[i] };
		int r = itsm_list_requests(a->itsm, f.item, on_request, &f);

		if (r < 0) {
			log_warnx("listing requests of \"%s\" failed: %s", f.item->name, strerror(-r));
			failed = r;
			continue;
		}
		log_info("catalog item \"%s\": %zu request(s)", f.item->name, f.count);
	}
	return failed;
}
