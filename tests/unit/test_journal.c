/* SPDX-License-Identifier: Apache-2.0 */
/* The journal's format, replay verdicts, repair and compaction. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "jtest.h"
#include "store/journal.h"
#include "store/state.h"

#define RECORDS 20
#define WATERMARK "{\"source\":\"x\",\"watermark\":\"1\"}"

struct fixture {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = jtest_tmpdir();
	assert_non_null(f->dir);
	f->path = jtest_path(f->dir, JOURNAL_FILE_NAME);
	assert_non_null(f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	jtest_rmdir(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void write_whole(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Write RECORDS records of the generated stream; their offsets go to
 * OFFSETS (RECORDS + 1 entries, the last is the file's end). */
static void build(const char *path, uint64_t offsets[RECORDS + 1])
{
	struct journal *j = NULL;
	struct state *s = NULL;
	char buf[512];

	assert_int_equal(state_new(&s), 0);
	assert_int_equal(journal_open(path, NULL, state_apply_record, s, &j), 0);
	for (uint64_t i = 1; i <= RECORDS; i++) {
		uint16_t type;
		size_t len = jtest_record(s, i, &type, buf, sizeof(buf));

		offsets[i - 1] = journal_size(j);
		assert_int_equal(state_record(s, j, type, buf, len, NULL), 0);
		assert_int_equal(journal_sync(j), 0);
	}
	offsets[RECORDS] = journal_size(j);
	journal_close(j);
	state_free(s);
}

struct collected {
	uint64_t n;
	uint64_t seqs[64];
};

static int collect(const struct journal_record *rec, void *userdata)
{
	struct collected *c = userdata;

	if (c->n < 64)
		c->seqs[c->n] = rec->seq;
	c->n++;
	return 0;
}

