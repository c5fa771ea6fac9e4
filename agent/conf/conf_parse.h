/* SPDX-License-Identifier: Apache-2.0 */
/* Typed access to libconfig settings for the configuration parsers: each
 * getter reports a wrong type or value to the parser's diag list as
 * "file:line: what is wrong; what to write instead" and leaves the output
 * untouched, so parsing goes on and every problem is listed. */
#ifndef ACCESSD_CONF_PARSE_H
#define ACCESSD_CONF_PARSE_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "util/diag.h"

struct conf_parser {
	const char *file; /* the main file; settings from @include name their own */
	struct diag *diag;
	const struct conf_connectors *connectors; /* the kinds built in */
};

/* Append a problem about setting S (its file and line; NULL: the main file). */
void conf_problem(struct conf_parser *p, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report every member of GROUP whose name is not in KNOWN (NULL-terminated),
 * suggesting the nearest known name. WHERE names the group in messages. */
void conf_check_keys(struct conf_parser *p, const config_setting_t *group, const char *where,
		     const char *const *known);

/* conf_check_keys with the keys COMMON to every connector and those
 * connector C adds (its keys, or its item_keys when ITEM); when C is NULL
 * (the kind names no connector) those of every connector of LIST, so that
 * only the kind is reported. */
void conf_check_connector_keys(struct conf_parser *p, const config_setting_t *group, const char *where,
			       const char *const *common, conf_connector_list list, const struct conf_connector *c,
			       int item);

/* When set, conf_check_keys first hands it every list of keys it checks a
 * group against: these lists are every setting the parser accepts, which
 * the documentation test reads (tests/scenarios/conf-keys.c). NULL in the
 * agent. */
typedef void (*conf_keys_observer_fn)(const char *where, const char *const *known);
extern conf_keys_observer_fn conf_keys_observer;

/* The entry of KNOWN (NULL-terminated) nearest to WORD by edit distance,
 * ignoring case, or NULL when none is close enough to be a likely typo. */
const char *conf_nearest(const char *word, const char *const *known);

/* A copy (caller frees) of the string member NAME of GROUP; NULL when it is
 * absent (reported when REQUIRED) or not a string (reported). */
char *conf_get_string(struct conf_parser *p, const config_setting_t *group, const char *name, int required);

/* The duration member NAME ("90s", "15m", "24h", "7d") into *MS. Returns 1
 * when it was set, 0 when absent, -EINVAL when wrong (reported). */
int conf_get_duration(struct conf_parser *p, const config_setting_t *group, const char *name, int64_t *ms);

/* The integer member NAME within [MIN, MAX] into *RET; absent leaves it. */
void conf_get_int(struct conf_parser *p, const config_setting_t *group, const char *name, int min, int max,
		  int *ret);

/* The boolean member NAME (true / false) into *RET; absent leaves it. */
void conf_get_bool(struct conf_parser *p, const config_setting_t *group, const char *name, int *ret);

/* The string member NAME, which must be one of WORDS (NULL-terminated), as
 * its index into *RET; absent leaves it, anything else is reported with the
 * nearest word. Returns 1 when set, 0 when absent, -EINVAL when wrong. */
int conf_get_word(struct conf_parser *p, const config_setting_t *group, const char *name,
		  const char *const *words, int *ret);

/* The member NAME as a list of strings (a single string is a list of one).
 * On success *RET is a NULL-terminated array the caller frees with
 * conf_strings_free, and *N its length; absent gives NULL and 0. Problems are
 * reported and give NULL and 0. */
void conf_get_strings(struct conf_parser *p, const config_setting_t *group, const char *name, char ***ret,
		      size_t *n);
void conf_strings_free(char **v);

/* The line of S, 0 for NULL. */
int conf_line(const config_setting_t *s);

#endif
