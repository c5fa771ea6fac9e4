/* SPDX-License-Identifier: Apache-2.0 */
/* The top-level members of a JSON object, found without building a tree:
 * replaying a journal reads a million small objects, and most of their
 * members are plain strings and numbers. The whole text is checked against
 * the JSON grammar (at most JSON_MAX_DEPTH deep); nested objects and arrays
 * are left as text, for json_parse when their members are wanted. */
#ifndef ACCESSD_JSONFLAT_H
#define ACCESSD_JSONFLAT_H

#include <stddef.h>
#include <stdint.h>

#define JSONFLAT_MAX_MEMBERS 64

enum jsonflat_kind {
	JSONFLAT_STRING,
	JSONFLAT_NUMBER,
	JSONFLAT_OBJECT,
	JSONFLAT_ARRAY,
	JSONFLAT_TRUE,
	JSONFLAT_FALSE,
	JSONFLAT_NULL,
};

struct jsonflat_member {
	const char *name;  /* unescaped, NUL-terminated */
	size_t name_len;
	const char *name_raw; /* the name's text in the input, quotes included */
	size_t name_raw_len;
	enum jsonflat_kind kind;
	const char *str;   /* JSONFLAT_STRING: unescaped, NUL-terminated */
	const char *raw;   /* the value's text in the input */
	size_t raw_len;
};

/* Zero-initialise; the scratch buffer is reused from one parse to the next
 * and freed by jsonflat_release. */
struct jsonflat {
	struct jsonflat_member members[JSONFLAT_MAX_MEMBERS];
	size_t n;
	char *scratch;
	size_t scratch_cap;
};

/* Parse LEN bytes of TEXT, which must be one JSON object. The members point
 * into TEXT and into F's scratch buffer, valid until the next parse. Of a
 * name given twice, jsonflat_get finds the first. Returns 0, -EBADMSG (not a JSON
 * object; a string holding \u0000), -E2BIG (more than JSONFLAT_MAX_MEMBERS
 * members, or nested too deep), or -ENOMEM. */
int jsonflat_parse(struct jsonflat *f, const char *text, size_t len);

/* The member NAME, or NULL. */
const struct jsonflat_member *jsonflat_get(const struct jsonflat *f, const char *name);

/* The integer value of a number member: 0, or -EINVAL when it is not a
 * number, not whole, or beyond +-2^53. */
int jsonflat_int(const struct jsonflat_member *m, int64_t *ret);

/* Free the scratch buffer. */
void jsonflat_release(struct jsonflat *f);

#endif
