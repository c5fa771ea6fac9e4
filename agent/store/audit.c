/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "util/json.h"
#include "util/log.h"
#include "util/text.h"

/* The line ends with HASH_PREFIX, 64 hex digits and HASH_END. */
#define HASH_PREFIX ",\"hash\":\""
#define HASH_END "\"}"
#define TIME_LEN (sizeof("YYYY-MM-DDTHH:MM:SS.mmmZ") - 1)
#define HASH_SUFFIX_LEN (sizeof(HASH_PREFIX) - 1 + AUDIT_HASH_LEN + sizeof(HASH_END) - 1)

struct audit {
	int fd;
	off_t size; /* the end of the last whole record */
	uint64_t seq;
	char hash[AUDIT_HASH_LEN + 1];
	bool broken;
};

static const char *const kind_names[AUDIT_KIND_COUNT] = {
	[AUDIT_DECISION] = "decision",
	[AUDIT_SENT_BACK] = "sent_back",
	[AUDIT_APPROVAL_REQUESTED] = "approval_requested",
	[AUDIT_APPROVAL_SEEN] = "approval_seen",
	[AUDIT_APPROVAL_IGNORED] = "approval_ignored",
	[AUDIT_REJECTED] = "rejected",
	[AUDIT_REMINDER] = "reminder",
	[AUDIT_ESCALATION] = "escalation",
	[AUDIT_EXPIRED] = "expired",
	[AUDIT_GRANT_EXECUTED] = "grant_executed",
	[AUDIT_GRANT_FAILED] = "grant_failed",
	[AUDIT_ROLLBACK] = "rollback",
	[AUDIT_COMPENSATION] = "compensation",
	[AUDIT_TICKET_UPDATED] = "ticket_updated",
	[AUDIT_EVIDENCE_ATTACHED] = "evidence_attached",
	[AUDIT_INCIDENT_OPENED] = "incident_opened",
	[AUDIT_NOTIFICATION_SENT] = "notification_sent",
	[AUDIT_COMPLETED] = "completed",
	[AUDIT_REMOVAL] = "removal",
	[AUDIT_WITHDRAWN] = "withdrawn",
};

const char *audit_kind_name(enum audit_kind kind)
{
	if ((unsigned)kind >= AUDIT_KIND_COUNT)
		return NULL;
	return kind_names[kind];
}

