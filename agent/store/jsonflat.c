/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonflat.h"
#include "util/json.h"

#define MAX_EXACT_INT 9007199254740992LL /* 2^53 */

struct cursor {
	const char *p, *end;
	char *out; /* the next free byte of the scratch buffer */
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hex4(const char *p, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = p[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -EBADMSG;
	}
	*ret = v;
	return 0;
}

/* A \uXXXX escape (and its low surrogate), at the 'u', as UTF-8. */
static int unicode_escape(struct cursor *c)
{
	unsigned cp, lo;

	if (c->end - c->p < 5 || hex4(c->p + 1, &cp) < 0)
		return -EBADMSG;
	c->p += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -EBADMSG;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || hex4(c->p + 2, &lo) < 0 || lo < 0xdc00 ||
		    lo > 0xdfff)
			return -EBADMSG;
		c->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return -EBADMSG; /* would end the C string early */
	if (cp < 0x80) {
		*c->out++ = (char)cp;
	} else if (cp < 0x800) {
		*c->out++ = (char)(0xc0 | cp >> 6);
		*c->out++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*c->out++ = (char)(0xe0 | cp >> 12);
		*c->out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*c->out++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*c->out++ = (char)(0xf0 | cp >> 18);
		*c->out++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*c->out++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*c->out++ = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

/* The string at the opening quote, unescaped into the scratch buffer (an
 * escape never decodes to more bytes than it takes). */
static int scan_string(struct cursor *c, const char **ret)
{
	*ret = c->out;
	c->p++;
	while (c->p < c->end) {
		const char *run = c->p;
		unsigned char ch;

		/* copy the plain bytes up to the next quote or escape at once */
		while (c->p < c->end && *c->p != '"' && *c->p != '\\' && (unsigned char)*c->p >= 0x20)
			c->p++;
		memcpy(c->out, run, (size_t)(c->p - run));
		c->out += c->p - run;
		if (c->p == c->end)
			break;
		ch = (unsigned char)*c->p;
		if (ch == '"') {
			c->p++;
			*c->out++ = '\0';
			return 0;
		}
		if (ch < 0x20)
			return -EBADMSG;
		if (c->end - c->p < 2)
			return -EBADMSG;
		c->p++;
		switch (*c->p) {
		case '"':
		case '\\':
		case '/':
			*c->out++ = *c->p++;
			break;
		case 'b':
			*c->out++ = '\b';
			c->p++;
			break;
		case 'f':
			*c->out++ = '\f';
			c->p++;
			break;
		case 'n':
			*c->out++ = '\n';
			c->p++;
			break;
		case 'r':
			*c->out++ = '\r';
			c->p++;
			break;
		case 't':
			*c->out++ = '\t';
			c->p++;
			break;
		case 'u':
			if (unicode_escape(c) < 0)
				return -EBADMSG;
			break;
		default:
			return -EBADMSG;
		}
	}
	return -EBADMSG;
}

static bool is_digit(const struct cursor *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static int scan_number(struct cursor *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (!is_digit(c))
		return -EBADMSG;
	if (*c->p == '0')
		c->p++;
	else
		while (is_digit(c))
			c->p++;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!is_digit(c))
			return -EBADMSG;
		while (is_digit(c))
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!is_digit(c))
			return -EBADMSG;
		while (is_digit(c))
			c->p++;
	}
	return 0;
}

static int scan_literal(struct cursor *c, const char *word, enum jsonflat_kind kind, enum jsonflat_kind *ret)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return -EBADMSG;
	c->p += n;
	*ret = kind;
	return 0;
}

static int scan_any(struct cursor *c, int depth);

/* An object or array at its opening bracket, checked whole; DEPTH counts
 * the containers it is in. */
static int scan_container(struct cursor *c, int depth)
{
	char close = *c->p == '{' ? '}' : ']';
	const char *ignored;
	int r;

	if (depth >= JSON_MAX_DEPTH)
		return -E2BIG;
	c->p++;
	skip_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (c->p >= c->end || *c->p != '"')
				return -EBADMSG;
			r = scan_string(c, &ignored);
			if (r < 0)
				return r;
			skip_ws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return -EBADMSG;
			skip_ws(c);
		}
		r = scan_any(c, depth + 1);
		if (r < 0)
			return r;
		skip_ws(c);
		if (c->p >= c->end)
			return -EBADMSG;
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -EBADMSG;
		skip_ws(c);
	}
}

