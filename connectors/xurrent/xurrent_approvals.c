/* SPDX-License-Identifier: Apache-2.0 */
/* Approvals: in Xurrent an approver decides on an approval of an approval
 * task (category "approval") of the request's workflow; the approval's
 * status is read only through the API, so only the approver sets it.
 *
 * A decision need not change the request, so the approval tasks are
 * polled as well: those changed since the watermark minus the overlap,
 * oldest first, then the approvals of each one of a governed request. A
 * task's own status moves when its required approvals are in or one
 * approver rejects, and with the status its updated_at; whether an
 * approval that leaves the status as it was (1 of 2 required) moves the
 * task's updated_at is not documented (doc/itsm-xurrent.md, U6). So the
 * open approval tasks that need more than one approval are watched: their
 * approvals are read on every poll, and no decision is missed either way.
 * Tasks accessd creates need one approval, so they are never watched, and
 * an idle cycle is one request for the requests and one for the tasks,
 * plus one per watched task. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/text.h"
#include "xurrent.h"

/* Task statuses after which nothing changes (developer.xurrent.com/v1/tasks:
 * finished_at is set at these). */
static const char *const finished[] = { "failed", "rejected", "completed", "approved", "canceled", NULL };

static int is_finished(const char *status)
{
	for (size_t i = 0; status && finished[i]; i++)
		if (strcmp(status, finished[i]) == 0)
			return 1;
	return 0;
}

void xr_approvals_free(struct xr *x)
{
	free(x->watched);
	x->watched = NULL;
	x->n_watched = 0;
}

/* Watch TASK of REQUEST (WATCH), or stop watching it. */
static int watch(struct xr *x, long task, long request, int on)
{
	struct xr_watch *grown;

	for (size_t i = 0; i < x->n_watched; i++)
		if (x->watched[i].task == task) {
			if (!on)
				x->watched[i] = x->watched[--x->n_watched];
			return 0;
		}
	if (!on)
		return 0;
	grown = realloc(x->watched, (x->n_watched + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	x->watched = grown;
	x->watched[x->n_watched++] = (struct xr_watch){ task, request };
	return 0;
}

static enum approval_decision decision_of(const char *status)
{
	static const struct {
		const char *status;
		enum approval_decision d;
	} map[] = {
		{ "assigned", APPROVAL_REQUESTED },
		{ "approved", APPROVAL_APPROVED },
		{ "rejected", APPROVAL_REJECTED },
		{ "canceled", APPROVAL_CANCELLED },
	};

	for (size_t i = 0; status && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].status, status) == 0)
			return map[i].d;
	return APPROVAL_UNKNOWN;
}

static int take_note(struct xr *x, const cJSON *page, void *ctx)
{
	char **ret = ctx;
	const char *text = json_str(cJSON_GetArrayItem(page, 0), "text");

	(void)x;
	if (!text || !*text || strstr(text, XR_MARK_PREFIX) || text_has_control(text, 1))
		return 1;
	*ret = strdup(text);
	return *ret ? 1 : -ENOMEM;
}

/* A rejection's reason: the approver's newest note on the task (where the
 * approver writes it when rejecting; doc/itsm-xurrent.md, U7). *RET stays
 * NULL when there is none. */
static int rejection_reason(struct xr *x, long task, long approver, char **ret)
{
	char path[160];

	snprintf(path, sizeof(path), "/tasks/%ld/notes?person_id=%ld&sort=-id&per_page=1", task, approver);
	return xr_list(x, "task notes", path, take_note, ret);
}

struct approvals {
	itsm_approval_cb cb;
	void *userdata;
	long task, request;
	struct xr_window w;
	const char *templates;
	int watch_only;   /* listing the open tasks to watch, not delivering */
	long *read;       /* the tasks whose approvals this poll read */
	size_t n_read;
};

