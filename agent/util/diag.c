/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

#include "diag.h"

void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	char *msg = NULL, *full = NULL, **grown;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto oom;
	if (line > 0)
		n = asprintf(&full, "%s:%d: %s", file, line, msg);
	else
		n = asprintf(&full, "%s: %s", file, msg);
	free(msg);
	if (n < 0)
		goto oom;
	grown = realloc(d->msgs, (d->n + 1) * sizeof(*d->msgs));
	if (!grown) {
		free(full);
		goto oom;
	}
	d->msgs = grown;
	d->msgs[d->n++] = full;
	return;
oom:
	d->oom = 1;
}

void diag_print(const struct diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s\n", d->msgs[i]);
	if (d->oom)
		fprintf(out, "(out of memory: some problems were not listed)\n");
}

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
	d->oom = 0;
}
