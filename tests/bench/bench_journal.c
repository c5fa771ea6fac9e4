/* SPDX-License-Identifier: Apache-2.0 */
/* make bench: append throughput with group commit, and the time and peak
 * memory to replay 1,000,000 records. The journal is written in the
 * current directory (the build tree), so fdatasync hits a real disk.
 *
 *   bench_journal [RECORDS]       append, then replay RECORDS (1000000)
 *                                 three times
 *   bench_journal --replay PATH   replay only (run in a fresh process, so
 *                                 that its peak memory is replay's own)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../unit/jtest.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/clock.h"
#include "util/log.h"

#define POOL 10000 /* requests the records concern */

static int die(const char *what, int r)
{
	fprintf(stderr, "bench_journal: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

static struct journal *open_journal(const char *path, struct state **ret_state)
{
	struct journal *j = NULL;
	int r;

	r = state_new(ret_state);
	if (r < 0)
		die("state_new", r);
	r = journal_open(path, NULL, state_apply_record, *ret_state, &j);
	if (r < 0)
		die("journal_open", r);
	return j;
}

/* Append COUNT records in batches of BATCH, one journal_sync per batch;
 * returns records per second. */
static double append(const char *path, uint64_t count, uint64_t batch)
{
	struct journal *j;
	struct state *s = NULL;
	char buf[512];
	int64_t t0, t1;
	int r;

	unlink(path);
	j = open_journal(path, &s);
	t0 = clock_now(&clock_system);
	for (uint64_t i = 1; i <= count; i++) {
		uint16_t type;
		size_t len = jtest_record_pool(s, i, POOL, &type, buf, sizeof(buf));

		r = state_record(s, j, type, buf, len, NULL);
		if (r < 0)
			die("state_record", r);
		if (i % batch == 0 || i == count) {
			r = journal_sync(j);
			if (r < 0)
				die("journal_sync", r);
		}
	}
	t1 = clock_now(&clock_system);
	journal_close(j);
	state_free(s);
	return (double)count * 1000.0 / (double)(t1 - t0 > 0 ? t1 - t0 : 1);
}

static int replay(const char *path)
{
	struct journal *j;
	struct state *s = NULL;
	struct rusage ru;
	int64_t t0, t1;

	t0 = clock_now(&clock_system);
	j = open_journal(path, &s);
	t1 = clock_now(&clock_system);
	getrusage(RUSAGE_SELF, &ru);
	printf("replay: %llu records (%llu bytes) in %.3f s, peak memory (maxrss) %.1f MiB; state: %zu requests, %zu actions\n",
	       (unsigned long long)journal_last_seq(j), (unsigned long long)journal_size(j), (double)(t1 - t0) / 1000.0,
	       (double)ru.ru_maxrss / 1024.0, state_request_count(s), state_action_count(s));
	journal_close(j);
	state_free(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = "bench-journal";
	uint64_t records = 1000000;
	pid_t pid;
	int status;

	log_init("bench_journal", LOG_LEVEL_ERR);
	if (argc == 3 && strcmp(argv[1], "--replay") == 0)
		return replay(argv[2]);
	if (argc == 2)
		records = strtoull(argv[1], NULL, 10);

	printf("append, one fdatasync per record:      %8.0f records/s\n", append(path, 1000, 1));
	printf("append, group commit of 10 records:    %8.0f records/s\n", append(path, 10000, 10));
	printf("append, group commit of 100 records:   %8.0f records/s\n", append(path, 100000, 100));
	printf("append, group commit of 10000 records: %8.0f records/s (%llu records)\n",
	       append(path, records, 10000), (unsigned long long)records);
	/* three replays, each in a fresh process: a shared machine's noise
	 * shows as their spread */
	for (int run = 0; run < 3; run++) {
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork", errno);
		if (pid == 0) {
			execl(argv[0], argv[0], "--replay", path, (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("replay", EIO);
	}
	unlink(path);
	return 0;
}
