#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "itsm.h"
#include "journal.h"
#include "log.h"
#include "state.h"

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
	journal_close(a->journal);
	state_free(a->state);
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

	if (!agent_can_act(a))
		return -EROFS;
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

/* The journal: the agent's only state. */

int agent_open_journal(struct agent *a, bool repair)
{
	struct journal_options opts = { .repair = repair, .snapshot = state_snapshot };
	const char *dir = a->cfg->state_directory;
	char *path = NULL;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		log_error("cannot create the state directory %s: %s", dir, strerror(-r));
		return r;
	}
	if (asprintf(&path, "%s/%s", dir, JOURNAL_FILE_NAME) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto done;
	}
	r = state_new(&a->state);
	if (r < 0)
		goto done;
	opts.snapshot_userdata = a->state;
	r = journal_open(path, &opts, state_apply_record, a->state, &a->journal);
	if (r < 0)
		goto done;
	log_info("journal %s: %zu request(s), %zu action(s), last sequence %llu", path,
		 state_request_count(a->state), state_action_count(a->state),
		 (unsigned long long)journal_last_seq(a->journal));
done:
	if (r == -ENOMEM)
		log_error("out of memory opening the journal in %s", dir);
	free(path);
	return r;
}

bool agent_can_act(struct agent *a)
{
	int r;

	if (!a->journal || journal_writable(a->journal))
		return true;
	/* records a failed write left queued are written now, if they can be */
	r = journal_sync(a->journal);
	if (r == -ENOTRECOVERABLE)
		fatalx("the journal failed to sync; exiting so that a restart replays it");
	if (r < 0) {
		log_warnx("the journal cannot be written (%s): taking no action until it can", strerror(-r));
		return false;
	}
	log_notice("the journal can be written again");
	return true;
}
