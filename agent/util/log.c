/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The call site in this file would say nothing about the event. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "accessd";
static enum log_level log_max = LOG_LEVEL_INFO;
static int log_to_journal = -1;

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/* systemd sets JOURNAL_STREAM to "device:inode" of the stream it connected;
 * only when that is our stderr do the "<N>" prefixes mean anything. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, enum log_level level)
{
	log_ident = ident;
	log_max = level;
	log_to_journal = stderr_is_journal();
}

void log_set_level(enum log_level level)
{
	log_max = level;
}

enum log_level log_get_level(void)
{
	return log_max;
}

int log_level_parse(const char *name, enum log_level *ret)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (level_names[i] && strcasecmp(name, level_names[i]) == 0) {
			*ret = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	if ((size_t)level < sizeof(level_names) / sizeof(level_names[0]) && level_names[level])
		return level_names[level];
	return "info";
}

/* One line per event: control characters from remote data are replaced so a
 * hostile ticket field cannot forge a second log line. */
static void sanitize(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = in; *p && n < len - 1; p++)
		out[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
	out[n] = '\0';
}

static bool journal_connected(void)
{
	if (log_to_journal < 0)
		log_to_journal = stderr_is_journal();
	return log_to_journal;
}

static void emit(enum log_level level, const char *msg)
{
	char line[4096];

	sanitize(msg, line, sizeof(line));
	if (journal_connected())
		fprintf(stderr, "<%d>%s\n", (int)level, line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[level], line);
}

void log_msgv(enum log_level level, const char *fmt, va_list ap)
{
	char msg[4096];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(level, msg);
}

static void log_errno(enum log_level level, int err, const char *fmt, va_list ap)
{
	char msg[4096];
	char full[4200];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(full, sizeof(full), "%s: %s", msg, strerror(err));
	emit(level, full);
}

#define LOG_FN(name, level)                          \
	void name(const char *fmt, ...)              \
	{                                            \
		va_list ap;                          \
		va_start(ap, fmt);                   \
		log_msgv(level, fmt, ap);            \
		va_end(ap);                          \
	}

LOG_FN(log_warnx, LOG_LEVEL_WARNING)
LOG_FN(log_error, LOG_LEVEL_ERR)
LOG_FN(log_notice, LOG_LEVEL_NOTICE)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LEVEL_WARNING, err, fmt, ap);
	va_end(ap);
}

void log_request(enum log_level level, const char *number, const char *action_id, const char *fmt, ...)
{
	char msg[3900], req[64], act[64], full[4096], line[4096];
	va_list ap;
	int r;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(number, req, sizeof(req));
	sanitize(action_id ? action_id : "", act, sizeof(act));
	if (action_id)
		snprintf(full, sizeof(full), "%s action %s: %s", req, act, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", req, msg);
	if (!journal_connected()) {
		emit(level, full);
		return;
	}
	/* The native protocol carries the fields; the stream would lose them.
	 * Should journald refuse the message, the line still goes out. */
	sanitize(full, line, sizeof(line));
	if (action_id)
		r = sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", (int)level, "SYSLOG_IDENTIFIER=%s", log_ident,
				    "ACCESSD_REQUEST=%s", req, "ACCESSD_ACTION=%s", act, NULL);
	else
		r = sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", (int)level, "SYSLOG_IDENTIFIER=%s", log_ident,
				    "ACCESSD_REQUEST=%s", req, NULL);
	if (r < 0)
		emit(level, full);
}

void fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LEVEL_ERR, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_msgv(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
