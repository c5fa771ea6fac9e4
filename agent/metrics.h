/* SPDX-License-Identifier: Apache-2.0 */
/* The metrics file: what the agent did, in the Prometheus text format
 * (version 0.0.4), for node_exporter's textfile collector, so that no port
 * is opened for a scraper. Written after each cycle when the configuration
 * names metrics_file, as a whole (file_replace): the collector never reads
 * half a file. accessd.conf(5) lists the metrics.
 *
 * The workflow's counters (actions, decisions) and gauges (requests by
 * state, the journal's size) are read from the journaled state when the
 * file is written, so they survive restarts and runs of --once; the
 * process's own (cycles, HTTP requests, util/stats.h) count from its
 * start, as Prometheus expects of a counter after a restart. */
#ifndef ACCESSD_METRICS_H
#define ACCESSD_METRICS_H

#include <stddef.h>

struct agent;

/* The metrics of A as text. Returns 0 and a string the caller frees (its
 * length in *RET_LEN), or -ENOMEM. */
int metrics_format(const struct agent *a, char **ret, size_t *ret_len);

/* Write them to the configured metrics_file (nothing when none). A failure
 * is logged when it first happens and when it is over, not every cycle:
 * the metrics never stop the agent's work. */
void metrics_write(struct agent *a);

#endif
