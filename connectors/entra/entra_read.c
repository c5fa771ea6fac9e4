/* SPDX-License-Identifier: Apache-2.0 */
/* Entra ID through Microsoft Graph: the facts the policy needs. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autoreply.h"
#include "core/policy.h"
#include "entra.h"
#include "odata.h"
#include "util/tzdb.h"
#include "util/json.h"
#include "util/log.h"
#include "util/text.h"

#define ENTRA_GROUP_FIELDS "id,displayName,mailEnabled,securityEnabled,onPremisesSyncEnabled"

/* A path built from checked parts; -E2BIG when it does not fit. */
static int path_printf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int path_printf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}

/* Invalid input: nothing is sent, and it will not get better by retrying. */
static int refuse(struct entra *e, struct directory_result *res)
{
	return graph_result_fail(res, -EINVAL, entra_now(e));
}

/* A 404 that means "there is none" is an answer, not a failure. */
static void not_found_is_answer(struct directory_result *res)
{
	res->outcome = DIRECTORY_OK;
	res->error = 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A configured extra attribute as text: strings as they are, numbers and
 * booleans printed, anything else (null, objects) absent. */
static char *attribute_text(const cJSON *v)
{
	char num[64];

	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		snprintf(num, sizeof(num), "%.17g", v->valuedouble);
		return strdup(num);
	}
	return NULL;
}

/* A DateTimeOffset as Graph writes it, always in UTC:
 * "2024-06-30T23:59:59Z", with or without fractions of a second. */
static int graph_time(const char *s, int64_t *ret_ms)
{
	char civil[20];
	const char *rest;

	if (!s || strlen(s) < 20 || s[10] != 'T')
		return -EINVAL;
	memcpy(civil, s, 19);
	civil[10] = ' ';
	civil[19] = '\0';
	rest = s + 19;
	if (*rest == '.' && isdigit((unsigned char)rest[1]))
		for (rest++; isdigit((unsigned char)*rest); rest++)
			;
	if (strcmp(rest, "Z") != 0)
		return -EINVAL;
	return policy_parse_date(civil, 0, ret_ms);
}

/* Name NAME in P->refused unless something is named there already. */
static int refuse_property(struct person *p, const char *name)
{
	if (!p->refused && !(p->refused = strdup(name)))
		return -ENOMEM;
	return 0;
}

/* The string property NAME of U into *RET: NULL when absent, and refused
 * (left out, named in P->refused) when it holds a control character. */
static int take_string(struct person *p, const cJSON *u, const char *name, char **ret)
{
	const char *v = json_str(u, name);

	*ret = NULL;
	if (!v)
		return 0;
	if (text_has_control(v, 0))
		return refuse_property(p, name);
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

/* A date property: 0 when null or absent; refused when it does not parse. */
static int take_time(struct person *p, const cJSON *u, const char *name, int64_t *ret_ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(u, name);

	*ret_ms = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (graph_time(cJSON_IsString(v) ? v->valuestring : NULL, ret_ms) < 0) {
		*ret_ms = 0;
		return refuse_property(p, name);
	}
	return 0;
}

static int to_person(const struct entra *e, const cJSON *u, struct person *ret)
{
	struct person p = { .exists = 1 };
	const char *name;
	const cJSON *v;
	int r;

	p.id = dup_or_null(json_str(u, "id"));
	p.enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "accountEnabled"));
	if (!p.id || !text_is_guid(p.id)) {
		person_clear(&p);
		return -EBADMSG;
	}
	if ((r = take_string(&p, u, "userPrincipalName", &p.upn)) < 0 || (r = take_string(&p, u, "mail", &p.mail)) < 0 ||
	    (r = take_string(&p, u, "userType", &p.user_type)) < 0 ||
	    (r = take_string(&p, u, "employeeType", &p.employee_type)) < 0 ||
	    (r = take_time(&p, u, "employeeHireDate", &p.hire_ms)) < 0 ||
	    (r = take_time(&p, u, "employeeLeaveDateTime", &p.leave_ms)) < 0)
		goto nomem;
	/* A name only shown to people: one holding a control character is
	 * left out (the UPN names the person then), and refuses nothing. */
	name = json_str(u, "displayName");
	if (name && !text_has_control(name, 0) && !(p.display_name = strdup(name)))
		goto nomem;
	if (e->n_attrs > 0) {
		p.attrs = calloc(e->n_attrs, sizeof(*p.attrs));
		if (!p.attrs)
			goto nomem;
		p.n_attrs = e->n_attrs;
		for (size_t i = 0; i < e->n_attrs; i++) {
			p.attrs[i].name = strdup(e->attrs[i]);
			if (!p.attrs[i].name)
				goto nomem;
			v = cJSON_GetObjectItemCaseSensitive(u, e->attrs[i]);
			if (cJSON_IsString(v) && text_has_control(v->valuestring, 0)) {
				if (refuse_property(&p, e->attrs[i]) < 0)
					goto nomem;
				continue;
			}
			p.attrs[i].value = attribute_text(v);
			if (!p.attrs[i].value && (cJSON_IsString(v) || cJSON_IsBool(v) || cJSON_IsNumber(v)))
				goto nomem;
		}
	}
	*ret = p;
	return 0;
