/* SPDX-License-Identifier: Apache-2.0 */
/* The one hash function: FNV-1a, for table slots, for the digest that tells
 * an edited request, and for the short tag of a person in an action id. Not
 * for anything an attacker must not forge. The digest and the tag are
 * journaled, so their values never change. Inline: replay hashes every
 * record's keys. */
#ifndef ACCESSD_HASH_H
#define ACCESSD_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV64_INIT UINT64_C(14695981039346656037)
#define HASH_FNV32_INIT UINT32_C(2166136261)

/* H (the INIT to begin) continued over LEN bytes of DATA. */
static inline uint64_t hash_fnv64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

static inline uint32_t hash_fnv32(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT32_C(16777619);
	return h;
}

#endif
