/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gather.h"
#include "util/json.h"
#include "util/log.h"
#include "util/text.h"

/* Map a directory failure to what the cycle does with it. */
static int failed(const struct directory_result *res, int r)
{
	return res->outcome == DIRECTORY_TRANSIENT ? -EAGAIN : r;
}

/* Look a person up, with their presence when WITH_PRESENCE. A person who
 * does not exist is an answer (exists 0), not an error. */
static int get_person(struct directory *d, enum directory_user_key key, const char *value, int with_presence,
		      struct person *ret)
{
	struct directory_result res = { 0 };
	struct person p = { 0 };
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!value || !*value)
		return 0;
	r = directory_get_user(d, key, value, &p, &res);
	if (r < 0) {
		/* A key the connector refuses to send names nobody. */
		r = r == -EINVAL ? 0 : failed(&res, r);
		goto done;
	}
	if (p.exists && with_presence) {
		r = directory_get_presence(d, p.id, &p.presence, &res);
		if (r < 0)
			r = failed(&res, r);
	}
done:
	directory_result_clear(&res);
	if (r < 0) {
		person_clear(&p);
		return r;
	}
	*ret = p;
	return 0;
}

static int get_manager(struct directory *d, struct person *p)
{
	struct directory_result res = { 0 };
	int r;

	if (!p->exists)
		return 0;
	r = directory_get_manager(d, p->id, &p->manager_id, &res);
	if (r < 0)
		r = failed(&res, r);
	directory_result_clear(&res);
	return r;
}