static int deliver(struct xr *x, struct approvals *p, const cJSON *rec)
{
	struct approval a = { 0 };
	const char *status = json_str(rec, "status");
	const struct xr_person *who;
	char updated[20], key[96];
	long id, approver;
	int r = -ENOMEM;

	if (xr_int(rec, "id", &id) < 0 || xr_ref_id(rec, "approver", &approver) < 0 || !status ||
	    xr_time_utc(json_str(rec, "updated_at"), updated) < 0) {
		log_warnx("xurrent: an approval of task %ld without a valid id, approver, status or updated_at", p->task);
		return -EBADMSG;
	}
	/* Registered: the task has not been reached, nobody was asked yet.
	 * A change before the window was delivered by an earlier poll (a
	 * watched task's approvals are read on every one). */
	if (strcmp(status, "registered") == 0 || (p->w.low[0] && strcmp(updated, p->w.low) < 0))
		return 0;
	snprintf(key, sizeof(key), "%s|%ld:%ld|%.16s", updated, p->task, id, status);
	if (xr_window_seen(&p->w, &x->seen_approvals, key))
		return 0;
	if (asprintf(&a.id, "%ld:%ld", p->task, id) < 0) {
		a.id = NULL;
		goto done;
	}
	who = xr_person(x, approver);
	if (asprintf(&a.request_id, "%ld", p->request) < 0 || asprintf(&a.approver, "%ld", approver) < 0 ||
	    !(a.updated_on = strdup(updated)) || !(a.status = strndup(status, 20)) ||
	    (who && who->email && !(a.approver_upn = strdup(who->email))))
		goto done;
	a.decision = decision_of(status);
	/* Only the approver can set an approval's status (it is read only
	 * through the API; doc/itsm-xurrent.md, U13). */
	a.by_approver = a.decision == APPROVAL_APPROVED || a.decision == APPROVAL_REJECTED;
	if (a.decision == APPROVAL_REJECTED && (r = rejection_reason(x, p->task, approver, &a.comments)) < 0)
		goto done;
	r = p->cb(&a, p->userdata);
	if (r == 0)
		r = poll_seen_add(&x->seen_approvals, key);
	if (r == 0)
		xr_window_covers(&p->w, updated);
done:
	approval_clear(&a);
	return r;
}

static int take_approvals(struct xr *x, const cJSON *page, void *ctx)
{
	struct approvals *p = ctx;
	long people[XR_PAGE_MAX] = { 0 };
	const cJSON *rec;
	size_t n = 0;
	int r;

	cJSON_ArrayForEach(rec, page)
		if (n < XR_PAGE_MAX && xr_ref_id(rec, "approver", &people[n]) == 0)
			n++;
	r = xr_people_fetch(x, people, n);
	cJSON_ArrayForEach(rec, page)
		if (r == 0)
			r = deliver(x, p, rec);
	return r;
}

/* Read and deliver the approvals of TASK of REQUEST. */
static int read_approvals(struct xr *x, struct approvals *p, long task, long request)
{
	long *grown = realloc(p->read, (p->n_read + 1) * sizeof(*grown));
	char path[96];

	if (!grown)
		return -ENOMEM;
	p->read = grown;
	p->read[p->n_read++] = task;
	p->task = task;
	p->request = request;
	snprintf(path, sizeof(path), "/tasks/%ld/approvals?per_page=%d", task, XR_PAGE_MAX);
	return xr_list(x, "approvals", path, take_approvals, p);
}

