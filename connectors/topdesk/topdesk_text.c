/* SPDX-License-Identifier: Apache-2.0 */
/* Text in and out of TOPdesk. A value in a FIQL query is always quoted (the
 * tutorial's rule: inside quotes only the quote and the backslash are
 * special, each escaped with a backslash), so ';', ',', '==' or brackets
 * in a name stay inside the value; the whole query is percent-encoded after.
 * Incident actions take a little HTML, so text accessd writes there is
 * escaped; change memos are plain text. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topdesk.h"
#include "util/civil.h"
#include "util/hash.h"
#include "util/text.h"

int td_append(char **s, const char *fmt, ...)
{
	char *add = NULL, *joined = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	n = asprintf(&joined, "%s%s", *s ? *s : "", add);
	free(add);
	if (n < 0)
		return -ENOMEM;
	free(*s);
	*s = joined;
	return 0;
}

int td_fiql_value(char **query, const char *value)
{
	size_t n = value ? strlen(value) : 0, used = *query ? strlen(*query) : 0, k;
	char *grown;

	if (n == 0 || n > TD_FIQL_VALUE_MAX || text_has_control(value, 0))
		return -EINVAL;
	grown = realloc(*query, used + 2 * n + 3);
	if (!grown)
		return -ENOMEM;
	k = used;
	grown[k++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (value[i] == '"' || value[i] == '\\')
			grown[k++] = '\\';
		grown[k++] = value[i];
	}
	grown[k++] = '"';
	grown[k] = '\0';
	*query = grown;
	return 0;
}

int td_fiql_eq(char **query, const char *field, const char *value)
{
	int r = td_append(query, "%s==", field);

	return r < 0 ? r : td_fiql_value(query, value);
}

int td_fiql_date(int64_t ms, char out[21])
{
	char t[20];

	if (civil_format(ms, t) < 0)
		return -EINVAL;
	t[10] = 'T';
	snprintf(out, 21, "%sZ", t);
	return 0;
}

int td_date_parse(const char *s, int64_t *ret_ms)
{
	return civil_parse(s, CIVIL_ISO | CIVIL_ISO_OFFSET | CIVIL_DATE_TIME, ret_ms);
}

int td_date_neutral(const char *s, char out[20])
{
	int64_t ms;

	return td_date_parse(s, &ms) < 0 ? -EINVAL : civil_format(ms, out);
}

/* Copy TEXT into a new string through EACH, which writes the output of one
 * byte into OUT (at most 8 bytes) and returns how many it wrote. */
static char *transform(const char *text, size_t (*each)(unsigned char c, char *out))
{
	size_t n = text ? strlen(text) : 0, k = 0;
	char *out = malloc(8 * n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		k += each((unsigned char)text[i], out + k);
	out[k] = '\0';
	return out;
}

static size_t html_char(unsigned char c, char *out)
{
	static const struct {
		char c;
		const char *as;
	} entities[] = { { '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" }, { '\'', "&#39;" },
			 { '\n', "<br>" } };

	for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		if (c == (unsigned char)entities[i].c) {
			memcpy(out, entities[i].as, strlen(entities[i].as));
			return strlen(entities[i].as);
		}
	if (c < 0x20 || c == 0x7f)
		return 0;
	out[0] = (char)c;
	return 1;
}

static size_t plain_char(unsigned char c, char *out)
{
	if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
		return 0;
	out[0] = (char)c;
	return 1;
}

char *td_html(const char *text)
{
	return transform(text, html_char);
}

char *td_plain(const char *text)
{
	return transform(text, plain_char);
}

int td_number_ok(const char *number)
{
	size_t n = number ? strlen(number) : 0;

	return n > 0 && n <= 40 && !text_has_control(number, 0);
}

void td_action_key(const char *action_id, size_t max, char *buf, size_t size)
{
	if (strlen(action_id) <= max)
		snprintf(buf, size, "%s", action_id);
	else
		snprintf(buf, size, "accessd-%016llx",
			 (unsigned long long)hash_fnv64(HASH_FNV64_INIT, action_id, strlen(action_id)));
}

/* Where the mark starts in TEXT, or NULL when TEXT has none at its end. */
static const char *mark_at(const char *text)
{
	const char *mark = NULL, *p = text, *end;

	if (!text)
		return NULL;
	while ((p = strstr(p, TD_MARK_PREFIX))) {
		mark = p;
		p += strlen(TD_MARK_PREFIX);
	}
	if (!mark || !(end = strchr(mark, ']')))
		return NULL;
	for (end++; *end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'; end++)
		;
	return *end ? NULL : mark;
}

int td_has_mark(const char *text, const char *action_id)
{
	const char *mark = mark_at(text);
	size_t n = strlen(TD_MARK_PREFIX), len = strlen(action_id);

	return mark && strncmp(mark + n, action_id, len) == 0 && mark[n + len] == ']';
}

char *td_unmarked(const char *text)
{
	const char *mark = mark_at(text);
	size_t n = mark ? (size_t)(mark - text) : strlen(text);

	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == '\t'))
		n--;
	return strndup(text, n);
}

/* The length of a line break tag at P ("<br>", "<br/>", "<br />"), or 0. */
static size_t br_at(const char *p)
{
	static const char *const tags[] = { "<br>", "<br/>", "<br />", "<BR>", "<BR/>", "<BR />" };

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strncmp(p, tags[i], strlen(tags[i])) == 0)
			return strlen(tags[i]);
	return 0;
}

/* TEXT's first LEN bytes with the entities forms write decoded. */
static char *decode(const char *text, size_t len)
{
	static const struct {
		const char *as;
		char c;
	} entities[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
			 { "&nbsp;", ' ' } };
	char *out = malloc(len + 1);
	size_t k = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t e;

		for (e = 0; e < sizeof(entities) / sizeof(entities[0]); e++)
			if (strncmp(text + i, entities[e].as, strlen(entities[e].as)) == 0)
				break;
		if (e < sizeof(entities) / sizeof(entities[0])) {
			out[k++] = entities[e].c;
			i += strlen(entities[e].as);
		} else {
			out[k++] = text[i++];
		}
	}
	out[k] = '\0';
	return out;
}

int td_form_value(const char *html, const char *label, char **ret)
{
	size_t n = strlen(label);

	*ret = NULL;
	for (const char *p = html; p && *p;) {
		const char *start = p, *value, *end;
		size_t br;

		/* A label starts the text or follows a line break. */
		if ((p == html || p[-1] == '>' || p[-1] == '\n') && strncmp(p, label, n) == 0 && (br = br_at(p + n))) {
			value = p + n + br;
			if (strncmp(value, "- ", 2) == 0) {
				value += 2;
				for (end = value; *end && *end != '\n' && !br_at(end); end++)
					;
				*ret = decode(value, (size_t)(end - value));
				return *ret ? 0 : -ENOMEM;
			}
		}
		p = start + 1;
	}
	return 0;
}
