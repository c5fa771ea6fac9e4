/* SPDX-License-Identifier: Apache-2.0 */
/* What one TOPdesk tenant calls things: its change templates, change and
 * incident statuses, categories, operator groups and people, asked once per
 * instance and kept, and what accessd learned of the records it was asked
 * about (a governed change, a request call, a change linked to a call). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "topdesk.h"
#include "util/log.h"
#include "util/text.h"

#define PERSON_V2 "application/x.topdesk-collection-person-v2+json"

void td_list_clear(struct td_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].name);
		free(l->v[i].extra);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *td_list_find(const struct td_list *l, const char *name)
{
	for (size_t i = 0; name && i < l->n; i++)
		if (strcasecmp(l->v[i].id, name) == 0 || (l->v[i].name && strcmp(l->v[i].name, name) == 0) ||
		    (l->v[i].extra && strcmp(l->v[i].extra, name) == 0))
			return l->v[i].id;
	return NULL;
}

/* Read the list at PATH (a JSON list, or {"results": [...]}) into L: each
 * entry's id, its NAME_FIELD, and EXTRA (a member, or a reference's id). */
static int list_get(struct td *t, const char *what, const char *path, const char *name_field, const char *extra,
		    struct td_list *l)
{
	const cJSON *rec, *list;
	cJSON *root = NULL;
	int r;

	if (l->v)
		return 0;
	r = td_get(t, what, path, &root, NULL);
	if (r < 0)
		return r;
	list = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "results");
	l->v = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*l->v));
	if (!l->v) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(rec, list) {
		const char *id = json_str(rec, "id"), *name = json_str(rec, name_field);
		const char *x = extra ? (json_str(rec, extra) ? json_str(rec, extra) : td_ref(rec, extra, "id")) : NULL;
		struct td_named *e = &l->v[l->n];

		if (!td_id_ok(id) || !name || text_has_control(name, 0) || (x && text_has_control(x, 0)))
			continue;
		e->id = strdup(id);
		e->name = strdup(name);
		e->extra = x ? strdup(x) : NULL;
		l->n++;
		if (!e->id || !e->name || (x && !e->extra)) {
			cJSON_Delete(root);
			return -ENOMEM;
		}
	}
	cJSON_Delete(root);
	return 0;
}

/* Log that the configuration names NAME for WHAT (at LINE) but the tenant's
 * list L has no such entry, and the names it has. */
