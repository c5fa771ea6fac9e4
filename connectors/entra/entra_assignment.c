/* SPDX-License-Identifier: Apache-2.0 */
/* Entra ID through Microsoft Graph: finding an app role assignment by
 * (resource, principal, app role). Graph refuses a duplicate assignment
 * with a 400 that does not name the existing one, yet its removal needs
 * that id. appRoleAssignedTo filters only by resourceId and
 * principalDisplayName (a name is not an identity), not by principalId, so
 * the resource's assignments are paged through and matched here. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entra.h"
#include "odata.h"
#include "util/json.h"
#include "util/text.h"

/* An assignment looked for, and the id found for it (owned). */
struct wanted {
	const char *principal_id;
	const char *app_role_id;
	char *found;
};

struct search {
	struct wanted *w;
	size_t n;
	size_t left;
};

/* One listed assignment against every one still wanted (entra_item_fn).
 * A matching id that is not base64url fails the search: ids found here go
 * into the path of a DELETE. */
static int match(const cJSON *item, void *ctx)
{
	struct search *s = ctx;
	const char *id = json_str(item, "id");
	const char *principal = json_str(item, "principalId");
	const char *role = json_str(item, "appRoleId");

	if (!principal || !role)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		struct wanted *w = &s->w[i];

		if (w->found || strcasecmp(principal, w->principal_id) != 0 || strcasecmp(role, w->app_role_id) != 0)
			continue;
		if (!odata_is_base64url(id))
			return -EBADMSG;
		w->found = strdup(id);
		if (!w->found)
			return -ENOMEM;
		s->left--;
	}
	return s->left == 0;
}

/* Page through RESOURCE_ID's assignments until each of W[0..N) is found
 * or the listing ends; the caller frees each W[i].found, also on failure. */
static int search(struct entra *e, const char *resource_id, struct wanted *w, size_t n,
		  struct directory_result *res)
{
	struct search s = { .w = w, .n = n, .left = n };
	char first[256];

	snprintf(first, sizeof(first), "servicePrincipals/%s/appRoleAssignedTo?$select=id,principalId,appRoleId&$top=%d",
		 resource_id, ENTRA_PAGE_MAX);
	return entra_list(e, first, ENTRA_MAX_ASSIGNMENT_PAGES, match, &s, res);
}

int entra_find_assignment(void *impl, const char *resource_id, const char *principal_id, const char *app_role_id,
			  char **ret_assignment_id, struct directory_result *res)
{
	struct entra *e = impl;
	struct wanted w = { .principal_id = principal_id, .app_role_id = app_role_id };
	int r;

	if (!text_is_guid(resource_id) || !text_is_guid(principal_id) || !text_is_guid(app_role_id))
		return graph_result_fail(res, -EINVAL, entra_now(e));
	r = search(e, resource_id, &w, 1, res);
	if (r < 0) {
		free(w.found);
		return r;
	}
	*ret_assignment_id = w.found;
	return 0;
}

/* A duplicate assignment, answered without its id. */
static int unresolved(const struct directory_change *c, const struct directory_result *res)
{
	return c->kind == DIRECTORY_ASSIGN_APP_ROLE && res->outcome == DIRECTORY_OK && res->unchanged &&
	       !res->assignment_id;
}

void entra_assignment_resolve(struct entra *e, const struct directory_change *c, size_t n,
			      struct directory_result *res)
{
	struct wanted w[DIRECTORY_BATCH_MAX];
	size_t at[DIRECTORY_BATCH_MAX];

	for (size_t i = 0; i < n; i++) {
		struct directory_result listing = { .retry_after_ms = -1 };
		size_t k = 0;
		int r;

		if (!unresolved(&c[i], &res[i]))
			continue;
		/* The duplicates on one resource share one listing. */
		for (size_t j = i; j < n && k < DIRECTORY_BATCH_MAX; j++) {
			if (!unresolved(&c[j], &res[j]) || strcasecmp(c[j].target_id, c[i].target_id) != 0)
				continue;
			w[k] = (struct wanted){ .principal_id = c[j].principal_id, .app_role_id = c[j].app_role_id };
			at[k++] = j;
		}
		r = search(e, c[i].target_id, w, k, &listing);
		for (size_t m = 0; m < k; m++) {
			struct directory_result *one = &res[at[m]];

			if (r < 0) {
				/* Its status and Retry-After are what the caller must act on. */
				directory_result_clear(one);
				if (graph_result_copy(one, &listing) < 0)
					graph_result_fail(one, -ENOMEM, entra_now(e));
			} else if (w[m].found) {
				one->assignment_id = w[m].found;
				w[m].found = NULL;
			} else {
				/* Graph said it exists but does not list it yet. */
				one->unchanged = 0;
				graph_result_fail(one, -EAGAIN, entra_now(e));
			}
			free(w[m].found);
		}
		directory_result_clear(&listing);
	}
}
