/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* From a fast local answer to a request near the ITSM's timeout. */
const double stats_bucket_bounds[STATS_BUCKETS] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };

static struct stats_series series[STATS_MAX_SERIES];
static size_t n_series;

/* The series NAME{LABELS}, created when new; NULL when the table is full
 * or memory ran out: a metric lost, never the agent's work. */
static struct stats_series *find(const char *name, const char *labels, int histogram)
{
	struct stats_series *s;

	for (size_t i = 0; i < n_series; i++)
		if (strcmp(series[i].name, name) == 0 && strcmp(series[i].labels, labels) == 0)
			return &series[i];
	if (n_series == STATS_MAX_SERIES)
		return NULL;
	s = &series[n_series];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->labels = strdup(labels);
	if (!s->name || !s->labels) {
		free(s->name);
		free(s->labels);
		return NULL;
	}
	s->histogram = histogram;
	n_series++;
	return s;
}

void stats_count(const char *name, const char *labels, uint64_t n)
{
	struct stats_series *s = find(name, labels, 0);

	if (s)
		s->count += n;
}

void stats_observe(const char *name, const char *labels, double seconds)
{
	struct stats_series *s = find(name, labels, 1);

	if (!s)
		return;
	for (size_t i = 0; i < STATS_BUCKETS; i++)
		if (seconds <= stats_bucket_bounds[i]) {
			s->buckets[i]++;
			break;
		}
	s->count++;
	s->sum += seconds;
}

const struct stats_series *stats_next(size_t *iter)
{
	return *iter < n_series ? &series[(*iter)++] : NULL;
}

uint64_t stats_get(const char *name, const char *labels)
{
	for (size_t i = 0; i < n_series; i++)
		if (strcmp(series[i].name, name) == 0 && strcmp(series[i].labels, labels) == 0)
			return series[i].count;
	return 0;
}

void stats_clear(void)
{
	for (size_t i = 0; i < n_series; i++) {
		free(series[i].name);
		free(series[i].labels);
	}
	n_series = 0;
}