static int not_there(const struct td_list *l, int line, const char *what, const char *name)
{
	char names[400] = "";
	size_t used = 0;

	for (size_t i = 0; i < l->n && used + 1 < sizeof(names); i++) {
		int w = snprintf(names + used, sizeof(names) - used, "%s\"%s\"", i ? ", " : "", l->v[i].name);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	log_error("topdesk: the configuration (line %d) names %s \"%s\", which this TOPdesk does not have; it has: %s",
		  line, what, name, l->n ? names : "none");
	return -EINVAL;
}

/* The id of NAME in L, copied into *RET; logged when the tenant has none. */
static int resolve_one(const struct td_list *l, int line, const char *what, const char *name, char **ret)
{
	const char *id = td_list_find(l, name);

	if (!id)
		return not_there(l, line, what, name);
	*ret = strdup(id);
	return *ret ? 0 : -ENOMEM;
}

static int need_lists(struct td *t, const struct item_config *items, size_t n_items)
{
	const struct td_settings *set = t->set;
	int changes = 0, calls = set->incident_category != NULL, change_status = 0, call_status = set->incident_status != NULL;
	int r = 0;

	for (size_t i = 0; i < n_items; i++) {
		const struct td_item *it = items[i].settings;

		calls |= it && it->category;
		changes |= !it || !it->category || it->approval_template;
	}
	for (int p = 0; p < TICKET_PHASES; p++) {
		change_status |= set->phase[p].status != NULL;
		call_status |= set->phase[p].call_status != NULL;
	}
	if (changes)
		r = list_get(t, "change templates", "/applicableChangeTemplates", "briefDescription", "number",
			     &t->templates);
	if (r == 0 && change_status)
		r = list_get(t, "change statuses", "/changes/changeStatuses", "name", NULL, &t->change_statuses);
	if (r == 0 && call_status)
		r = list_get(t, "incident statuses", "/incidents/statuses", "name", NULL, &t->call_statuses);
	if (r == 0 && calls)
		r = list_get(t, "incident categories", "/incidents/categories", "name", NULL, &t->categories);
	if (r == 0 && calls)
		r = list_get(t, "incident subcategories", "/incidents/subcategories", "name", "category",
			     &t->subcategories);
	return r;
}

/* The subcategory NAME of category CATEGORY_ID, or NULL. */
static const char *subcategory_of(const struct td *t, const char *category_id, const char *name)
{
	for (size_t i = 0; name && i < t->subcategories.n; i++)
		if (strcmp(t->subcategories.v[i].name, name) == 0 && t->subcategories.v[i].extra &&
		    strcasecmp(t->subcategories.v[i].extra, category_id) == 0)
			return t->subcategories.v[i].id;
	return NULL;
}

static int resolve_items(struct td *t, const struct item_config *items, size_t n_items)
{
	int r = 0;

	t->item_template = calloc(n_items ? n_items : 1, sizeof(char *));
	t->item_approval = calloc(n_items ? n_items : 1, sizeof(char *));
	if (!t->item_template || !t->item_approval)
		return -ENOMEM;
	t->n_items = n_items;
	for (size_t i = 0; i < n_items && r == 0; i++) {
		const struct td_item *it = items[i].settings;
		const char *category;

		if (it && it->category) {
			category = td_list_find(&t->categories, it->category);
			if (!category)
				r = not_there(&t->categories, items[i].line, "the incident category", it->category);
			else if (!subcategory_of(t, category, it->subcategory))
				r = not_there(&t->subcategories, items[i].line, "the subcategory", it->subcategory);
			if (r == 0 && it->approval_template)
				r = resolve_one(&t->templates, items[i].line, "the change template",
						it->approval_template, &t->item_approval[i]);
			continue;
		}
		/* A template by the item's own words: its topdesk.template, its
		 * id, or its name as the template's brief description. */
		r = resolve_one(&t->templates, items[i].line, "the change template",
				it && it->template ? it->template : items[i].sys_id ? items[i].sys_id : items[i].name,
				&t->item_template[i]);
	}
	return r;
}

static int resolve_settings(struct td *t)
{
	const struct td_settings *set = t->set;
	int line = t->conf->line, r = 0;

	for (int p = 0; p < TICKET_PHASES && r == 0; p++) {
		if (set->phase[p].status)
			r = resolve_one(&t->change_statuses, line, "the change status", set->phase[p].status,
					&t->status_id[p]);
		if (r == 0 && set->phase[p].call_status)
			r = resolve_one(&t->call_statuses, line, "the incident status", set->phase[p].call_status,
					&t->call_status_id[p]);
	}
	if (r == 0 && set->incident_category)
		r = resolve_one(&t->categories, line, "the incident category", set->incident_category,
				&t->incident_category_id);
	if (r == 0 && set->incident_subcategory) {
		const char *sub = subcategory_of(t, t->incident_category_id, set->incident_subcategory);

		t->incident_subcategory_id = sub ? strdup(sub) : NULL;
		r = !sub ? not_there(&t->subcategories, line, "the subcategory", set->incident_subcategory)
			 : t->incident_subcategory_id ? 0 : -ENOMEM;
	}
	if (r == 0 && set->incident_status)
		r = resolve_one(&t->call_statuses, line, "the incident status", set->incident_status,
				&t->incident_status_id);
	return r;
}

int td_resolve(struct td *t, const struct item_config *items, size_t n_items)
{
	int r;

	if (t->resolved)
		return 0;
	r = td_ready(t);
	if (r == 0)
		r = need_lists(t, items, n_items);
	if (r == 0 && !t->item_template)
		r = resolve_items(t, items, n_items);
	if (r == 0)
		r = resolve_settings(t);
	if (r < 0) {
		/* Looked up again next time: the tenant may be fixed meanwhile. */
		for (size_t i = 0; i < t->n_items; i++) {
			free(t->item_template[i]);
			free(t->item_approval[i]);
		}
		free(t->item_template);
		free(t->item_approval);
		t->item_template = t->item_approval = NULL;
		t->n_items = 0;
		for (int p = 0; p < TICKET_PHASES; p++) {
			free(t->status_id[p]);
			free(t->call_status_id[p]);
			t->status_id[p] = t->call_status_id[p] = NULL;
		}
		free(t->incident_category_id);
		free(t->incident_subcategory_id);
		free(t->incident_status_id);
		t->incident_category_id = t->incident_subcategory_id = t->incident_status_id = NULL;
		return r;
	}
	t->items = items;
	t->resolved = 1;
	return 0;
}

int td_item_of_change(const struct td *t, const char *template_id)
{
	for (size_t i = 0; template_id && i < t->n_items; i++)
		if (t->item_template[i] && strcasecmp(t->item_template[i], template_id) == 0)
			return (int)i;
	return -1;
}

int td_item_of_linked(const struct td *t, const char *template_id)
{
	for (size_t i = 0; template_id && i < t->n_items; i++)
		if (t->item_approval[i] && strcasecmp(t->item_approval[i], template_id) == 0)
			return (int)i;
	return -1;
}

int td_item_of_call(const struct td *t, const char *category, const char *subcategory)
{
	for (size_t i = 0; category && subcategory && i < t->n_items; i++) {
		const struct td_item *it = t->items[i].settings;

		if (it && it->category && strcmp(it->category, category) == 0 && strcmp(it->subcategory, subcategory) == 0)
			return (int)i;
	}
	return -1;
}

/* -- records ----------------------------------------------------------------- */

const struct td_known *td_known_find(const struct td *t, const char *id)
{
	for (size_t i = 0; id && i < t->n_known; i++)
		if (strcasecmp(t->known[i].id, id) == 0)
			return &t->known[i];
	return NULL;
}

/* Records remembered at most: what is forgotten is asked again. */
#define KNOWN_MAX 4096

int td_known_add(struct td *t, const char *id, enum td_kind kind, size_t item, const char *request_id,
		 const char *number)
{
	struct td_known *k = (struct td_known *)td_known_find(t, id), *grown;

	if (!k && t->n_known == KNOWN_MAX) {
		for (size_t i = 0; i < t->n_known; i++) {
			free(t->known[i].id);
			free(t->known[i].request_id);
			free(t->known[i].number);
		}
		t->n_known = 0;
	}
	if (!k) {
		if (t->n_known == t->cap_known) {
			size_t cap = t->cap_known ? 2 * t->cap_known : 32;

			grown = realloc(t->known, cap * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			t->known = grown;
			t->cap_known = cap;
		}
		k = &t->known[t->n_known];
		*k = (struct td_known){ .id = strdup(id) };
		if (!k->id)
			return -ENOMEM;
		t->n_known++;
	}
	k->kind = kind;
	k->item = item;
	free(k->request_id);
	free(k->number);
	k->request_id = request_id ? strdup(request_id) : NULL;
	k->number = number ? strdup(number) : NULL;
	return (request_id && !k->request_id) || (number && !k->number) ? -ENOMEM : 0;
}

/* What change REC is: governed, linked to a call, or neither. */
static int learn_change(struct td *t, const char *id, const cJSON *rec)
{
	const char *template = json_str(rec, "templateId"), *external = json_str(rec, "externalNumber");
	const char *number = json_str(rec, "number");
	int item = td_item_of_change(t, template);

	if (item >= 0)
		return td_known_add(t, id, TD_CHANGE, (size_t)item, NULL, number);
	item = td_item_of_linked(t, template);
	if (item >= 0 && td_id_ok(external))
		return td_known_add(t, id, TD_CHANGE, (size_t)item, external, number);
	return td_known_add(t, id, TD_FOREIGN, 0, NULL, number);
}

static int learn_call(struct td *t, const char *id, const cJSON *rec)
{
	int item = td_item_of_call(t, td_ref(rec, "category", "name"), td_ref(rec, "subcategory", "name"));

	return td_known_add(t, id, item >= 0 ? TD_CALL : TD_FOREIGN, item >= 0 ? (size_t)item : 0, NULL,
			    json_str(rec, "number"));
}

int td_known_get(struct td *t, const char *id, int need_item, const struct td_known **ret)
{
	char path[128];
	cJSON *root = NULL;
	int r;

	*ret = td_known_find(t, id);
	if (*ret && ((*ret)->item != TD_ITEM_UNKNOWN || !need_item))
		return 0;
	if (!td_id_ok(id))
		return -EINVAL;
	/* Which item a record belongs to is known once the items are
	 * resolved, at the first poll of this instance. */
	if (need_item && !t->resolved)
		return -EAGAIN;
	snprintf(path, sizeof(path), "/operatorChanges/%s", id);
	r = td_get_as(t, "change", path, NULL, 1, &root, NULL);
	if (r == 0)
		r = t->resolved ? learn_change(t, id, root)
				: td_known_add(t, id, TD_CHANGE, TD_ITEM_UNKNOWN, NULL, json_str(root, "number"));
	if (r == -ENOENT) {
		snprintf(path, sizeof(path), "/incidents/id/%s", id);
		r = td_get_as(t, "incident", path, NULL, 1, &root, NULL);
		if (r == 0)
			r = t->resolved ? learn_call(t, id, root)
					: td_known_add(t, id, TD_CALL, TD_ITEM_UNKNOWN, NULL, json_str(root, "number"));
	}
	cJSON_Delete(root);
	if (r < 0)
		return r;
	*ret = td_known_find(t, id);
	return 0;
}

/* -- people ------------------------------------------------------------------ */

/* The operators' field for the persons' ATTRIBUTE. */
static const char *operator_field(const char *attribute)
{
	return strcmp(attribute, "tasLoginName") == 0 ? "loginName" : attribute;
}

static int who_add(struct td *t, const cJSON *rec, int operator, const struct td_who **ret)
{
	const char *id = json_str(rec, "id"), *name = json_str(rec, "dynamicName");
	const char *upn = json_str(rec, operator ? operator_field(t->attribute) : t->attribute);
	struct td_who *w, *grown;

	if (!td_id_ok(id))
		return -EBADMSG;
	if (t->n_people == t->cap_people) {
		size_t cap = t->cap_people ? 2 * t->cap_people : 32;

		grown = realloc(t->people, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		t->people = grown;
		t->cap_people = cap;
	}
	w = &t->people[t->n_people];
	/* A value holding a control character names nobody safely. */
	*w = (struct td_who){
		.id = strdup(id),
		.upn = upn && *upn && !text_has_control(upn, 0) ? strdup(upn) : NULL,
		.name = name && !text_has_control(name, 0) ? strdup(name) : NULL,
		.operator = operator,
		.manager = !operator && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "isManager")),
	};
	if (!w->id) {
		free(w->upn);
		free(w->name);
		return -ENOMEM;
	}
	t->n_people++;
	*ret = w;
	return 0;
}

int td_who_get(struct td *t, const char *id, int operator, const struct td_who **ret)
{
	char path[128];
	cJSON *root = NULL;
	int r;

	for (size_t i = 0; i < t->n_people; i++)
		if (strcasecmp(t->people[i].id, id) == 0) {
			*ret = &t->people[i];
			return 0;
		}
	if (!td_id_ok(id))
		return -EINVAL;
	r = -ENOENT;
	if (operator != 1) {
		snprintf(path, sizeof(path), "/persons/%s", id);
		r = td_get_as(t, "person", path, NULL, operator < 0, &root, NULL);
		if (r == 0)
			r = who_add(t, root, 0, ret);
	}
	if (r == -ENOENT && operator != 0) {
		snprintf(path, sizeof(path), "/operators/id/%s", id);
		r = td_get(t, "operator", path, &root, NULL);
		if (r == 0)
			r = who_add(t, root, 1, ret);
	}
	cJSON_Delete(root);
	return r;
}

/* The one record of LIST whose FIELD is UPN (ignoring case), into *RET;
 * -ENOENT when none, -ENOTUNIQ when several. */
static int one_match(const cJSON *list, const char *field, const char *upn, const cJSON **ret)
{
	const cJSON *rec;
	int n = 0;

	cJSON_ArrayForEach(rec, list) {
		const char *v = json_str(rec, field);

		if (v && strcasecmp(v, upn) == 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "archived"))) {
			*ret = rec;
			n++;
		}
	}
	return n == 0 ? -ENOENT : n > 1 ? -ENOTUNIQ : 0;
}

