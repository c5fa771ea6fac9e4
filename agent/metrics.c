/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "core/model.h"
#include "core/workflow.h"
#include "metrics.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/file.h"
#include "util/json.h"
#include "util/log.h"
#include "util/stats.h"

/* Readable by node_exporter, which runs as another user. */
#define METRICS_FILE_MODE 0644

/* What the skipped requests' workflow says (cycle.c). */
#define SKIPPED "skipped"

/* The families counted in util/stats, in the order they are written. */
static const struct family {
	const char *name, *type, *help;
} counted[] = {
	{ "accessd_cycles_total", "counter", "Poll cycles, by result (ok or failed)." },
	{ "accessd_cycle_duration_seconds", "histogram", "How long a poll cycle took." },
	{ "accessd_http_requests_total", "counter",
	  "HTTP requests, by system and status class (2xx, 3xx, 4xx, 5xx, or error when no answer came)." },
	{ "accessd_http_request_duration_seconds", "histogram", "How long an HTTP request took, by system." },
};

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_series(FILE *f, const struct stats_series *s)
{
	const char *comma = s->labels[0] ? "," : "";
	uint64_t cumulative = 0;

	if (!s->histogram) {
		fprintf(f, "%s%s%s%s %llu\n", s->name, s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "",
			(unsigned long long)s->count);
		return;
	}
	for (size_t i = 0; i < STATS_BUCKETS; i++) {
		cumulative += s->buckets[i];
		fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->name, s->labels, comma, stats_bucket_bounds[i],
			(unsigned long long)cumulative);
	}
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->name, s->labels, comma, (unsigned long long)s->count);
	fprintf(f, "%s_sum%s%s%s %.6f\n", s->name, s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "", s->sum);
	fprintf(f, "%s_count%s%s%s %llu\n", s->name, s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "",
		(unsigned long long)s->count);
}

/* Every series of FAM's name, under its header; nothing when none. */
static void write_family(FILE *f, const struct family *fam)
{
	const struct stats_series *s;
	size_t iter = 0;
	int started = 0;

	while ((s = stats_next(&iter))) {
		if (strcmp(s->name, fam->name) != 0)
			continue;
		if (!started)
			header(f, fam->name, fam->type, fam->help);
		started = 1;
		write_series(f, s);
	}
}

static void write_requests(FILE *f, const struct agent *a)
{
	size_t counts[WF_STATE_COUNT] = { 0 }, skipped = 0, iter = 0;
	const struct state_request *sr;

	while (a->state && (sr = state_request_next(a->state, &iter))) {
		if (strcmp(sr->workflow, SKIPPED) == 0) {
			skipped++;
			continue;
		}
		for (size_t i = 0; i < WF_STATE_COUNT; i++)
			if (strcmp(sr->workflow, wf_state_name((enum wf_state)i)) == 0)
				counts[i]++;
	}
	header(f, "accessd_requests", "gauge", "Requests in the journal, by workflow state.");
	for (size_t i = 0; i < WF_STATE_COUNT; i++)
		fprintf(f, "accessd_requests{state=\"%s\"} %zu\n", wf_state_name((enum wf_state)i), counts[i]);
	fprintf(f, "accessd_requests{state=\"" SKIPPED "\"} %zu\n", skipped);
}

/* A counter kept while the journaled state is read: LABELS and a count. */
struct tally {
	char labels[96];
	uint64_t n;
};

static void tally_add(struct tally *v, size_t *n, size_t max, const char *labels)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].labels, labels) == 0) {
			v[i].n++;
			return;
		}
	if (*n == max)
		return;
	snprintf(v[*n].labels, sizeof(v[*n].labels), "%s", labels);
	v[(*n)++].n = 1;
}

/* The name an operator looks for: a grant step, and its removal at the end
 * date (an undo otherwise rolls a failed grant back). */
static const char *action_name(const cJSON *intent)
{
	const char *kind = json_str(intent, "kind");

	if (!kind)
		return NULL;
	if (strcmp(kind, "execute") == 0)
		return "grant";
	if (strcmp(kind, "undo") == 0)
		return json_int(intent, "state") == WF_REMOVING ? "remove" : "undo";
	return kind;
}

/* Every action with an outcome, by action and result, and every decision,
 * counted from the journaled state: the counts survive restarts and runs
 * of --once, as the journal does. */
