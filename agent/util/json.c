/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>

#include "json.h"

/* Depth of brackets outside strings; escapes inside strings are skipped. */
static int too_deep(const char *s, size_t len)
{
	int depth = 0, in_string = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = 0;
			continue;
		}
		if (ch == '"')
			in_string = 1;
		else if (ch == '{' || ch == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return 1;
		} else if (ch == '}' || ch == ']')
			depth--;
	}
	return 0;
}

int json_parse(const char *text, size_t len, cJSON **ret)
{
	cJSON *root;

	if (too_deep(text, len))
		return -E2BIG;
	root = cJSON_ParseWithLength(text, len);
	if (!root)
		return -EBADMSG;
	*ret = root;
	return 0;
}

const char *json_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t json_int(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	/* Beyond the doubles that hold integers exactly is not an integer. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= -9007199254740992.0 && v->valuedouble <= 9007199254740992.0))
		return 0;
	return (int64_t)v->valuedouble;
}