/* GET PATH?query=<FIELD>=="<UPN>";archived==false<PAGING>, matched again
 * here (TOPdesk's text comparison is not documented as exact). */
static int find_in(struct td *t, const char *what, const char *path, const char *field, const char *upn,
		   const char *paging, const char *accept, int operator, const struct td_who **ret)
{
	char *query = NULL, *escaped = NULL, *url = NULL;
	const cJSON *found = NULL;
	cJSON *root = NULL;
	int r;

	r = td_fiql_eq(&query, field, upn);
	if (r == 0)
		r = td_append(&query, ";archived==false");
	if (r < 0)
		goto done;
	/* The persons API answers its 2.x collection only to its own Accept. */
	escaped = http_escape(query, NULL);
	if (!escaped || asprintf(&url, "%s?query=%s%s", path, escaped, paging) < 0) {
		url = NULL;
		r = -ENOMEM;
		goto done;
	}
	r = td_get_as(t, what, url, accept, 0, &root, NULL);
	if (r < 0)
		goto done;
	r = one_match(cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "item"), field, upn, &found);
	if (r == 0)
		r = who_add(t, found, operator, ret);
done:
	cJSON_Delete(root);
	free(query);
	free(escaped);
	free(url);
	return r;
}

int td_who_find(struct td *t, const char *upn, const struct td_who **ret)
{
	int r;

	for (size_t i = 0; i < t->n_people; i++)
		if (t->people[i].upn && strcasecmp(t->people[i].upn, upn) == 0) {
			*ret = &t->people[i];
			return 0;
		}
	r = find_in(t, "persons", "/persons", t->attribute, upn, "&pageSize=2", PERSON_V2, 0, ret);
	if (r == -ENOENT)
		r = find_in(t, "operators", "/operators", operator_field(t->attribute), upn, "&page_size=2", NULL, 1, ret);
	return r;
}

