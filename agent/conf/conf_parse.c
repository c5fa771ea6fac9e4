/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include "conf_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* Keys longer than this are never typos of a known key. */
#define MAX_KEY 64

int conf_line(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

void conf_problem(struct conf_parser *p, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : p->file;
	char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->diag->oom = 1;
		return;
	}
	diag_add(p->diag, file, conf_line(s), "%s", msg);
	free(msg);
}

/* Levenshtein distance, ignoring case; both shorter than MAX_KEY. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[MAX_KEY + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *conf_nearest(const char *word, const char *const *known)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	if (strlen(word) >= MAX_KEY)
		return NULL;
	for (size_t i = 0; known[i]; i++) {
		size_t len = strlen(known[i]), d, limit;

		if (len >= MAX_KEY)
			continue;
		d = distance(word, known[i]);
		/* A third of the key's letters may be wrong: catches doubled,
		 * dropped and swapped letters without suggesting nonsense. */
		limit = len / 3 < 1 ? 1 : len / 3;
		if (d <= limit && d < best_d) {
			best = known[i];
			best_d = d;
		}
	}
	return best;
}

static void join_words(char *buf, size_t size, const char *const *words)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; words[i] && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", words[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Secrets have their own keys, so that one written inline gets an answer
 * that says where it belongs rather than a plain "unknown key". */
static int inline_secret(struct conf_parser *p, const config_setting_t *s, const char *name)
{
	static const char *const secrets[] = { "password", "client_secret", "webhook_url", "api_key", NULL };

	for (size_t i = 0; secrets[i]; i++) {
		if (strcmp(name, secrets[i]) != 0)
			continue;
		conf_problem(p, s,
			     "a secret is never written in the configuration; write %s_file = \"/etc/accessd/...\"; "
			     "(readable only by accessd) or %s_credential = \"name\"; (a systemd credential)",
			     name, name);
		return 1;
	}
	return 0;
}

conf_keys_observer_fn conf_keys_observer;

void conf_check_keys(struct conf_parser *p, const config_setting_t *group, const char *where,
		     const char *const *known)
{
	int n = config_setting_length(group);

	if (conf_keys_observer)
		conf_keys_observer(where, known);

	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s), *near;
		int found = 0;
		char list[512];

		if (!name)
			continue;
		for (size_t k = 0; known[k] && !found; k++)
			found = strcmp(name, known[k]) == 0;
		if (found)
			continue;
		if (inline_secret(p, s, name))
			continue;
		near = conf_nearest(name, known);
		if (near) {
			conf_problem(p, s, "unknown setting '%s' in %s; write '%s' instead", name, where, near);
			continue;
		}
		join_words(list, sizeof(list), known);
		conf_problem(p, s, "unknown setting '%s' in %s; remove it, or use one of: %s", name, where, list);
	}
}

/* The most keys one group may have: its own and a connector's. */
#define MAX_GROUP_KEYS 64

/* Append the NULL-terminated ADD to the KEYS (*N of them, room for
 * MAX_GROUP_KEYS and the NULL), each once. */
static void add_keys(const char **keys, size_t *n, const char *const *add)
{
	for (size_t i = 0; add && add[i] && *n < MAX_GROUP_KEYS; i++) {
		size_t k = 0;

		while (k < *n && strcmp(keys[k], add[i]) != 0)
			k++;
		if (k == *n)
			keys[(*n)++] = add[i];
	}
	keys[*n] = NULL;
}

void conf_check_connector_keys(struct conf_parser *p, const config_setting_t *group, const char *where,
			       const char *const *common, conf_connector_list list, const struct conf_connector *c,
			       int item)
{
	const char *keys[MAX_GROUP_KEYS + 1];
	size_t n = 0;

	add_keys(keys, &n, common);
	if (c)
		add_keys(keys, &n, item ? c->item_keys : c->keys);
	for (size_t i = 0; !c && list && list(i); i++)
		add_keys(keys, &n, item ? list(i)->item_keys : list(i)->keys);
	conf_check_keys(p, group, where, keys);
}

