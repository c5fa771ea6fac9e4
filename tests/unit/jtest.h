/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the file tests (journal, audit), the benchmark and the
 * fuzz seed: a scratch directory, whole-file reads, and a deterministic
 * stream of valid state records. */
#ifndef ACCESSD_JTEST_H
#define ACCESSD_JTEST_H

#include <stddef.h>
#include <stdint.h>

#include "store/state.h"

/* A new private directory under $TMPDIR (or /tmp); the caller frees the
 * returned path and removes the directory with jtest_rmdir. NULL on failure. */
char *jtest_tmpdir(void);

/* Remove DIR and the files in it. */
void jtest_rmdir(const char *dir);

/* A malloc'd "DIR/NAME", or NULL. */
char *jtest_path(const char *dir, const char *name);

/* The whole file PATH, NUL-terminated, its length in *RET_LEN; the caller
 * frees it. NULL when it cannot be read. */
char *jtest_read_file(const char *path, size_t *ret_len);

/* Record number I (from 1) of the stream, valid on S, the state after the
 * records before it: its type and payload (NUL-terminated, in BUF of
 * CAP bytes). Returns the payload length. Every record type occurs; the
 * records concern JTEST_REQUESTS requests. */
#define JTEST_REQUESTS 97
size_t jtest_record(const struct state *s, uint64_t i, uint16_t *ret_type, char *buf, size_t cap);

/* The same stream over POOL requests. */
size_t jtest_record_pool(const struct state *s, uint64_t i, unsigned pool, uint16_t *ret_type, char *buf,
			 size_t cap);

/* Apply records FROM..TO of the stream to S. 0 or a negative errno. */
int jtest_apply_range(struct state *s, uint64_t from, uint64_t to);

/* The snapshot of S as text, to compare states; the caller frees it.
 * NULL on failure. */
char *jtest_dump(struct state *s);

#endif
