/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Whether the six bytes at S are the escape \u0000. */
static int nul_escape(const char *s, size_t left)
{
	return left >= 6 && s[0] == '\\' && s[1] == 'u' && memcmp(s + 2, "0000", 4) == 0;
}

/* Check TEXT before cJSON sees it: nesting depth outside strings (-E2BIG),
 * a raw NUL byte, which JSON does not allow and which would cut a string
 * short (-EBADMSG). *RET_NULS counts the escapes \u0000 in strings. */
static int scan(const char *s, size_t len, size_t *ret_nuls)
{
	int depth = 0, in_string = 0;

	*ret_nuls = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '\0')
			return -EBADMSG;
		if (in_string) {
			if (nul_escape(s + i, len - i))
				(*ret_nuls)++;
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
				return -E2BIG;
		} else if (ch == '}' || ch == ']')
			depth--;
	}
	return 0;
}

/* A copy of TEXT with each \u0000 in a string written \u001a. */
static char *substitute_nuls(const char *s, size_t len)
{
	char *copy = malloc(len + 1);
	int in_string = 0;

	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (!in_string) {
			in_string = copy[i] == '"';
			continue;
		}
		if (nul_escape(copy + i, len - i))
			memcpy(copy + i + 2, "001a", 4);
		if (copy[i] == '\\')
			i++;
		else if (copy[i] == '"')
			in_string = 0;
	}
	return copy;
}

int json_parse(const char *text, size_t len, cJSON **ret)
{
	char *copy = NULL;
	size_t nuls;
	cJSON *root;
	int r;

	r = scan(text, len, &nuls);
	if (r < 0)
		return r;
	if (nuls > 0) {
		copy = substitute_nuls(text, len);
		if (!copy)
			return -ENOMEM;
	}
	root = cJSON_ParseWithLength(copy ? copy : text, len);
	free(copy);
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