static void write_actions(FILE *f, const struct agent *a)
{
	struct tally actions[128], decisions[8];
	size_t n_actions = 0, n_decisions = 0, iter = 0;
	const struct state_action *act;
	const struct state_request *sr;
	char labels[96];

	while (a->state && (act = state_action_next(a->state, &iter))) {
		cJSON *intent = act->outcome ? cJSON_Parse(act->intent) : NULL;
		cJSON *outcome = intent ? cJSON_Parse(act->outcome) : NULL;
		const char *name = action_name(intent), *result = json_str(outcome, "result");

		if (name && result && strcmp(name, "retry_at") != 0 && !strpbrk(name, "\"\\\n") &&
		    !strpbrk(result, "\"\\\n")) {
			snprintf(labels, sizeof(labels), "action=\"%s\",result=\"%s\"", name, result);
			tally_add(actions, &n_actions, sizeof(actions) / sizeof(actions[0]), labels);
		}
		cJSON_Delete(outcome);
		cJSON_Delete(intent);
	}
	iter = 0;
	while (a->state && (sr = state_request_next(a->state, &iter)))
		for (size_t i = 0; i < sr->n_approvals; i++) {
			enum approval_decision d = approval_decision_from_name(sr->approvals[i].decision);

			if (d == APPROVAL_APPROVED || d == APPROVAL_REJECTED) {
				snprintf(labels, sizeof(labels), "decision=\"%s\"", approval_decision_name(d));
				tally_add(decisions, &n_decisions, sizeof(decisions) / sizeof(decisions[0]), labels);
			}
		}
	header(f, "accessd_actions_total", "counter",
	       "Actions carried out, by action (request_approval, remind, escalate, grant, remove, block, ...) and "
	       "result (ok, transient, permanent), as the journal records them.");
	for (size_t i = 0; i < n_actions; i++)
		fprintf(f, "accessd_actions_total{%s} %llu\n", actions[i].labels, (unsigned long long)actions[i].n);
	header(f, "accessd_approval_decisions_total", "counter",
	       "Approval decisions seen in the ITSM, by decision, as the journal records them.");
	for (size_t i = 0; i < n_decisions; i++)
		fprintf(f, "accessd_approval_decisions_total{%s} %llu\n", decisions[i].labels,
			(unsigned long long)decisions[i].n);
}

int metrics_format(const struct agent *a, char **ret, size_t *ret_len)
{
	const char *conn = a->cfg->itsm.kind;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	header(f, "accessd_build_info", "gauge", "The version of accessd that writes this file.");
	fprintf(f, "accessd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	header(f, "accessd_start_time_seconds", "gauge", "When the agent started, in seconds since the epoch.");
	fprintf(f, "accessd_start_time_seconds %lld\n", (long long)(a->started_ms / 1000));
	header(f, "accessd_last_poll_timestamp_seconds", "gauge",
	       "When the last poll of the connection ended, whatever its result.");
	fprintf(f, "accessd_last_poll_timestamp_seconds{connection=\"%s\"} %lld\n", conn,
		(long long)(a->status.last_poll_ms / 1000));
	header(f, "accessd_last_successful_poll_timestamp_seconds", "gauge",
	       "When the last successful poll of the connection ended; 0 when none has yet.");
	fprintf(f, "accessd_last_successful_poll_timestamp_seconds{connection=\"%s\"} %lld\n", conn,
		(long long)(a->status.last_ok_poll_ms / 1000));
	write_requests(f, a);
	write_actions(f, a);
	if (a->journal) {
		header(f, "accessd_journal_records", "gauge", "Records in the journal file.");
		fprintf(f, "accessd_journal_records %llu\n", (unsigned long long)journal_records(a->journal));
		header(f, "accessd_journal_bytes", "gauge", "Size of the journal file.");
		fprintf(f, "accessd_journal_bytes %llu\n", (unsigned long long)journal_size(a->journal));
	}
	for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++)
		write_family(f, &counted[i]);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

void metrics_write(struct agent *a)
{
	const char *path = a->cfg->metrics_file;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return;
	r = metrics_format(a, &text, &len);
	if (r == 0)
		r = file_replace(path, text, len, METRICS_FILE_MODE);
	free(text);
	if (r < 0 && r != a->metrics_error)
		log_warnx("cannot write the metrics file %s: %s; the agent goes on without it", path, strerror(-r));
	else if (r == 0 && a->metrics_error)
		log_notice("the metrics file %s is written again", path);
	a->metrics_error = r;
}
