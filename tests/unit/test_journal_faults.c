/* SPDX-License-Identifier: Apache-2.0 */
/* Full disk and I/O errors: write and fsync fail (ENOSPC, EIO) through the
 * journal's injectable I/O, and the journal fails safe: nothing it could
 * not make durable is acknowledged, the state is not changed by a refused
 * record, a failed fsync is never retried, and the file stays sound. The
 * agent takes no action while the journal cannot be written, and exits on
 * a failed fsync. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "jtest.h"
#include "store/journal.h"
#include "store/state.h"

/* What the injected I/O does: fail the Nth call (from 1; 0 never) of each
 * kind with an errno; a failing write may first write part of its data. */
static struct {
	int write_fail_at, write_errno, writes;
	size_t write_partial;
	int datasync_fail_at, datasync_errno, datasyncs;
	int fsync_fail_at, fsync_errno, fsyncs;
} fault;

static ssize_t faulty_write(int fd, const void *buf, size_t len)
{
	if (++fault.writes == fault.write_fail_at) {
		if (fault.write_partial && fault.write_partial < len) {
			ssize_t n = write(fd, buf, fault.write_partial);

			fault.write_fail_at++; /* the loop's next call fails */
			return n;
		}
		errno = fault.write_errno;
		return -1;
	}
	return write(fd, buf, len);
}

static int faulty_fdatasync(int fd)
{
	if (++fault.datasyncs == fault.datasync_fail_at) {
		errno = fault.datasync_errno;
		return -1;
	}
	return fdatasync(fd);
}

static int faulty_fsync(int fd)
{
	if (++fault.fsyncs == fault.fsync_fail_at) {
		errno = fault.fsync_errno;
		return -1;
	}
	return fsync(fd);
}

static const struct journal_io faulty_io = {
	.write = faulty_write,
	.fdatasync = faulty_fdatasync,
	.fsync = faulty_fsync,
};

struct fixture {
	char *dir, *path;
	struct state *s;
	struct journal *j;
	struct journal_options opts;
	uint64_t next; /* the next record of the stream */
};

static void open_journal(struct fixture *f)
{
	assert_int_equal(state_new(&f->s), 0);
	f->opts.snapshot_userdata = f->s;
	assert_int_equal(journal_open(f->path, &f->opts, state_apply_record, f->s, &f->j), 0);
}

