/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* The length of the valid UTF-8 sequence at S (at most N bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

char *text_clean(const char *s, size_t max, char *buf)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		size_t len = utf8_len(p, strnlen((const char *)p, 4));

		if (n + (len ? len : 1) > max) {
			memcpy(buf + n, TEXT_CUT_MARK, sizeof(TEXT_CUT_MARK) - 1);
			n += sizeof(TEXT_CUT_MARK) - 1;
			break;
		}
		if (len == 0) {
			buf[n++] = '?';
			p++;
			continue;
		}
		memcpy(buf + n, p, len);
		n += len;
		p += len;
	}
	buf[n] = '\0';
	return buf;
}

/* The length of the first K of the N names V as text_list joins them. */
static size_t list_len(const char *const *v, size_t n, size_t k)
{
	char more[48] = "";
	size_t len = 0;

	for (size_t i = 0; i < k; i++)
		len += strlen(v[i]) + (i == 0 ? 0 : i + 1 == k && k == n ? 5 : 2); /* ", " or " and " */
	if (k < n)
		len += (size_t)snprintf(more, sizeof(more), " and %zu more", n - k);
	return len;
}

char *text_list(const char *const *v, size_t n, size_t max)
{
	size_t k = n, len;
	char *out;

	while (k > 1 && list_len(v, n, k) > max)
		k--;
	len = n ? list_len(v, n, k) : 0;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		if (i > 0)
			strcat(out, i + 1 == k && k == n ? " and " : ", ");
		strcat(out, v[i]);
	}
	if (k < n)
		sprintf(out + strlen(out), " and %zu more", n - k);
	return out;
}

int text_has_control(const char *s, int text)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		if ((*p < 0x20 || *p == 0x7f) && !(text && (*p == '\t' || *p == '\n' || *p == '\r')))
			return 1;
	return 0;
}

int text_is_guid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (!s || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return 0;
	return 1;
}
