/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http.h"
#include "odata.h"
#include "util/text.h"

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int odata_is_base64url(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n < 16 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int odata_is_upn(const char *s)
{
	const char *at;
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	at = strchr(s, '@');
	if (n > ODATA_MAX_NAME || !at || at == s || strchr(at + 1, '@') || !at[1])
		return 0;
	for (const char *p = s; p < at; p++)
		if (!is_alnum(*p) && !strchr("'.-_!#^~", *p) && !(*p == '$' && p == s))
			return 0;
	for (const char *p = at + 1; *p; p++)
		if (!is_alnum(*p) && *p != '.' && *p != '-')
			return 0;
	return 1;
}

/* S with every single quote doubled, as OData writes a quote in a string. */
static char *double_quotes(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == '\'')
			*o++ = '\'';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* PREFIX + the escaped (doubled? double_quotes(V) : V) + SUFFIX. '@' and
 * '$' stay as they are, legal in a path segment and a query, for readable
 * logs. */
static int build(const char *prefix, const char *v, int doubled, const char *suffix, char **ret)
{
	char *quoted = NULL, *enc = NULL, *out = NULL;
	size_t need;
	int r = -ENOMEM;

	if (doubled) {
		quoted = double_quotes(v);
		if (!quoted)
			goto done;
		v = quoted;
	}
	enc = http_escape(v, "@$");
	if (!enc)
		goto done;
	need = strlen(prefix) + strlen(enc) + strlen(suffix) + 1;
	out = malloc(need);
	if (!out)
		goto done;
	snprintf(out, need, "%s%s%s", prefix, enc, suffix);
	*ret = out;
	r = 0;
done:
	free(quoted);
	free(enc);
	return r;
}

int odata_user_path(const char *id_or_upn, char **ret)
{
	if (text_is_guid(id_or_upn))
		return build("users/", id_or_upn, 0, "", ret);
	if (!odata_is_upn(id_or_upn))
		return -EINVAL;
	if (id_or_upn[0] == '$')
		return build("users('", id_or_upn, 1, "')", ret);
	return build("users/", id_or_upn, 0, "", ret);
}

int odata_string_literal(const char *value, char **ret)
{
	size_t n = value ? strlen(value) : 0;

	if (n == 0 || n > ODATA_MAX_NAME)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return -EINVAL;
	return build("'", value, 1, "'", ret);
}