nomem:
	person_clear(&p);
	return -ENOMEM;
}

/* The URL of a user lookup; -EINVAL for a value that may not be sent. */
static int user_url(const struct entra *e, enum directory_user_key key, const char *value, char *buf, size_t size)
{
	char *part = NULL;
	int r;

	switch (key) {
	case DIRECTORY_BY_ID:
		if (!text_is_guid(value))
			return -EINVAL;
		return path_printf(buf, size, "users/%s?$select=%s", value, e->select);
	case DIRECTORY_BY_UPN:
		r = odata_user_path(value, &part);
		if (r < 0)
			return r;
		r = path_printf(buf, size, "%s?$select=%s", part, e->select);
		break;
	case DIRECTORY_BY_MAIL:
		r = odata_string_literal(value, &part);
		if (r < 0)
			return r;
		r = path_printf(buf, size, "users?$filter=mail%%20eq%%20%s&$select=%s", part, e->select);
		break;
	default:
		return -EINVAL;
	}
	free(part);
	return r;
}

int entra_get_user(void *impl, enum directory_user_key key, const char *value, struct person *ret,
		   struct directory_result *res)
{
	struct entra *e = impl;
	const cJSON *user, *list;
	cJSON *root = NULL;
	char url[2048];
	int r;

	r = user_url(e, key, value, url, sizeof(url));
	if (r == -ENOMEM)
		return graph_result_fail(res, r, entra_now(e));
	if (r < 0)
		return refuse(e, res);
	r = entra_call(e, GRAPH_READ, NULL, "GET", url, NULL, &root, res);
	if (r < 0 && res->status == 404 && key != DIRECTORY_BY_MAIL) {
		not_found_is_answer(res);
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	if (r < 0)
		return r;
	user = root;
	if (key == DIRECTORY_BY_MAIL) {
		list = cJSON_GetObjectItemCaseSensitive(root, "value");
		if (!cJSON_IsArray(list)) {
			r = -EBADMSG;
			goto fail;
		}
		if (cJSON_GetArraySize(list) == 0) {
			memset(ret, 0, sizeof(*ret));
			goto done;
		}
		if (cJSON_GetArraySize(list) > 1) {
			r = -ENOTUNIQ;
			goto fail;
		}
		user = cJSON_GetArrayItem(list, 0);
	}
	r = to_person(e, user, ret);
	if (r < 0)
		goto fail;
done:
	cJSON_Delete(root);
	return r;
fail:
	cJSON_Delete(root);
	return graph_result_fail(res, r, entra_now(e));
}

int entra_get_manager(void *impl, const char *user_id, char **ret_manager_id, struct directory_result *res)
{
	struct entra *e = impl;
	cJSON *root = NULL;
	const char *id;
	char url[256];
	char *copy;
	int r;

	if (!text_is_guid(user_id))
		return refuse(e, res);
	path_printf(url, sizeof(url), "users/%s/manager?$select=id", user_id);
	r = entra_call(e, GRAPH_READ, NULL, "GET", url, NULL, &root, res);
	/* Graph's 404 names what it did not find: the user, or its manager. */
	if (r < 0 && res->status == 404 && !(res->error_message && strstr(res->error_message, user_id))) {
		not_found_is_answer(res);
		*ret_manager_id = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	id = json_str(root, "id");
	copy = id && text_is_guid(id) ? strdup(id) : NULL;
	r = !copy ? (id && text_is_guid(id) ? -ENOMEM : -EBADMSG) : 0;
	cJSON_Delete(root);
	if (r < 0)
		return graph_result_fail(res, r, entra_now(e));
	*ret_manager_id = copy;
	return 0;
}

/* A mailbox's time zone through the system's database (autoreply_zone_fn).
 * A zone we cannot resolve makes the approver's presence unknown, which
 * the operator should hear of: tzdata missing, or a zone it lacks. */
static int zone_to_utc(void *ctx, const char *zone, int64_t local_ms, int64_t *ret_utc_ms)
{
	char name[65];
	size_t i;
	int r;

	r = tzdb_to_utc(ctx, zone, local_ms, ret_utc_ms);
	if (r < 0) {
		/* Graph's text: printable ASCII only into the log. */
		for (i = 0; i < sizeof(name) - 1 && zone[i]; i++)
			name[i] = zone[i] >= 0x20 && zone[i] < 0x7f ? zone[i] : '?';
		name[i] = 0;
		log_warnx("directory: mailbox time zone \"%s\" cannot be resolved (%s); out of office is unknown", name,
			  r == -EINVAL   ? "neither a Windows nor an IANA zone name"
			  : r == -ENOENT ? "not in the time zone database: is tzdata installed?"
					 : strerror(-r));
	}
	return r;
}

int entra_get_presence(void *impl, const char *user_id, enum presence *ret, struct directory_result *res)
{
	struct entra *e = impl;
	cJSON *root = NULL;
	char url[256];
	int r;

	if (!text_is_guid(user_id))
		return refuse(e, res);
	path_printf(url, sizeof(url), "users/%s/mailboxSettings/automaticRepliesSetting", user_id);
	r = entra_call(e, GRAPH_READ, NULL, "GET", url, NULL, &root, res);
	/* No mailbox (404 MailboxNotEnabledForRESTAPI) or no permission for
	 * mailbox settings (403): we do not know, which is not "away". */
	if (r < 0 && (res->status == 404 || res->status == 403)) {
		not_found_is_answer(res);
		*ret = PRESENCE_UNKNOWN;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = autoreply_presence(root, entra_now(e), zone_to_utc, e->tzdb);
	cJSON_Delete(root);
	return 0;
}

/* A list of users being filled from a listing. */
struct user_list {
	struct directory_owner *v;
	size_t n;
};

/* One user of a listing into the list (entra_item_fn). */
static int add_listed(const cJSON *o, void *ctx)
{
	struct user_list *l = ctx;
	const char *id = json_str(o, "id"), *upn = json_str(o, "userPrincipalName");
	struct directory_owner *grown;

	if (!id)
		return 0;
	/* A name that could be cut short is no name: the id stands. */
	if (text_has_control(upn, 0))
		upn = NULL;
	grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->v = grown;
	grown[l->n] = (struct directory_owner){ .id = strdup(id), .upn = dup_or_null(upn) };
	if (!grown[l->n].id || (upn && !grown[l->n].upn)) {
		free(grown[l->n].id);
		free(grown[l->n].upn);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

/* Every object of a group's listing WHAT ("owners", "members"), following
 * @odata.nextLink. */
static int list_users(struct entra *e, const char *group_id, const char *what, struct user_list *l,
		      struct directory_result *res)
{
	char first[256];

	path_printf(first, sizeof(first), "groups/%s/%s?$select=id,userPrincipalName", group_id, what);
	return entra_list(e, first, ENTRA_MAX_PAGES, add_listed, l, res);
}

int entra_get_members(void *impl, const char *group_id, struct directory_owner **ret, size_t *ret_n,
		      struct directory_result *res)
{
	struct entra *e = impl;
	struct user_list l = { 0 };
	int r;

	if (!text_is_guid(group_id))
		return refuse(e, res);
	r = list_users(e, group_id, "members", &l, res);
	if (r < 0) {
		directory_users_free(l.v, l.n);
		return r;
	}
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

int entra_get_group(void *impl, const char *group_id, struct directory_group *ret, struct directory_result *res)
{
	struct entra *e = impl;
	struct directory_group g = { .exists = 1 };
	struct user_list owners = { 0 };
	cJSON *root = NULL;
	char url[256];
	int r;

	if (!text_is_guid(group_id))
		return refuse(e, res);
	path_printf(url, sizeof(url), "groups/%s?$select=" ENTRA_GROUP_FIELDS, group_id);
	r = entra_call(e, GRAPH_READ, NULL, "GET", url, NULL, &root, res);
	if (r < 0 && res->status == 404) {
		not_found_is_answer(res);
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	if (r < 0)
		return r;
	g.id = strdup(group_id);
	g.display_name = dup_or_null(json_str(root, "displayName"));
	g.mail_enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "mailEnabled"));
	g.security_enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "securityEnabled"));
	g.on_premises_synced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "onPremisesSyncEnabled"));
	r = !g.id || (json_str(root, "displayName") && !g.display_name) ? -ENOMEM : 0;
	cJSON_Delete(root);
	if (r < 0) {
		directory_group_clear(&g);
		return graph_result_fail(res, r, entra_now(e));
	}
	r = list_users(e, group_id, "owners", &owners, res);
	g.owners = owners.v;
	g.n_owners = owners.n;
	if (r < 0) {
		directory_group_clear(&g);
		return r;
	}
	*ret = g;
	return 0;
}

int entra_is_member(void *impl, const char *group_id, const char *user_id, int *ret, struct directory_result *res)
{
	struct entra *e = impl;
	const cJSON *list, *v;
	cJSON *root = NULL;
	char url[256], body[128];
	int member = 0, r;

	if (!text_is_guid(group_id) || !text_is_guid(user_id))
		return refuse(e, res);
	path_printf(url, sizeof(url), "users/%s/checkMemberGroups", user_id);
	path_printf(body, sizeof(body), "{\"groupIds\":[\"%s\"]}", group_id);
	r = entra_call(e, GRAPH_READ, NULL, "POST", url, body, &root, res);
	if (r < 0)
		return r;
	list = cJSON_GetObjectItemCaseSensitive(root, "value");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(root);
		return graph_result_fail(res, -EBADMSG, entra_now(e));
	}
	cJSON_ArrayForEach(v, list)
		if (cJSON_IsString(v) && strcasecmp(v->valuestring, group_id) == 0)
			member = 1;
	cJSON_Delete(root);
	*ret = member;
	return 0;
}

