/* SPDX-License-Identifier: Apache-2.0 */
/* Open records that may already ask for an access: request items the person
 * is requested for and incidents they are the caller of, found by the
 * target's names in their descriptions. What a request item or an incident
 * that accessd did not make says is free text, so this is a wide net the
 * caller narrows (whole words only). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servicenow.h"
#include "util/text.h"

/* "short_descriptionLIKEa^ORdescriptionLIKEa^OR..." for the terms that can
 * stand in a query; -ENOENT when none can. */
static int terms_condition(const char *const *terms, size_t n, char **ret)
{
	char *cond = NULL, *grown;
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		const char *fields[] = { "short_description", "description" };

		if (!snow_value_ok(terms[i], 0))
			continue;
		for (size_t f = 0; f < 2; f++) {
			int len = snprintf(NULL, 0, "%s%sLIKE%s", used ? "^OR" : "", fields[f], terms[i]);

			grown = len < 0 ? NULL : realloc(cond, used + (size_t)len + 1);
			if (!grown) {
				free(cond);
				return -ENOMEM;
			}
			cond = grown;
			snprintf(cond + used, (size_t)len + 1, "%s%sLIKE%s", used ? "^OR" : "", fields[f], terms[i]);
			used += (size_t)len;
		}
	}
	if (!cond)
		return -ENOENT;
	*ret = cond;
	return 0;
}

static int add_record(struct itsm_open **v, size_t *n, const cJSON *rec, int incident)
{
	const char *id = snow_field(rec, "sys_id"), *number = snow_field(rec, "number");
	const char *brief = snow_field(rec, "short_description"), *desc = snow_field(rec, "description");

	/* accessd's own incidents carry its name; a value that could hide
	 * another says nothing safely. */
	if (!snow_sys_id_ok(id) || !snow_number_ok(number) ||
	    (snow_field(rec, "correlation_display") && strcmp(snow_field(rec, "correlation_display"), "accessd") == 0) ||
	    text_has_control(brief, 1) || text_has_control(desc, 1))
		return 0;
	return itsm_open_add(v, n, id, number, incident, brief, desc);
}

static int find_in(struct snow *s, const char *table, const char *person_field, const char *person_id,
		   const char *exclude_id, const char *cond, int incident, struct itsm_open **v, size_t *n)
{
	char *query = NULL, *escaped = NULL, *path = NULL;
	const cJSON *rec;
	cJSON *root = NULL;
	int r = -ENOMEM;

	if (asprintf(&query, "active=true^%s=%s%s%s^%s", person_field, person_id, exclude_id ? "^sys_id!=" : "",
		     exclude_id ? exclude_id : "", cond) < 0) {
		query = NULL;
		goto done;
	}
	escaped = http_escape(query, NULL);
	if (!escaped || asprintf(&path, "/api/now/table/%s?sysparm_query=%s&sysparm_fields=sys_id,number,"
					"short_description,description,correlation_display"
					"&sysparm_exclude_reference_link=true&sysparm_limit=%d",
				 table, escaped, ITSM_OPEN_MAX) < 0) {
		path = NULL;
		goto done;
	}
	r = snow_get(s, table, path, &root);
	if (r < 0)
		goto done;
	cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "result"))
		if (*n < ITSM_OPEN_MAX && (r = add_record(v, n, rec, incident)) < 0)
			break;
done:
	cJSON_Delete(root);
	free(query);
	free(escaped);
	free(path);
	return r;
}

int snow_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms,
		   const char *exclude_id, struct itsm_open **ret, size_t *ret_n)
{
	struct itsm_open *v = NULL;
	char *cond = NULL;
	size_t n = 0;
	int r;

	if (!snow_sys_id_ok(person_id) || (exclude_id && !snow_sys_id_ok(exclude_id)))
		return -EINVAL;
	r = terms_condition(terms, n_terms, &cond);
	if (r == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (r < 0)
		return r;
	r = find_in(impl, "sc_req_item", "requested_for", person_id, exclude_id, cond, 0, &v, &n);
	if (r == 0)
		r = find_in(impl, "incident", "caller_id", person_id, NULL, cond, 1, &v, &n);
	free(cond);
	if (r < 0) {
		itsm_open_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
