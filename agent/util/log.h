/* SPDX-License-Identifier: Apache-2.0 */
/* Logging in few verbs, after OpenSMTPD: log_warn adds strerror(errno),
 * log_warnx does not; fatal/fatalx log and exit(1).
 *
 * Every line goes to stderr. When stderr is connected to the journal
 * (JOURNAL_STREAM names it, as systemd sets it), each line starts with the
 * syslog priority as "<N>" so journald files it under the right level;
 * otherwise it starts with the program name and the level word.
 *
 * Events about one request go through log_request(), which journald gets
 * with the request number and action id as fields of their own.
 *
 * Callers must never pass a secret: no password, client secret or token may
 * reach a log line at any level. */
#ifndef ACCESSD_LOG_H
#define ACCESSD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Set the program name and the most verbose level that is printed. */
void log_init(const char *ident, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parse "error", "warning", "notice", "info" or "debug"; 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *ret);

/* The word for LEVEL, as log_level_parse reads it; "info" for a value
 * that is not a level. */
const char *log_level_name(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_msgv(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Log an event about the request NUMBER (e.g. "RITM0010001") and, when not
 * NULL, its action ACTION_ID. The line reads "RITM0010001: message" (or
 * "RITM0010001 action ID: message"); under journald it also carries the
 * fields ACCESSD_REQUEST= and ACCESSD_ACTION=, so that
 * `journalctl -u accessd ACCESSD_REQUEST=RITM0010001` shows one request. */
void log_request(enum log_level level, const char *number, const char *action_id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
