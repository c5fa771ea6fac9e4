/* SPDX-License-Identifier: Apache-2.0 */
/* Writes to Freshservice that happen once. Freshservice has no idempotency
 * key, so each write leaves its action id where the next attempt finds it
 * and each write looks first (and, through http_send's took_effect check,
 * again before retrying a write whose answer was lost):
 *   notes and replies     end in "[accessd <action id>]"; the ticket's
 *                         conversations are read for it;
 *   evidence              a private note whose file is named "<action
 *                         id>-<name>";
 *   approvals             the approval e-mail ends in the mark; the
 *                         approver's approvals on the ticket are viewed;
 *   incidents             the description ends in the mark; incidents
 *                         raised as the configured requester are listed;
 *   status, stage         setting a value a ticket has is harmless, so
 *                         they are written before the note that marks the
 *                         step done.
 * Text goes out as HTML, escaped (fs_html). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "freshservice.h"
#include "util/civil.h"
#include "util/log.h"
#include "util/text.h"

/* The longest text written into a note, a reply or an incident. */
#define FS_TEXT_MAX 16384
/* A ticket's attachments together, ticket and conversations. */
#define FS_ATTACHMENTS_MAX (40 * 1024 * 1024)

int fs_html(const char *text, const char *action_id, char **ret)
{
	char *clean = malloc(FS_TEXT_MAX + TEXT_CLEAN_EXTRA), *out, *o;
	size_t n;

	if (!itsm_action_id_ok(action_id) || !text) {
		free(clean);
		return -EINVAL;
	}
	if (!clean)
		return -ENOMEM;
	text_clean(text, FS_TEXT_MAX, clean);
	n = strlen(clean);
	/* At most "&quot;" for each byte, and the mark's paragraph. */
	out = malloc(n * 6 + strlen(action_id) + 64);
	if (!out) {
		free(clean);
		return -ENOMEM;
	}
	o = out + sprintf(out, "<p>");
	for (const char *c = clean; *c; c++) {
		static const struct {
			char c;
			const char *as;
		} esc[] = { { '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" }, { '\'', "&#39;" },
			    { '\n', "<br>" } };
		size_t k;

		for (k = 0; k < sizeof(esc) / sizeof(esc[0]) && esc[k].c != *c; k++)
			;
		if (k < sizeof(esc) / sizeof(esc[0]))
			o += sprintf(o, "%s", esc[k].as);
		else if ((unsigned char)*c >= 0x20 && *c != 0x7f)
			*o++ = *c;
		else if (*c == '\t')
			*o++ = ' ';
	}
	sprintf(o, "</p><p>" FS_MARK_FMT "</p>", action_id);
	free(clean);
	*ret = out;
	return 0;
}

/* Whether TEXT (a body_text) ends in MARK, blanks after it aside. */
static int ends_in(const char *text, const char *mark)
{
	size_t n = strlen(text), m = strlen(mark);

	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == '\t'))
		n--;
	return n >= m && memcmp(text + n - m, mark, m) == 0;
}

/* A search of a ticket's conversations for an earlier attempt. */
struct conv_lookup {
	int64_t ticket;
	char mark[128];   /* the mark a note or reply ends in; "" when FILE is searched */
	const char *file; /* the stored file name of evidence; NULL otherwise */
	int private;      /* the kind looked for: 1 a private note, 0 a reply */
	int64_t found;    /* the conversation's id; 0 none */
	uint64_t bytes;   /* the conversations' attachments together */
};

static int conv_match(struct fs *s, const cJSON *c, void *ctx)
{
	struct conv_lookup *l = ctx;
	const char *text = json_str(c, "body_text"), *body = json_str(c, "body");
	const cJSON *a;
	int64_t id;

	(void)s;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c, "attachments")) {
		const cJSON *size = cJSON_GetObjectItemCaseSensitive(a, "size");

		if (cJSON_IsNumber(size) && size->valuedouble > 0)
			l->bytes += (uint64_t)size->valuedouble;
		if (l->file && json_str(a, "name") && strcmp(json_str(a, "name"), l->file) == 0 && fs_id(c, "id", &id) == 0)
			l->found = id;
	}
	if (l->file || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "private")) != l->private)
		return 0;
	if ((text ? ends_in(text, l->mark) : body && strstr(body, l->mark)) && fs_id(c, "id", &id) == 0)
		l->found = id;
	return 0;
}

