// SPDX-License-Identifier: MIT
/*
 * 64-bit FNV-1a, the checksum ka_server --mode sink prints and
 * legacy_client --mode send prints: one definition, so the two agree by
 * construction and a test comparing them compares the bytes.
 */
#ifndef EXAMPLES_FNV1A_H
#define EXAMPLES_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)

static inline uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

#endif
