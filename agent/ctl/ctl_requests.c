/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "requests" command: what each request in the journal waits
 * for, so that an operator need not read the journal's records. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"
#include "ctl_journal.h"
#include "ctl_requests.h"
#include "ctl_state.h"
#include "cycle.h"
#include "drive.h"
#include "store/state.h"
#include "util/civil.h"
#include "util/exitcode.h"
#include "util/json.h"

void ctl_requests_usage(FILE *out)
{
	fprintf(out, "  requests [--all] [--json] [PATH]\n"
		     "                   list the requests not yet ended (with --all, every one):\n"
		     "                   state, approval stage, since when, the next deadline,\n"
		     "                   whose decision it waits for, or why it was skipped;\n"
		     "                   PATH as for journal\n");
}

/* TEXT with control characters as '?', into BUF: the journal holds what
 * the ITSM and the directory said, and a terminal must not obey it. */
static const char *printable(const char *text, char *buf, size_t size)
{
	size_t n = 0;

	for (; text && *text && n + 1 < size; text++)
		buf[n++] = (unsigned char)*text < 0x20 || *text == 0x7f ? '?' : *text;
	buf[n] = '\0';
	return n ? buf : "-";
}

static int by_number(const void *a, const void *b)
{
	const struct state_request *x = *(const struct state_request *const *)a;
	const struct state_request *y = *(const struct state_request *const *)b;

	return strcmp(x->number ? x->number : x->id, y->number ? y->number : y->id);
}

/* What one line (or JSON object) says of a request. */
struct row {
	const char *number;
	const char *state;
	const char *stage;   /* the approval stage waited on, or NULL */
	int64_t since_ms;    /* since when it waits on it; 0: - */
	int64_t next_ms;     /* the next deadline; 0: none */
	const char *skipped; /* why it was skipped, or NULL */
	const char *who[STATE_MAX_APPROVALS]; /* the approvers awaited */
	size_t n_who;
};

/* The row of SR (pointing into SR and DATA), or -ENOENT when it is not
 * listed: no workflow record yet (an approval seen before its request),
 * or, without ALL, ended. */
static int row_of(const struct state_request *sr, const cJSON *data, int all, struct row *ret)
{
	const cJSON *stages = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(data, "plan"), "stages");
	struct wf_record rec;

	memset(ret, 0, sizeof(*ret));
	ret->number = sr->number ? sr->number : sr->id;
	if (strcmp(sr->workflow, CYCLE_SKIPPED) == 0) {
		ret->state = CYCLE_SKIPPED;
		ret->skipped = json_str(data, "skipped");
		return 0;
	}
	if (plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec) < 0 || (!all && wf_state_final(rec.state)))
		return -ENOENT;
	ret->state = wf_state_name(rec.state);
	if (rec.state == WF_AWAITING || rec.state == WF_ESCALATED) {
		ret->stage = json_str(cJSON_GetArrayItem(stages, rec.stage), "name");
		ret->since_ms = ret->stage ? rec.stage_since_ms : 0;
		if (ret->stage)
			ret->n_who = ctl_waiting_for(sr, ret->who, STATE_MAX_APPROVALS);
	}
	ret->next_ms = json_int(data, "next");
	return 0;
}

static void print_row(const struct row *w)
{
	char number[64], stage[64], who[1024] = "", names[1024], since[24], next[24];
	size_t n = 0;

	for (size_t i = 0; i < w->n_who && n < sizeof(who); i++)
		n += (size_t)snprintf(who + n, sizeof(who) - n, "%s%s", i ? "," : "", w->who[i]);
	printf("%-14s %-18s %-16s %-19s  %-19s  %s\n", printable(w->number, number, sizeof(number)), w->state,
	       printable(w->stage, stage, sizeof(stage)), ctl_utc(w->since_ms, 0, since) ? since : "-",
	       ctl_utc(w->next_ms, 0, next) ? next : "-",
	       printable(w->skipped ? w->skipped : who, names, sizeof(names)));
}

