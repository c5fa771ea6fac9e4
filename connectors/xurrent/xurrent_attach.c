/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence on a request, in Xurrent's two steps: GET /attachments/storage
 * says where and how to upload (the provider, "s3" on SaaS or "local" on
 * premises, its upload URI and the form fields it signs, the size limit and
 * the extensions allowed); the file goes there as multipart/form-data; the
 * key that comes back is referenced by an internal note that carries the
 * action's mark. The note is the effect looked for before writing again: an
 * upload no note references is harmless, so it is simply made again. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hash.h"
#include "util/log.h"
#include "util/text.h"
#include "xurrent.h"

/* The longest key accepted back from an upload. */
#define XR_KEY_MAX 1024

/* A form field's name as the storage answer gives it: nothing that could
 * leave its quotes in the part's header. */
static int field_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n < 64 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Whether the storage allows NAME's extension (none listed: any). */
static int extension_allowed(const cJSON *allowed, const char *name)
{
	const char *dot = strrchr(name, '.');
	const cJSON *ext;

	if (!cJSON_IsArray(allowed) || cJSON_GetArraySize(allowed) == 0)
		return 1;
	cJSON_ArrayForEach(ext, allowed)
		if (dot && cJSON_IsString(ext) && strcasecmp(ext->valuestring, dot + 1) == 0)
			return 1;
	return 0;
}

struct form {
	char *data;
	size_t len, cap;
	int oom;
};

static void form_put(struct form *f, const void *p, size_t n)
{
	char *grown;

	if (f->oom)
		return;
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;

		while (cap < f->len + n + 1)
			cap *= 2;
		grown = realloc(f->data, cap);
		if (!grown) {
			f->oom = 1;
			return;
		}
		f->data = grown;
		f->cap = cap;
	}
	memcpy(f->data + f->len, p, n);
	f->len += n;
	f->data[f->len] = '\0';
}

static void form_text(struct form *f, const char *boundary, const char *name, const char *value)
{
	char head[256];

	snprintf(head, sizeof(head), "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n", boundary, name);
	form_put(f, head, strlen(head));
	form_put(f, value, strlen(value));
	form_put(f, "\r\n", 2);
}

/* The upload form: the file's Content-Type first, the provider's fields,
 * the file last (as the vendor's SDK sends it). */
static int build_form(const cJSON *fields, const char *boundary, const char *name, const char *type, const void *data,
		      size_t len, struct form *f)
{
	const cJSON *field;
	char head[512], number[32];

	form_text(f, boundary, "Content-Type", type);
	cJSON_ArrayForEach(field, fields) {
		const char *value = cJSON_IsString(field) ? field->valuestring : NULL;

		if (cJSON_IsNumber(field)) {
			snprintf(number, sizeof(number), "%.0f", field->valuedouble);
			value = number;
		}
		if (!field_name_ok(field->string) || !value || text_has_control(value, 0))
			return -EBADMSG;
		form_text(f, boundary, field->string, value);
	}
	snprintf(head, sizeof(head),
		 "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\nContent-Type: %s\r\n\r\n",
		 boundary, name, type);
	form_put(f, head, strlen(head));
	form_put(f, data, len);
	snprintf(head, sizeof(head), "\r\n--%s--\r\n", boundary);
	form_put(f, head, strlen(head));
	return f->oom ? -ENOMEM : 0;
}

/* A boundary that does not occur in DATA. */
static void boundary_for(const void *data, size_t len, char out[48])
{
	uint64_t h = hash_fnv64(HASH_FNV64_INIT, data, len);

	for (;; h++) {
		snprintf(out, 48, "accessd-%016llx", (unsigned long long)h);
		if (!memmem(data, len, out, strlen(out)))
			return;
	}
}

/* The key in an S3 answer (<Key>...</Key>); NULL when none is usable. */
static char *s3_key(const char *xml)
{
	const char *start = xml ? strstr(xml, "<Key>") : NULL, *end = start ? strstr(start, "</Key>") : NULL;
	size_t n;

	if (!end)
		return NULL;
	start += strlen("<Key>");
	n = (size_t)(end - start);
	/* An escaped character (&amp;) is not in a key made of our file name. */
	if (n == 0 || n > XR_KEY_MAX || memchr(start, '&', n))
		return NULL;
	return strndup(start, n);
}

/* Upload to the storage of STORAGE (GET /attachments/storage's answer);
 * *RET_KEY (caller frees) is the uploaded file's key. */
