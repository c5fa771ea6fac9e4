/* SPDX-License-Identifier: Apache-2.0 */
/* Open requests that may already ask for an access: those requested for
 * the person, and the incidents they requested, that accessd did not
 * create. Xurrent filters no text (string filters are exact), so the open
 * requests are read, a page of each, and their subjects matched here; the
 * caller narrows the match to whole words. A request's description is its
 * first note, which would cost a request per record: only the subject is
 * read. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/text.h"
#include "xurrent.h"

struct open_find {
	const char *const *terms;
	size_t n_terms;
	long exclude;
	struct itsm_open *v;
	size_t n;
};

static int names_a_term(const struct open_find *f, const char *text)
{
	for (size_t i = 0; i < f->n_terms; i++)
		if (f->terms[i] && *f->terms[i] && strcasestr(text, f->terms[i]))
			return 1;
	return 0;
}

static int take_open(struct xr *x, const cJSON *page, void *ctx)
{
	struct open_find *f = ctx;
	const cJSON *rec;

	cJSON_ArrayForEach(rec, page) {
		const char *subject = json_str(rec, "subject"), *source = json_str(rec, "source");
		const char *category = json_str(rec, "category");
		struct itsm_open o = { 0 }, *grown;
		int known = 0;
		long id;

		if (f->n >= ITSM_OPEN_MAX)
			return 1;
		if (xr_int(rec, "id", &id) < 0)
			return -EBADMSG;
		for (size_t i = 0; i < f->n; i++)
			known |= strtol(f->v[i].id, NULL, 10) == id;
		/* accessd's own records, and text that could hide another. */
		if (known || id == f->exclude || (source && strcmp(source, x->set->source) == 0) || !subject ||
		    text_has_control(subject, 0) || !names_a_term(f, subject))
			continue;
		o.incident = category && strcmp(category, "incident") == 0;
		if (asprintf(&o.id, "%ld", id) < 0)
			return -ENOMEM;
		o.number = strdup(o.id);
		o.text = strdup(subject);
		grown = realloc(f->v, (f->n + 1) * sizeof(*grown));
		if (!o.number || !o.text || !grown) {
			free(o.id);
			free(o.number);
			free(o.text);
			if (grown)
				f->v = grown;
			return -ENOMEM;
		}
		f->v = grown;
		f->v[f->n++] = o;
	}
	/* One page of each: a person has not a hundred open requests. */
	return 1;
}

int xr_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms, const char *exclude_id,
		 struct itsm_open **ret, size_t *ret_n)
{
	struct xr *x = impl;
	struct open_find f = { terms, n_terms, 0, NULL, 0 };
	char path[192];
	long person;
	int r;

	if (xr_id_parse(person_id, &person) < 0 || (exclude_id && xr_id_parse(exclude_id, &f.exclude) < 0))
		return -EINVAL;
	snprintf(path, sizeof(path), "/requests/open?requested_for_id=%ld&fields=subject,category,source&per_page=%d",
		 person, XR_PAGE_MAX);
	r = xr_list(x, "requests", path, take_open, &f);
	snprintf(path, sizeof(path),
		 "/requests/open?requested_by_id=%ld&category=incident&fields=subject,category,source&per_page=%d", person,
		 XR_PAGE_MAX);
	if (r == 0)
		r = xr_list(x, "requests", path, take_open, &f);
	if (r < 0) {
		itsm_open_free(f.v, f.n);
		return r;
	}
	*ret = f.v;
	*ret_n = f.n;
	return 0;
}