static cJSON *row_json(const struct row *w)
{
	cJSON *o = cJSON_CreateObject(), *who = NULL;
	char since[24], next[24];

	if (!o || !ctl_add_str(o, "request", w->number) || !ctl_add_str(o, "state", w->state) ||
	    !ctl_add_str(o, "stage", w->stage) || !ctl_add_str(o, "stage_since", ctl_utc(w->since_ms, 1, since)) ||
	    !ctl_add_str(o, "next_deadline", ctl_utc(w->next_ms, 1, next)) ||
	    !(who = cJSON_AddArrayToObject(o, "waiting_for")) ||
	    (w->skipped && !ctl_add_str(o, "skipped", w->skipped)))
		goto oom;
	for (size_t i = 0; i < w->n_who; i++) {
		cJSON *name = cJSON_CreateString(w->who[i]);

		if (!name)
			goto oom;
		cJSON_AddItemToArray(who, name);
	}
	return o;
oom:
	cJSON_Delete(o);
	return NULL;
}

static int list(const char *path, int all, int json)
{
	const struct state_request **v = NULL;
	const struct state_request *sr;
	struct journal_scan scan;
	struct state *s = NULL;
	cJSON *array = NULL;
	size_t n = 0, iter = 0;
	int r;

	r = ctl_state_load(path, &s, &scan);
	if (ctl_state_not_started(path, r)) {
		if (json)
			printf("[]\n");
		else
			printf("no requests yet (the journal is created on the first start)\n");
		return EXIT_OK;
	}
	if (r < 0)
		return ctl_read_error(path, r);
	if (state_request_count(s) > 0 && !(v = calloc(state_request_count(s), sizeof(*v))))
		goto oom;
	if (json && !(array = cJSON_CreateArray()))
		goto oom;
	while ((sr = state_request_next(s, &iter)))
		v[n++] = sr;
	if (n > 0)
		qsort(v, n, sizeof(*v), by_number);
	if (!json)
		printf("%-14s %-18s %-16s %-19s  %-19s  %s\n", "REQUEST", "STATE", "STAGE", "STAGE SINCE (UTC)",
		       "NEXT DEADLINE (UTC)", "WAITING FOR");
	for (size_t i = 0; i < n && r == 0; i++) {
		cJSON *data = drive_data(v[i]), *o;
		struct row w;

		if (row_of(v[i], data, all, &w) < 0)
			;
		else if (!json)
			print_row(&w);
		else if ((o = row_json(&w)))
			cJSON_AddItemToArray(array, o);
		else
			r = -ENOMEM;
		cJSON_Delete(data);
	}
	if (r < 0)
		goto oom;
	if (json) {
		char *text = cJSON_Print(array);

		if (!text)
			goto oom;
		printf("%s\n", text);
		free(text);
	}
	cJSON_Delete(array);
	free(v);
	state_free(s);
	if (scan.damage != JOURNAL_SOUND) {
		ctl_state_damaged(path, &scan);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
oom:
	fprintf(stderr, "accessctl: out of memory\n");
	cJSON_Delete(array);
	free(v);
	state_free(s);
	return EXIT_RUNTIME;
}

int ctl_requests(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char *path;
	int c, all = 0, json = 0, r;

	/* a fresh scan of the command's own arguments */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+a", options, NULL)) != -1) {
		if (c == 'a')
			all = 1;
		else if (c == 'j')
			json = 1;
		else
			goto usage;
	}
	if (argc - optind > 1)
		goto usage;
	path = ctl_journal_path(optind < argc ? argv[optind] : CTL_JOURNAL_DEFAULT_PATH);
	if (!path) {
		fprintf(stderr, "accessctl: out of memory\n");
		return EXIT_RUNTIME;
	}
	r = list(path, all, json);
	free(path);
	return r;
usage:
	fprintf(stderr, "accessctl: usage: accessctl requests [--all] [--json] [PATH]\n"
			"Try 'accessctl --help' for more information.\n");
	return EXIT_USAGE;
}