static int take_flows(struct xr *x, const cJSON *page, void *ctx)
{
	const cJSON *rec;
	long id, workflow;

	(void)ctx;
	cJSON_ArrayForEach(rec, page) {
		if (xr_int(rec, "id", &id) < 0 || xr_ref_id(rec, "workflow", &workflow) < 0)
			return -EBADMSG;
		if (xr_flow_set(x, workflow, id) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Find the governed request of each workflow of PAGE's tasks that the
 * connector does not know yet: one listing for the page. */
static int find_flows(struct xr *x, struct approvals *p, const cJSON *page)
{
	long unknown[XR_PAGE_MAX];
	const cJSON *rec;
	char *list = NULL, *path = NULL;
	size_t n = 0;
	int r;

	cJSON_ArrayForEach(rec, page) {
		long workflow;
		int dup = 0;

		if (xr_ref_id(rec, "workflow", &workflow) < 0 || xr_flow_get(x, workflow) >= 0)
			continue;
		for (size_t i = 0; i < n; i++)
			dup |= unknown[i] == workflow;
		if (!dup && n < XR_PAGE_MAX)
			unknown[n++] = workflow;
	}
	if (n == 0)
		return 0;
	r = xr_id_list(unknown, n, &list);
	if (r < 0)
		return r;
	if (asprintf(&path, "/requests?workflow_id=%s&template_id=%s&fields=workflow&per_page=%d", list, p->templates,
		     XR_PAGE_MAX) < 0) {
		free(list);
		return -ENOMEM;
	}
	free(list);
	r = xr_list(x, "requests", path, take_flows, NULL);
	free(path);
	/* The others belong to no governed request. */
	for (size_t i = 0; r == 0 && i < n; i++)
		if (xr_flow_get(x, unknown[i]) < 0)
			r = xr_flow_set(x, unknown[i], 0);
	return r;
}

/* One approval task of the listing: watched or not, and its approvals
 * read when it belongs to a governed request and has changed (SEEN: not
 * since its KEY was delivered; NULL: only watching). */
static int task(struct xr *x, struct approvals *p, const cJSON *rec, long id, int seen, const char *key)
{
	const char *status = json_str(rec, "status");
	long workflow, request = 0, required = 1;
	int r;

	if (xr_ref_id(rec, "workflow", &workflow) == 0)
		request = xr_flow_get(x, workflow);
	if (request <= 0 || !status)
		return 0;
	xr_int(rec, "required_approvals", &required);
	r = watch(x, id, request, required > 1 && !is_finished(status) && strcmp(status, "registered") != 0);
	if (r < 0 || !key || seen)
		return r;
	/* A registered task has not been reached: its approvals are too. */
	if (strcmp(status, "registered") != 0)
		r = read_approvals(x, p, id, request);
	if (r == 0)
		r = poll_seen_add(&x->seen_tasks, key);
	return r;
}

static int take_tasks(struct xr *x, const cJSON *page, void *ctx)
{
	struct approvals *p = ctx;
	const cJSON *rec;
	int r = find_flows(x, p, page);

	cJSON_ArrayForEach(rec, page) {
		char key[48];
		long id;

		if (r < 0)
			break;
		if (xr_int(rec, "id", &id) < 0) {
			log_warnx("xurrent: a task without a valid id");
			return -EBADMSG;
		}
		r = p->watch_only ? 0 : xr_window_record(&p->w, "tasks", json_str(rec, "updated_at"), id, key);
		if (r >= 0)
			r = task(x, p, rec, id, r, p->watch_only ? NULL : key);
	}
	return r;
}

#define TASK_FIELDS "fields=workflow,status,required_approvals,updated_at"

/* After a start: the open approval tasks that need watching, which the
 * incremental listing may not bring again. */
static int find_watched(struct xr *x, struct approvals *p)
{
	char path[160];
	int r;

	p->watch_only = 1;
	snprintf(path, sizeof(path), "/tasks/open?category=approval&" TASK_FIELDS "&per_page=%d", XR_PAGE_MAX);
	r = xr_list(x, "tasks", path, take_tasks, p);
	p->watch_only = 0;
	return r;
}

int xr_poll_approvals(void *impl, const struct item_config *items, size_t n_items, const char *since,
		      itsm_approval_cb cb, void *userdata, char **ret_watermark)
{
	struct xr *x = impl;
	struct approvals p = { .cb = cb, .userdata = userdata };
	char *templates = NULL, *path = NULL;
	int r = xr_window_begin(x, &p.w, &x->seen_tasks, since);

	if (r < 0)
		return r;
	if (since)
		poll_seen_prune(&x->seen_approvals, p.w.low);
	r = xr_templates(x, items, n_items, &templates);
	if (r < 0 || !templates)
		goto done;
	p.templates = templates;
	if (since && !x->watch_known) {
		r = find_watched(x, &p);
		if (r < 0)
			goto done;
	}
	x->watch_known = 1;
	if (asprintf(&path, "/tasks?category=approval%s&sort=updated_at&per_page=%d&" TASK_FIELDS, p.w.query,
		     x->conf->page_size < XR_PAGE_MAX ? x->conf->page_size : XR_PAGE_MAX) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto done;
	}
	r = xr_list(x, "tasks", path, take_tasks, &p);
	/* The watched tasks the listing did not bring; one gone since is
	 * watched no more. */
	for (size_t i = 0; r == 0 && i < x->n_watched;) {
		struct xr_watch w = x->watched[i];
		int read = 0;

		for (size_t k = 0; k < p.n_read; k++)
			read |= p.read[k] == w.task;
		r = read ? 0 : read_approvals(x, &p, w.task, w.request);
		if (r == -ENOENT)
			r = watch(x, w.task, 0, 0);
		else
			i++;
	}
done:
	free(p.read);
	free(templates);
	free(path);
	return xr_window_end(&p.w, r, ret_watermark);
}