/* Object ids being gathered from a listing. */
struct id_list {
	char **v;
	size_t n;
};

/* One object's id into the list (entra_item_fn); an object without a
 * GUID can equal no configured group and is left out. */
static int add_id(const cJSON *o, void *ctx)
{
	struct id_list *l = ctx;
	const char *id = json_str(o, "id");
	char **grown;

	if (!id || !text_is_guid(id))
		return 0;
	grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->v = grown;
	grown[l->n] = strdup(id);
	if (!grown[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

/* Graph's "List a user's direct memberships" (memberOf) is not
 * transitive; the cast to microsoft.graph.group leaves out directory roles
 * and administrative units. Pages hold up to 999 objects. */
int entra_get_member_of(void *impl, const char *user_id, char ***ret, size_t *ret_n, struct directory_result *res)
{
	struct entra *e = impl;
	struct id_list l = { 0 };
	char first[256];
	int r;

	if (!text_is_guid(user_id))
		return refuse(e, res);
	path_printf(first, sizeof(first), "users/%s/memberOf/microsoft.graph.group?$select=id&$top=%d", user_id,
		    ENTRA_PAGE_MAX);
	r = entra_list(e, first, ENTRA_MAX_PAGES, add_id, &l, res);
	if (r < 0) {
		directory_ids_free(l.v, l.n);
		return r;
	}
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}
