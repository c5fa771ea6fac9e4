/* SPDX-License-Identifier: Apache-2.0 */
/* Open tickets that may already ask for an access: the person's own
 * tickets (service requests for them, incidents they raised), changed
 * within the incident lookback, whose subject or description names a
 * term. The ticket list filters by requester only, and the filter language
 * has no escape for a quote, so the terms are matched here, ignoring case:
 * a wide net the caller narrows (whole words only). A service request
 * someone else raised for the person is not in that list. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "freshservice.h"
#include "util/civil.h"
#include "util/text.h"

struct open_search {
	int64_t person, exclude;
	const char *const *terms;
	size_t n_terms;
	struct itsm_open *v;
	size_t n;
};

static int names_a_term(const struct open_search *o, const char *text)
{
	for (size_t i = 0; text && i < o->n_terms; i++)
		if (o->terms[i] && *o->terms[i] && !text_has_control(o->terms[i], 0) && strcasestr(text, o->terms[i]))
			return 1;
	return 0;
}

static int consider(struct fs *s, const cJSON *t, void *ctx)
{
	struct open_search *o = ctx;
	const char *type = json_str(t, "type"), *subject = json_str(t, "subject");
	const char *desc = json_str(t, "description_text");
	char id_text[24], number[32];
	int64_t id, status, for_id;
	int incident;

	if (o->n >= ITSM_OPEN_MAX)
		return 1;
	if (fs_id(t, "id", &id) < 0 || fs_id(t, "status", &status) < 0 || !type || id == o->exclude ||
	    ticket_phase_closed(fs_phase_of(s->st, status)))
		return 0;
	incident = strcmp(type, "Incident") == 0;
	if (!incident && (fs_id(t, "requested_for_id", &for_id) < 0 || for_id != o->person))
		return 0;
	/* accessd's own incidents carry its mark; text that could hide
	 * something says nothing safely. */
	if ((desc && strstr(desc, FS_MARK_PREFIX)) || text_has_control(subject, 1) || text_has_control(desc, 1))
		return 0;
	if (!names_a_term(o, subject) && !names_a_term(o, desc))
		return 0;
	snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
	snprintf(number, sizeof(number), "%s-%lld", incident ? "INC" : "SR", (long long)id);
	return itsm_open_add(&o->v, &o->n, id_text, number, incident, subject, desc);
}

int fs_find_open(void *impl, const char *person_id, const char *const *terms, size_t n_terms, const char *exclude_id,
		 struct itsm_open **ret, size_t *ret_n)
{
	struct fs *s = impl;
	struct open_search o = { .terms = terms, .n_terms = n_terms, .exclude = -1 };
	char from[21], ws[48] = "", *path = NULL;
	int r;

	if (!fs_id_parse(person_id, &o.person) || (exclude_id && !fs_id_parse(exclude_id, &o.exclude)))
		return -EINVAL;
	if (civil_format_iso(fs_now(s) - s->st->incident_lookback_ms, from) < 0)
		return -EINVAL;
	if (s->st->workspace_id >= 0)
		snprintf(ws, sizeof(ws), "&workspace_id=%lld", (long long)s->st->workspace_id);
	if (asprintf(&path, "/tickets?requester_id=%lld&updated_since=%s&per_page=%d%s", (long long)o.person, from,
		     FS_PAGE_MAX, ws) < 0)
		return -ENOMEM;
	r = fs_pages(s, FS_POLL, "tickets", path, "tickets", consider, NULL, &o);
	free(path);
	if (r < 0) {
		itsm_open_free(o.v, o.n);
		return r;
	}
	*ret = o.v;
	*ret_n = o.n;
	return 0;
}