static int scan_any(struct cursor *c, int depth)
{
	enum jsonflat_kind kind;
	const char *ignored;

	if (c->p >= c->end)
		return -EBADMSG;
	switch (*c->p) {
	case '"':
		return scan_string(c, &ignored);
	case '{':
	case '[':
		return scan_container(c, depth);
	case 't':
		return scan_literal(c, "true", JSONFLAT_TRUE, &kind);
	case 'f':
		return scan_literal(c, "false", JSONFLAT_FALSE, &kind);
	case 'n':
		return scan_literal(c, "null", JSONFLAT_NULL, &kind);
	default:
		return scan_number(c);
	}
}

static int scan_value(struct cursor *c, struct jsonflat_member *m)
{
	int r;

	m->raw = c->p;
	m->str = NULL;
	if (c->p >= c->end)
		return -EBADMSG;
	switch (*c->p) {
	case '"':
		m->kind = JSONFLAT_STRING;
		r = scan_string(c, &m->str);
		break;
	case '{':
		m->kind = JSONFLAT_OBJECT;
		r = scan_container(c, 1);
		break;
	case '[':
		m->kind = JSONFLAT_ARRAY;
		r = scan_container(c, 1);
		break;
	case 't':
		r = scan_literal(c, "true", JSONFLAT_TRUE, &m->kind);
		break;
	case 'f':
		r = scan_literal(c, "false", JSONFLAT_FALSE, &m->kind);
		break;
	case 'n':
		r = scan_literal(c, "null", JSONFLAT_NULL, &m->kind);
		break;
	default:
		m->kind = JSONFLAT_NUMBER;
		r = scan_number(c);
		break;
	}
	m->raw_len = (size_t)(c->p - m->raw);
	return r;
}

const struct jsonflat_member *jsonflat_get(const struct jsonflat *f, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < f->n; i++)
		if (f->members[i].name_len == len && memcmp(f->members[i].name, name, len) == 0)
			return &f->members[i];
	return NULL;
}

int jsonflat_parse(struct jsonflat *f, const char *text, size_t len)
{
	struct cursor c = { .p = text, .end = text + len };
	size_t need = len + 1;
	int r;

	f->n = 0;
	if (need > f->scratch_cap) {
		char *p = realloc(f->scratch, need);

		if (!p)
			return -ENOMEM;
		f->scratch = p;
		f->scratch_cap = need;
	}
	c.out = f->scratch;
	skip_ws(&c);
	if (c.p >= c.end || *c.p++ != '{')
		return -EBADMSG;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
		goto end;
	}
	for (;;) {
		struct jsonflat_member m;

		if (c.p >= c.end || *c.p != '"')
			return -EBADMSG;
		m.name_raw = c.p;
		r = scan_string(&c, &m.name);
		if (r < 0)
			return r;
		m.name_len = (size_t)(c.out - m.name) - 1;
		m.name_raw_len = (size_t)(c.p - m.name_raw);
		skip_ws(&c);
		if (c.p >= c.end || *c.p++ != ':')
			return -EBADMSG;
		skip_ws(&c);
		r = scan_value(&c, &m);
		if (r < 0)
			return r;
		if (f->n == JSONFLAT_MAX_MEMBERS)
			return -E2BIG;
		f->members[f->n++] = m;
		skip_ws(&c);
		if (c.p >= c.end)
			return -EBADMSG;
		if (*c.p == '}') {
			c.p++;
			break;
		}
		if (*c.p++ != ',')
			return -EBADMSG;
		skip_ws(&c);
	}
end:
	skip_ws(&c);
	return c.p == c.end ? 0 : -EBADMSG;
}

int jsonflat_int(const struct jsonflat_member *m, int64_t *ret)
{
	const char *p = m->raw, *end = m->raw + m->raw_len;
	bool negative = false;
	int64_t v = 0;
	char copy[64], *stop;
	double d;

	if (m->kind != JSONFLAT_NUMBER)
		return -EINVAL;
	if (p < end && *p == '-') {
		negative = true;
		p++;
	}
	while (p < end && *p >= '0' && *p <= '9' && v <= MAX_EXACT_INT)
		v = v * 10 + (*p++ - '0');
	if (p == end) {
		if (v > MAX_EXACT_INT)
			return -EINVAL;
		*ret = negative ? -v : v;
		return 0;
	}
	/* a fraction or an exponent: whole only when it says so exactly */
	if (m->raw_len >= sizeof(copy))
		return -EINVAL;
	memcpy(copy, m->raw, m->raw_len);
	copy[m->raw_len] = '\0';
	d = strtod(copy, &stop);
	if (*stop || !(d >= (double)-MAX_EXACT_INT && d <= (double)MAX_EXACT_INT) || d != (double)(int64_t)d)
		return -EINVAL;
	*ret = (int64_t)d;
	return 0;
}

void jsonflat_release(struct jsonflat *f)
{
	free(f->scratch);
	f->scratch = NULL;
	f->scratch_cap = 0;
}
