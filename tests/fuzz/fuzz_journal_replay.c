/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target for journal replay (configure --enable-fuzzing; make
 * fuzz). Each input is replayed three ways:
 *   1. as a journal file, header and all;
 *   2. after a good file header, so that mutations reach the records;
 *   3. as lines "<type digit><JSON payload>", framed here into a journal
 *      with good checksums, so that mutations reach the state's parser.
 * Whatever a replay rebuilt must survive a snapshot: the snapshot's records
 * are applied to an empty state, whose snapshot must be the same. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/journal.h"
#include "store/state.h"
#include "util/crc32c.h"
#include "util/log.h"


static int to_text(uint16_t type, const char *payload, size_t len, void *ctx)
{
	FILE *f = ctx;

	fputc('0' + type, f);
	fwrite(payload, 1, len, f);
	fputc('\n', f);
	return 0;
}

static char *snapshot_text(struct state *s)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	if (!f)
		abort();
	if (state_snapshot(s, to_text, f) < 0)
		abort();
	fclose(f);
	return data;
}

static int into_state(uint16_t type, const char *payload, size_t len, void *ctx)
{
	return state_apply(ctx, type, payload, len);
}

static void check_snapshot(struct state *s)
{
	struct state *copy = NULL;
	char *a, *b;

	if (state_new(&copy) < 0)
		abort();
	if (state_snapshot(s, into_state, copy) < 0)
		abort(); /* the snapshot holds a record the state refuses */
	a = snapshot_text(s);
	b = snapshot_text(copy);
	if (strcmp(a, b) != 0)
		abort(); /* the snapshot does not rebuild the same state */
	free(a);
	free(b);
	state_free(copy);
}

static void replay(const uint8_t *data, size_t size)
{
	struct journal_scan scan;
	struct state *s = NULL;

	if (state_new(&s) < 0)
		abort();
	journal_scan_buffer(data, size, state_apply_record, s, &scan);
	if (scan.offset > size || scan.good_size > size || (scan.damage == JOURNAL_SOUND && scan.good_size != size))
		abort();
	check_snapshot(s);
	state_free(s);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static const uint8_t header[JOURNAL_HEADER_SIZE] = { 'A', 'C', 'C', 'E', 'S', 'S', 'D', 'J', 1, 0, 0, 0, 0, 0, 0, 0 };

/* Frame the input's lines as records with good checksums. */
static size_t frame_lines(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t n = JOURNAL_HEADER_SIZE, start = 0;
	uint64_t seq = 0;

	memcpy(out, header, JOURNAL_HEADER_SIZE);
	while (start < size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size, len = end - start - 1;
		uint8_t *p = out + n;

		if (end > start) {
			put_le(p + 4, len, 4);
			put_le(p + 8, (uint8_t)(data[start] - '0'), 2);
			put_le(p + 10, 0, 2);
			put_le(p + 12, ++seq, 8);
			memcpy(p + JOURNAL_RECORD_HEADER_SIZE, data + start + 1, len);
			{
				uint32_t crc = crc32c(0, p + 4, JOURNAL_RECORD_HEADER_SIZE - 4 + len);

				put_le(p, ((crc >> 15) | (crc << 17)) + 0xa282ead8u, 4);
			}
			n += JOURNAL_RECORD_HEADER_SIZE + len;
		}
		start = end + 1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	log_init("fuzz", LOG_LEVEL_ERR);
	replay(data, size);
	/* every line costs at most one record header more than its bytes */
	buf = malloc(JOURNAL_HEADER_SIZE + size * (JOURNAL_RECORD_HEADER_SIZE + 1));
	if (!buf)
		abort();
	memcpy(buf, header, JOURNAL_HEADER_SIZE);
	memcpy(buf + JOURNAL_HEADER_SIZE, data, size);
	replay(buf, JOURNAL_HEADER_SIZE + size);
	replay(buf, frame_lines(data, size, buf));
	free(buf);
	return 0;
}
