/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "jtest.h"
#include "store/audit.h"
#include "util/log.h"

#define T0 1764057600000LL /* 2025-11-25T08:00:00.000Z */
#define N_RECORDS 4

struct fixture {
	char dir[64];
	char path[128];
	char *orig;      /* the file as written, for tampering with copies */
	size_t orig_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/accessd-audit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/audit.log", f->dir);
	log_init("test_audit", LOG_LEVEL_ERR);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f->orig);
	free(f);
	return 0;
}

static const char *const graph_ids[] = { "0f1e2d3c-aaaa-bbbb-cccc-000000000001", "0f1e2d3c-aaaa-bbbb-cccc-000000000002" };

/* A request's story, every member used somewhere. */
static const struct audit_event story[N_RECORDS] = {
	{ .kind = AUDIT_DECISION, .request_number = "RITM0010001", .request_id = "a1b2", .who = "accessd",
	  .rule = "VPN Access", .detail = "valid; stage 1 (manager) next" },
	{ .kind = AUDIT_APPROVAL_SEEN, .request_number = "RITM0010001", .request_id = "a1b2",
	  .who = "mia.manager@contoso.example", .rule = "VPN Access/stage 1 (manager)", .action_id = "act-1" },
	{ .kind = AUDIT_GRANT_EXECUTED, .request_number = "RITM0010001", .request_id = "a1b2", .action_id = "act-2",
	  .rule = "VPN Access", .group_id = "grp-vpn", .user_id = "usr-carl", .role_id = "role-x",
	  .graph_request_ids = graph_ids, .n_graph_request_ids = 2 },
	{ .kind = AUDIT_COMPLETED, .request_number = "RITM0010002", .request_id = "c3d4", .who = "accessd" },
};

static void write_story(struct fixture *f)
{
	struct audit *a = NULL;

	unlink(f->path);
	assert_int_equal(audit_open(f->path, &a), 0);
	for (int i = 0; i < N_RECORDS; i++)
		assert_int_equal(audit_append(a, T0 + i * 1000, &story[i]), 0);
	audit_close(a);
}