static int conv_run(struct fs *s, struct conv_lookup *l)
{
	char path[96];

	l->found = 0;
	l->bytes = 0;
	snprintf(path, sizeof(path), "/tickets/%lld/conversations", (long long)l->ticket);
	return fs_pages(s, FS_WRITE, "conversations", path, "conversations", conv_match, NULL, l);
}

/* What took_effect needs: the connector and its lookup. */
struct effect {
	struct fs *s;
	struct conv_lookup *conv;
	/* Another lookup than the conversations' (approvals, incidents). */
	int (*run)(struct fs *s, void *ctx);
	void *ctx;
	int64_t *found;
};

static int effect_run(struct effect *e)
{
	return e->conv ? conv_run(e->s, e->conv) : e->run(e->s, e->ctx);
}

static int took_effect(void *ctx)
{
	struct effect *e = ctx;
	int r = effect_run(e);

	return r < 0 ? r : *e->found != 0;
}

/* Look (E); when nothing is there, send BODY with the look as the "did it
 * happen?" check. *RET_ROOT (may be NULL) gets the answer of a write that
 * was made; it stays NULL when the effect was found instead. */
static int write_once(struct effect *e, const char *what, const char *method, const char *path,
		      const char *content_type, const void *body, size_t len, cJSON **ret_root)
{
	char *url = NULL;
	int r;

	r = effect_run(e);
	if (r < 0)
		return r;
	if (*e->found) {
		log_info("freshservice: %s done already (%lld), not written again", what, (long long)*e->found);
		return 0;
	}
	if (asprintf(&url, "%s%s", e->s->api, path) < 0)
		return -ENOMEM;
	r = fs_send(e->s, FS_WRITE, what, method, url, content_type, body, len, took_effect, e, 0, ret_root, NULL);
	free(url);
	if (r == -EALREADY) {
		log_info("freshservice: %s: the answer was lost but the write landed (%lld)", what,
			 (long long)*e->found);
		return 0;
	}
	return r;
}

/* A private note or a reply with TEXT and the mark of ACTION_ID. */
static int conversation(struct fs *s, const char *request_id, const char *text, const char *action_id, int private)
{
	struct conv_lookup l = { .private = private };
	struct effect e = { .s = s, .conv = &l, .found = &l.found };
	char *html = NULL, *body = NULL, path[64];
	cJSON *obj;
	int r;

	if (!fs_id_parse(request_id, &l.ticket) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	r = fs_html(text, action_id, &html);
	if (r < 0)
		return r;
	snprintf(l.mark, sizeof(l.mark), FS_MARK_FMT, action_id);
	obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddStringToObject(obj, "body", html) ||
	    (private && !cJSON_AddTrueToObject(obj, "private"))) {
		cJSON_Delete(obj);
		free(html);
		return -ENOMEM;
	}
	free(html);
	r = json_print(obj, &body);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/tickets/%lld/%s", (long long)l.ticket, private ? "notes" : "reply");
	r = write_once(&e, private ? "note" : "reply", "POST", path, "application/json", body, strlen(body), NULL);
	free(body);
	return r;
}

int fs_add_note(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return conversation(impl, request_id, text, action_id, 1);
}

int fs_add_comment(void *impl, const char *request_id, const char *text, const char *action_id)
{
	return conversation(impl, request_id, text, action_id, 0);
}

/* PUT a JSON object {NAME: VALUE} to PATH: setting a value twice is
 * harmless, so a plain retry is safe. */
static int put_number(struct fs *s, const char *what, const char *path, const char *name, int64_t value)
{
	char body[96], *url = NULL;
	int r;

	snprintf(body, sizeof(body), "{\"%s\": %lld}", name, (long long)value);
	if (asprintf(&url, "%s%s", s->api, path) < 0)
		return -ENOMEM;
	r = fs_send(s, FS_WRITE, what, "PUT", url, "application/json", body, strlen(body), NULL, NULL, 0, NULL, NULL);
	free(url);
	return r;
}

/* The requested item's stage as a number: the list gives it plain, an
 * update's answer as {id, name}. */
static int64_t stage_of(const cJSON *item)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "stage");
	int64_t id;

	if (cJSON_IsObject(v))
		return fs_id(v, "id", &id) == 0 ? id : -1;
	return fs_id(item, "stage", &id) == 0 ? id : -1;
}

