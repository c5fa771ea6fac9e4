/* SPDX-License-Identifier: Apache-2.0 */
/* People: a request or an approval names a person by id ({"id", "name"});
 * the directory knows them by their primary e-mail, which "acts as the
 * unique identifier for the person within the Xurrent account" and which a
 * collection shows only when asked. The connector keeps the people it has
 * read, and asks for those it has not in one listing a page. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/text.h"
#include "xurrent.h"

/* Longest primary_email the API allows. */
#define XR_EMAIL_MAX 128
/* People kept at most; past that the cache starts again. */
#define XR_PEOPLE_MAX 20000

const struct xr_person *xr_person(const struct xr *x, long id)
{
	for (size_t i = 0; i < x->n_people; i++)
		if (x->people[i].id == id)
			return &x->people[i];
	return NULL;
}

void xr_people_free(struct xr *x)
{
	for (size_t i = 0; i < x->n_people; i++)
		free(x->people[i].email);
	free(x->people);
	x->people = NULL;
	x->n_people = 0;
}

/* The e-mail of a person record, or NULL when absent or refused. */
static const char *email_of(const cJSON *rec)
{
	const char *email = json_str(rec, "primary_email");

	if (!email || !*email || strlen(email) > XR_EMAIL_MAX || text_has_control(email, 0))
		return NULL;
	return email;
}

static int remember(struct xr *x, long id, const char *email, int disabled)
{
	struct xr_person *grown;
	char *copy = email ? strdup(email) : NULL;

	if (email && !copy)
		return -ENOMEM;
	grown = realloc(x->people, (x->n_people + 1) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	x->people = grown;
	x->people[x->n_people++] = (struct xr_person){ id, copy, disabled };
	return 0;
}

struct fetch {
	const long *asked;
	size_t n;
};

static int take_people(struct xr *x, const cJSON *page, void *ctx)
{
	const struct fetch *f = ctx;
	const cJSON *rec;
	long id;
	int r;

	cJSON_ArrayForEach(rec, page) {
		int asked = 0;

		if (xr_int(rec, "id", &id) < 0)
			return -EBADMSG;
		for (size_t i = 0; i < f->n; i++)
			asked |= f->asked[i] == id;
		/* Only the people asked for: an answer cannot add others. */
		if (!asked || xr_person(x, id))
			continue;
		if (!email_of(rec) && json_str(rec, "primary_email"))
			log_warnx("xurrent: person %ld: the primary e-mail is over %d characters or holds a control "
				  "character; left out", id, XR_EMAIL_MAX);
		r = remember(x, id, email_of(rec), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "disabled")));
		if (r < 0)
			return r;
	}
	return 0;
}

int xr_people_fetch(struct xr *x, const long *ids, size_t n)
{
	long unknown[XR_PAGE_MAX];
	size_t k = 0;
	char *list = NULL, path[2048];
	int r;

	if (x->n_people + n > XR_PEOPLE_MAX)
		xr_people_free(x);
	for (size_t i = 0; i < n; i++) {
		int dup = xr_person(x, ids[i]) != NULL;

		for (size_t j = 0; j < k; j++)
			dup |= unknown[j] == ids[i];
		if (!dup && ids[i] > 0)
			unknown[k++] = ids[i];
		if (k < XR_PAGE_MAX && i + 1 < n)
			continue;
		if (k == 0)
			continue;
		r = xr_id_list(unknown, k, &list);
		if (r < 0)
			return r;
		snprintf(path, sizeof(path), "/people?id=%s&fields=primary_email,disabled&per_page=%d", list,
			 XR_PAGE_MAX);
		free(list);
		r = xr_list(x, "people", path, take_people, &(struct fetch){ unknown, k });
		if (r < 0)
			return r;
		/* Someone the token may not read stays unknown, once. */
		for (size_t j = 0; j < k; j++)
			if (!xr_person(x, unknown[j]) && (r = remember(x, unknown[j], NULL, 0)) < 0)
				return r;
		k = 0;
	}
	return 0;
}

struct found {
	long id;
	int n, enabled;
};

static int take_user(struct xr *x, const cJSON *page, void *ctx)
{
	struct found *f = ctx;
	const cJSON *rec;
	long id;

	(void)x;
	cJSON_ArrayForEach(rec, page) {
		int enabled = !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "disabled"));

		if (xr_int(rec, "id", &id) < 0)
			return -EBADMSG;
		f->n++;
		/* Two people with one e-mail: the enabled one, if only one is. */
		if (f->n == 1 || (enabled && !f->enabled)) {
			f->id = id;
			f->enabled = enabled;
		} else if (enabled) {
			f->id = 0;
		}
	}
	return 0;
}

int xr_find_user(void *impl, const char *upn, char **ret_id)
{
	struct xr *x = impl;
	struct found f = { 0 };
	char *escaped, *path = NULL;
	int r;

	if (!xr_value_ok(upn) || strlen(upn) > XR_EMAIL_MAX)
		return -EINVAL;
	escaped = http_escape(upn, NULL);
	if (!escaped || asprintf(&path, "/people?primary_email=%s&fields=primary_email,disabled&per_page=2",
				 escaped) < 0) {
		free(escaped);
		return -ENOMEM;
	}
	free(escaped);
	r = xr_list(x, "people", path, take_user, &f);
	free(path);
	if (r < 0)
		return r;
	if (f.n == 0)
		return -ENOENT;
	if (!f.id) {
		log_warnx("xurrent: more than one enabled person has the primary e-mail %s", upn);
		return -EINVAL;
	}
	if (asprintf(ret_id, "%ld", f.id) < 0)
		return -ENOMEM;
	return 0;
}
