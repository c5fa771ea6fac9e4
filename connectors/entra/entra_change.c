/* SPDX-License-Identifier: Apache-2.0 */
/* Entra ID through Microsoft Graph: idempotent changes, one by one or in
 * JSON batches. */
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

/* One change as an HTTP request: PATH under base_url, BODY JSON or NULL. */
struct change_req {
	const char *method;
	char path[256];
	cJSON *body;
};

static int change_valid(const struct directory_change *c)
{
	switch (c->kind) {
	case DIRECTORY_ADD_MEMBER:
	case DIRECTORY_REMOVE_MEMBER:
		return text_is_guid(c->target_id) && text_is_guid(c->principal_id);
	case DIRECTORY_ASSIGN_APP_ROLE:
		return text_is_guid(c->target_id) && text_is_guid(c->principal_id) && text_is_guid(c->app_role_id);
	case DIRECTORY_REMOVE_APP_ROLE:
		return text_is_guid(c->target_id) && odata_is_base64url(c->assignment_id);
	}
	return 0;
}

/* The request for a valid change C; -ENOMEM. */
static int change_request(const struct entra *e, const struct directory_change *c, struct change_req *out)
{
	char ref[512];

	memset(out, 0, sizeof(*out));
	switch (c->kind) {
	case DIRECTORY_ADD_MEMBER:
		out->method = "POST";
		snprintf(out->path, sizeof(out->path), "groups/%s/members/$ref", c->target_id);
		snprintf(ref, sizeof(ref), "%s/directoryObjects/%s", e->conf->base_url, c->principal_id);
		out->body = cJSON_CreateObject();
		if (!out->body || !cJSON_AddStringToObject(out->body, "@odata.id", ref))
			goto nomem;
		break;
	case DIRECTORY_REMOVE_MEMBER:
		out->method = "DELETE";
		snprintf(out->path, sizeof(out->path), "groups/%s/members/%s/$ref", c->target_id, c->principal_id);
		break;
	case DIRECTORY_ASSIGN_APP_ROLE:
		out->method = "POST";
		snprintf(out->path, sizeof(out->path), "servicePrincipals/%s/appRoleAssignedTo", c->target_id);
		out->body = cJSON_CreateObject();
		if (!out->body || !cJSON_AddStringToObject(out->body, "principalId", c->principal_id) ||
		    !cJSON_AddStringToObject(out->body, "resourceId", c->target_id) ||
		    !cJSON_AddStringToObject(out->body, "appRoleId", c->app_role_id))
			goto nomem;
		break;
	case DIRECTORY_REMOVE_APP_ROLE:
		out->method = "DELETE";
		snprintf(out->path, sizeof(out->path), "servicePrincipals/%s/appRoleAssignedTo/%s", c->target_id,
			 c->assignment_id);
		break;
	}
	return 0;
nomem:
	cJSON_Delete(out->body);
	out->body = NULL;
	return -ENOMEM;
}

/* A new assignment's id, kept as evidence and for its later removal. */
static int take_assignment_id(const struct directory_change *c, const cJSON *body, struct directory_result *res)
{
	const char *id = json_str(body, "id");

	if (c->kind != DIRECTORY_ASSIGN_APP_ROLE || res->unchanged || res->outcome != DIRECTORY_OK)
		return 0;
	if (!odata_is_base64url(id))
		return -EBADMSG;
	res->assignment_id = strdup(id);
	return res->assignment_id ? 0 : -ENOMEM;
}

int entra_apply(void *impl, const struct directory_change *c, struct directory_result *res)
{
	struct entra *e = impl;
	struct change_req req;
	cJSON *answer = NULL;
	char *body = NULL;
	int r;

	if (!change_valid(c))
		return graph_result_fail(res, -EINVAL, entra_now(e));
	r = change_request(e, c, &req);
	if (r == 0 && req.body && !(body = cJSON_PrintUnformatted(req.body)))
		r = -ENOMEM;
	cJSON_Delete(req.body);
	if (r < 0)
		return graph_result_fail(res, r, entra_now(e));
	r = entra_call(e, graph_call_of(c->kind), c->target_id, req.method, req.path, body, &answer, res);
	free(body);
	if (r == 0)
		r = take_assignment_id(c, answer, res);
	cJSON_Delete(answer);
	if (r < 0 && res->outcome == DIRECTORY_OK)
		graph_result_fail(res, r, entra_now(e));
	if (r == 0) {
		entra_assignment_resolve(e, c, 1, res);
		r = res->error;
	}
	return r;
}

/* The $batch body for the valid changes among C[0..N): request ids are the
 * changes' indexes, so each response finds its change. */
