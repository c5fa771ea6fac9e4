/* SPDX-License-Identifier: Apache-2.0 */
/* What goes into Xurrent's queries and notes, and what comes back in its
 * answers: filter values (which have no documented escape, so a value that
 * could read as an operator is refused), record ids, datetimes with their
 * UTC offsets, the Link header's next page, and note text. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/civil.h"
#include "util/text.h"
#include "xurrent.h"

int xr_value_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > 255 || strchr("!<>=", v[0]) || strchr(v, ','))
		return 0;
	return !text_has_control(v, 0);
}

int xr_id_parse(const char *s, long *ret)
{
	size_t n = s ? strlen(s) : 0;

	long v;

	if (n == 0 || n > 16 || strspn(s, "0123456789") != n || s[0] == '0')
		return -EINVAL;
	v = strtol(s, NULL, 10);
	if (v > 9007199254740991L)
		return -EINVAL;
	*ret = v;
	return 0;
}

int xr_int(const cJSON *obj, const char *name, long *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 9007199254740991.0 ||
	    v->valuedouble != floor(v->valuedouble))
		return -EBADMSG;
	*ret = (long)v->valuedouble;
	return 0;
}

int xr_ref_id(const cJSON *obj, const char *name, long *ret)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsObject(ref) ? xr_int(ref, "id", ret) : -EBADMSG;
}

/* Two digits at S as a number, or -1. */
static int two(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' ? (s[0] - '0') * 10 + s[1] - '0' : -1;
}

int xr_time_utc(const char *text, char out[20])
{
	const char *zone;
	char local[20];
	int64_t ms, offset = 0;

	if (!text || strlen(text) < 20 || strlen(text) > 40)
		return -EINVAL;
	memcpy(local, text, 19);
	local[19] = '\0';
	if (civil_parse(local, CIVIL_ISO, &ms) < 0)
		return -EINVAL;
	zone = text + 19;
	if (*zone == '.')
		for (zone++; *zone >= '0' && *zone <= '9'; zone++)
			;
	if (strcmp(zone, "Z") != 0) {
		int h = (zone[0] == '+' || zone[0] == '-') ? two(zone + 1) : -1;
		int m = h >= 0 && zone[3] == ':' ? two(zone + 4) : -1;

		if (m < 0 || h > 23 || m > 59 || zone[6] != '\0')
			return -EINVAL;
		offset = ((int64_t)h * 60 + m) * 60000 * (zone[0] == '-' ? -1 : 1);
	}
	return civil_format(ms - offset, out);
}

int xr_filter_time(const char *when, int64_t back_ms, char out[21], char low[20])
{
	int64_t ms;

	if (!when || civil_parse(when, CIVIL_DATE_TIME, &ms) < 0)
		return -EINVAL;
	/* Whole seconds: the overlap may only grow. */
	ms -= (back_ms + 999) / 1000 * 1000;
	if (civil_format(ms, low) < 0)
		return -EINVAL;
	snprintf(out, 21, "%.10sT%sZ", low, low + 11);
	return 0;
}

int xr_link_next(const char *link, const char *api, char **ret)
{
	size_t api_len = strlen(api);
	const char *p = link;

	*ret = NULL;
	while (p && *p) {
		const char *open = strchr(p, '<'), *close = open ? strchr(open, '>') : NULL, *end, *rel;

		if (!close)
			return 0;
		/* The entry's parameters run to the next '<' (a URL may hold commas). */
		end = strchr(close, '<');
		if (!end)
			end = close + strlen(close);
		rel = strstr(close, "rel=\"next\"");
		if (rel && rel < end) {
			size_t n = (size_t)(close - open - 1);
			const char *url = open + 1;

			if (n <= api_len || strncmp(url, api, api_len) != 0 || url[api_len] != '/' || n > 8192)
				return -EBADMSG;
			for (size_t i = 0; i < n; i++)
				if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
					return -EBADMSG;
			*ret = strndup(url, n);
			return *ret ? 0 : -ENOMEM;
		}
		p = end;
	}
	return 0;
}

/* Markup Xurrent renders in text (developer.xurrent.com/v1/general/
 * text_formatting) that a quoted field could use: at I, how many bytes
 * begin such markup (a space goes after them), or 0. */
static size_t markup_at(const char *s, size_t i)
{
	if ((s[i] == '<' && s[i + 1] == '@') || (s[i] == '!' && s[i + 1] == '[') || (s[i] == ']' && s[i + 1] == '('))
		return 1;
	if (s[i] == '<') {
		size_t k = i + 1;

		while ((s[k] >= 'a' && s[k] <= 'z') || s[k] == '_')
			k++;
		if (k > i + 1 && s[k] == '#')
			return 1;
	}
	return 0;
}

int xr_note_text(const char *text, const char *action_id, char **ret)
{
	char mark[160], *cut, *out;
	size_t room, n, o = 0;

	snprintf(mark, sizeof(mark), "\n\n" XR_MARK_FMT, action_id);
	/* Every byte of markup may gain a space: halve what the text keeps. */
	room = (XR_TEXT_MAX - strlen(mark) - TEXT_CLEAN_EXTRA) / 2;
	cut = malloc(room + TEXT_CLEAN_EXTRA);
	if (!cut)
		return -ENOMEM;
	text_clean(text ? text : "", room, cut);
	n = strlen(cut);
	out = malloc(2 * n + strlen(mark) + 1);
	if (!out) {
		free(cut);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		out[o++] = cut[i];
		if (markup_at(cut, i))
			out[o++] = ' ';
	}
	strcpy(out + o, mark);
	free(cut);
	*ret = out;
	return 0;
}

int xr_id_list(const long *v, size_t n, char **ret)
{
	/* An id has at most 16 digits (2^53). */
	char *list = malloc(n * 18 + 1);
	size_t used = 0;

	if (!list)
		return -ENOMEM;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(list + used, 19, "%s%ld", i ? "," : "", v[i]);
	*ret = list;
	return 0;
}
