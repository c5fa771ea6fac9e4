/* SPDX-License-Identifier: Apache-2.0 */
/* The status file: what the running agent tells accessctl status, as a
 * JSON object in the state directory, replaced as a whole after each cycle
 * (file_replace) and readable by the state directory's group. The agent
 * never reads it back: its state is the journal alone.
 *
 *   {"version": "0.1.0", "pid": 1234, "started": ms, "updated": ms,
 *    "log_level": "info", "reload_failed": false,
 *    "connections": [{"name": "servicenow", "role": "itsm",
 *                     "last_poll": ms, "result": "ok" | "failed",
 *                     "error": "words", "last_ok": ms}]}
 *
 * Times are milliseconds since the epoch; 0: never. "error" is there only
 * after a failed poll. */
#ifndef ACCESSD_STATUS_FILE_H
#define ACCESSD_STATUS_FILE_H

#define STATUS_FILE_NAME "status.json"

struct agent;

/* Write the status of A into its state directory. A failure is logged when
 * it first happens and when it is over; it never stops the agent. */
void status_file_write(struct agent *a);

#endif