static int batch_body(const struct entra *e, const struct directory_change *c, size_t n,
		      const struct directory_result *res, char **ret)
{
	cJSON *root = cJSON_CreateObject(), *list, *one, *headers;
	struct change_req req;
	char id[24], url[260];
	int r = -ENOMEM;

	if (!root || !(list = cJSON_AddArrayToObject(root, "requests")))
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (res[i].error < 0)
			continue;
		if ((r = change_request(e, &c[i], &req)) < 0)
			goto done;
		r = -ENOMEM;
		snprintf(id, sizeof(id), "%zu", i);
		snprintf(url, sizeof(url), "/%s", req.path);
		if (!(one = cJSON_CreateObject()) || !cJSON_AddItemToArray(list, one) ||
		    !cJSON_AddStringToObject(one, "id", id) || !cJSON_AddStringToObject(one, "method", req.method) ||
		    !cJSON_AddStringToObject(one, "url", url)) {
			cJSON_Delete(req.body);
			goto done;
		}
		if (req.body) {
			if (!(headers = cJSON_AddObjectToObject(one, "headers")) ||
			    !cJSON_AddStringToObject(headers, "Content-Type", "application/json") ||
			    !cJSON_AddItemToObject(one, "body", req.body)) {
				cJSON_Delete(req.body);
				goto done;
			}
		}
	}
	*ret = cJSON_PrintUnformatted(root);
	r = *ret ? 0 : -ENOMEM;
done:
	cJSON_Delete(root);
	return r;
}

/* A header of an inner response, by name in any case. */
static const char *inner_header(const cJSON *response, const char *name)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(response, "headers"))
		if (h->string && strcasecmp(h->string, name) == 0 && cJSON_IsString(h))
			return h->valuestring;
	return NULL;
}

/* Hand each inner response to its change; a change without one is
 * transient (it may or may not have happened; it is idempotent). */
static void batch_results(struct entra *e, const struct directory_change *c, size_t n, const cJSON *answer,
			  const char *outer_request_id, struct directory_result *res)
{
	int64_t now = entra_now(e);
	const cJSON *response;
	int *seen = calloc(n, sizeof(*seen));

	cJSON_ArrayForEach(response, cJSON_GetObjectItemCaseSensitive(answer, "responses")) {
		const char *id = json_str(response, "id");
		const cJSON *status = cJSON_GetObjectItemCaseSensitive(response, "status");
		const cJSON *body = cJSON_GetObjectItemCaseSensitive(response, "body");
		char *end;
		unsigned long i;
		int r;

		if (!id || !cJSON_IsNumber(status))
			continue;
		i = strtoul(id, &end, 10);
		if (*end || i >= n || res[i].error < 0 || (seen && seen[i]))
			continue;
		if (seen)
			seen[i] = 1;
		r = graph_result_set(&res[i], graph_call_of(c[i].kind), c[i].target_id, (long)status->valuedouble,
				     body, inner_header(response, "request-id"), inner_header(response, "Retry-After"),
				     now);
		if (r == 0 && !res[i].request_id && outer_request_id && !(res[i].request_id = strdup(outer_request_id)))
			r = -ENOMEM;
		if (r == 0)
			r = take_assignment_id(&c[i], body, &res[i]);
		if (r < 0 && res[i].outcome == DIRECTORY_OK)
			graph_result_fail(&res[i], r, now);
	}
	for (size_t i = 0; i < n; i++)
		if (res[i].error == 0 && res[i].status == 0)
			graph_result_fail(&res[i], -EAGAIN, now);
	free(seen);
}

/* Changes C[0..N), N <= DIRECTORY_BATCH_MAX, in one $batch. */
static void batch_one(struct entra *e, const struct directory_change *c, size_t n, struct directory_result *res)
{
	struct directory_result outer = { .retry_after_ms = -1 };
	cJSON *answer = NULL;
	char *body = NULL;
	int r, pending = 0;

	for (size_t i = 0; i < n; i++) {
		if (!change_valid(&c[i]))
			graph_result_fail(&res[i], -EINVAL, entra_now(e));
		else
			pending++;
	}
	if (!pending)
		return;
	r = batch_body(e, c, n, res, &body);
	if (r == 0)
		r = entra_call(e, GRAPH_READ, NULL, "POST", "$batch", body, &answer, &outer);
	else
		graph_result_fail(&outer, r, entra_now(e));
	free(body);
	if (r == 0) {
		batch_results(e, c, n, answer, outer.request_id, res);
		entra_assignment_resolve(e, c, n, res);
	} else {
		/* The batch as a whole failed: each change shares its fate. */
		for (size_t i = 0; i < n; i++)
			if (res[i].error == 0 && graph_result_copy(&res[i], &outer) < 0)
				graph_result_fail(&res[i], -ENOMEM, entra_now(e));
	}
	cJSON_Delete(answer);
	directory_result_clear(&outer);
}

int entra_apply_batch(void *impl, const struct directory_change *c, size_t n, struct directory_result *res)
{
	struct entra *e = impl;
	int first = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t at = 0; at < n; at += DIRECTORY_BATCH_MAX)
		batch_one(e, c + at, n - at < DIRECTORY_BATCH_MAX ? n - at : DIRECTORY_BATCH_MAX, res + at);
	for (size_t i = 0; i < n && !first; i++)
		first = res[i].error;
	return first;
}