static int upload(struct xr *x, const cJSON *storage, const char *name, const char *type, const void *data, size_t len,
		  char **ret_key)
{
	const char *provider = json_str(storage, "provider"), *uri = json_str(storage, "upload_uri");
	struct http_request req = { .method = "POST", .headers = x->account, .n_headers = 1 };
	struct http_response resp = { 0 };
	int local = provider && strcmp(provider, "local") == 0;
	struct form f = { 0 };
	char boundary[48], content_type[96], *key = NULL;
	cJSON *root = NULL;
	int r;

	if (!provider || !uri || (!local && strcmp(provider, "s3") != 0) || text_has_control(uri, 0)) {
		log_warnx("xurrent: the attachment storage names no provider \"s3\" or \"local\" with an upload URI");
		return -EBADMSG;
	}
	/* The local upload carries the API's credentials: only to the API. */
	if (local && (strncmp(uri, x->api, strlen(x->api)) != 0 || uri[strlen(x->api)] != '/')) {
		log_warnx("xurrent: the local attachment storage is not below %s; nothing is uploaded", x->api);
		return -EBADMSG;
	}
	boundary_for(data, len, boundary);
	r = build_form(cJSON_GetObjectItemCaseSensitive(storage, provider), boundary, name, type, data, len, &f);
	if (r < 0) {
		if (r == -EBADMSG)
			log_warnx("xurrent: the attachment storage's form fields cannot be sent");
		goto done;
	}
	snprintf(content_type, sizeof(content_type), "multipart/form-data; boundary=%s", boundary);
	req.url = uri;
	req.content_type = content_type;
	req.body = f.data;
	req.body_len = f.len;
	/* S3 refuses a second authentication beside its signed form. */
	r = http_send(local ? x->http : x->storage, &x->retry, &req, &resp);
	if (r < 0) {
		log_warnx("xurrent: uploading %s to the %s storage failed: %s", name, provider, strerror(-r));
		if (http_classify(r, &resp) == HTTP_OUTCOME_TRANSIENT)
			r = -EAGAIN;
		goto done;
	}
	if (resp.status < 200 || resp.status >= 300) {
		log_warnx("xurrent: uploading %s to the %s storage answered HTTP %ld", name, provider, resp.status);
		r = http_classify(0, &resp) == HTTP_OUTCOME_TRANSIENT ? -EAGAIN : -EIO;
		goto done;
	}
	if (local)
		key = json_parse(resp.body, resp.len, &root) == 0 && json_str(root, "key") ? strdup(json_str(root, "key"))
											   : NULL;
	else
		key = s3_key(resp.body);
	if (!key || !*key || strlen(key) > XR_KEY_MAX || text_has_control(key, 0)) {
		log_warnx("xurrent: the %s storage answered the upload of %s without a usable key", provider, name);
		free(key);
		r = -EBADMSG;
		goto done;
	}
	*ret_key = key;
done:
	cJSON_Delete(root);
	http_response_clear(&resp);
	free(f.data);
	return r;
}

/* The internal note that references KEY. */
static int reference(struct xr *x, long request, const char *file_name, const char *key, size_t len,
		     const char *action_id)
{
	struct xr_note_check check = { x, request, 1, action_id };
	char text[200], *note = NULL, *body = NULL, path[64];
	cJSON *obj = cJSON_CreateObject(), *list = cJSON_CreateArray(), *file = cJSON_CreateObject();
	int r = -ENOMEM;

	snprintf(text, sizeof(text), "Evidence: %s", file_name);
	if (!obj || !list || !file || xr_note_text(text, action_id, &note) < 0 ||
	    !cJSON_AddStringToObject(file, "key", key) || !cJSON_AddNumberToObject(file, "filesize", (double)len) ||
	    !cJSON_AddBoolToObject(file, "inline", 0) || !cJSON_AddItemToArray(list, file)) {
		cJSON_Delete(file);
		cJSON_Delete(list);
		cJSON_Delete(obj);
		goto done;
	}
	file = NULL;
	if (!cJSON_AddStringToObject(obj, "text", note) || !cJSON_AddBoolToObject(obj, "internal", 1) ||
	    !cJSON_AddItemToObject(obj, "attachments", list)) {
		cJSON_Delete(list);
		cJSON_Delete(obj);
		goto done;
	}
	r = xr_json_body(obj, &body);
	if (r < 0)
		goto done;
	snprintf(path, sizeof(path), "/requests/%ld/notes", request);
	r = xr_send(x, "evidence note", "POST", path, body, xr_note_took_effect, &check, NULL, NULL);
	if (r == -EALREADY) {
		log_info("xurrent: request %ld: the answer was lost but the note landed", request);
		r = 0;
	}
done:
	free(note);
	free(body);
	return r;
}

int xr_attach(void *impl, const char *request_id, const char *file_name, const char *content_type, const void *data,
	      size_t len, const char *action_id)
{
	struct xr *x = impl;
	const cJSON *limit;
	cJSON *storage = NULL;
	char stored[160], *key = NULL;
	long request;
	int r;

	if (xr_id_parse(request_id, &request) < 0 || !itsm_action_id_ok(action_id) || !itsm_file_name_ok(file_name) ||
	    !itsm_content_type_ok(content_type))
		return -EINVAL;
	r = xr_note_written(x, request, 1, action_id);
	if (r != 0) {
		if (r == 1)
			log_info("xurrent: the evidence of %s is on request %s already, not attached again", action_id,
				 request_id);
		return r < 0 ? r : 0;
	}
	/* The action id names the stored file; a colon is no file name's. */
	snprintf(stored, sizeof(stored), "%s-%s", action_id, file_name);
	for (char *p = stored; *p; p++)
		if (*p == ':')
			*p = '_';
	r = xr_get(x, "attachment storage", "/attachments/storage", &storage);
	if (r < 0)
		return r;
	limit = cJSON_GetObjectItemCaseSensitive(storage, "size_limit");
	if (cJSON_IsNumber(limit) && (double)len > limit->valuedouble) {
		log_warnx("xurrent: %s is %zu bytes, over the attachment size limit of %.0f", file_name, len,
			  limit->valuedouble);
		r = -EINVAL;
	} else if (!extension_allowed(cJSON_GetObjectItemCaseSensitive(storage, "allowed_extensions"), stored)) {
		log_warnx("xurrent: the attachment storage does not allow the extension of %s", file_name);
		r = -EINVAL;
	} else {
		r = upload(x, storage, stored, content_type, data, len, &key);
	}
	if (r == 0)
		r = reference(x, request, stored, key, len, action_id);
	free(key);
	cJSON_Delete(storage);
	return r;
}