static void test_roundtrip_and_sequence(void **state)
{
	struct fixture *f = *state;
	struct collected c = { 0 };
	struct journal *j = NULL;
	uint64_t seq = 0;

	assert_int_equal(journal_open(f->path, NULL, collect, &c, &j), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(journal_size(j), JOURNAL_HEADER_SIZE);
	assert_int_equal(journal_append(j, 1, "{\"a\":1}", 7, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(journal_append(j, 2, "", 0, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);

	assert_int_equal(journal_open(f->path, NULL, collect, &c, &j), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.seqs[0], 1);
	assert_int_equal(c.seqs[1], 2);
	assert_int_equal(journal_append(j, 3, "x", 1, &seq), 0);
	assert_int_equal(seq, 3);
	/* not synced: gone at close, like a crash before the sync */
	journal_close(j);
	c.n = 0;
	assert_int_equal(journal_open(f->path, NULL, collect, &c, &j), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(journal_last_seq(j), 2);
	journal_close(j);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	struct journal *j = NULL;
	char *big = calloc(1, JOURNAL_MAX_PAYLOAD + 1);

	assert_non_null(big);
	assert_int_equal(journal_open(f->path, NULL, NULL, NULL, &j), 0);
	assert_int_equal(journal_append(j, 1, big, JOURNAL_MAX_PAYLOAD + 1, NULL), -EMSGSIZE);
	assert_int_equal(journal_append(j, 0, "x", 1, NULL), -EINVAL);
	assert_int_equal(journal_append(j, JOURNAL_TYPE_MAX + 1, "x", 1, NULL), -EINVAL);
	assert_int_equal(journal_append(j, 1, big, JOURNAL_MAX_PAYLOAD, NULL), 0);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	free(big);
}

/* Cut the file at every byte of its last records: a cut on a record
 * boundary is a sound, shorter journal; anywhere else a torn tail, which
 * replay cuts back to the last whole record and appends after. */
static void test_truncate_every_offset(void **state)
{
	struct fixture *f = *state;
	uint64_t offsets[RECORDS + 1];
	char *copy = jtest_path(f->dir, "copy");
	size_t len;
	char *data;

	assert_non_null(copy);
	build(f->path, offsets);
	data = jtest_read_file(f->path, &len);
	assert_non_null(data);
	assert_int_equal(len, offsets[RECORDS]);
	for (uint64_t cut = offsets[RECORDS - 3]; cut < len; cut++) {
		uint64_t whole = 0, boundary = 0;
		struct journal_scan scan;
		struct journal *j = NULL;
		struct state *s = NULL;

		while (whole < RECORDS && offsets[whole + 1] <= cut)
			whole++;
		boundary = offsets[whole];
		write_whole(copy, data, (size_t)cut);
		assert_int_equal(journal_scan_file(copy, NULL, NULL, &scan), 0);
		assert_int_equal(scan.records, whole);
		assert_int_equal(scan.offset, boundary);
		assert_int_equal(scan.damage, cut == boundary ? JOURNAL_SOUND : JOURNAL_TORN_TAIL);

		assert_int_equal(state_new(&s), 0);
		assert_int_equal(journal_open(copy, NULL, state_apply_record, s, &j), 0);
		assert_int_equal(file_size(copy), (off_t)boundary);
		assert_int_equal(journal_last_seq(j), whole);
		assert_int_equal(journal_append(j, 1, "{}", 2, NULL), 0);
		assert_int_equal(journal_sync(j), 0);
		journal_close(j);
		state_free(s);
		assert_int_equal(journal_scan_file(copy, NULL, NULL, &scan), 0);
		assert_int_equal(scan.damage, JOURNAL_SOUND);
		assert_int_equal(scan.records, whole + 1);
	}
	/* a cut inside the file header: a fresh, empty journal */
	for (size_t cut = 0; cut < JOURNAL_HEADER_SIZE; cut++) {
		struct journal *j = NULL;

		write_whole(copy, data, cut);
		assert_int_equal(journal_open(copy, NULL, NULL, NULL, &j), 0);
		assert_int_equal(journal_last_seq(j), 0);
		assert_int_equal(file_size(copy), JOURNAL_HEADER_SIZE);
		journal_close(j);
	}
	free(data);
	free(copy);
}

struct flip {
	const char *what;
	uint64_t record; /* which record's offset the byte is relative to */
	uint64_t delta;  /* from the record's start */
	enum journal_damage damage;
	uint64_t at;     /* the record where the damage is reported */
};

/* Flip single bytes: in the middle of the file that is corruption at the
 * damaged record; in the last record it cannot be told from a torn write. */
static void test_corrupt_single_bytes(void **state)
{
	static const struct flip flips[] = {
		{ "crc", 5, 0, JOURNAL_CORRUPT, 5 },
		{ "length", 5, 5, JOURNAL_CORRUPT, 5 },
		{ "type", 5, 8, JOURNAL_CORRUPT, 5 },
		{ "flags", 5, 10, JOURNAL_CORRUPT, 5 },
		{ "sequence", 5, 12, JOURNAL_CORRUPT, 5 },
		{ "payload", 5, 25, JOURNAL_CORRUPT, 5 },
		{ "first record", 0, 21, JOURNAL_CORRUPT, 0 },
		{ "next to last record", RECORDS - 2, 30, JOURNAL_CORRUPT, RECORDS - 2 },
		{ "last record's payload", RECORDS - 1, 30, JOURNAL_TORN_TAIL, RECORDS - 1 },
		{ "last record's length", RECORDS - 1, 4, JOURNAL_TORN_TAIL, RECORDS - 1 },
	};
	struct fixture *f = *state;
	uint64_t offsets[RECORDS + 1];
	char *copy = jtest_path(f->dir, "copy");
	char *damaged = jtest_path(f->dir, "copy.damaged");
	size_t len;
	char *data;

	assert_non_null(copy);
	assert_non_null(damaged);
	build(f->path, offsets);
	data = jtest_read_file(f->path, &len);
	assert_non_null(data);
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		const struct flip *fl = &flips[i];
		uint64_t at = offsets[fl->at];
		struct journal_scan scan;
		struct journal *j = NULL;
		struct journal_options repair = { .repair = true };
		struct state *s = NULL;
		size_t copy_len;
		char *back;

		print_message("flip: %s\n", fl->what);
		data[offsets[fl->record] + fl->delta] ^= 0x40;
		write_whole(copy, data, len);
		data[offsets[fl->record] + fl->delta] ^= 0x40;
		assert_int_equal(journal_scan_file(copy, NULL, NULL, &scan), 0);
		assert_int_equal(scan.damage, fl->damage);
		assert_int_equal(scan.offset, at);
		assert_int_equal(scan.records, fl->at);

		assert_int_equal(state_new(&s), 0);
		if (fl->damage == JOURNAL_CORRUPT) {
			/* refused, and the file is left alone */
			assert_int_equal(journal_open(copy, NULL, state_apply_record, s, &j), -EBADMSG);
			assert_int_equal(file_size(copy), (off_t)len);
			state_free(s);
			assert_int_equal(state_new(&s), 0);
			assert_int_equal(journal_open(copy, &repair, state_apply_record, s, &j), 0);
			back = jtest_read_file(damaged, &copy_len);
			assert_non_null(back);
			assert_int_equal(copy_len, len);
			assert_memory_not_equal(back, data, len);
			free(back);
			unlink(damaged);
		} else {
			assert_int_equal(journal_open(copy, NULL, state_apply_record, s, &j), 0);
		}
		assert_int_equal(file_size(copy), (off_t)at);
		assert_int_equal(journal_last_seq(j), fl->at);
		journal_close(j);
		state_free(s);
	}
	free(data);
	free(copy);
	free(damaged);
}

static void test_bad_header(void **state)
{
	struct fixture *f = *state;
	struct journal_scan scan;
	struct journal *j = NULL;
	char header[JOURNAL_HEADER_SIZE + 4];

	memset(header, 0, sizeof(header));
	memcpy(header, "NOTAJRNL", 8);
	write_whole(f->path, header, sizeof(header));
	assert_int_equal(journal_scan_file(f->path, NULL, NULL, &scan), 0);
	assert_int_equal(scan.damage, JOURNAL_BAD_HEADER);
	assert_int_equal(journal_open(f->path, NULL, NULL, NULL, &j), -EPROTONOSUPPORT);

	memcpy(header, JOURNAL_MAGIC, 8);
	header[8] = 9; /* version 9 */
	write_whole(f->path, header, sizeof(header));
	assert_int_equal(journal_open(f->path, NULL, NULL, NULL, &j), -EPROTONOSUPPORT);
	assert_int_equal(file_size(f->path), (off_t)sizeof(header));
}

/* A record whose sequence number goes backwards is not believed. */
static void test_sequence_must_increase(void **state)
{
	struct fixture *f = *state;
	uint64_t offsets[RECORDS + 1];
	struct journal_scan scan;
	size_t len;
	char *data, *dup;

	build(f->path, offsets);
	data = jtest_read_file(f->path, &len);
	assert_non_null(data);
	/* record 3 again after record 3: sequence 3 twice, then record 4 */
	dup = malloc(len + (offsets[3] - offsets[2]));
	assert_non_null(dup);
	memcpy(dup, data, offsets[3]);
	memcpy(dup + offsets[3], data + offsets[2], offsets[3] - offsets[2]);
	memcpy(dup + offsets[3] + (offsets[3] - offsets[2]), data + offsets[3], len - offsets[3]);
	assert_int_equal(journal_scan_buffer(dup, len + (offsets[3] - offsets[2]), NULL, NULL, &scan), 0);
	assert_int_equal(scan.damage, JOURNAL_CORRUPT);
	assert_int_equal(scan.offset, offsets[3]);
	assert_string_equal(scan.reason, "sequence number does not increase");
	free(dup);
	free(data);
}

static int append_text(struct journal *j, uint16_t type, const char *text)
{
	return journal_append(j, type, text, strlen(text), NULL);
}

/* A record the state refuses stops replay: it is a bug, not a torn write. */
static void test_invalid_record_refused(void **state)
{
	struct fixture *f = *state;
	struct journal *j = NULL;
	struct state *s = NULL;

	assert_int_equal(journal_open(f->path, NULL, NULL, NULL, &j), 0);
	assert_int_equal(append_text(j, STATE_WATERMARK, "{\"source\":\"sn\",\"watermark\":\"x\"}"), 0);
	assert_int_equal(append_text(j, STATE_OUTCOME, "{\"action\":\"nope\",\"outcome\":{}}"), 0);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	assert_int_equal(state_new(&s), 0);
	assert_int_equal(journal_open(f->path, NULL, state_apply_record, s, &j), -ENOENT);
	state_free(s);
}

static void test_compaction_keeps_the_state(void **state)
{
	struct fixture *f = *state;
	struct journal_options opts = { .compact_bytes = 4096, .snapshot = state_snapshot };
	struct journal *j = NULL;
	struct state *s = NULL, *again = NULL;
	char buf[512], *before, *after, *tmp;
	uint64_t biggest = 0, appended = 0;

	assert_int_equal(state_new(&s), 0);
	opts.snapshot_userdata = s;
	assert_int_equal(journal_open(f->path, &opts, state_apply_record, s, &j), 0);
	for (uint64_t i = 1; i <= 20000; i++) {
		uint16_t type;
		size_t len = jtest_record(s, i, &type, buf, sizeof(buf));

		assert_int_equal(state_record(s, j, type, buf, len, NULL), 0);
		appended += JOURNAL_RECORD_HEADER_SIZE + len;
		if (i % 100 == 0)
			assert_int_equal(journal_sync(j), 0);
		if (journal_size(j) > biggest)
			biggest = journal_size(j);
	}
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	/* compaction kept the file from growing with the history */
	assert_true(biggest < appended / 2);
	before = jtest_dump(s);
	assert_non_null(before);

	/* a leftover temporary file of a compaction that died is dropped */
	tmp = jtest_path(f->dir, JOURNAL_FILE_NAME ".tmp");
	write_whole(tmp, "junk", 4);
	assert_int_equal(state_new(&again), 0);
	opts.snapshot_userdata = again;
	assert_int_equal(journal_open(f->path, &opts, state_apply_record, again, &j), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	after = jtest_dump(again);
	assert_non_null(after);
	assert_string_equal(before, after);
	/* appending goes on after a compaction's snapshot */
	assert_int_equal(journal_compact(j), 0);
	assert_int_equal(state_record(again, j, STATE_WATERMARK, WATERMARK, strlen(WATERMARK), NULL), 0);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	free(before);
	free(after);
	free(tmp);
	state_free(s);
	state_free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_and_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_single_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_must_increase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_record_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_keeps_the_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
