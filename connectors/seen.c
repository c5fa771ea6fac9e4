/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seen.h"

void itsm_seen_free(struct itsm_seen *seen)
{
	for (size_t i = 0; i < seen->n; i++)
		free(seen->keys[i]);
	free(seen->keys);
	free(seen->offered);
	memset(seen, 0, sizeof(*seen));
}

int itsm_seen_has(const struct itsm_seen *seen, const char *key)
{
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->keys[i], key) == 0)
			return 1;
	return 0;
}

int itsm_seen_add(struct itsm_seen *seen, const char *key)
{
	char *copy = strdup(key);

	if (!copy)
		return -ENOMEM;
	if (seen->n == seen->cap) {
		size_t cap = seen->cap ? seen->cap * 2 : 64;
		char **grown = realloc(seen->keys, cap * sizeof(*grown));

		if (!grown) {
			free(copy);
			return -ENOMEM;
		}
		seen->keys = grown;
		seen->cap = cap;
	}
	seen->keys[seen->n++] = copy;
	return 0;
}

int itsm_seen_begin(struct itsm_seen *seen, const char *since, const char *low)
{
	int kept = since ? seen->offered && strcmp(since, seen->offered) == 0 : seen->offered_none;
	size_t n = 0;

	for (size_t i = kept ? seen->n : seen->kept; i < seen->n; i++)
		free(seen->keys[i]);
	if (!kept)
		seen->n = seen->kept;
	free(seen->offered);
	seen->offered = NULL;
	seen->offered_none = 0;
	/* Keys start with the time, so a string comparison orders them. */
	for (size_t i = 0; i < seen->n; i++) {
		if (low && strncmp(seen->keys[i], low, 19) < 0)
			free(seen->keys[i]);
		else
			seen->keys[n++] = seen->keys[i];
	}
	seen->n = seen->kept = n;
	return kept;
}

int itsm_seen_end(struct itsm_seen *seen, const char *watermark)
{
	free(seen->offered);
	seen->offered = watermark ? strdup(watermark) : NULL;
	seen->offered_none = !watermark;
	return !watermark || seen->offered ? 0 : -ENOMEM;
}
