/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "facts.h"

void facts_duplicate_key(const char *subject_id, const char *target, char *buf, size_t size)
{
	snprintf(buf, size, "%s|%s", subject_id ? subject_id : "", target ? target : "");
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '@';
}

int facts_text_names(const char *text, const char *term)
{
	size_t n = term ? strlen(term) : 0;

	if (!text || n == 0)
		return 0;
	for (const char *p = text; *p; p++)
		if (strncasecmp(p, term, n) == 0 && (p == text || !name_char(p[-1])) && !name_char(p[n]))
			return 1;
	return 0;
}

void facts_clear(struct facts *f)
{
	policy_lookup_clear(&f->lookup);
	person_clear(&f->subject);
	person_clear(&f->requester);
	person_clear(&f->sponsor);
	person_clear(&f->verifier);
	free((void *)f->requester_groups);
	for (size_t i = 0; i < f->n_people; i++)
		person_clear(&f->people[i]);
	free(f->people);
	for (size_t i = 0; i < f->n_groups; i++) {
		for (size_t k = 0; k < f->groups[i].n_members; k++)
			free((char *)f->groups[i].members[k]);
		free((void *)f->groups[i].members);
		free((char *)f->groups[i].id);
	}
	free(f->groups);
	free(f->duplicate_of);
	for (size_t i = 0; i < f->n_member_of; i++)
		free(f->member_of[i]);
	free(f->member_of);
	free(f->holdings);
	free(f->zones);
	memset(f, 0, sizeof(*f));
}