static int set_stage(struct fs *s, int64_t ticket, int stage)
{
	const cJSON *item;
	cJSON *root = NULL;
	int64_t item_id;
	char path[96];
	int r;

	r = fs_parent_item(s, FS_WRITE, ticket, &root, &item);
	if (r == -ENOENT) {
		log_warnx("freshservice: ticket %lld has no requested item; its stage is not set", (long long)ticket);
		return 0;
	}
	if (r < 0)
		return r;
	if (fs_id(item, "id", &item_id) < 0)
		r = -EBADMSG;
	else if (stage_of(item) != stage) {
		snprintf(path, sizeof(path), "/tickets/%lld/requested_items/%lld", (long long)ticket, (long long)item_id);
		r = put_number(s, "requested_items", path, "stage", stage);
	}
	cJSON_Delete(root);
	return r;
}

int fs_set_phase(void *impl, const char *request_id, enum ticket_phase phase, const char *note,
		 const char *action_id)
{
	struct fs *s = impl;
	int64_t ticket;
	char path[64];
	int r;

	if ((unsigned)phase >= TICKET_PHASES || !s->st->status[phase] || !fs_id_parse(request_id, &ticket) ||
	    !itsm_action_id_ok(action_id))
		return -EINVAL;
	snprintf(path, sizeof(path), "/tickets/%lld", (long long)ticket);
	r = put_number(s, "ticket", path, "status", s->st->status[phase]);
	if (r == 0 && s->st->stage[phase])
		r = set_stage(s, ticket, s->st->stage[phase]);
	if (r == 0)
		r = fs_add_note(s, request_id, note, action_id);
	return r;
}

/* -- attachments ------------------------------------------------------------ */

