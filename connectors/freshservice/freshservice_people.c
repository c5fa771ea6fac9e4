/* SPDX-License-Identifier: Apache-2.0 */
/* People and catalog items, which do not change under a running daemon:
 * each user id is read once (GET /requesters/{id}, else /agents/{id}: an
 * agent is not a requester there) and each service item's name once, as
 * Freshservice's best practices ask. Finding a user by e-mail is a plain
 * list filter, percent-encoded; it never goes into a query language. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "freshservice.h"
#include "util/log.h"
#include "util/text.h"

/* Past this many entries a cache starts again: ids are cheap to read. */
#define FS_CACHE_MAX 4096
/* The longest e-mail address (RFC 5321 path). */
#define FS_EMAIL_MAX 254

void fs_caches_free(struct fs *s)
{
	for (size_t i = 0; i < s->n_people; i++)
		free(s->people[i].email);
	free(s->people);
	for (size_t i = 0; i < s->n_items; i++)
		free(s->items[i].name);
	free(s->items);
	free(s->kinds);
	s->people = NULL;
	s->items = NULL;
	s->kinds = NULL;
	s->n_people = s->cap_people = s->n_items = s->cap_items = s->n_kinds = s->cap_kinds = 0;
}

static int remember_person(struct fs *s, int64_t id, const char *email, const struct fs_person **ret)
{
	struct fs_person *p;

	if (s->n_people >= FS_CACHE_MAX) {
		for (size_t i = 0; i < s->n_people; i++)
			free(s->people[i].email);
		s->n_people = 0;
	}
	if (fs_grow((void **)&s->people, &s->cap_people, s->n_people, sizeof(*s->people)) < 0)
		return -ENOMEM;
	p = &s->people[s->n_people];
	*p = (struct fs_person){ .id = id };
	if (email && (text_has_control(email, 0) || strlen(email) > FS_EMAIL_MAX)) {
		p->refused = 1;
	} else if (email && *email) {
		p->email = strdup(email);
		if (!p->email)
			return -ENOMEM;
	}
	s->n_people++;
	*ret = p;
	return 0;
}

int fs_person(struct fs *s, enum fs_use use, int64_t id, const struct fs_person **ret)
{
	static const struct {
		const char *path, *member, *email;
	} where[] = {
		{ "requesters", "requester", "primary_email" },
		{ "agents", "agent", "email" },
	};
	char path[64];
	int r = -ENOENT;

	for (size_t i = 0; i < s->n_people; i++)
		if (s->people[i].id == id) {
			*ret = &s->people[i];
			return 0;
		}
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]) && r == -ENOENT; i++) {
		cJSON *root = NULL;

		snprintf(path, sizeof(path), "/%s/%lld", where[i].path, (long long)id);
		r = fs_get(s, use, where[i].path, path, FS_QUIET_404, &root, NULL);
		if (r == 0)
			r = remember_person(s, id, json_str(cJSON_GetObjectItemCaseSensitive(root, where[i].member),
							    where[i].email), ret);
		cJSON_Delete(root);
	}
	/* Nobody by that id: remembered as such, so it is asked once. */
	if (r == -ENOENT)
		r = remember_person(s, id, NULL, ret);
	return r;
}

/* The one active user of LIST (the member NAME of ROOT) into *FOUND:
 * another is ambiguous (-ENOTUNIQ). */
static int one_active(const cJSON *root, const char *name, int64_t *found)
{
	const cJSON *u;

	cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(root, name)) {
		int64_t id;

		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(u, "active")))
			continue;
		if (fs_id(u, "id", &id) < 0)
			return -EBADMSG;
		if (*found && *found != id)
			return -ENOTUNIQ;
		*found = id;
	}
	return 0;
}

int fs_find_user(void *impl, const char *upn, char **ret_id)
{
	static const char *const lists[] = { "requesters", "agents" };
	struct fs *s = impl;
	char *escaped, *path = NULL;
	int64_t found = 0;
	int r = 0;

	if (!upn || !*upn || strlen(upn) > FS_EMAIL_MAX || text_has_control(upn, 0))
		return -EINVAL;
	escaped = http_escape(upn, NULL);
	if (!escaped)
		return -ENOMEM;
	/* Requesters with agents in one call; where the key's role may not
	 * list agents that way (403), or nobody is found, the agents alone. */
	for (size_t i = 0; i < 2 && !found; i++) {
		cJSON *root = NULL;

		if (asprintf(&path, "/%s?email=%s%s", lists[i], escaped, i == 0 ? "&include_agents=true" : "") < 0) {
			path = NULL;
			r = -ENOMEM;
			break;
		}
		r = fs_get(s, FS_WRITE, lists[i], path, 0, &root, NULL);
		free(path);
		path = NULL;
		if (r == 0)
			r = one_active(root, lists[i], &found);
		cJSON_Delete(root);
		if (r < 0 && r != -EACCES)
			break;
	}
	free(escaped);
	if (r == -ENOTUNIQ) {
		log_warnx("freshservice: more than one active user has the e-mail %s; none is asked", upn);
		return -ENOENT;
	}
	if (!found)
		return r < 0 ? r : -ENOENT;
	if (asprintf(&path, "%lld", (long long)found) < 0)
		return -ENOMEM;
	*ret_id = path;
	return 0;
}

int fs_item_name(struct fs *s, int64_t display_id, const char **ret)
{
	const char *name;
	struct fs_item *it;
	cJSON *root = NULL;
	char path[64];
	int r;

	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i].display_id == display_id) {
			*ret = s->items[i].name;
			return 0;
		}
	snprintf(path, sizeof(path), "/service_catalog/items/%lld", (long long)display_id);
	r = fs_get(s, FS_POLL, "service_catalog/items", path, FS_QUIET_404, &root, NULL);
	if (r < 0 && r != -ENOENT)
		return r;
	if (s->n_items >= FS_CACHE_MAX) {
		for (size_t i = 0; i < s->n_items; i++)
			free(s->items[i].name);
		s->n_items = 0;
	}
	if (fs_grow((void **)&s->items, &s->cap_items, s->n_items, sizeof(*s->items)) < 0) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	it = &s->items[s->n_items];
	*it = (struct fs_item){ .display_id = display_id };
	name = json_str(cJSON_GetObjectItemCaseSensitive(root, "service_item"), "name");
	if (name && text_has_control(name, 0))
		log_warnx("freshservice: service item %lld's name holds a control character; its requests are not "
			  "matched by name", (long long)display_id);
	else if (name && !(it->name = strdup(name)))
		r = -ENOMEM;
	cJSON_Delete(root);
	if (r == -ENOMEM)
		return r;
	s->n_items++;
	*ret = it->name;
	return 0;
}
