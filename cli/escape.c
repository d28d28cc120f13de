// SPDX-License-Identifier: MIT
#include "escape.h"

#include <stdint.h>
#include <string.h>

size_t tw_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
		           ? 4
		           : 0;
	}
	return 0;
}

static uint32_t code_point(const unsigned char *s, size_t n)
{
	switch (n) {
	case 1: return s[0];
	case 2: return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	case 3: return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	default:
		return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		       (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	}
}

/* Characters a terminal acts on or shows as nothing: controls (C0, DEL,
 * C1: 0x9b is CSI for a terminal that takes 8-bit controls), and the
 * format characters that reorder or hide text ("Trojan Source": U+202E
 * shows "exe.txt" for "txt.exe"). */
static int invisible(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xad || c == 0x061c ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

void tw_esc_name(char *out, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (len == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = tw_utf8_len(p);

		if (n && *p != '\\' && !invisible(code_point(p, n))) {
			if (o + n >= len)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n;
			continue;
		}
		/* Escaped byte by byte: a C1 control (2 bytes) as \xc2\x9b. */
		for (size_t i = 0, m = n ? n : 1; i < m; i++, p++) {
			if (o + 4 >= len)
				goto done;
			out[o++] = '\\';
			if (*p == '\\') {
				out[o++] = '\\';
				continue;
			}
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
done:
	out[o] = '\0';
}

void tw_esc_shell(char *out, size_t len, const char *s)
{
	size_t o = 0;
	int plain = *s != '\0';

	if (len == 0)
		return;
	for (const char *p = s; *p && plain; p++)
		plain = strchr("_.,:+=@%/-", *p) || (*p >= 'a' && *p <= 'z') ||
		        (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
	if (plain) {
		if (strlen(s) >= len)
			goto short_;
		strcpy(out, s);
		return;
	}
	out[o++] = '\'';
	for (const char *p = s; *p; p++) {
		const char *piece = *p == '\'' ? "'\\''" : NULL;
		size_t n = piece ? 4 : 1;

		if (o + n + 1 >= len)
			goto short_;
		if (piece)
			memcpy(out + o, piece, n);
		else
			out[o] = *p;
		o += n;
	}
	if (o + 2 > len)
		goto short_;
	out[o++] = '\'';
	out[o] = '\0';
	return;
short_:
	out[0] = '\0';
}