/* Append N bytes of P to the buffer *BUF (of *LEN bytes). */
static int append(char **buf, size_t *len, const void *p, size_t n)
{
	char *grown = realloc(*buf, *len + n + 1);

	if (!grown)
		return -ENOMEM;
	memcpy(grown + *len, p, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

/* A multipart/form-data body: a private note (HTML) with one file. */
static int multipart(struct fs *s, const char *html, const char *file, const char *content_type, const void *data,
		     size_t len, char **ret, size_t *ret_len, char boundary[static 41])
{
	const struct retry_env *env = http_client_env(s->http);
	char *out = NULL, head[512];
	size_t n = 0;
	int r;

	/* A boundary the file does not hold. */
	do
		snprintf(boundary, 41, "accessd-%08x%08x%08x%08x", env->random(env->ctx), env->random(env->ctx),
			 env->random(env->ctx), env->random(env->ctx));
	while (memmem(data, len, boundary, strlen(boundary)));
	snprintf(head, sizeof(head),
		 "--%s\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n", boundary);
	r = append(&out, &n, head, strlen(head));
	if (r == 0)
		r = append(&out, &n, html, strlen(html));
	snprintf(head, sizeof(head),
		 "\r\n--%s\r\nContent-Disposition: form-data; name=\"private\"\r\n\r\ntrue\r\n"
		 "--%s\r\nContent-Disposition: form-data; name=\"attachments[]\"; filename=\"%s\"\r\n"
		 "Content-Type: %s\r\n\r\n",
		 boundary, boundary, file, content_type);
	if (r == 0)
		r = append(&out, &n, head, strlen(head));
	if (r == 0)
		r = append(&out, &n, data, len);
	snprintf(head, sizeof(head), "\r\n--%s--\r\n", boundary);
	if (r == 0)
		r = append(&out, &n, head, strlen(head));
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	*ret_len = n;
	return 0;
}

int fs_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
	      size_t len, const char *action_id)
{
	struct fs *s = impl;
	struct conv_lookup l = { .private = 1 };
	struct effect e = { .s = s, .conv = &l, .found = &l.found };
	char *stored = NULL, *html = NULL, *body = NULL, path[64], type[128], boundary[41];
	size_t body_len = 0;
	int r;

	if (!fs_id_parse(request_id, &l.ticket) || !itsm_action_id_ok(action_id) || !itsm_file_name_ok(file_name) ||
	    !itsm_content_type_ok(content_type))
		return -EINVAL;
	/* The action id in the file name is what finds an earlier upload. */
	if (asprintf(&stored, "%s-%s", action_id, file_name) < 0)
		return -ENOMEM;
	l.file = stored;
	r = conv_run(s, &l);
	if (r < 0)
		goto done;
	if (l.found) {
		log_info("freshservice: attachment %s done already (%lld), not written again", stored, (long long)l.found);
		goto done;
	}
	if (len > FS_ATTACHMENTS_MAX || l.bytes + len > FS_ATTACHMENTS_MAX) {
		log_warnx("freshservice: ticket %lld: %s (%zu bytes) would take its attachments past %d MB", (long long)l.ticket,
			  stored, len, FS_ATTACHMENTS_MAX / (1024 * 1024));
		r = -EFBIG;
		goto done;
	}
	r = fs_html("Evidence of the change, attached by accessd.", action_id, &html);
	if (r == 0)
		r = multipart(s, html, stored, content_type, data, len, &body, &body_len, boundary);
	if (r < 0)
		goto done;
	snprintf(type, sizeof(type), "multipart/form-data; boundary=%s", boundary);
	snprintf(path, sizeof(path), "/tickets/%lld/notes", (long long)l.ticket);
	/* write_once looked already: its look finds the file now. */
	r = write_once(&e, "attachment", "POST", path, type, body, body_len, NULL);
done:
	free(stored);
	free(html);
	free(body);
	return r;
}

/* -- approvals -------------------------------------------------------------- */

/* The neutral approval id "<ticket>:<approval>" read back. */
static int approval_ids(const char *approval_id, int64_t *ticket, int64_t *approval)
{
	const char *colon = approval_id ? strchr(approval_id, ':') : NULL;
	char left[24];

	if (!colon || (size_t)(colon - approval_id) >= sizeof(left))
		return 0;
	snprintf(left, sizeof(left), "%.*s", (int)(colon - approval_id), approval_id);
	return fs_id_parse(left, ticket) && fs_id_parse(colon + 1, approval);
}

/* A search of a ticket's approvals for one asked by an action. */
struct approval_lookup {
	int64_t ticket, approver;
	char mark[128];
	int64_t *mine; /* the approver's approvals not cancelled */
	size_t n_mine, cap_mine;
	int64_t found;
};

static int approval_collect(struct fs *s, const cJSON *a, void *ctx)
{
	struct approval_lookup *l = ctx;
	int64_t approver, id, status;

	(void)s;
	if (fs_id(a, "approver_id", &approver) < 0 || approver != l->approver || fs_id(a, "id", &id) < 0 ||
	    (fs_id(cJSON_GetObjectItemCaseSensitive(a, "approval_status"), "id", &status) == 0 &&
	     fs_decision_of(status) == APPROVAL_CANCELLED))
		return 0;
	if (fs_grow((void **)&l->mine, &l->cap_mine, l->n_mine, sizeof(*l->mine)) < 0)
		return -ENOMEM;
	l->mine[l->n_mine++] = id;
	return 0;
}

/* The list leaves the approval e-mail out; each of the approver's is
 * viewed for the mark. */
static int approval_run(struct fs *s, void *ctx)
{
	struct approval_lookup *l = ctx;
	char path[96];
	int r;

	l->found = 0;
	l->n_mine = 0;
	snprintf(path, sizeof(path), "/tickets/%lld/approvals", (long long)l->ticket);
	r = fs_pages(s, FS_WRITE, "approvals", path, "approvals", approval_collect, NULL, l);
	for (size_t i = 0; r == 0 && i < l->n_mine && !l->found; i++) {
		cJSON *root = NULL;
		const char *mail;

		snprintf(path, sizeof(path), "/tickets/%lld/approvals/%lld", (long long)l->ticket, (long long)l->mine[i]);
		r = fs_get(s, FS_WRITE, "approval", path, FS_QUIET_404, &root, NULL);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		mail = json_str(cJSON_GetObjectItemCaseSensitive(root, "approval"), "email_content");
		if (r == 0 && mail && strstr(mail, l->mark))
			l->found = l->mine[i];
		cJSON_Delete(root);
	}
	return r;
}

int fs_create_approval(void *impl, const char *request_id, const char *approver_id, const char *action_id,
		       char **ret_id)
{
	struct fs *s = impl;
	struct approval_lookup l = { 0 };
	struct effect e = { .s = s, .run = approval_run, .ctx = &l, .found = &l.found };
	char *html = NULL, *body = NULL, text[160], path[64], *id = NULL;
	cJSON *obj, *root = NULL;
	int r;

	if (!fs_id_parse(request_id, &l.ticket) || !fs_id_parse(approver_id, &l.approver) ||
	    !itsm_action_id_ok(action_id))
		return -EINVAL;
	snprintf(l.mark, sizeof(l.mark), FS_MARK_FMT, action_id);
	snprintf(text, sizeof(text), "accessd asks for your decision on service request SR-%lld: approve or reject it "
				     "in Freshservice.", (long long)l.ticket);
	r = fs_html(text, action_id, &html);
	if (r < 0)
		return r;
	obj = cJSON_CreateObject();
	if (!obj || !cJSON_AddNumberToObject(obj, "approver_id", (double)l.approver) ||
	    !cJSON_AddNumberToObject(obj, "approval_type", s->st->approval_type) ||
	    !cJSON_AddStringToObject(obj, "email_content", html)) {
		cJSON_Delete(obj);
		r = -ENOMEM;
		goto done;
	}
	r = json_print(obj, &body);
	if (r < 0)
		goto done;
	snprintf(path, sizeof(path), "/tickets/%lld/approvals", (long long)l.ticket);
	r = write_once(&e, "approval", "POST", path, "application/json", body, strlen(body), &root);
	if (r < 0)
		goto done;
	if (root && fs_id(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "approvals"), 0), "id", &l.found) < 0) {
		log_warnx("freshservice: POST approval: the answer names no approval");
		r = -EBADMSG;
		goto done;
	}
	r = fs_pending_add(s, l.ticket, l.found);
	if (r == 0 && asprintf(&id, "%lld:%lld", (long long)l.ticket, (long long)l.found) < 0)
		r = -ENOMEM;
	if (r == 0)
		*ret_id = id;
