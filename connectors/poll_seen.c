/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "poll_seen.h"

void poll_seen_free(struct poll_seen *seen)
{
	for (size_t i = 0; i < seen->n; i++)
		free(seen->keys[i]);
	free(seen->keys);
	memset(seen, 0, sizeof(*seen));
}

int poll_seen_has(const struct poll_seen *seen, const char *key, const char *since)
{
	if (!since || strncmp(key, since, 19) > 0)
		return 0;
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->keys[i], key) == 0)
			return 1;
	return 0;
}

int poll_seen_add(struct poll_seen *seen, const char *key)
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

/* Keys start with the time, so a string comparison orders them. */
void poll_seen_prune(struct poll_seen *seen, const char *low)
{
	size_t kept = 0;

	for (size_t i = 0; i < seen->n; i++) {
		if (strncmp(seen->keys[i], low, 19) < 0)
			free(seen->keys[i]);
		else
			seen->keys[kept++] = seen->keys[i];
	}
	seen->n = kept;
}
