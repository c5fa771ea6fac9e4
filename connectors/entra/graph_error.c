/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "graph_error.h"
#include "net/retry.h"
#include "util/json.h"

enum graph_call graph_call_of(enum directory_change_kind kind)
{
	switch (kind) {
	case DIRECTORY_ADD_MEMBER:
		return GRAPH_ADD_MEMBER;
	case DIRECTORY_REMOVE_MEMBER:
		return GRAPH_REMOVE_MEMBER;
	case DIRECTORY_ASSIGN_APP_ROLE:
		return GRAPH_ASSIGN_APP_ROLE;
	case DIRECTORY_REMOVE_APP_ROLE:
		return GRAPH_REMOVE_APP_ROLE;
	}
	return GRAPH_READ;
}

static void set(struct directory_result *res, enum directory_outcome o, int error)
{
	res->outcome = o;
	res->error = error;
}

/* The general rule for a status: 2xx done; 408, 429 and 5xx transient;
 * other 4xx permanent. */
static void classify_status(struct directory_result *res, long status)
{
	if (status >= 200 && status < 300)
		set(res, DIRECTORY_OK, 0);
	else if (status == 408 || status == 429 || status >= 500)
		set(res, DIRECTORY_TRANSIENT, -EAGAIN);
	else if (status == 401 || status == 403)
		set(res, DIRECTORY_PERMANENT, -EACCES);
	else if (status == 404)
		set(res, DIRECTORY_PERMANENT, -ENOENT);
	else
		set(res, DIRECTORY_PERMANENT, -EPERM);
}

static int contains(const char *s, const char *part)
{
	return s && part && strstr(s, part) != NULL;
}

/* The answers that mean "already so" for an idempotent change. Graph's 404
 * for DELETE .../members/{id}/$ref names the object it did not find: the
 * group's id there means the group is gone, which is a configuration
 * problem, not a removal that already happened. */
static void classify_change(struct directory_result *res, enum graph_call call, const char *target_id)
{
	const char *msg = res->error_message;
	int already = 0;

	switch (call) {
	case GRAPH_ADD_MEMBER:
		already = res->status == 400 && contains(msg, "added object references already exist");
		break;
	case GRAPH_REMOVE_MEMBER:
		already = res->status == 404 && !contains(msg, target_id);
		break;
	case GRAPH_ASSIGN_APP_ROLE:
		already = res->status == 400 && contains(msg, "already exists");
		break;
	case GRAPH_REMOVE_APP_ROLE:
		already = res->status == 404;
		break;
	case GRAPH_READ:
		break;
	}
	if (already) {
		set(res, DIRECTORY_OK, 0);
		res->unchanged = 1;
	}
}

static int dup_into(char **slot, const char *v)
{
	if (!v)
		return 0;
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

int graph_result_set(struct directory_result *res, enum graph_call call, const char *target_id, long status,
		     const cJSON *body, const char *request_id, const char *retry_after, int64_t now_ms)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(body, "error");
	const cJSON *inner = cJSON_GetObjectItemCaseSensitive(err, "innerError");
	int64_t wait;

	res->status = status;
	res->at_ms = now_ms;
	res->retry_after_ms = -1;
	if (!request_id)
		request_id = json_str(inner, "request-id");
	if (dup_into(&res->request_id, request_id) < 0 ||
	    (cJSON_IsObject(err) && (dup_into(&res->error_code, json_str(err, "code")) < 0 ||
				     dup_into(&res->error_message, json_str(err, "message")) < 0))) {
		set(res, DIRECTORY_TRANSIENT, -ENOMEM);
		return -ENOMEM;
	}
	classify_status(res, status);
	classify_change(res, call, target_id);
	if (res->outcome == DIRECTORY_TRANSIENT && retry_after_parse(retry_after, now_ms, &wait) == 0)
		res->retry_after_ms = wait;
	return res->error;
}

int graph_result_fail(struct directory_result *res, int err, int64_t now_ms)
{
	res->at_ms = now_ms;
	res->retry_after_ms = -1;
	if (err == -EINVAL || err == -EACCES || err == -ENOTUNIQ || err == -E2BIG)
		set(res, DIRECTORY_PERMANENT, err);
	else if (err == -ENOMEM || err == -EBADMSG)
		set(res, DIRECTORY_TRANSIENT, err);
	else
		set(res, DIRECTORY_TRANSIENT, -EAGAIN);
	return res->error;
}

int graph_result_copy(struct directory_result *dst, const struct directory_result *src)
{
	*dst = (struct directory_result){
		.outcome = src->outcome,
		.error = src->error,
		.unchanged = src->unchanged,
		.status = src->status,
		.retry_after_ms = src->retry_after_ms,
		.at_ms = src->at_ms,
	};
	if (dup_into(&dst->request_id, src->request_id) < 0 || dup_into(&dst->error_code, src->error_code) < 0 ||
	    dup_into(&dst->error_message, src->error_message) < 0 ||
	    dup_into(&dst->assignment_id, src->assignment_id) < 0)
		return -ENOMEM;
	return 0;
}
