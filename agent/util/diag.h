/* SPDX-License-Identifier: Apache-2.0 */
/* A list of problems found in one pass, so a check reports every mistake at
 * once instead of stopping at the first. Each entry is one line of the form
 * "file:line: what is wrong; what to write instead". */
#ifndef ACCESSD_DIAG_H
#define ACCESSD_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char **msgs;
	size_t n;
	int oom; /* an entry could not be stored: the list is incomplete */
};

/* Append "FILE:LINE: message" (LINE 0 leaves it out). */
void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_print(const struct diag *d, FILE *out);
void diag_clear(struct diag *d);

#endif
