/* SPDX-License-Identifier: Apache-2.0 */
/* accessctl's "status" command: the agent at a glance, from its status
 * file (is it running, its last poll per connection) and its journal
 * (requests by state, the oldest waiting, the next deadline, sizes). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/plan.h"
#include "ctl_journal.h"
#include "ctl_state.h"
#include "ctl_status.h"
#include "cycle.h"
#include "drive.h"
#include "store/audit.h"
#include "util/exitcode.h"
#include "util/json.h"

void ctl_status_usage(FILE *out)
{
	fprintf(out, "  status [--json] [DIR]\n"
		     "                   is accessd running; its last poll of each connection\n"
		     "                   (when, result, the error); requests by state; the\n"
		     "                   oldest waiting request and for whom; the next deadline;\n"
		     "                   journal and audit sizes. DIR is the state directory\n"
		     "                   (default " CTL_STATE_DEFAULT_DIR ")\n");
}

/* What the journal says, gathered for both outputs. */
struct summary {
	struct {
		char name[32];
		size_t n;
	} states[32];
	size_t n_states;
	const struct state_request *oldest; /* waiting on approvers the longest */
	int64_t oldest_since_ms;
	const struct state_request *next;   /* whose deadline is next */
	int64_t next_ms;
	struct journal_scan scan;
};

static void count_state(struct summary *m, const char *state)
{
	size_t i;

	for (i = 0; i < m->n_states; i++)
		if (strcmp(m->states[i].name, state) == 0)
			break;
	if (i == m->n_states) {
		if (m->n_states == sizeof(m->states) / sizeof(m->states[0]))
			return;
		snprintf(m->states[m->n_states++].name, sizeof(m->states[0].name), "%s", state);
	}
	m->states[i].n++;
}

/* Workflow states in the workflow's order, then any other (skipped). */
static int rank(const char *state)
{
	for (int i = 0; i < WF_STATE_COUNT; i++)
		if (strcmp(state, wf_state_name((enum wf_state)i)) == 0)
			return i;
	return WF_STATE_COUNT;
}

static int by_rank(const void *a, const void *b)
{
	const char *x = a, *y = b; /* each struct starts with its name */

	return rank(x) - rank(y);
}

static void summarize(const struct state *s, struct summary *m)
{
	const struct state_request *sr;
	size_t iter = 0;

	while ((sr = state_request_next(s, &iter))) {
		cJSON *data = drive_data(sr);
		struct wf_record rec;
		int64_t next = json_int(data, "next");

		if (sr->workflow[0])
			count_state(m, sr->workflow);
		if (plan_record_parse(cJSON_GetObjectItemCaseSensitive(data, "wf"), &rec) == 0 &&
		    !wf_state_final(rec.state)) {
			if ((rec.state == WF_AWAITING || rec.state == WF_ESCALATED) &&
			    (!m->oldest || rec.stage_since_ms < m->oldest_since_ms)) {
				m->oldest = sr;
				m->oldest_since_ms = rec.stage_since_ms;
			}
			if (next > 0 && (!m->next || next < m->next_ms)) {
				m->next = sr;
				m->next_ms = next;
			}
		}
		cJSON_Delete(data);
	}
	qsort(m->states, m->n_states, sizeof(m->states[0]), by_rank);
}

/* The approvers SR's current stage waits for, comma separated, into BUF. */
static const char *waiting_for(const struct state_request *sr, char *buf, size_t size)
{
	const char *who[STATE_MAX_APPROVALS];
	size_t n = ctl_waiting_for(sr, who, STATE_MAX_APPROVALS), used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", who[i]);
	return buf;
}

