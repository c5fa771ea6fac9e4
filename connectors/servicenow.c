/* ServiceNow through the Table API: request items (sc_req_item) of the
 * governed catalog items. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "itsm.h"
#include "json.h"
#include "log.h"

#define SNOW_PAGE_SIZE 100
#define SNOW_RITM_FIELDS "sys_id,number,cat_item,requested_for,opened_by,state,sys_updated_on,short_description"

struct snow {
	const struct conn_config *conf;
	struct http_client *http;
	char *password;
};

static void snow_close(void *impl)
{
	struct snow *s = impl;

	if (!s)
		return;
	http_client_free(s->http);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

static int snow_open(const struct conn_config *conf, void **ret_impl)
{
	struct http_options opts = {
		.ca_bundle = conf->ca_bundle,
		.proxy = conf->proxy,
		.connect_timeout_ms = conf->connect_timeout_ms,
		.timeout_ms = conf->timeout_ms,
		.max_response_bytes = conf->max_response_bytes,
	};
	struct snow *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->conf = conf;
	r = conf_read_secret(&conf->password, &s->password);
	if (r < 0)
		goto fail;
	r = http_client_new(&opts, &s->http);
	if (r < 0)
		goto fail;
	*ret_impl = s;
	return 0;
fail:
	snow_close(s);
	return r;
}

/* A value inside an encoded query: "^" separates conditions and a newline
 * or other control character has no place in a catalog item name, so such a
 * value is refused rather than allowed to change the query. */
static int query_value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p == '^' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static char *dup_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	/* A reference field comes back as {"link", "value"} unless
	 * sysparm_exclude_reference_link is honoured; accept both. */
	if (cJSON_IsObject(v))
		v = cJSON_GetObjectItemCaseSensitive(v, "value");
	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

/* Translate one record; -EBADMSG when a required field is missing. */
static int to_request(const cJSON *rec, struct request *req)
{
	memset(req, 0, sizeof(*req));
	req->id = dup_str(rec, "sys_id");
	req->number = dup_str(rec, "number");
	req->item_id = dup_str(rec, "cat_item");
	req->requested_for = dup_str(rec, "requested_for");
	req->opened_by = dup_str(rec, "opened_by");
	req->state = dup_str(rec, "state");
	req->updated_on = dup_str(rec, "sys_updated_on");
	req->short_description = dup_str(rec, "short_description");
	if (!req->id || !req->number) {
		request_clear(req);
		return -EBADMSG;
	}
	return 0;
}

static int item_condition(const struct item_config *item, char *buf, size_t size)
{
	int n;

	if (item->sys_id)
		n = snprintf(buf, size, "cat_item=%s", item->sys_id);
	else
		n = snprintf(buf, size, "cat_item.name=%s", item->name);
	if (n < 0 || (size_t)n >= size)
		return -E2BIG;
	return 0;
}

static int snow_list_requests(void *impl, const struct item_config *item, itsm_request_cb cb, void *userdata)
{
	struct snow *s = impl;
	char cond[512], query[640], url[2048];
	char *escaped = NULL;
	int offset = 0, r;

	if (!query_value_ok(item->sys_id ? item->sys_id : item->name))
		return -EINVAL;
	r = item_condition(item, cond, sizeof(cond));
	if (r < 0)
		return r;
	snprintf(query, sizeof(query), "%s^ORDERBYsys_updated_on^ORDERBYsys_id", cond);
	escaped = curl_easy_escape(NULL, query, 0);
	if (!escaped)
		return -ENOMEM;

	for (;;) {
		struct http_request req = {
			.method = "GET",
			.username = s->conf->username,
			.password = s->password,
		};
		struct http_response resp;
		cJSON *root = NULL, *result, *rec;
		int n, count = 0;

		n = snprintf(url, sizeof(url),
			     "%s/api/now/table/sc_req_item?sysparm_query=%s&sysparm_fields=%s"
			     "&sysparm_exclude_reference_link=true&sysparm_limit=%d&sysparm_offset=%d",
			     s->conf->base_url, escaped, SNOW_RITM_FIELDS, SNOW_PAGE_SIZE, offset);
		if (n < 0 || (size_t)n >= sizeof(url)) {
			r = -E2BIG;
			break;
		}
		req.url = url;
		r = http_perform(s->http, &req, &resp);
		if (r < 0) {
			log_warnx("servicenow: GET sc_req_item failed: %s", strerror(-r));
			break;
		}
		if (resp.status != 200) {
			log_warnx("servicenow: GET sc_req_item answered HTTP %ld", resp.status);
			r = resp.status == 401 || resp.status == 403 ? -EACCES : -EIO;
			http_response_clear(&resp);
			break;
		}
		r = json_parse(resp.body, resp.len, &root);
		http_response_clear(&resp);
		if (r < 0) {
			log_warnx("servicenow: sc_req_item answer is not valid JSON");
			break;
		}
		result = cJSON_GetObjectItemCaseSensitive(root, "result");
		if (!cJSON_IsArray(result)) {
			log_warnx("servicenow: sc_req_item answer has no result list");
			cJSON_Delete(root);
			r = -EBADMSG;
			break;
		}
		cJSON_ArrayForEach(rec, result) {
			struct request one;

			count++;
			if (to_request(rec, &one) < 0) {
				log_warnx("servicenow: skipping a request item without sys_id or number");
				continue;
			}
			r = cb(&one, userdata);
			request_clear(&one);
			if (r < 0)
				break;
		}
		cJSON_Delete(root);
		if (r < 0 || count < SNOW_PAGE_SIZE)
			break;
		offset += count;
	}
	curl_free(escaped);
	return r < 0 ? r : 0;
}

const struct itsm_ops servicenow_ops = {
	.kind = "servicenow",
	.open = snow_open,
	.close = snow_close,
	.list_requests = snow_list_requests,
};