char *conf_get_string(struct conf_parser *p, const config_setting_t *group, const char *name, int required)
{
	config_setting_t *s = config_setting_get_member(group, name);
	const char *v;
	char *copy;

	if (!s) {
		if (required)
			conf_problem(p, group, "'%s' is missing here; add %s = \"...\";", name, name);
		return NULL;
	}
	v = config_setting_get_string(s);
	if (!v) {
		conf_problem(p, s, "'%s' must be a string; write %s = \"...\";", name, name);
		return NULL;
	}
	copy = strdup(v);
	if (!copy)
		p->diag->oom = 1;
	return copy;
}

int conf_get_duration(struct conf_parser *p, const config_setting_t *group, const char *name, int64_t *ms)
{
	config_setting_t *s = config_setting_get_member(group, name);
	const char *v;
	int64_t parsed;

	if (!s)
		return 0;
	v = config_setting_get_string(s);
	if (!v || conf_parse_duration(v, &parsed) < 0) {
		conf_problem(p, s,
			     "'%s' must be a duration; write it as a string like \"90s\", \"15m\", \"24h\" or \"7d\"",
			     name);
		return -EINVAL;
	}
	*ms = parsed;
	return 1;
}

void conf_get_int(struct conf_parser *p, const config_setting_t *group, const char *name, int min, int max,
		  int *ret)
{
	config_setting_t *s = config_setting_get_member(group, name);
	int v;

	if (!s)
		return;
	v = config_setting_get_int(s);
	if (config_setting_type(s) != CONFIG_TYPE_INT || v < min || v > max)
		conf_problem(p, s, "'%s' must be a whole number from %d to %d; write %s = %d;", name, min, max, name,
			     v < min ? min : max);
	else
		*ret = v;
}

void conf_get_bool(struct conf_parser *p, const config_setting_t *group, const char *name, int *ret)
{
	config_setting_t *s = config_setting_get_member(group, name);

	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		conf_problem(p, s, "'%s' must be true or false (no quotes); write %s = true;", name, name);
	else
		*ret = config_setting_get_bool(s);
}

int conf_get_word(struct conf_parser *p, const config_setting_t *group, const char *name,
		  const char *const *words, int *ret)
{
	config_setting_t *s = config_setting_get_member(group, name);
	const char *v, *near;
	char list[256];

	if (!s)
		return 0;
	v = config_setting_get_string(s);
	for (int i = 0; v && words[i]; i++) {
		if (strcmp(v, words[i]) == 0) {
			*ret = i;
			return 1;
		}
	}
	near = v ? conf_nearest(v, words) : NULL;
	if (near) {
		conf_problem(p, s, "unknown %s \"%s\"; write %s = \"%s\";", name, v, name, near);
		return -EINVAL;
	}
	join_words(list, sizeof(list), words);
	if (v)
		conf_problem(p, s, "unknown %s \"%s\"; write one of: %s", name, v, list);
	else
		conf_problem(p, s, "'%s' must be a string; write one of: %s", name, list);
	return -EINVAL;
}

void conf_strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void conf_get_strings(struct conf_parser *p, const config_setting_t *group, const char *name, char ***ret,
		      size_t *n)
{
	config_setting_t *s = config_setting_get_member(group, name);
	size_t count;
	char **v;

	*ret = NULL;
	*n = 0;
	if (!s)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		count = 1;
	else if (config_setting_is_list(s) || config_setting_is_array(s))
		count = (size_t)config_setting_length(s);
	else {
		conf_problem(p, s, "'%s' must be a list of strings; write %s = ( \"...\", \"...\" );", name, name);
		return;
	}
	v = calloc(count + 1, sizeof(*v));
	if (!v) {
		p->diag->oom = 1;
		return;
	}
	for (size_t i = 0; i < count; i++) {
		const config_setting_t *e = count == 1 && config_setting_type(s) == CONFIG_TYPE_STRING
						    ? s
						    : config_setting_get_elem(s, (unsigned)i);
		const char *text = config_setting_get_string(e);

		if (!text) {
			conf_problem(p, e, "each entry of '%s' must be a string in quotes; write %s = ( \"...\" );",
				     name, name);
			conf_strings_free(v);
			return;
		}
		v[i] = strdup(text);
		if (!v[i]) {
			p->diag->oom = 1;
			conf_strings_free(v);
			return;
		}
	}
	*ret = v;
	*n = count;
}
