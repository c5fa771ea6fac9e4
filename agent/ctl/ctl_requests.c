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
#include "drive.h"
#include "store/state.h"
#include "util/civil.h"
#include "util/exitcode.h"
#include "util/json.h"

void ctl_requests_usage(FILE *out)
{
	fprintf(out, "  requests [--all] [PATH]\n"
		     "                   list the requests not yet ended (with --all, every one):\n"
		     "                   state, approval stage, since when, the next deadline,\n"
		     "                   whose decision it waits for; PATH as for journal\n");
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

/* MS as "YYYY-MM-DD HH:MM:SS" (UTC) into BUF, or "-" for 0. */
static const char *utc(int64_t ms, char buf[20])
{
	return ms <= 0 || civil_format(ms, buf) < 0 ? "-" : buf;
}

/* The approvers asked in the current stage who have not decided yet, comma
 * separated, into BUF. */
static const char *waiting_for(const struct state_request *sr, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sr->n_approvals && n < size; i++) {
		const struct state_approval *ap = &sr->approvals[i];

		if (ap->stage != sr->stage || !ap->approver ||
		    approval_decision_from_name(ap->decision) != APPROVAL_REQUESTED)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", ap->approver);
	}
	return buf;
}

static int by_number(const void *a, const void *b)
{
	const struct state_request *x = *(const struct state_request *const *)a;
	const struct state_request *y = *(const struct state_request *const *)b;

	return strcmp(x->number ? x->number : x->id, y->number ? y->number : y->id);
}

/* One line for SR, or nothing when it has no workflow record yet (an
 * approval seen before its request) or, without ALL, when it ended. */
static void print_request(const struct state_request *sr, int all)
{
	cJSON *data = drive_data(sr);
	const cJSON *stages = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(data, "plan"), "stages");
	struct wf_record rec;
	const char *stage = NULL;
	char since[20], next[20], who[1024], number[64], stage_name[64], names[1024];

	if (plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec) < 0 || (!all && wf_state_final(rec.state)))
		goto done;
	if (rec.state == WF_AWAITING || rec.state == WF_ESCALATED)
		stage = json_str(cJSON_GetArrayItem(stages, rec.stage), "name");
	printf("%-14s %-18s %-16s %-19s  %-19s  %s\n", printable(sr->number ? sr->number : sr->id, number, sizeof(number)),
	       wf_state_name(rec.state), printable(stage, stage_name, sizeof(stage_name)),
	       stage ? utc(rec.stage_since_ms, since) : "-", utc(json_int(data, "next"), next),
	       stage ? printable(waiting_for(sr, who, sizeof(who)), names, sizeof(names)) : "-");
done:
	cJSON_Delete(data);
}

static int list(const char *path, int all)
{
	const struct state_request **v = NULL;
	const struct state_request *sr;
	struct journal_scan scan;
	struct state *s = NULL;
	size_t n = 0, iter = 0;
	int r;

	r = state_new(&s);
	if (r == 0)
		r = journal_scan_file(path, state_apply_record, s, &scan);
	if (r == 0 && state_request_count(s) > 0 && !(v = calloc(state_request_count(s), sizeof(*v))))
		r = -ENOMEM;
	if (r < 0) {
		fprintf(stderr, "accessctl: cannot read %s: %s\n", path, strerror(-r));
		state_free(s);
		return EXIT_RUNTIME;
	}
	while ((sr = state_request_next(s, &iter)))
		v[n++] = sr;
	if (n > 0)
		qsort(v, n, sizeof(*v), by_number);
	printf("%-14s %-18s %-16s %-19s  %-19s  %s\n", "REQUEST", "STATE", "STAGE", "STAGE SINCE (UTC)",
	       "NEXT DEADLINE (UTC)", "WAITING FOR");
	for (size_t i = 0; i < n; i++)
		print_request(v[i], all);
	free(v);
	state_free(s);
	if (scan.damage != JOURNAL_SOUND) {
		fprintf(stderr, "accessctl: %s is damaged (%s at offset %llu): the list stops there; see accessctl "
				"journal verify\n",
			path, journal_damage_name(scan.damage), (unsigned long long)scan.offset);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int ctl_requests(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char *path;
	int c, all = 0, r;

	/* a fresh scan of the command's own arguments */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+a", options, NULL)) != -1) {
		if (c != 'a')
			goto usage;
		all = 1;
	}
	if (argc - optind > 1)
		goto usage;
	path = ctl_journal_path(optind < argc ? argv[optind] : CTL_JOURNAL_DEFAULT_PATH);
	if (!path) {
		fprintf(stderr, "accessctl: out of memory\n");
		return EXIT_RUNTIME;
	}
	r = list(path, all);
	free(path);
	return r;
usage:
	fprintf(stderr, "accessctl: usage: accessctl requests [--all] [PATH]\n"
			"Try 'accessctl --help' for more information.\n");
	return EXIT_USAGE;
}
