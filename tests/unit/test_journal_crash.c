/* SPDX-License-Identifier: Apache-2.0 */
/* Crash test: a forked writer appends records in group-committed batches
 * and compacts (at its first sync, and whenever the file doubles); the
 * parent kills it with SIGKILL at a random moment, then replays the
 * journal and checks that it rebuilds exactly the state
 * of a prefix of the stream that holds every acknowledged record (and no
 * record never written), that nothing is corrupt, and that appending works
 * afterwards. The next writer goes on from that prefix.
 *
 * JOURNAL_CRASH_ITERATIONS sets the number of kills (default 200; make
 * soak runs many more), JOURNAL_CRASH_SEED the random seed. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "jtest.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/log.h"

#define COMPACT_BYTES 8192
#define MAX_BATCH 16

/* Shared with the writer: what it has acknowledged and attempted. */
struct progress {
	volatile uint64_t acked;     /* records 1..acked were synced */
	volatile uint64_t attempted; /* records 1..attempted were appended */
	volatile int ready;          /* replay done, writing */
	volatile uint64_t compactions;
};

static unsigned long env_number(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 10) : dflt;
}

static struct journal *open_with_state(const char *path, struct state **ret_state)
{
	struct journal_options opts = { .compact_bytes = COMPACT_BYTES, .snapshot = state_snapshot };
	struct journal *j = NULL;
	struct state *s = NULL;

	if (state_new(&s) < 0)
		return NULL;
	opts.snapshot_userdata = s;
	if (journal_open(path, &opts, state_apply_record, s, &j) < 0) {
		state_free(s);
		return NULL;
	}
	*ret_state = s;
	return j;
}

/* The writer: from record FROM on, batches of 1..MAX_BATCH records, each
 * acknowledged after its journal_sync, until killed. */
static _Noreturn void writer(const char *path, uint64_t from, struct progress *p, unsigned seed)
{
	struct state *s = NULL;
	struct journal *j = open_with_state(path, &s);
	struct stat before, after;
	char buf[512];
	uint64_t i = from;

	if (!j)
		_exit(3);
	p->ready = 1;
	for (;;) {
		int n = 1 + (int)(rand_r(&seed) % MAX_BATCH);

		for (int k = 0; k < n; k++, i++) {
			uint16_t type;
			size_t len = jtest_record(s, i, &type, buf, sizeof(buf));

			p->attempted = i;
			if (state_record(s, j, type, buf, len, NULL) < 0)
				_exit(4);
		}
		if (stat(path, &before) < 0 || journal_sync(j) < 0 || stat(path, &after) < 0)
			_exit(5);
		p->acked = i - 1;
		/* a compaction renames a new file over the journal */
		if (after.st_ino != before.st_ino)
			p->compactions++;
	}
}

static void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void test_kill_at_random_moments(void **unused)
{
	unsigned long iterations = env_number("JOURNAL_CRASH_ITERATIONS", 200);
	unsigned seed = (unsigned)env_number("JOURNAL_CRASH_SEED", 4242);
	struct progress *p;
	struct state *model = NULL;
	uint64_t durable = 0, torn = 0, in_compaction = 0;
	char *dir = jtest_tmpdir(), *path, *tmp;

	assert_non_null(dir);
	path = jtest_path(dir, JOURNAL_FILE_NAME);
	assert_non_null(path);
	tmp = jtest_path(dir, JOURNAL_FILE_NAME ".tmp");
	assert_non_null(tmp);
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(state_new(&model), 0);
	print_message("%lu kills, seed %u\n", iterations, seed);

	for (unsigned long it = 0; it < iterations; it++) {
		struct journal_scan scan;
		struct state *s = NULL;
		struct journal *j;
		char *want = NULL, *got;
		uint64_t m;
		int status;
		pid_t pid;

		p->acked = p->attempted = durable;
		p->ready = 0;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			writer(path, durable + 1, p, seed + (unsigned)it);
		while (!p->ready && waitpid(pid, &status, WNOHANG) == 0)
			sleep_us(100);
		/* mostly soon, inside the first batches and the compaction that
		 * the first sync starts; sometimes later */
		sleep_us((long)(rand_r(&seed) % (it % 4 ? 4000 : 20000)));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));

		/* nothing corrupt: at worst the last record is torn */
		assert_int_equal(journal_scan_file(path, NULL, NULL, &scan), 0);
		assert_true(scan.damage == JOURNAL_SOUND || scan.damage == JOURNAL_TORN_TAIL);
		torn += scan.damage == JOURNAL_TORN_TAIL;
		in_compaction += access(tmp, F_OK) == 0;

		j = open_with_state(path, &s);
		assert_non_null(j);
		got = jtest_dump(s);
		assert_non_null(got);
		/* the replayed state is that of a prefix 1..m of the stream,
		 * with acked <= m <= attempted */
		assert_int_equal(jtest_apply_range(model, durable + 1, p->acked), 0);
		for (m = p->acked;; m++) {
			free(want);
			want = jtest_dump(model);
			assert_non_null(want);
			if (strcmp(want, got) == 0)
				break;
			if (m >= p->attempted)
				fail_msg("kill %lu: replay matches no prefix between %llu and %llu", it,
					 (unsigned long long)p->acked, (unsigned long long)p->attempted);
			assert_int_equal(jtest_apply_range(model, m + 1, m + 1), 0);
		}
		free(want);
		free(got);
		durable = m;

		/* appending works after the replay */
		if (it % 16 == 0) {
			char buf[512];
			uint16_t type;
			size_t len = jtest_record(s, durable + 1, &type, buf, sizeof(buf));

			assert_int_equal(state_record(s, j, type, buf, len, NULL), 0);
			assert_int_equal(journal_sync(j), 0);
			assert_int_equal(jtest_apply_range(model, durable + 1, durable + 1), 0);
			durable++;
		}
		journal_close(j);
		state_free(s);
	}
	print_message("%llu records durable, %llu compactions done, %llu kills inside a compaction, %llu torn tails cut\n",
		      (unsigned long long)durable, (unsigned long long)p->compactions, (unsigned long long)in_compaction,
		      (unsigned long long)torn);
	assert_true(durable > 0);
	assert_true(p->compactions > 0);
	state_free(model);
	munmap(p, sizeof(*p));
	jtest_rmdir(dir);
	free(dir);
	free(path);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_at_random_moments),
	};

	/* replay's notices about torn tails are expected here by the hundred */
	log_init("test_journal_crash", LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