static void write_all(const char *path, const char *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Verify PATH; returns 0 with *COUNT, or the line of the first bad record. */
static int verify_line(const char *path, const struct audit_anchor *anchor, uint64_t *count, char *reason)
{
	struct audit_problem problem = { 0 };
	uint64_t n = 0;
	int r = audit_read(path, anchor, NULL, NULL, &n, NULL, &problem);

	if (count)
		*count = n;
	if (reason)
		strcpy(reason, problem.reason);
	if (r == 0)
		return 0;
	assert_int_equal(r, -EBADMSG);
	assert_true(problem.line >= 1);
	return (int)problem.line;
}

/* Where each line starts in BUF, and the number of lines. */
static int line_starts(const char *buf, size_t len, size_t starts[N_RECORDS + 1])
{
	int n = 0;

	starts[0] = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n')
			starts[++n] = i + 1;
	return n;
}

static void load_orig(struct fixture *f)
{
	write_story(f);
	free(f->orig);
	f->orig = jtest_read_file(f->path, &f->orig_len);
	assert_non_null(f->orig);
}

struct collected {
	struct audit_event ev[N_RECORDS];
	char *strings[N_RECORDS][9];
	const char *ids[N_RECORDS][AUDIT_MAX_IDS];
	char *id_copies[N_RECORDS][AUDIT_MAX_IDS];
	uint64_t seq[N_RECORDS];
	char time[N_RECORDS][32];
	int n;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int collect(const struct audit_record *rec, void *userdata)
{
	struct collected *c = userdata;
	struct audit_event *ev = &c->ev[c->n];
	char **s = c->strings[c->n];

	assert_true(c->n < N_RECORDS);
	c->seq[c->n] = rec->seq;
	assert_int_equal(rec->line, (size_t)c->n + 1);
	snprintf(c->time[c->n], sizeof(c->time[c->n]), "%s", rec->time);
	*ev = rec->ev;
	ev->request_number = s[0] = dup_or_null(rec->ev.request_number);
	ev->request_id = s[1] = dup_or_null(rec->ev.request_id);
	ev->action_id = s[2] = dup_or_null(rec->ev.action_id);
	ev->who = s[3] = dup_or_null(rec->ev.who);
	ev->rule = s[4] = dup_or_null(rec->ev.rule);
	ev->group_id = s[5] = dup_or_null(rec->ev.group_id);
	ev->user_id = s[6] = dup_or_null(rec->ev.user_id);
	ev->role_id = s[7] = dup_or_null(rec->ev.role_id);
	ev->detail = s[8] = dup_or_null(rec->ev.detail);
	for (size_t i = 0; i < rec->ev.n_graph_request_ids; i++)
		c->ids[c->n][i] = c->id_copies[c->n][i] = strdup(rec->ev.graph_request_ids[i]);
	ev->graph_request_ids = c->ids[c->n];
	c->n++;
	return 0;
}

static void collected_free(struct collected *c)
{
	for (int i = 0; i < c->n; i++) {
		for (int j = 0; j < 9; j++)
			free(c->strings[i][j]);
		for (int j = 0; j < AUDIT_MAX_IDS; j++)
			free(c->id_copies[i][j]);
	}
}

static void assert_str_or_null(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_event_equal(const struct audit_event *a, const struct audit_event *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_str_or_null(a->request_number, b->request_number);
	assert_str_or_null(a->request_id, b->request_id);
	assert_str_or_null(a->action_id, b->action_id);
	assert_str_or_null(a->who, b->who);
	assert_str_or_null(a->rule, b->rule);
	assert_str_or_null(a->group_id, b->group_id);
	assert_str_or_null(a->user_id, b->user_id);
	assert_str_or_null(a->role_id, b->role_id);
	assert_str_or_null(a->detail, b->detail);
	assert_int_equal(a->n_graph_request_ids, b->n_graph_request_ids);
	for (size_t i = 0; i < a->n_graph_request_ids; i++)
		assert_string_equal(a->graph_request_ids[i], b->graph_request_ids[i]);
}

static void test_append_and_read_back(void **state)
{
	struct fixture *f = *state;
	char head[AUDIT_HASH_LEN + 1], read_head[AUDIT_HASH_LEN + 1];
	struct audit_problem problem;
	struct collected c = { 0 };
	struct audit *a = NULL;
	uint64_t seq, count = 0;
	struct stat st;

	assert_int_equal(audit_open(f->path, &a), 0);
	audit_head(a, &seq, head);
	assert_int_equal(seq, 0);
	assert_string_equal(head, AUDIT_GENESIS);
	for (int i = 0; i < N_RECORDS; i++)
		assert_int_equal(audit_append(a, T0 + i * 1000 + 7, &story[i]), 0);
	audit_head(a, &seq, head);
	assert_int_equal(seq, N_RECORDS);
	audit_close(a);

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(audit_read(f->path, NULL, collect, &c, &count, read_head, &problem), 0);
	assert_int_equal(count, N_RECORDS);
	assert_string_equal(read_head, head);
	assert_int_equal(c.n, N_RECORDS);
	for (int i = 0; i < N_RECORDS; i++) {
		assert_int_equal(c.seq[i], (uint64_t)i + 1);
		assert_event_equal(&c.ev[i], &story[i]);
	}
	assert_string_equal(c.time[0], "2025-11-25T08:00:00.007Z");
	assert_string_equal(c.time[3], "2025-11-25T08:00:03.007Z");
	collected_free(&c);
}

static void test_reopen_continues_the_chain(void **state)
{
	struct fixture *f = *state;
	char head[AUDIT_HASH_LEN + 1], reopened[AUDIT_HASH_LEN + 1];
	struct audit *a = NULL;
	uint64_t seq, count;

	write_story(f);
	assert_int_equal(audit_open(f->path, &a), 0);
	audit_head(a, &seq, reopened);
	assert_int_equal(seq, N_RECORDS);
	assert_int_equal(audit_read(f->path, NULL, NULL, NULL, &count, head, NULL), 0);
	assert_string_equal(reopened, head);
	assert_int_equal(audit_append(a, T0 + 10000, &story[0]), 0);
	audit_close(a);
	/* Twice more, with one record each time: the tail of a file with one
	 * record chains to the genesis value. */
	assert_int_equal(verify_line(f->path, NULL, &count, NULL), 0);
	assert_int_equal(count, N_RECORDS + 1);
	unlink(f->path);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(audit_open(f->path, &a), 0);
		assert_int_equal(audit_append(a, T0, &story[i]), 0);
		audit_close(a);
	}
	assert_int_equal(verify_line(f->path, NULL, &count, NULL), 0);
	assert_int_equal(count, 3);
}

/* Every single-byte change anywhere in the file is found, at its line. */
static void test_any_changed_byte_is_found_at_its_line(void **state)
{
	struct fixture *f = *state;
	size_t starts[N_RECORDS + 1];
	char *copy;
	int lines;

	load_orig(f);
	lines = line_starts(f->orig, f->orig_len, starts);
	assert_int_equal(lines, N_RECORDS);
	copy = malloc(f->orig_len);
	assert_non_null(copy);
	for (int line = 0; line < lines; line++) {
		for (size_t i = starts[line]; i < starts[line + 1] - 1; i++) {
			memcpy(copy, f->orig, f->orig_len);
			copy[i] = copy[i] == '7' ? '8' : '7';
			write_all(f->path, copy, f->orig_len);
			if (verify_line(f->path, NULL, NULL, NULL) != line + 1)
				fail_msg("changing byte %zu ('%c') of line %d went unnoticed", i - starts[line],
					 f->orig[i], line + 1);
		}
	}
	free(copy);
}

/* Write the original file with the byte AT after the first FIND set to TO. */
static void write_changed(struct fixture *f, const char *find, size_t at, char to)
{
	char *copy = strdup(f->orig), *p;

	assert_non_null(copy);
	p = strstr(copy, find);
	assert_non_null(p);
	p[at] = to;
	write_all(f->path, copy, f->orig_len);
	free(copy);
}

static void test_changed_fields_name_the_reason(void **state)
{
	static const struct {
		const char *find;
		size_t at;
		char to;
		int line;
		const char *reason;
	} cases[] = {
		{ "mia.manager", 0, 'x', 2, "hash mismatch: the record or the one before it was changed" },
		{ "\"seq\":3", 6, '4', 3, "sequence gap: expected 3, found 4" },
		{ "\"event\":\"grant_executed\"", 0, '{', 3, "bad JSON" },
		{ "\"event\":\"completed\"", 9, 'C', 4, "hash mismatch: the record or the one before it was changed" },
	};
	struct fixture *f = *state;
	char reason[200];

	load_orig(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_changed(f, cases[i].find, cases[i].at, cases[i].to);
		assert_int_equal(verify_line(f->path, NULL, NULL, reason), cases[i].line);
		assert_string_equal(reason, cases[i].reason);
	}
}

static void test_deleted_and_reordered_records(void **state)
{
	struct fixture *f = *state;
	size_t starts[N_RECORDS + 1], out;
	char reason[200], head[AUDIT_HASH_LEN + 1];
	struct audit_anchor anchor = { N_RECORDS, head };
	uint64_t count;
	char *copy;

	load_orig(f);
	line_starts(f->orig, f->orig_len, starts);
	assert_int_equal(audit_read(f->path, NULL, NULL, NULL, &count, head, NULL), 0);
	copy = malloc(f->orig_len);
	assert_non_null(copy);
	for (int del = 0; del < N_RECORDS; del++) {
		out = 0;
		for (int line = 0; line < N_RECORDS; line++) {
			if (line == del)
				continue;
			memcpy(copy + out, f->orig + starts[line], starts[line + 1] - starts[line]);
			out += starts[line + 1] - starts[line];
		}
		write_all(f->path, copy, out);
		if (del < N_RECORDS - 1) {
			assert_int_equal(verify_line(f->path, NULL, NULL, reason), del + 1);
			assert_non_null(strstr(reason, "sequence gap"));
		} else {
			/* The last record gone leaves a valid, shorter chain:
			 * only the anchor tells. */
			assert_int_equal(verify_line(f->path, NULL, &count, NULL), 0);
			assert_int_equal(count, N_RECORDS - 1);
			assert_int_equal(verify_line(f->path, &anchor, NULL, reason), N_RECORDS);
			assert_non_null(strstr(reason, "truncated"));
		}
	}
	for (int swap = 0; swap < N_RECORDS - 1; swap++) {
		size_t a_len = starts[swap + 1] - starts[swap], b_len = starts[swap + 2] - starts[swap + 1];

		memcpy(copy, f->orig, f->orig_len);
		memcpy(copy + starts[swap], f->orig + starts[swap + 1], b_len);
		memcpy(copy + starts[swap] + b_len, f->orig + starts[swap], a_len);
		write_all(f->path, copy, f->orig_len);
		assert_int_equal(verify_line(f->path, NULL, NULL, NULL), swap + 1);
	}
	/* A duplicated record (a replayed write) breaks the chain too. */
	memcpy(copy, f->orig, starts[2]);
	write_all(f->path, copy, starts[2]);
	{
		FILE *fp = fopen(f->path, "ab");

		assert_non_null(fp);
		fwrite(f->orig + starts[1], 1, starts[2] - starts[1], fp);
		fclose(fp);
	}
	assert_int_equal(verify_line(f->path, NULL, NULL, NULL), 3);
	/* The intact file passes the anchor check. */
	write_all(f->path, f->orig, f->orig_len);
	assert_int_equal(verify_line(f->path, &anchor, &count, NULL), 0);
	head[0] = head[0] == 'a' ? 'b' : 'a';
	assert_int_equal(verify_line(f->path, &anchor, NULL, reason), N_RECORDS);
	free(copy);
}

static void test_truncation_at_every_offset(void **state)
{
	struct fixture *f = *state;
	size_t starts[N_RECORDS + 1];
	uint64_t count;
	int line = 0;

	load_orig(f);
	line_starts(f->orig, f->orig_len, starts);
	for (size_t len = 0; len < f->orig_len; len++) {
		if (len == starts[line + 1])
			line++;
		write_all(f->path, f->orig, len);
		if (len == starts[line]) {
			assert_int_equal(verify_line(f->path, NULL, &count, NULL), 0);
			assert_int_equal(count, (uint64_t)line);
		} else {
			assert_int_equal(verify_line(f->path, NULL, NULL, NULL), line + 1);
		}
	}
}

static void test_damaged_tail_is_not_extended(void **state)
{
	struct fixture *f = *state;
	struct audit *a = NULL;
	size_t len;
	char *now;

	load_orig(f);
	/* A torn last record. */
	write_all(f->path, f->orig, f->orig_len - 10);
	assert_int_equal(audit_open(f->path, &a), -EBADMSG);
	assert_null(a);
	now = jtest_read_file(f->path, &len);
	assert_non_null(now);
	assert_int_equal(len, f->orig_len - 10);
	free(now);
	/* A changed last record. */
	write_changed(f, "RITM0010002", 10, '3');
	assert_int_equal(audit_open(f->path, &a), -EBADMSG);
	/* Garbage after the last record. */
	write_all(f->path, f->orig, f->orig_len);
	{
		FILE *fp = fopen(f->path, "ab");

		fputs("not json\n", fp);
		fclose(fp);
	}
	assert_int_equal(audit_open(f->path, &a), -EBADMSG);
	now = jtest_read_file(f->path, &len);
	assert_non_null(now);
	assert_int_equal(len, f->orig_len + 9);
	free(now);
}

/* A write that fails half-way (here: the file size limit) is cut off, so
 * the next record still chains. */
static void test_failed_write_leaves_no_torn_record(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, lim;
	struct audit *a = NULL;
	struct stat st;
	uint64_t seq, count;
	char head[AUDIT_HASH_LEN + 1];
	off_t size;
	int r;

	write_story(f);
	assert_int_equal(stat(f->path, &st), 0);
	size = st.st_size;
	assert_int_equal(audit_open(f->path, &a), 0);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 20;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r = audit_append(a, T0 + 9000, &story[1]);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(r, -EFBIG);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, size);
	audit_head(a, &seq, head);
	assert_int_equal(seq, N_RECORDS);
	assert_int_equal(audit_append(a, T0 + 9000, &story[1]), 0);
	audit_close(a);
	assert_int_equal(verify_line(f->path, NULL, &count, NULL), 0);
	assert_int_equal(count, N_RECORDS + 1);
}

static void test_one_writer_at_a_time(void **state)
{
	struct fixture *f = *state;
	struct audit *a = NULL, *b = NULL;

	unlink(f->path);
	assert_int_equal(audit_open(f->path, &a), 0);
	assert_int_equal(audit_open(f->path, &b), -EBUSY);
	assert_null(b);
	audit_close(a);
	assert_int_equal(audit_open(f->path, &b), 0);
	audit_close(b);
}

static void test_hostile_strings(void **state)
{
	struct fixture *f = *state;
	char long_text[3000], expected_long[AUDIT_DETAIL_MAX + 4];
	char forged[200];
	static const char *const too_many[AUDIT_MAX_IDS + 1] = { "1", "2", "3", "4", "5", "6", "7", "8", "9" };
	struct audit_event ev = { .kind = AUDIT_TICKET_UPDATED };
	struct collected c = { 0 };
	struct audit *a = NULL;
	uint64_t count;
	size_t len, lines = 0;
	char *text;

	unlink(f->path);
	assert_int_equal(audit_open(f->path, &a), 0);
	/* Quotes, a forged hash member and a forged second record. */
	snprintf(forged, sizeof(forged), "x\",\"hash\":\"%s\"}\n{\"seq\":99,\"event\":\"completed\"}", AUDIT_GENESIS);
	ev.request_number = forged;
	ev.who = "eve\r\n\x1b[2J\t\x7f\\";
	/* Invalid UTF-8: a lone continuation byte, a truncated sequence, an
	 * overlong slash and a surrogate; valid multibyte text stays. */
	ev.rule = "caf\xc3\xa9 \x80 \xe2\x82 \xc0\xaf \xed\xa0\x80 \xf0\x9f\x94\x91";
	memset(long_text, 'A', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	long_text[AUDIT_DETAIL_MAX - 1] = '\xc3'; /* a two-byte character across the cap */
	long_text[AUDIT_DETAIL_MAX] = '\xa9';
	ev.detail = long_text;
	assert_int_equal(audit_append(a, T0, &ev), 0);

	/* Refused: unknown kind, too many ids, a time before the epoch. */
	ev.kind = AUDIT_KIND_COUNT;
	assert_int_equal(audit_append(a, T0, &ev), -EINVAL);
	ev.kind = AUDIT_DECISION;
	ev.graph_request_ids = too_many;
	ev.n_graph_request_ids = AUDIT_MAX_IDS + 1;
	assert_int_equal(audit_append(a, T0, &ev), -EINVAL);
	ev.n_graph_request_ids = 0;
	assert_int_equal(audit_append(a, -1, &ev), -EINVAL);
	audit_close(a);

	text = jtest_read_file(f->path, &len);

	assert_non_null(text);
	for (size_t i = 0; i < len; i++) {
		lines += text[i] == '\n';
		assert_false((unsigned char)text[i] < 0x20 && text[i] != '\n');
	}
	assert_int_equal(lines, 1);
	free(text);

	assert_int_equal(audit_read(f->path, NULL, collect, &c, &count, NULL, NULL), 0);
	assert_int_equal(count, 1);
	assert_string_equal(c.ev[0].request_number, forged);
	assert_string_equal(c.ev[0].who, "eve\r\n\x1b[2J\t\x7f\\");
	assert_string_equal(c.ev[0].rule, "caf\xc3\xa9 ? ?? ?? ??? \xf0\x9f\x94\x91");
	memset(expected_long, 'A', AUDIT_DETAIL_MAX - 1);
	memcpy(expected_long + AUDIT_DETAIL_MAX - 1, "...", 4);
	assert_string_equal(c.ev[0].detail, expected_long);
	collected_free(&c);
}

static void test_kind_names(void **state)
{
	enum audit_kind k;

	(void)state;
	for (int i = 0; i < AUDIT_KIND_COUNT; i++) {
		assert_non_null(audit_kind_name((enum audit_kind)i));
		assert_int_equal(audit_kind_parse(audit_kind_name((enum audit_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_null(audit_kind_name(AUDIT_KIND_COUNT));
	assert_int_equal(audit_kind_parse("granted-everything", &k), -EINVAL);
	assert_int_equal(audit_kind_parse(NULL, &k), -EINVAL);
}

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	uint64_t count;

	unlink(f->path);
	assert_int_equal(audit_read(f->path, NULL, NULL, NULL, &count, NULL, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_continues_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_changed_byte_is_found_at_its_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_fields_name_the_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_and_reordered_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation_at_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_tail_is_not_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_leaves_no_torn_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_writer_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings, setup, teardown),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
