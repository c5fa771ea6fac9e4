/* SPDX-License-Identifier: Apache-2.0 */
/* Text from tickets and APIs is hostile: before it goes into a record, a
 * note or a message it is cut to a size and made valid UTF-8. */
#ifndef ACCESSD_TEXT_H
#define ACCESSD_TEXT_H

#include <stddef.h>

/* What text_clean appends when it cuts, and the room it needs beyond MAX. */
#define TEXT_CUT_MARK "..."
#define TEXT_CLEAN_EXTRA sizeof(TEXT_CUT_MARK)

/* Copy S into BUF, which holds MAX + TEXT_CLEAN_EXTRA bytes: cut to at most
 * MAX bytes on a character boundary (then TEXT_CUT_MARK is appended), with
 * each byte that is not part of valid UTF-8 (overlong forms, surrogates,
 * stray continuation bytes) replaced by '?'. Control characters are kept:
 * the caller escapes or replaces them as its format needs. Returns BUF. */
char *text_clean(const char *s, size_t max, char *buf);

/* The N names V joined for a sentence, "a, b and c". When they do not all
 * fit in MAX bytes, as many whole names as fit and how many are left:
 * "a, b and 3 more". A name is never cut; the first is always given, even
 * when it alone is longer than MAX. Returns a string the caller frees, or
 * NULL when out of memory. */
char *text_list(const char *const *v, size_t n, size_t max);

/* Whether S holds a control character: C0 (U+0000..U+001F, which includes
 * the U+001A json_parse puts for U+0000) or DEL. With TEXT, tab, line feed
 * and carriage return are allowed: free text (a justification, a comment)
 * may hold them; a name, an address or an id may not. NULL holds none. */
int text_has_control(const char *s, int text);

/* Whether S is a GUID as Entra writes object ids:
 * xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex digits of either case. */
int text_is_guid(const char *s);

#endif
