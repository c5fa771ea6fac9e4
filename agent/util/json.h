/* SPDX-License-Identifier: Apache-2.0 */
/* JSON parsing for untrusted API bodies: a cap on nesting depth is checked
 * before cJSON sees the text, so a hostile body cannot exhaust the stack.
 *
 * cJSON hands strings over NUL-terminated, so a string holding U+0000
 * ("victor@contoso.example\u0000.mallory") would read as the part before
 * it: another person, another group. json_parse writes each such character
 * as U+001A (SUBSTITUTE) instead, so every string keeps its full length and
 * holds a control character, which the connectors refuse where none may be
 * (text_has_control). */
#ifndef ACCESSD_JSON_H
#define ACCESSD_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

/* Parse LEN bytes of TEXT, U+0000 in strings read as U+001A. Returns 0
 * and a tree the caller owns (free with cJSON_Delete), -E2BIG when nested
 * deeper than JSON_MAX_DEPTH, -EBADMSG when not valid JSON (a raw NUL byte
 * included), or -ENOMEM. */
int json_parse(const char *text, size_t len, cJSON **ret);

/* The string member NAME of OBJ, or NULL when absent or not a string.
 * The result points into OBJ. */
const char *json_str(const cJSON *obj, const char *name);

/* The number member NAME of OBJ as an integer; 0 when absent, not a
 * number, or beyond 2^53 (journal times and counters fit well within). */
int64_t json_int(const cJSON *obj, const char *name);

#endif
