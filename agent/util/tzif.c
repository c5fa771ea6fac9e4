/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "posixtz.h"
#include "tzif.h"

#define TZIF_HEADER 44
/* RFC 8536 section 3.2: utoff SHOULD be in -89999..93599. */
#define TZIF_MIN_UTOFF (-89999)
#define TZIF_MAX_UTOFF 93599
/* Every instant that shows a given wall clock lies within this of it. */
#define TZIF_WINDOW 93600
#define TZIF_MAX_FOOTER 256

struct tzif {
	int64_t *trans;  /* transition times, strictly ascending */
	uint8_t *idx;    /* the type each transition starts */
	int32_t *utoff;  /* per type */
	size_t n_trans, n_types;
	int has_footer;
	struct posixtz footer;
};

struct counts {
	uint32_t isut, isstd, leap, time, type, chr;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The header at P (LEN bytes left): its version and counts. */
static int parse_header(const uint8_t *p, size_t len, char *ret_version, struct counts *c)
{
	if (len < TZIF_HEADER || memcmp(p, "TZif", 4) != 0 || (p[4] != 0 && p[4] < '2'))
		return -EBADMSG;
	*ret_version = (char)p[4];
	*c = (struct counts){ be32(p + 20), be32(p + 24), be32(p + 28), be32(p + 32), be32(p + 36), be32(p + 40) };
	return 0;
}

/* The size of a data block with TSIZE-byte times. */
static uint64_t block_size(const struct counts *c, unsigned tsize)
{
	return (uint64_t)c->time * (tsize + 1) + (uint64_t)c->type * 6 + c->chr + (uint64_t)c->leap * (tsize + 4) +
	       c->isstd + c->isut;
}

/* The data block at P, whose size the caller checked, into Z. */
static int parse_block(const uint8_t *p, const struct counts *c, unsigned tsize, struct tzif *z)
{
	const uint8_t *idx = p + (size_t)c->time * tsize, *types = idx + c->time;

	if (c->type == 0 || c->chr == 0 || (c->isstd != 0 && c->isstd != c->type) ||
	    (c->isut != 0 && c->isut != c->type))
		return -EBADMSG;
	if (c->leap != 0)
		return -EOPNOTSUPP;
	/* One more than needed: no transitions is no malloc(0). */
	z->trans = malloc(((size_t)c->time + 1) * sizeof(*z->trans));
	z->idx = malloc((size_t)c->time + 1);
	z->utoff = malloc((size_t)c->type * sizeof(*z->utoff));
	if (!z->trans || !z->idx || !z->utoff)
		return -ENOMEM;
	for (size_t i = 0; i < c->time; i++) {
		z->trans[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
		z->idx[i] = idx[i];
		if (idx[i] >= c->type || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			return -EBADMSG;
	}
	for (size_t i = 0; i < c->type; i++) {
		const uint8_t *t = types + i * 6;

		z->utoff[i] = (int32_t)be32(t);
		if (z->utoff[i] < TZIF_MIN_UTOFF || z->utoff[i] > TZIF_MAX_UTOFF || t[4] > 1 || t[5] >= c->chr)
			return -EBADMSG;
	}
	z->n_trans = c->time;
	z->n_types = c->type;
	return 0;
}

/* "\n<TZ string>\n" and nothing after it; an empty string is no rule. */
static int parse_footer(const uint8_t *p, size_t len, struct tzif *z)
{
	char tz[TZIF_MAX_FOOTER];
	const uint8_t *nl;
	size_t n;

	if (len < 2 || p[0] != '\n' || !(nl = memchr(p + 1, '\n', len - 1)) || (size_t)(nl - p) + 1 != len)
		return -EBADMSG;
	n = (size_t)(nl - p) - 1;
	if (n == 0)
		return 0;
	if (n >= sizeof(tz) || memchr(p + 1, 0, n))
		return -EBADMSG;
	memcpy(tz, p + 1, n);
	tz[n] = 0;
	if (posixtz_parse(tz, &z->footer) < 0)
		return -EBADMSG;
	z->has_footer = 1;
	return 0;
}

int tzif_parse(const uint8_t *buf, size_t len, struct tzif **ret)
{
	struct tzif *z = calloc(1, sizeof(*z));
	const uint8_t *p = buf;
	struct counts c;
	uint64_t size;
	char version;
	int r;

	if (!z)
		return -ENOMEM;
	if ((r = parse_header(p, len, &version, &c)) < 0)
		goto fail;
	r = -EBADMSG;
	size = block_size(&c, 4);
	if (size > len - TZIF_HEADER)
		goto fail;
	if (version == 0) {
		if ((r = parse_block(p + TZIF_HEADER, &c, 4, z)) < 0)
			goto fail;
		if (size != len - TZIF_HEADER) {
			r = -EBADMSG;
			goto fail;
		}
		*ret = z;
		return 0;
	}
	/* Version 2 and later repeat the data with 64-bit times: skip the first. */
	p += TZIF_HEADER + size;
	len -= TZIF_HEADER + size;
	if ((r = parse_header(p, len, &version, &c)) < 0 || version == 0) {
		r = -EBADMSG;
		goto fail;
	}
	size = block_size(&c, 8);
	if (size > len - TZIF_HEADER) {
		r = -EBADMSG;
		goto fail;
	}
	if ((r = parse_block(p + TZIF_HEADER, &c, 8, z)) < 0 ||
	    (r = parse_footer(p + TZIF_HEADER + size, len - TZIF_HEADER - size, z)) < 0)
		goto fail;
	*ret = z;
	return 0;
fail:
	tzif_free(z);
	return r;
}

struct tzif *tzif_free(struct tzif *z)
{
	if (z) {
		free(z->trans);
		free(z->idx);
		free(z->utoff);
		free(z);
	}
	return NULL;
}

/* How many transitions are at or before T. */
static size_t transitions_upto(const struct tzif *z, int64_t t)
{
	size_t lo = 0, hi = z->n_trans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int32_t tzif_offset_at(const struct tzif *z, int64_t t)
{
	size_t n = transitions_upto(z, t);

	/* RFC 8536 section 3.2: the footer covers what follows the last
	 * transition (or everything, without transitions); type 0 what
	 * precedes the first. */
	if (z->has_footer && n == z->n_trans && (n == 0 || t > z->trans[n - 1]))
		return posixtz_offset_at(&z->footer, t);
	return n == 0 ? z->utoff[0] : z->utoff[z->idx[n - 1]];
}

/* The first transition after T: 0 and *RET_T, or -ENOENT. */
static int next_change(const struct tzif *z, int64_t t, int64_t *ret_t)
{
	size_t n = transitions_upto(z, t);

	if (n < z->n_trans) {
		*ret_t = z->trans[n];
		return 0;
	}
	return z->has_footer ? posixtz_next_change(&z->footer, t, ret_t) : -ENOENT;
}

int64_t tzif_local_to_utc(const struct tzif *z, int64_t local)
{
	int64_t start = INT64_MIN, end = 0, t, gap = 0;
	int32_t off = tzif_offset_at(z, local - TZIF_WINDOW);
	int have_gap = 0, last;

	/* Walk the spans of one offset that could hold LOCAL, in time order:
	 * the first that holds it is the answer; failing that, the first jump
	 * LOCAL falls into. The last span has no end, so the walk ends. */
	for (;;) {
		last = next_change(z, start == INT64_MIN ? local - TZIF_WINDOW : start, &end) < 0 ||
		       end > local + TZIF_WINDOW;
		t = local - off;
		if (t >= start && (last || t < end))
			return t;
		if (last)
			return have_gap ? gap : t;
		if (!have_gap && t >= end && local - tzif_offset_at(z, end) < end) {
			have_gap = 1;
			gap = t;
		}
		start = end;
		off = tzif_offset_at(z, start);
	}
}