int td_operator_group(struct td *t, const char *name, const char **ret)
{
	char *query = NULL;
	const cJSON *rec;
	cJSON *root = NULL;
	struct td_named *grown;
	const char *id = NULL;
	int r;

	*ret = NULL;
	for (size_t i = 0; i < t->n_groups; i++)
		if (strcmp(t->groups[i].name, name) == 0) {
			*ret = t->groups[i].id;
			return 0;
		}
	r = td_fiql_eq(&query, "groupName", name);
	if (r == 0)
		r = td_append(&query, ";archived==false");
	if (r == 0)
		r = td_query(t, "operator groups", "/operatorgroups", query, "&page_size=2&fields=id,groupName", &root,
			     NULL);
	free(query);
	if (r < 0)
		return r;
	cJSON_ArrayForEach(rec, root)
		if (json_str(rec, "groupName") && strcmp(json_str(rec, "groupName"), name) == 0 &&
		    td_id_ok(json_str(rec, "id")))
			id = json_str(rec, "id");
	/* Remembered either way: a group the tenant lacks is asked for once. */
	grown = realloc(t->groups, (t->n_groups + 1) * sizeof(*grown));
	if (!grown) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	t->groups = grown;
	grown[t->n_groups] = (struct td_named){ .id = id ? strdup(id) : NULL, .name = strdup(name) };
	cJSON_Delete(root);
	if ((id && !grown[t->n_groups].id) || !grown[t->n_groups].name) {
		free(grown[t->n_groups].id);
		free(grown[t->n_groups].name);
		return -ENOMEM;
	}
	*ret = grown[t->n_groups++].id;
	return 0;
}
