/* SPDX-License-Identifier: Apache-2.0 */
/* Process-wide counters and histograms of what the agent did, for the
 * metrics file (agent/metrics.c): every layer counts here, only the shell
 * writes them out. A series is a metric NAME and its LABELS as Prometheus
 * label text (`system="servicenow",class="2xx"`, "" for none); label values
 * are the agent's own words (kinds, action names, results), never text from
 * a ticket or a response. Counters start at zero with the process, as
 * Prometheus expects of a counter. One thread: not thread-safe. */
#ifndef ACCESSD_STATS_H
#define ACCESSD_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The histogram buckets' upper bounds, in seconds (+Inf is implied). */
#define STATS_BUCKETS 10
extern const double stats_bucket_bounds[STATS_BUCKETS];

/* The most series kept; a new series beyond it is dropped. */
#define STATS_MAX_SERIES 256

struct stats_series {
	char *name;
	char *labels;
	int histogram;    /* 1: buckets, sum and count; 0: a counter in count */
	uint64_t count;   /* the counter, or the histogram's observations */
	uint64_t buckets[STATS_BUCKETS]; /* observations <= each bound (not cumulative) */
	double sum;       /* of the observations */
};

/* Add N to the counter NAME{LABELS}. */
void stats_count(const char *name, const char *labels, uint64_t n);

/* Observe SECONDS in the histogram NAME{LABELS}. */
void stats_observe(const char *name, const char *labels, double seconds);

/* Every series, in the order first seen: start with *ITER = 0; NULL after
 * the last. The result is valid until the next stats_* call. */
const struct stats_series *stats_next(size_t *iter);

/* The counter NAME{LABELS}, 0 when never counted (tests). */
uint64_t stats_get(const char *name, const char *labels);

/* Forget every series (at exit, and between tests). */
void stats_clear(void);

#endif