static const char *number_of(const struct state_request *sr)
{
	return sr->number ? sr->number : sr->id;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void print_daemon(const cJSON *st)
{
	const cJSON *c;
	char a[24], b[24];
	long pid = (long)json_int(st, "pid");

	if (!st) {
		printf("accessd: no status yet (the daemon writes it after each poll cycle)\n");
		return;
	}
	if (ctl_daemon_running(pid))
		printf("accessd %s: running (pid %ld) since %s UTC; log level %s\n", json_str(st, "version"), pid,
		       ctl_utc(json_int(st, "started"), 0, a) ? a : "?", json_str(st, "log_level"));
	else
		printf("accessd: not running (last seen as pid %ld, %s UTC)\n", pid,
		       ctl_utc(json_int(st, "updated"), 0, a) ? a : "?");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "reload_failed")))
		printf("configuration: the last reload was refused and the previous configuration runs; see "
		       "journalctl -u accessd\n");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "connections")) {
		const char *result = json_str(c, "result");

		printf("%s (%s): last poll %s UTC %s", json_str(c, "name"), json_str(c, "role"),
		       ctl_utc(json_int(c, "last_poll"), 0, a) ? a : "never", result ? result : "?");
		if (json_str(c, "error"))
			printf(": %s; last success %s%s", json_str(c, "error"),
			       ctl_utc(json_int(c, "last_ok"), 0, b) ? b : "never", json_int(c, "last_ok") ? " UTC" : "");
		printf("\n");
	}
}

static void print_text(const char *journal, const char *audit, const cJSON *st,
		       const struct summary *m)
{
	char a[24], who[1024];
	off_t audit_bytes = file_size(audit);

	print_daemon(st);
	printf("requests:");
	for (size_t i = 0; i < m->n_states; i++)
		printf("%s %zu %s", i ? "," : "", m->states[i].n, m->states[i].name);
	printf("%s\n", m->n_states ? "" : " none");
	if (m->oldest)
		printf("oldest waiting: %s, %s since %s UTC, for %s\n", number_of(m->oldest), m->oldest->workflow,
		       ctl_utc(m->oldest_since_ms, 0, a) ? a : "?", waiting_for(m->oldest, who, sizeof(who))[0] ? who : "-");
	if (m->next)
		printf("next deadline: %s UTC (%s)\n", ctl_utc(m->next_ms, 0, a) ? a : "?", number_of(m->next));
	printf("journal: %s, %llu records, %llu bytes\n", journal, (unsigned long long)m->scan.records,
	       (unsigned long long)m->scan.size);
	if (audit_bytes >= 0)
		printf("audit trail: %s, %lld bytes\n", audit, (long long)audit_bytes);
}

static cJSON *daemon_json(const cJSON *st)
{
	cJSON *o = cJSON_CreateObject(), *conns, *c;
	char a[24];

	if (!o || !cJSON_AddBoolToObject(o, "running", ctl_daemon_running((long)json_int(st, "pid"))) ||
	    !cJSON_AddNumberToObject(o, "pid", (double)json_int(st, "pid")) ||
	    !ctl_add_str(o, "version", json_str(st, "version")) ||
	    !ctl_add_str(o, "started", ctl_utc(json_int(st, "started"), 1, a)) ||
	    !ctl_add_str(o, "updated", ctl_utc(json_int(st, "updated"), 1, a)) ||
	    !ctl_add_str(o, "log_level", json_str(st, "log_level")) ||
	    !cJSON_AddBoolToObject(o, "reload_failed",
				   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "reload_failed"))) ||
	    !(conns = cJSON_AddArrayToObject(o, "connections")))
		goto oom;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "connections")) {
		cJSON *j = cJSON_CreateObject();

		if (!j)
			goto oom;
		cJSON_AddItemToArray(conns, j);
		if (!ctl_add_str(j, "name", json_str(c, "name")) || !ctl_add_str(j, "role", json_str(c, "role")) ||
		    !ctl_add_str(j, "last_poll", ctl_utc(json_int(c, "last_poll"), 1, a)) ||
		    !ctl_add_str(j, "result", json_str(c, "result")) || !ctl_add_str(j, "error", json_str(c, "error")) ||
		    !ctl_add_str(j, "last_success", ctl_utc(json_int(c, "last_ok"), 1, a)))
			goto oom;
	}
	return o;
oom:
	cJSON_Delete(o);
	return NULL;
}

