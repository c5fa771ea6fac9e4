/* SPDX-License-Identifier: Apache-2.0 */
/* Replacing a small file as a whole, so that a reader sees the old content
 * or the new, never a part: the report files other programs read while
 * the agent writes them (the metrics file, the status file). */
#ifndef ACCESSD_FILE_H
#define ACCESSD_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Write LEN bytes of DATA to a new file beside PATH (named ".NAME.XXXXXX",
 * which a reader of *.prom or of NAME ignores), give it MODE, and rename it
 * over PATH. The data is not fsynced: what it reports is rewritten soon.
 * Returns 0, or a negative errno (the temporary file is removed). */
int file_replace(const char *path, const void *data, size_t len, mode_t mode);

#endif