static void close_journal(struct fixture *f)
{
	f->j = journal_close(f->j);
	f->s = state_free(f->s);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	memset(&fault, 0, sizeof(fault));
	f->dir = jtest_tmpdir();
	assert_non_null(f->dir);
	f->path = jtest_path(f->dir, JOURNAL_FILE_NAME);
	assert_non_null(f->path);
	f->opts.io = &faulty_io;
	f->opts.snapshot = state_snapshot;
	f->next = 1;
	open_journal(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close_journal(f);
	jtest_rmdir(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Record the next N records of the stream; the first error, or 0. */
static int record(struct fixture *f, int n)
{
	char buf[512];

	for (int i = 0; i < n; i++) {
		uint16_t type;
		size_t len = jtest_record(f->s, f->next, &type, buf, sizeof(buf));
		int r = state_record(f->s, f->j, type, buf, len, NULL);

		if (r < 0)
			return r;
		f->next++;
	}
	return 0;
}

static void record_synced(struct fixture *f, int n)
{
	assert_int_equal(record(f, n), 0);
	assert_int_equal(journal_sync(f->j), 0);
}

/* Reopen and check that replay rebuilds exactly records 1..UPTO. */
static void assert_replays_to(struct fixture *f, uint64_t upto)
{
	struct state *expect = NULL;
	struct journal_scan scan;
	char *a, *b;

	close_journal(f);
	assert_int_equal(journal_scan_file(f->path, NULL, NULL, &scan), 0);
	assert_int_equal(scan.damage, JOURNAL_SOUND);
	open_journal(f);
	assert_int_equal(state_new(&expect), 0);
	assert_int_equal(jtest_apply_range(expect, 1, upto), 0);
	a = jtest_dump(expect);
	b = jtest_dump(f->s);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	free(a);
	free(b);
	state_free(expect);
}

/* The journal is in use as before: more records, all of them replayed. */
static void assert_goes_on(struct fixture *f)
{
	assert_true(journal_writable(f->j));
	record_synced(f, 5);
	assert_replays_to(f, f->next - 1);
}

static void check_write_failure(void **state, int err, size_t partial)
{
	struct fixture *f = *state;
	char *before, *after;
	size_t size;

	record_synced(f, 5);
	size = journal_size(f->j);

	fault.write_fail_at = fault.writes + 1;
	fault.write_errno = err;
	fault.write_partial = partial;
	assert_int_equal(record(f, 3), 0);
	assert_int_equal(journal_sync(f->j), -err);
	/* the failed write was cut off the file; nothing new is accepted */
	assert_false(journal_writable(f->j));
	assert_int_equal(journal_status(f->j), -err);
	assert_int_equal(journal_size(f->j), size);
	before = jtest_dump(f->s);
	assert_int_equal(record(f, 1), -err);
	after = jtest_dump(f->s);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* space again: the queued records are written, none lost or doubled */
	assert_int_equal(journal_sync(f->j), 0);
	assert_true(journal_writable(f->j));
	record_synced(f, 2);
	assert_replays_to(f, f->next - 1);
}

static void test_write_enospc(void **state)
{
	check_write_failure(state, ENOSPC, 0);
}

static void test_write_eio(void **state)
{
	check_write_failure(state, EIO, 0);
}

/* The disk fills in the middle of a batch: half a record reaches the file. */
static void test_write_enospc_after_partial_write(void **state)
{
	check_write_failure(state, ENOSPC, 30);
}

/* The records of a failed batch were never acknowledged: a restart does
 * not have them, and has everything before them. */
static void test_write_failure_then_restart(void **state)
{
	struct fixture *f = *state;

	record_synced(f, 4);
	fault.write_fail_at = fault.writes + 1;
	fault.write_errno = ENOSPC;
	assert_int_equal(record(f, 2), 0);
	assert_int_equal(journal_sync(f->j), -ENOSPC);
	assert_replays_to(f, 4);
}

static void check_fsync_failure(void **state, int err)
{
	struct fixture *f = *state;
	int datasyncs;

	record_synced(f, 3);
	fault.datasync_fail_at = fault.datasyncs + 1;
	fault.datasync_errno = err;
	assert_int_equal(record(f, 2), 0);
	assert_int_equal(journal_sync(f->j), -ENOTRECOVERABLE);
	assert_false(journal_writable(f->j));
	datasyncs = fault.datasyncs;
	/* never retried: the journal refuses everything from now on */
	assert_int_equal(journal_sync(f->j), -ENOTRECOVERABLE);
	assert_int_equal(record(f, 1), -ENOTRECOVERABLE);
	assert_int_equal(journal_compact(f->j), -ENOTRECOVERABLE);
	assert_int_equal(fault.datasyncs, datasyncs);
	/* the restart replays what is on disk: at least the synced records */
	assert_replays_to(f, 5);
}

static void test_fsync_eio(void **state)
{
	check_fsync_failure(state, EIO);
}

static void test_fsync_enospc(void **state)
{
	check_fsync_failure(state, ENOSPC);
}

/* A compaction that cannot write its snapshot leaves the journal in use. */
static void test_compaction_enospc(void **state)
{
	struct fixture *f = *state;
	char *tmp = jtest_path(f->dir, JOURNAL_FILE_NAME ".tmp");

	record_synced(f, 50);
	fault.write_fail_at = fault.writes + 1;
	fault.write_errno = ENOSPC;
	assert_int_equal(journal_compact(f->j), -ENOSPC);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_goes_on(f);
	free(tmp);
}

/* The snapshot's own fsync failing costs only that compaction. */
static void test_compaction_snapshot_fsync_fails(void **state)
{
	struct fixture *f = *state;

	record_synced(f, 50);
	fault.datasync_fail_at = fault.datasyncs + 1;
	fault.datasync_errno = EIO;
	assert_int_equal(journal_compact(f->j), -EIO);
	assert_goes_on(f);
}

/* After the rename, the directory's fsync failing is fatal: the appends
 * that follow would be lost with the rename. */
static void test_compaction_directory_fsync_fails(void **state)
{
	struct fixture *f = *state;

	record_synced(f, 50);
	fault.fsync_fail_at = fault.fsyncs + 1;
	fault.fsync_errno = EIO;
	assert_int_equal(journal_compact(f->j), -ENOTRECOVERABLE);
	assert_false(journal_writable(f->j));
	assert_int_equal(record(f, 1), -ENOTRECOVERABLE);
	assert_replays_to(f, 50);
}

/* journal_sync compacts on its own past the threshold; a failure there is
 * not the sync's: the records are durable. */
static void test_automatic_compaction_failure_is_not_a_sync_failure(void **state)
{
	struct fixture *f = *state;

	close_journal(f);
	f->opts.compact_bytes = 2048;
	open_journal(f);
	assert_int_equal(record(f, 50), 0);
	fault.datasync_fail_at = fault.datasyncs + 2; /* the snapshot's */
	fault.datasync_errno = EIO;
	assert_int_equal(journal_sync(f->j), 0);
	assert_true(journal_writable(f->j));
	assert_replays_to(f, 50);
}

/* The agent takes no action (its cycle does not even poll) while the
 * journal cannot be written, and goes on once it can. */
static void test_agent_takes_no_action_while_unwritable(void **state)
{
	struct fixture *f = *state;
	struct agent a = { .journal = f->j, .state = f->s };

	assert_true(agent_can_act(&a));
	fault.write_fail_at = fault.writes + 1;
	fault.write_errno = ENOSPC;
	assert_int_equal(record(f, 2), 0);
	assert_int_equal(journal_sync(f->j), -ENOSPC);
	/* the disk is still full at each try */
	fault.write_fail_at = fault.writes + 1;
	assert_false(agent_can_act(&a));
	fault.write_fail_at = fault.writes + 1;
	assert_int_equal(agent_cycle(&a), -EROFS);
	/* space again: the queued records are written and the agent goes on */
	assert_true(agent_can_act(&a));
	assert_replays_to(f, 2);
}

/* A failed fsync makes the agent exit non-zero, for systemd to restart it. */
static void test_agent_exits_on_fsync_failure(void **state)
{
	struct fixture *f = *state;
	struct agent a = { .journal = f->j, .state = f->s };
	int status;
	pid_t pid;

	fault.datasync_fail_at = fault.datasyncs + 1;
	fault.datasync_errno = EIO;
	assert_int_equal(record(f, 1), 0);
	assert_int_equal(journal_sync(f->j), -ENOTRECOVERABLE);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)agent_can_act(&a);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_enospc_after_partial_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_then_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_snapshot_fsync_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction_directory_fsync_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_automatic_compaction_failure_is_not_a_sync_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_agent_takes_no_action_while_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_exits_on_fsync_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
