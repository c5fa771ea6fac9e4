/* SPDX-License-Identifier: Apache-2.0 */
/* Open records that may already ask for an access: the person's open
 * changes and the open calls they are the caller of, whose brief
 * description (and a call's request) names the target. FIQL has no
 * "contains", so the person's open records are listed and the terms looked
 * for here; the caller narrows the net further (whole words only). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topdesk.h"
#include "util/text.h"

/* Whether TEXT holds one of the N TERMS, ignoring case. */
static int names_one(const char *text, const char *const *terms, size_t n)
{
	for (size_t i = 0; text && i < n; i++)
		if (terms[i] && *terms[i] && strcasestr(text, terms[i]))
			return 1;
	return 0;
}

static int add_record(struct itsm_open **v, size_t *n, const cJSON *rec, int incident, const char *const *terms,
		      size_t n_terms, const char *exclude_id)
{
	const char *id = json_str(rec, "id"), *number = json_str(rec, "number");
	const char *brief = json_str(rec, "briefDescription"), *request = incident ? json_str(rec, "request") : NULL;
	const char *external = json_str(rec, "externalNumber");

	/* A change accessd linked to a call names the call: it is no other
	 * request. */
	if (!td_id_ok(id) || !td_number_ok(number) || text_has_control(brief, 1) || text_has_control(request, 1) ||
	    (exclude_id && (strcasecmp(id, exclude_id) == 0 || (external && strcasecmp(external, exclude_id) == 0))) ||
	    !(names_one(brief, terms, n_terms) || names_one(request, terms, n_terms)))
		return 0;
	return itsm_open_add(v, n, id, number, incident, brief, request);
}

static int find_in(struct td *t, const char *what, const char *prefix, const char *query, const char *rest,
		   int incident, const char *const *terms, size_t n_terms, const char *exclude_id, struct itsm_open **v,
		   size_t *n)
{
	const cJSON *rec, *list;
	cJSON *root = NULL;
	int r;

	r = td_query(t, what, prefix, query, rest, &root, NULL);
	list = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "results");
	cJSON_ArrayForEach(rec, list)
		if (r == 0 && *n < ITSM_OPEN_MAX)
			r = add_record(v, n, rec, incident, terms, n_terms, exclude_id);
	cJSON_Delete(root);
	return r;
}

int td_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms,
		 const char *exclude_id, struct itsm_open **ret, size_t *ret_n)
{
	struct td *t = impl;
	struct itsm_open *v = NULL;
	char query[128], rest[128];
	size_t n = 0;
	int r;

	if (!td_id_ok(person_id) || (exclude_id && !td_id_ok(exclude_id)))
		return -EINVAL;
	r = td_ready(t);
	/* Without a query on changes (1.4.0), a person's changes cannot be
	 * asked for: the net is the calls only. */
	if (r == 0 && t->change_query) {
		snprintf(query, sizeof(query), "requester.id==%s;open==true", person_id);
		snprintf(rest, sizeof(rest), "&sort=id:asc&fields=id,number,briefDescription,externalNumber&pageSize=%d",
			 t->conf->page_size);
		r = find_in(t, "change list", "/operatorChanges", query, rest, 0, terms, n_terms, exclude_id, &v, &n);
	}
	if (r == 0 && t->fiql_incidents) {
		snprintf(query, sizeof(query), "caller.id==%s;closed==false", person_id);
		snprintf(rest, sizeof(rest), "&fields=id,number,briefDescription,request,externalNumber&pageSize=%d",
			 t->conf->page_size);
		r = find_in(t, "incident list", "/incidents", query, rest, 1, terms, n_terms, exclude_id, &v, &n);
	}
	if (r < 0) {
		itsm_open_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
