/* SPDX-License-Identifier: Apache-2.0 */
/* Encoded queries for ServiceNow. A value is never escaped into a query:
 * ServiceNow documents no escape for "^" inside a value, so a value that
 * could change the query's structure is refused instead. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicenow.h"
#include "util/civil.h"

int snow_value_ok(const char *v, int in_list)
{
	if (!v || !*v)
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p == '^' || *p < 0x20 || *p == 0x7f || (in_list && *p == ','))
			return 0;
	return 1;
}

int snow_field_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 80 || name[0] < 'a' || name[0] > 'z')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int snow_sys_id_ok(const char *id)
{
	return id && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32;
}

int snow_number_ok(const char *number)
{
	size_t n = number ? strlen(number) : 0;

	return n > 0 && n <= SNOW_NUMBER_MAX &&
	       strspn(number, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* Append ",VALUE" (or VALUE first) to the list in *LIST. */
static int list_add(char **list, const char *value)
{
	char *grown;

	if (asprintf(&grown, "%s%s%s", *list ? *list : "", *list ? "," : "", value) < 0)
		return -ENOMEM;
	free(*list);
	*list = grown;
	return 0;
}

int snow_items_condition(const char *field, const struct item_config *items, size_t n_items, char **ret)
{
	char *ids = NULL, *names = NULL, *cond = NULL;
	int r = 0, n;

	for (size_t i = 0; i < n_items && r == 0; i++) {
		if (items[i].sys_id)
			r = snow_sys_id_ok(items[i].sys_id) ? list_add(&ids, items[i].sys_id) : -EINVAL;
		else
			r = snow_value_ok(items[i].name, 1) ? list_add(&names, items[i].name) : -EINVAL;
	}
	if (r < 0)
		goto done;
	if (!ids && !names) {
		r = -EINVAL;
		goto done;
	}
	if (ids && names)
		n = asprintf(&cond, "%sIN%s^OR%s.nameIN%s", field, ids, field, names);
	else if (ids)
		n = asprintf(&cond, "%sIN%s", field, ids);
	else
		n = asprintf(&cond, "%s.nameIN%s", field, names);
	if (n < 0) {
		r = -ENOMEM;
		goto done;
	}
	*ret = cond;
done:
	free(ids);
	free(names);
	return r;
}

int snow_time_shift(const char *when, int64_t delta_ms, char out[20])
{
	int64_t ms;

	if (civil_parse(when, CIVIL_DATE_TIME, &ms) < 0)
		return -EINVAL;
	/* Whole seconds, a negative shift rounded down: an overlap may only grow. */
	ms += delta_ms >= 0 ? delta_ms / 1000 * 1000 : -((-delta_ms + 999) / 1000 * 1000);
	return civil_format(ms, out);
}