done:
	cJSON_Delete(root);
	free(l.mine);
	free(html);
	free(body);
	return r;
}

/* The decision approval A of ticket T holds now. */
static int approval_now(struct fs *s, int64_t t, int64_t a, enum approval_decision *ret)
{
	cJSON *root = NULL;
	char path[96];
	int64_t status;
	int r;

	snprintf(path, sizeof(path), "/tickets/%lld/approvals/%lld", (long long)t, (long long)a);
	r = fs_get(s, FS_WRITE, "approval", path, 0, &root, NULL);
	if (r < 0)
		return r;
	r = fs_id(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "approval"), "approval_status"),
		  "id", &status);
	cJSON_Delete(root);
	if (r < 0) {
		log_warnx("freshservice: approval %lld of ticket %lld has no approval_status", (long long)a, (long long)t);
		return r;
	}
	*ret = fs_decision_of(status);
	return 0;
}

int fs_cancel_approval(void *impl, const char *approval_id, const char *action_id)
{
	static const char body[] = "{\"approval_status\": {\"id\": 3}}";
	struct fs *s = impl;
	enum approval_decision now;
	int64_t t, a;
	char *url = NULL;
	int r;

	if (!approval_ids(approval_id, &t, &a) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	r = approval_now(s, t, a, &now);
	if (r < 0)
		return r;
	if (now == APPROVAL_CANCELLED)
		return 0;
	if (now != APPROVAL_REQUESTED)
		return -EBUSY;
	if (asprintf(&url, "%s/tickets/%lld/approvals/%lld", s->api, (long long)t, (long long)a) < 0)
		return -ENOMEM;
	r = fs_send(s, FS_WRITE, "approval", "PUT", url, "application/json", body, strlen(body), NULL, NULL, 0, NULL,
		    NULL);
	free(url);
	/* Refused: an earlier attempt whose answer was lost, or a decision
	 * that came in between. */
	if (r == -EINVAL && approval_now(s, t, a, &now) == 0)
		r = now == APPROVAL_CANCELLED ? 0 : now == APPROVAL_REQUESTED ? -EINVAL : -EBUSY;
	return r;
}

int fs_remind_approval(void *impl, const char *approval_id, const char *action_id)
{
	struct fs *s = impl;
	int64_t t, a;
	char *url = NULL;
	int r;

	if (!approval_ids(approval_id, &t, &a) || !itsm_action_id_ok(action_id))
		return -EINVAL;
	if (asprintf(&url, "%s/tickets/%lld/approvals/%lld/remind", s->api, (long long)t, (long long)a) < 0)
		return -ENOMEM;
	r = fs_send(s, FS_WRITE, "approval reminder", "PUT", url, "application/json", "", 0, NULL, NULL, 0, NULL, NULL);
	free(url);
	/* Only a waiting approval can be reminded. */
	return r == -EINVAL ? -EBUSY : r;
}

/* -- incidents -------------------------------------------------------------- */

struct incident_lookup {
	char mark[128];
	char *path;
	int64_t found;
};

static int incident_match(struct fs *s, const cJSON *t, void *ctx)
{
	struct incident_lookup *l = ctx;
	const char *text = json_str(t, "description_text"), *body = json_str(t, "description");
	int64_t id;

	(void)s;
	if ((text ? ends_in(text, l->mark) : body && strstr(body, l->mark)) && fs_id(t, "id", &id) == 0) {
		l->found = id;
		return 1;
	}
	return 0;
}

static int incident_run(struct fs *s, void *ctx)
{
	struct incident_lookup *l = ctx;
	int r;

	l->found = 0;
	r = fs_pages(s, FS_WRITE, "tickets", l->path, "tickets", incident_match, NULL, l);
	return r > 0 ? 0 : r;
}

int fs_create_incident(void *impl, const struct itsm_incident *inc, const char *action_id, char **ret_id)
{
	struct fs *s = impl;
	const struct fs_settings *st = s->st;
	struct incident_lookup l = { 0 };
	struct effect e = { .s = s, .run = incident_run, .ctx = &l, .found = &l.found };
	char *escaped = NULL, *html = NULL, *body = NULL, *id = NULL, from[21], ws[48] = "";
	char subject[256 + TEXT_CLEAN_EXTRA];
	int64_t group = st->incident_group_id;
	cJSON *obj, *root = NULL, *tags;
	int r = -ENOMEM;

	if (!itsm_action_id_ok(action_id) || !inc->short_description || !st->incident_requester)
		return -EINVAL;
	/* The policy's assignment group, when it is a Freshservice group id. */
	if (!group && inc->assignment_group)
		fs_id_parse(inc->assignment_group, &group);
	snprintf(l.mark, sizeof(l.mark), FS_MARK_FMT, action_id);
	if (civil_format_iso(fs_now(s) - st->incident_lookback_ms, from) < 0)
		return -EINVAL;
	if (st->workspace_id > 0)
		snprintf(ws, sizeof(ws), "&workspace_id=%lld", (long long)st->workspace_id);
	escaped = http_escape(st->incident_requester, NULL);
	if (!escaped || asprintf(&l.path, "/tickets?type=Incident&email=%s&updated_since=%s&per_page=%d%s", escaped,
				 from, FS_PAGE_MAX, ws) < 0) {
		l.path = NULL;
		goto done;
	}
	r = fs_html(inc->description ? inc->description : inc->short_description, action_id, &html);
	if (r < 0)
		goto done;
	text_clean(inc->short_description, 250, subject);
	for (char *c = subject; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	r = -ENOMEM;
	obj = cJSON_CreateObject();
	tags = cJSON_CreateArray();
	if (!obj || !tags || !cJSON_AddItemToObject(obj, "tags", tags)) {
		cJSON_Delete(tags);
		cJSON_Delete(obj);
		goto done;
	}
	if (!cJSON_AddStringToObject(obj, "subject", subject) || !cJSON_AddStringToObject(obj, "description", html) ||
	    !cJSON_AddStringToObject(obj, "email", st->incident_requester) ||
	    !cJSON_AddStringToObject(obj, "type", "Incident") || !cJSON_AddNumberToObject(obj, "status", 2) ||
	    !cJSON_AddNumberToObject(obj, "priority", st->incident_priority) ||
	    (group && !cJSON_AddNumberToObject(obj, "group_id", (double)group)) ||
	    (st->workspace_id > 0 && !cJSON_AddNumberToObject(obj, "workspace_id", (double)st->workspace_id)) ||
	    !cJSON_AddItemToArray(tags, cJSON_CreateString("accessd"))) {
		cJSON_Delete(obj);
		goto done;
	}
	r = json_print(obj, &body);
	if (r == 0)
		r = write_once(&e, "incident", "POST", "/tickets", "application/json", body, strlen(body), &root);
	if (r < 0)
		goto done;
	if (root && fs_id(cJSON_GetObjectItemCaseSensitive(root, "ticket"), "id", &l.found) < 0) {
		log_warnx("freshservice: POST tickets: the answer names no ticket");
		r = -EBADMSG;
		goto done;
	}
	/* Its number as Freshservice shows it. */
	if (asprintf(&id, "INC-%lld", (long long)l.found) < 0) {
		r = -ENOMEM;
		goto done;
	}
	*ret_id = id;
done:
	cJSON_Delete(root);
	free(escaped);
	free(l.path);
	free(html);
	free(body);
	return r;
}