static int print_json(const char *journal, const char *audit, const cJSON *st, const struct summary *m)
{
	cJSON *o = cJSON_CreateObject(), *states, *x;
	off_t audit_bytes = file_size(audit);
	char a[24];
	char *text;

	if (!o || !cJSON_AddItemToObject(o, "daemon", st ? daemon_json(st) : cJSON_CreateNull()) ||
	    !cJSON_GetObjectItemCaseSensitive(o, "daemon") || !(states = cJSON_AddObjectToObject(o, "requests")))
		goto oom;
	for (size_t i = 0; i < m->n_states; i++)
		if (!cJSON_AddNumberToObject(states, m->states[i].name, (double)m->states[i].n))
			goto oom;
	if (!m->oldest) {
		if (!cJSON_AddNullToObject(o, "oldest_waiting"))
			goto oom;
	} else if (!(x = cJSON_AddObjectToObject(o, "oldest_waiting")) || !ctl_add_str(x, "request", number_of(m->oldest)) ||
		   !ctl_add_str(x, "state", m->oldest->workflow) || !ctl_add_str(x, "since", ctl_utc(m->oldest_since_ms, 1, a)) ||
		   !(x = cJSON_AddArrayToObject(x, "waiting_for"))) {
		goto oom;
	} else {
		const char *who[STATE_MAX_APPROVALS];
		size_t n = ctl_waiting_for(m->oldest, who, STATE_MAX_APPROVALS);
		cJSON *name;

		for (size_t i = 0; i < n; i++) {
			if (!(name = cJSON_CreateString(who[i])))
				goto oom;
			cJSON_AddItemToArray(x, name);
		}
	}
	if (!m->next) {
		if (!cJSON_AddNullToObject(o, "next_deadline"))
			goto oom;
	} else if (!(x = cJSON_AddObjectToObject(o, "next_deadline")) || !ctl_add_str(x, "request", number_of(m->next)) ||
		   !ctl_add_str(x, "at", ctl_utc(m->next_ms, 1, a))) {
		goto oom;
	}
	if (!(x = cJSON_AddObjectToObject(o, "journal")) || !ctl_add_str(x, "path", journal) ||
	    !cJSON_AddNumberToObject(x, "records", (double)m->scan.records) ||
	    !cJSON_AddNumberToObject(x, "bytes", (double)m->scan.size) || !(x = cJSON_AddObjectToObject(o, "audit")) ||
	    !ctl_add_str(x, "path", audit) ||
	    !cJSON_AddNumberToObject(x, "bytes", (double)(audit_bytes < 0 ? 0 : audit_bytes)))
		goto oom;
	text = cJSON_Print(o);
	if (!text)
		goto oom;
	printf("%s\n", text);
	free(text);
	cJSON_Delete(o);
	return 0;
oom:
	cJSON_Delete(o);
	return -ENOMEM;
}

static int status(const char *dir, int json)
{
	struct summary m = { 0 };
	struct state *s = NULL;
	cJSON *st = NULL;
	char *journal = NULL, *audit = NULL;
	int r, exit_code = EXIT_RUNTIME;

	if (asprintf(&journal, "%s/%s", dir, JOURNAL_FILE_NAME) < 0 || asprintf(&audit, "%s/%s", dir, AUDIT_FILE_NAME) < 0)
		goto oom;
	r = ctl_state_load(journal, &s, &m.scan);
	if (ctl_state_not_started(journal, r)) {
		if (json)
			printf("{\"daemon\": null, \"requests\": {}}\n");
		else
			printf("accessd has not started yet: there is no journal in %s\n", dir);
		exit_code = EXIT_OK;
		goto done;
	}
	if (r < 0) {
		exit_code = ctl_read_error(journal, r);
		goto done;
	}
	r = ctl_status_file_read(dir, &st);
	if (r < 0 && r != -ENOENT)
		fprintf(stderr, "accessctl: cannot read the status file in %s: %s\n", dir, strerror(-r));
	summarize(s, &m);
	if (!json)
		print_text(journal, audit, st, &m);
	else if (print_json(journal, audit, st, &m) < 0)
		goto oom;
	exit_code = EXIT_OK;
	if (m.scan.damage != JOURNAL_SOUND) {
		ctl_state_damaged(journal, &m.scan);
		exit_code = EXIT_RUNTIME;
	}
	goto done;
oom:
	fprintf(stderr, "accessctl: out of memory\n");
done:
	cJSON_Delete(st);
	state_free(s);
	free(journal);
	free(audit);
	return exit_code;
}

int ctl_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c, json = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		if (c != 'j')
			goto usage;
		json = 1;
	}
	if (argc - optind > 1)
		goto usage;
	return status(optind < argc ? argv[optind] : CTL_STATE_DEFAULT_DIR, json);
usage:
	fprintf(stderr, "accessctl: usage: accessctl status [--json] [DIR]\n"
			"Try 'accessctl --help' for more information.\n");
	return EXIT_USAGE;
}
