#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "itsm.h"
#include "log.h"

/* Opens the ITSM connector CFG names, logging why it cannot. */
static int open_itsm(const struct config *cfg, struct itsm **ret)
{
	int r = itsm_open(&cfg->itsm, ret);

	if (r == -ENOENT)
		log_error("%s: no ITSM connector of kind \"%s\"", cfg->path, cfg->itsm.kind);
	else if (r == -EACCES && cfg->itsm.password.file)
		log_error("the secret file %s is readable by group or others; make it private with chmod 600 %s",
			  cfg->itsm.password.file, cfg->itsm.password.file);
	else if (r == -ENODATA)
		log_error("a secret of the %s connection is empty; write it to its file, or for a credential to "
			  SYSCONFDIR "/accessd/credentials/NAME", cfg->itsm.kind);
	else if (r == -ENXIO)
		log_error("the %s connection names a systemd credential, but CREDENTIALS_DIRECTORY is not set; "
			  "start accessd with systemctl, or name a file with *_file", cfg->itsm.kind);
	else if (r < 0)
		log_error("cannot open the %s connection: %s", cfg->itsm.kind, strerror(-r));
	return r;
}

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
	r = open_itsm(cfg, &a->itsm);
	if (r < 0) {
		agent_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

int agent_reload(struct agent *a)
{
	struct diag diag = { 0 };
	struct config *cfg = NULL;
	struct itsm *itsm = NULL;
	int r;

	r = conf_load(a->cfg->path, &cfg, &diag);
	if (r < 0) {
		for (size_t i = 0; i < diag.n; i++)
			log_error("%s", diag.msgs[i]);
		log_error("%s has errors; keeping the running configuration", a->cfg->path);
		goto done;
	}
	/* The journal stays open in the old directory; moving it is a restart. */
	if (strcmp(cfg->state_directory, a->cfg->state_directory) != 0) {
		log_error("%s: state_directory changed from %s to %s, which needs a restart; "
			  "keeping the running configuration", cfg->path, a->cfg->state_directory, cfg->state_directory);
		r = -EINVAL;
		goto done;
	}
	r = open_itsm(cfg, &itsm);
	if (r < 0) {
		log_error("keeping the running configuration");
		goto done;
	}
	itsm_close(a->itsm);
	a->itsm = itsm;
	conf_free(a->cfg);
	a->cfg = cfg;
	cfg = NULL;
	log_set_level(a->debug ? LOG_LEVEL_DEBUG : a->cfg->log_level);
	log_notice("reloaded %s", a->cfg->path);
done:
	diag_clear(&diag);
	conf_free(cfg);
	return r;
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

	a->status.requests_seen = 0;
	for (size_t i = 0; i < a->cfg->n_items; i++) {
		struct found f = { .item = &a->cfg->items[i] };
		int r;

		if (agent_stop_pending()) {
			log_info("stop requested; the cycle ends before \"%s\"", f.item->name);
			break;
		}
		r = itsm_list_requests(a->itsm, f.item, on_request, &f);
		a->status.requests_seen += f.count;
		if (r < 0) {
			log_warnx("listing requests of \"%s\" failed: %s", f.item->name, strerror(-r));
			failed = r;
			continue;
		}
		log_info("catalog item \"%s\": %zu request(s)", f.item->name, f.count);
	}
	return failed;
}