int audit_kind_parse(const char *name, enum audit_kind *ret)
{
	for (int k = 0; k < AUDIT_KIND_COUNT; k++) {
		if (name && strcmp(kind_names[k], name) == 0) {
			*ret = (enum audit_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

/* Add S, cleaned, to OBJ as NAME; a NULL S adds nothing. 0 or -ENOMEM. */
static int add_text(cJSON *obj, const char *name, const char *s, size_t max)
{
	char buf[AUDIT_DETAIL_MAX + TEXT_CLEAN_EXTRA];

	if (!s)
		return 0;
	return cJSON_AddStringToObject(obj, name, text_clean(s, max, buf)) ? 0 : -ENOMEM;
}

static int format_time(int64_t ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (ms < 0 || !gmtime_r(&secs, &tm))
		return -EINVAL;
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || (size_t)snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000)) >= size - n)
		return -EINVAL;
	return 0;
}

/* The record's content (everything but its hash), as one line of JSON.
 * Returns 0 and a string the caller frees, or a negative errno. */
static int build_content(uint64_t seq, int64_t now_ms, const struct audit_event *ev, char **ret)
{
	cJSON *rec = NULL, *req, *exec, *ids;
	char when[40], *text;
	int r = -ENOMEM;

	if (!audit_kind_name(ev->kind) || ev->n_graph_request_ids > AUDIT_MAX_IDS ||
	    (ev->n_graph_request_ids && !ev->graph_request_ids))
		return -EINVAL;
	r = format_time(now_ms, when, sizeof(when));
	if (r < 0)
		return r;
	r = -ENOMEM;
	rec = cJSON_CreateObject();
	if (!rec || !cJSON_AddNumberToObject(rec, "seq", (double)seq) ||
	    !cJSON_AddStringToObject(rec, "time", when))
		goto done;
	if (ev->request_number || ev->request_id) {
		req = cJSON_AddObjectToObject(rec, "request");
		if (!req || add_text(req, "number", ev->request_number, AUDIT_ID_MAX) < 0 ||
		    add_text(req, "id", ev->request_id, AUDIT_ID_MAX) < 0)
			goto done;
	}
	if (!cJSON_AddStringToObject(rec, "event", audit_kind_name(ev->kind)) ||
	    add_text(rec, "action", ev->action_id, AUDIT_ID_MAX) < 0 ||
	    add_text(rec, "who", ev->who, AUDIT_TEXT_MAX) < 0 ||
	    add_text(rec, "rule", ev->rule, AUDIT_TEXT_MAX) < 0)
		goto done;
	if (ev->group_id || ev->user_id || ev->role_id || ev->n_graph_request_ids) {
		exec = cJSON_AddObjectToObject(rec, "executed");
		if (!exec || add_text(exec, "group", ev->group_id, AUDIT_ID_MAX) < 0 ||
		    add_text(exec, "user", ev->user_id, AUDIT_ID_MAX) < 0 ||
		    add_text(exec, "role", ev->role_id, AUDIT_ID_MAX) < 0)
			goto done;
		if (ev->n_graph_request_ids) {
			ids = cJSON_AddArrayToObject(exec, "graph_request_ids");
			if (!ids)
				goto done;
			for (size_t i = 0; i < ev->n_graph_request_ids; i++) {
				const char *id = ev->graph_request_ids[i] ? ev->graph_request_ids[i] : "";
				char buf[AUDIT_DETAIL_MAX + TEXT_CLEAN_EXTRA];
				cJSON *item = cJSON_CreateString(text_clean(id, AUDIT_ID_MAX, buf));

				if (!item)
					goto done;
				cJSON_AddItemToArray(ids, item);
			}
		}
	}
	if (add_text(rec, "detail", ev->detail, AUDIT_DETAIL_MAX) < 0)
		goto done;
	text = cJSON_PrintUnformatted(rec);
	if (!text)
		goto done;
	*ret = text;
	r = 0;
done:
	cJSON_Delete(rec);
	return r;
}

/* hex(SHA-256(PREV || CONTENT)) into OUT. */
static int chain_hash(const char *prev, const char *content, size_t len, char out[AUDIT_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, prev, AUDIT_HASH_LEN) &&
	     EVP_DigestUpdate(ctx, content, len) && EVP_DigestFinal_ex(ctx, md, &md_len) && md_len == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	for (unsigned int i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[AUDIT_HASH_LEN] = '\0';
	return 0;
}

/* One line, parsed and checked. */
struct parsed {
	cJSON *root;
	uint64_t seq;
	char hash[AUDIT_HASH_LEN + 1];
};

static void problem_set(struct audit_problem *p, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem_set(struct audit_problem *p, size_t line, const char *fmt, ...)
{
	va_list ap;

	if (!p)
		return;
	p->line = line;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
}

/* Parse LINE (LEN bytes, without its newline) and check it against the
 * chain: sequence number EXPECT_SEQ (0: any) and previous hash PREV (NULL:
 * not checked). Returns 0 with OUT filled (free OUT->root), -EBADMSG with
 * the reason in PROBLEM, or -ENOMEM. */
static int parse_line(const char *line, size_t len, uint64_t expect_seq, const char *prev, struct parsed *out,
		      size_t lineno, struct audit_problem *problem)
{
	const char *suffix, *stored;
	cJSON *root = NULL, *seq;
	char computed[AUDIT_HASH_LEN + 1], *content = NULL;
	size_t content_len;
	int r;

	if (memchr(line, '\0', len)) {
		problem_set(problem, lineno, "bad JSON: a NUL byte in the record");
		return -EBADMSG;
	}
	if (json_parse(line, len, &root) < 0 || !cJSON_IsObject(root)) {
		problem_set(problem, lineno, "bad JSON");
		r = -EBADMSG;
		goto done;
	}
	if (len < HASH_SUFFIX_LEN + 2) {
		problem_set(problem, lineno, "bad JSON: the record does not end with its hash");
		r = -EBADMSG;
		goto done;
	}
	suffix = line + len - HASH_SUFFIX_LEN;
	stored = suffix + sizeof(HASH_PREFIX) - 1;
	if (memcmp(suffix, HASH_PREFIX, sizeof(HASH_PREFIX) - 1) != 0 ||
	    memcmp(line + len - 2, HASH_END, 2) != 0 || strspn(stored, "0123456789abcdef") < AUDIT_HASH_LEN) {
		problem_set(problem, lineno, "bad JSON: the record does not end with its hash");
		r = -EBADMSG;
		goto done;
	}
	seq = cJSON_GetObjectItemCaseSensitive(root, "seq");
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 1 || seq->valuedouble > 9007199254740992.0 ||
	    seq->valuedouble != (double)(uint64_t)seq->valuedouble) {
		problem_set(problem, lineno, "bad JSON: no valid sequence number");
		r = -EBADMSG;
		goto done;
	}
	out->seq = (uint64_t)seq->valuedouble;
	if (expect_seq && out->seq != expect_seq) {
		problem_set(problem, lineno, "sequence gap: expected %" PRIu64 ", found %" PRIu64, expect_seq, out->seq);
		r = -EBADMSG;
		goto done;
	}
	memcpy(out->hash, stored, AUDIT_HASH_LEN);
	out->hash[AUDIT_HASH_LEN] = '\0';
	if (prev) {
		content_len = (size_t)(suffix - line) + 1;
		content = malloc(content_len);
		if (!content) {
			r = -ENOMEM;
			goto done;
		}
		memcpy(content, line, content_len - 1);
		content[content_len - 1] = '}';
		r = chain_hash(prev, content, content_len, computed);
		if (r < 0)
			goto done;
		if (strcmp(computed, out->hash) != 0) {
			problem_set(problem, lineno, "hash mismatch: the record or the one before it was changed");
			r = -EBADMSG;
			goto done;
		}
	}
	out->root = root;
	root = NULL;
	r = 0;
done:
	free(content);
	cJSON_Delete(root);
	return r;
}

static int fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

/* Read the last whole records of the file and continue the chain after
 * them. The tail window holds two records of the largest size. */
static int read_tail(struct audit *a, const char *path)
{
	const size_t window = 2 * (AUDIT_LINE_MAX + 1);
	struct parsed last = { 0 }, before = { 0 };
	struct audit_problem problem = { 0 };
	size_t len, end, start, prev_start;
	off_t from;
	char *buf;
	int r;

	if (a->size == 0) {
		a->seq = 0;
		memcpy(a->hash, AUDIT_GENESIS, sizeof(a->hash));
		return 0;
	}
	from = a->size > (off_t)window ? a->size - (off_t)window : 0;
	len = (size_t)(a->size - from);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (size_t got = 0; got < len;) {
		ssize_t n = pread(a->fd, buf + got, len - got, from + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto done;
		}
		got += (size_t)n;
	}
	r = -EBADMSG;
	if (buf[len - 1] != '\n') {
		log_error("audit: %s: damaged tail: the last record is incomplete; repair the file before appending",
			  path);
		goto done;
	}
	end = len - 1;
	for (start = end; start > 0 && buf[start - 1] != '\n'; start--)
		;
	if (start == 0 && from > 0) {
		log_error("audit: %s: damaged tail: the last record is longer than %d bytes", path, AUDIT_LINE_MAX);
		goto done;
	}
	if (start == 0) {
		r = parse_line(buf, end, 1, AUDIT_GENESIS, &last, 1, &problem);
	} else {
		for (prev_start = start - 1; prev_start > 0 && buf[prev_start - 1] != '\n'; prev_start--)
			;
		r = parse_line(buf + prev_start, start - 1 - prev_start, 0, NULL, &before, 0, &problem);
		if (r == 0)
			r = parse_line(buf + start, end - start, before.seq + 1, before.hash, &last, 0, &problem);
	}
	if (r == -EBADMSG)
		log_error("audit: %s: damaged tail: %s; run 'accessctl audit verify %s' and repair the file before "
			  "appending", path, problem.reason, path);
	if (r < 0)
		goto done;
	a->seq = last.seq;
	memcpy(a->hash, last.hash, sizeof(a->hash));
done:
	cJSON_Delete(last.root);
	cJSON_Delete(before.root);
	free(buf);
	return r;
}

int audit_open(const char *path, struct audit **ret)
{
	struct audit *a;
	struct stat st;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	/* Read access too: the tail is read to continue the chain. */
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (a->fd < 0) {
		r = -errno;
		goto fail;
	}
	if (flock(a->fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	if (fstat(a->fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	a->size = st.st_size;
	if (a->size == 0) {
		/* A new file must survive a crash as a directory entry too. */
		r = fsync_parent(path);
		if (r < 0)
			goto fail;
	}
	r = read_tail(a, path);
	if (r < 0)
		goto fail;
	*ret = a;
	return 0;
fail:
	audit_close(a);
	return r;
}

struct audit *audit_close(struct audit *a)
{
	if (!a)
		return NULL;
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	return NULL;
}

void audit_head(const struct audit *a, uint64_t *ret_seq, char hash[AUDIT_HASH_LEN + 1])
{
	*ret_seq = a->seq;
	memcpy(hash, a->hash, AUDIT_HASH_LEN + 1);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int audit_append(struct audit *a, int64_t now_ms, const struct audit_event *ev)
{
	char hash[AUDIT_HASH_LEN + 1], *content = NULL, *line = NULL;
	size_t content_len, line_len;
	int r;

	if (a->broken)
		return -EIO;
	r = build_content(a->seq + 1, now_ms, ev, &content);
	if (r < 0)
		return r;
	content_len = strlen(content);
	r = chain_hash(a->hash, content, content_len, hash);
	if (r < 0)
		goto done;
	/* The content without its closing brace, then the hash member. */
	line_len = content_len - 1 + HASH_SUFFIX_LEN + 1;
	if (line_len > AUDIT_LINE_MAX) {
		r = -E2BIG; /* the caps keep every record well below this */
		goto done;
	}
	line = malloc(line_len + 1);
	if (!line) {
		r = -ENOMEM;
		goto done;
	}
	snprintf(line, line_len + 1, "%.*s" HASH_PREFIX "%s" HASH_END "\n", (int)(content_len - 1), content, hash);
	r = write_all(a->fd, line, line_len);
	if (r < 0) {
		/* Cut the torn record off, or no later record could chain. */
		if (ftruncate(a->fd, a->size) < 0)
			a->broken = true;
		goto done;
	}
	if (fdatasync(a->fd) < 0) {
		r = -errno;
		a->broken = true;
		goto done;
	}
	a->size += (off_t)line_len;
	a->seq++;
	memcpy(a->hash, hash, sizeof(hash));
done:
	free(line);
	free(content);
	return r;
}

/* Fill REC's event from a parsed record; -EBADMSG with PROBLEM when a member
 * has the wrong type or the event is unknown. */
static int to_record(const cJSON *root, size_t lineno, const struct parsed *p, struct audit_record *rec,
		     struct audit_problem *problem)
{
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "request");
	const cJSON *exec = cJSON_GetObjectItemCaseSensitive(root, "executed");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(exec, "graph_request_ids"), *id;
	const char *event = json_str(root, "event");

	memset(rec, 0, sizeof(*rec));
	rec->line = lineno;
	rec->seq = p->seq;
	rec->hash = p->hash;
	rec->time = json_str(root, "time");
	/* Shown as it is, so it must be what format_time writes. */
	if (!rec->time || strlen(rec->time) != TIME_LEN || strspn(rec->time, "0123456789-:.TZ") != TIME_LEN) {
		problem_set(problem, lineno, "bad JSON: no valid time");
		return -EBADMSG;
	}
	if (audit_kind_parse(event, &rec->ev.kind) < 0) {
		problem_set(problem, lineno, "bad JSON: unknown event '%.40s'", event ? event : "");
		return -EBADMSG;
	}
	rec->ev.request_number = json_str(req, "number");
	rec->ev.request_id = json_str(req, "id");
	rec->ev.action_id = json_str(root, "action");
	rec->ev.who = json_str(root, "who");
	rec->ev.rule = json_str(root, "rule");
	rec->ev.group_id = json_str(exec, "group");
	rec->ev.user_id = json_str(exec, "user");
	rec->ev.role_id = json_str(exec, "role");
	rec->ev.detail = json_str(root, "detail");
	cJSON_ArrayForEach(id, ids) {
		if (rec->ev.n_graph_request_ids == AUDIT_MAX_IDS || !cJSON_IsString(id)) {
			problem_set(problem, lineno, "bad JSON: bad Graph request ids");
			return -EBADMSG;
		}
		rec->graph_ids[rec->ev.n_graph_request_ids++] = id->valuestring;
	}
	rec->ev.graph_request_ids = rec->graph_ids;
	return 0;
}

/* Read one line of at most AUDIT_LINE_MAX bytes into BUF (without the
 * newline). Returns 1 with *LEN set, 0 at the end of the file, -EBADMSG
 * with PROBLEM for an over-long or unterminated line, or -EIO. */
static int next_line(FILE *f, char *buf, size_t *len, size_t lineno, struct audit_problem *problem)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n == AUDIT_LINE_MAX) {
			problem_set(problem, lineno, "bad JSON: the record is longer than %d bytes", AUDIT_LINE_MAX);
			return -EBADMSG;
		}
		buf[n++] = (char)c;
	}
	if (ferror(f))
		return -EIO;
	if (c == EOF && n == 0)
		return 0;
	if (c == EOF) {
		problem_set(problem, lineno, "truncated: the last record has no end of line");
		return -EBADMSG;
	}
	*len = n;
	return 1;
}

int audit_read(const char *path, const struct audit_anchor *anchor, audit_record_cb cb, void *userdata,
	       uint64_t *ret_count, char head[AUDIT_HASH_LEN + 1], struct audit_problem *problem)
{
	char prev[AUDIT_HASH_LEN + 1] = AUDIT_GENESIS, *buf = NULL;
	bool anchor_seen = false;
	uint64_t count = 0;
	size_t len, lineno = 0;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(AUDIT_LINE_MAX);
	if (!buf) {
		r = -ENOMEM;
		goto done;
	}
	for (;;) {
		struct parsed p = { 0 };
		struct audit_record rec;

		r = next_line(f, buf, &len, ++lineno, problem);
		if (r <= 0)
			break;
		r = parse_line(buf, len, count + 1, prev, &p, lineno, problem);
		if (r < 0)
			break;
		r = to_record(p.root, lineno, &p, &rec, problem);
		rec.text = buf;
		rec.len = len;
		if (r == 0 && anchor && anchor->seq == p.seq) {
			anchor_seen = true;
			if (strcmp(anchor->hash, p.hash) != 0) {
				problem_set(problem, lineno, "hash mismatch: record %" PRIu64 " differs from the anchor",
					    p.seq);
				r = -EBADMSG;
			}
		}
		if (r == 0 && cb)
			r = cb(&rec, userdata);
		cJSON_Delete(p.root);
		if (r < 0)
			break;
		count++;
		memcpy(prev, p.hash, sizeof(prev));
	}
	if (r == 0 && anchor && !anchor_seen) {
		problem_set(problem, lineno, "truncated: record %" PRIu64 " of the anchor is missing; the file ends at "
			    "record %" PRIu64, anchor->seq, count);
		r = -EBADMSG;
	}
	if (r == 0) {
		*ret_count = count;
		if (head)
			memcpy(head, prev, sizeof(prev));
	}
done:
	free(buf);
	fclose(f);
	return r;
}