/* Look up the person with object id ID into F->people, once. */
static int add_person(struct directory *d, struct facts *f, const char *id)
{
	struct person *grown;
	int r;

	for (size_t i = 0; i < f->n_people; i++)
		if (f->people[i].id && strcasecmp(f->people[i].id, id) == 0)
			return 0;
	grown = realloc(f->people, (f->n_people + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	f->people = grown;
	r = get_person(d, DIRECTORY_BY_ID, id, 1, &f->people[f->n_people]);
	if (r < 0)
		return r;
	f->n_people++;
	return 0;
}

/* The members of approver group ID, each looked up as a person. A group
 * the directory does not know is left out: the stage falls to its backups. */
static int add_group(struct directory *d, struct facts *f, const char *id)
{
	struct directory_result res = { 0 };
	struct directory_owner *members = NULL;
	struct policy_group *grown;
	char **ids = NULL, *gid = NULL;
	size_t n = 0, n_ids = 0;
	int r;

	grown = realloc(f->groups, (f->n_groups + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	f->groups = grown;
	r = directory_get_members(d, id, &members, &n, &res);
	if (r < 0) {
		r = r == -ENOENT ? 0 : failed(&res, r);
		goto done;
	}
	ids = calloc(n ? n : 1, sizeof(*ids));
	gid = strdup(id);
	if (!ids || !gid) {
		r = -ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		r = add_person(d, f, members[i].id);
		if (r < 0)
			goto done;
		ids[n_ids] = strdup(members[i].id);
		if (!ids[n_ids]) {
			r = -ENOMEM;
			goto done;
		}
		n_ids++;
	}
	f->groups[f->n_groups++] = (struct policy_group){ .id = gid, .members = (const char *const *)ids,
							   .n_members = n_ids };
	ids = NULL;
	gid = NULL;
done:
	for (size_t i = 0; ids && i < n_ids; i++)
		free(ids[i]);
	free(ids);
	free(gid);
	directory_users_free(members, n);
	directory_result_clear(&res);
	return r;
}

static int has_access(struct directory *d, const struct target_config *t, const char *user_id, int *ret)
{
	struct directory_result res = { 0 };
	char *assignment = NULL;
	int r;

	if (t->kind == TARGET_APP_ROLE) {
		r = directory_find_assignment(d, t->resource_id, user_id, t->app_role_id, &assignment, &res);
		if (r == 0)
			*ret = assignment != NULL;
		free(assignment);
	} else {
		r = directory_is_member(d, t->group_id, user_id, ret, &res);
	}
	if (r < 0)
		r = failed(&res, r);
	directory_result_clear(&res);
	return r;
}

/* An open request in ST for the same person and target, other than REQ. */
static int find_duplicate(const struct state *st, const char *source, const struct request *req, const char *key,
			  char **ret)
{
	const struct state_request *sr;
	size_t iter = 0;

	*ret = NULL;
	while ((sr = state_request_next(st, &iter))) {
		cJSON *data;
		const char *other;
		int match;

		if (strcmp(sr->source, source) != 0 || strcmp(sr->id, req->id) == 0 || !sr->data || !sr->number)
			continue;
		data = cJSON_Parse(sr->data);
		if (!data)
			return -ENOMEM;
		other = json_str(data, "key");
		match = other && strcasecmp(other, key) == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "open"));
		cJSON_Delete(data);
		if (match) {
			*ret = strdup(sr->number);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return 0;
}

/* Whether USER_ID is in GROUP_ID (transitively); 0 for an unknown group. */
static int member_of(struct directory *d, const char *group_id, const char *user_id, int *ret)
{
	struct directory_result res = { 0 };
	int r = directory_is_member(d, group_id, user_id, ret, &res);

	if (r == -ENOENT || r == -EINVAL) {
		*ret = 0;
		r = 0;
	} else if (r < 0) {
		r = failed(&res, r);
	}
	directory_result_clear(&res);
	return r;
}

/* ---- what the rules read ------------------------------------------------ */

/* The subject's direct groups. Not readable for good (Graph refuses the
 * permission): unknown, so no member_of condition matches. */
static int get_member_of(struct directory *d, struct facts *f)
{
	struct directory_result res = { 0 };
	int r;

	r = directory_get_member_of(d, f->subject.id, &f->member_of, &f->n_member_of, &res);
	if (r == 0)
		f->pf.member_of_known = 1;
	else if (res.outcome == DIRECTORY_TRANSIENT)
		r = -EAGAIN;
	else {
		log_warnx("the directory does not say which groups %s is in (%s); rules that ask are not met",
			  f->subject.upn ? f->subject.upn : f->subject.id, strerror(-r));
		r = 0;
	}
	directory_result_clear(&res);
	return r;
}

/* A person named in a catalog variable: by object id or UPN. */
static int get_named(struct directory *d, const char *value, struct person *ret)
{
	return get_person(d, text_is_guid(value) ? DIRECTORY_BY_ID : DIRECTORY_BY_UPN, value, 0, ret);
}

/* Which of the requester groups the policy names hold the requester, and
 * who verified them and whether that agent is in the verification group. */
static int gather_requester(struct directory *d, struct facts *f)
{
	const struct policy_lookup *lk = &f->lookup;
	int in, r = 0;

	f->requester_groups = calloc(lk->n_requester_groups + 1, sizeof(*f->requester_groups));
	if (!f->requester_groups)
		return -ENOMEM;
	for (size_t i = 0; f->requester.exists && i < lk->n_requester_groups && r == 0; i++) {
		r = member_of(d, lk->requester_groups[i], f->requester.id, &in);
		if (r == 0 && in)
			f->requester_groups[f->n_requester_groups++] = lk->requester_groups[i];
	}
	if (r < 0 || !lk->verifier)
		return r;
	r = get_named(d, lk->verifier, &f->verifier);
	if (r == 0 && f->verifier.exists && lk->verifier_group)
		r = member_of(d, lk->verifier_group, f->verifier.id, &f->verifier_in_group);
	return r;
}

/* An open record in the ITSM that accessd does not know (opened before it
 * ran, by hand, or as an incident) for the same person, whose text names
 * the target T: its number in *RET, NULL when none. */
static int find_itsm_duplicate(struct itsm *itsm, const struct state *st, const char *source,
			       const struct request *req, const struct target_config *t, char **ret, int *ret_incident)
{
	const char *terms[] = { t->name, t->mailbox, t->group_id };
	struct itsm_open *found = NULL;
	size_t n = 0, n_terms = 0;
	int r;

	*ret = NULL;
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++)
		if (terms[i])
			terms[n_terms++] = terms[i];
	if (!itsm || !req->requested_for)
		return 0;
	r = itsm_find_open(itsm, req->requested_for, terms, n_terms, req->id, &found, &n);
	if (r < 0) {
		/* The connector logged it; without the answer a duplicate may
		 * be worked twice, which grants nothing wrong. */
		return itsm_error_transient(r) ? -EAGAIN : 0;
	}
	for (size_t i = 0; i < n && !*ret && r == 0; i++) {
		int names = 0;

		if (state_request_find(st, source, found[i].id))
			continue;
		for (size_t k = 0; k < n_terms; k++)
			names |= facts_text_names(found[i].text, terms[k]);
		if (!names)
			continue;
		*ret = strdup(found[i].number);
		*ret_incident = found[i].incident;
		r = *ret ? 0 : -ENOMEM;
	}
	itsm_open_free(found, n);
	return r;
}

static int get_holdings(struct directory *d, struct facts *f)
{
	f->holdings = calloc(f->lookup.n_holds ? f->lookup.n_holds : 1, sizeof(*f->holdings));
	if (!f->holdings)
		return -ENOMEM;
	for (size_t i = 0; i < f->lookup.n_holds; i++) {
		struct rule_holding *h = &f->holdings[f->n_holdings++];
		int r;

		h->target = f->lookup.holds[i];
		r = has_access(d, h->target, f->subject.id, &h->holds);
		if (r == -EAGAIN || r == -ENOMEM)
			return r;
		h->known = r == 0;
		if (r < 0)
			log_warnx("the directory does not say whether %s holds %s (%s); rules that ask are not met",
				  f->subject.upn ? f->subject.upn : f->subject.id, h->target->name, strerror(-r));
	}
	return 0;
}

/* The offsets now of the zones the rules name; one the database cannot
 * resolve is unknown (--check-config resolved it, so it went missing). */
static int get_zones(struct tzdb *db, int64_t now_ms, struct facts *f)
{
	f->zones = calloc(f->lookup.n_zones ? f->lookup.n_zones : 1, sizeof(*f->zones));
	if (!f->zones)
		return -ENOMEM;
	for (size_t i = 0; i < f->lookup.n_zones; i++) {
		struct rule_zone *z = &f->zones[f->n_zones++];
		int r;

		z->zone = f->lookup.zones[i];
		r = db ? tzdb_offset_at(db, z->zone, now_ms, &z->offset_s) : -ENOENT;
		if (r == -ENOMEM)
			return r;
		z->known = r == 0;
		if (r < 0)
			log_warnx("time zone \"%s\" cannot be resolved (%s); rules on the time there are not met",
				  z->zone, strerror(-r));
	}
	return 0;
}

int facts_gather(struct directory *d, struct itsm *itsm, struct tzdb *zones, const struct config *cfg,
		 const struct state *st, const char *source, const struct request *req, int64_t now_ms,
		 struct facts *ret)
{
	struct facts f = { 0 };
	const char *sponsor;
	char key[256];
	int r;

	if ((r = get_person(d, DIRECTORY_BY_UPN, req->requested_for_upn, 0, &f.subject)) < 0 ||
	    (r = get_manager(d, &f.subject)) < 0 ||
	    (r = get_person(d, DIRECTORY_BY_UPN, req->opened_by_upn, 0, &f.requester)) < 0)
		goto fail;
	r = policy_prepare(cfg, req, &f.subject, &f.lookup);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < f.lookup.n_people && r == 0; i++)
		r = add_person(d, &f, f.lookup.people[i]);
	for (size_t i = 0; i < f.lookup.n_groups && r == 0; i++)
		r = add_group(d, &f, f.lookup.groups[i]);
	if (r < 0)
		goto fail;
	sponsor = f.lookup.sponsor_is_manager ? f.subject.manager_id : f.lookup.sponsor;
	if (sponsor) {
		r = get_named(d, sponsor, &f.sponsor);
		if (r < 0)
			goto fail;
	}
	r = gather_requester(d, &f);
	if (r < 0)
		goto fail;
	if (f.lookup.target && f.subject.exists) {
		r = has_access(d, f.lookup.target, f.subject.id, &f.pf.has_access);
		if (r < 0)
			goto fail;
		facts_duplicate_key(f.subject.id, f.lookup.target->name, key, sizeof(key));
		r = find_duplicate(st, source, req, key, &f.duplicate_of);
		if (r == 0 && !f.duplicate_of)
			r = find_itsm_duplicate(itsm, st, source, req, f.lookup.target, &f.duplicate_of,
						&f.duplicate_incident);
		if (r < 0)
			goto fail;
	}
	if (f.lookup.member_of && f.subject.exists && (r = get_member_of(d, &f)) < 0)
		goto fail;
	if (f.subject.exists && (r = get_holdings(d, &f)) < 0)
		goto fail;
	if ((r = get_zones(zones, now_ms, &f)) < 0)
		goto fail;
	*ret = f;
	ret->pf.subject = &ret->subject;
	ret->pf.requester = &ret->requester;
	ret->pf.sponsor = sponsor ? &ret->sponsor : NULL;
	ret->pf.verifier = f.lookup.verifier ? &ret->verifier : NULL;
	ret->pf.verifier_in_group = ret->verifier_in_group;
	ret->pf.requester_groups = ret->requester_groups;
	ret->pf.n_requester_groups = ret->n_requester_groups;
	ret->pf.people = ret->people;
	ret->pf.n_people = ret->n_people;
	ret->pf.groups = ret->groups;
	ret->pf.n_groups = ret->n_groups;
	ret->pf.duplicate_of = ret->duplicate_of;
	ret->pf.duplicate_incident = ret->duplicate_incident;
	ret->pf.member_of = (const char *const *)ret->member_of;
	ret->pf.n_member_of = ret->n_member_of;
	ret->pf.holdings = ret->holdings;
	ret->pf.n_holdings = ret->n_holdings;
	ret->pf.zones = ret->zones;
	ret->pf.n_zones = ret->n_zones;
	return 0;
fail:
	facts_clear(&f);
	return r;
}
