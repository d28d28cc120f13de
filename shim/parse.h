// SPDX-License-Identifier: MIT
/*
 * The pure parsers shared by the shim and the twshim command: numbers,
 * lists, and destinations written CIDR[:PORT] (TWSHIM_ONLY and
 * TWSHIM_EXCEPT in the shim, --dest in the command). No state, no log,
 * nothing but libc's string functions and inet_pton: both link them.
 */
#ifndef TW_PARSE_H
#define TW_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* How a TWSHIM_* variable is read: getenv, or a test's fake environment. */
typedef const char *(*tw_getenv_fn)(const char *name);

/* A decimal number at s, for every numeric TWSHIM_* value: digits only (no
 * sign, no space, no base prefix; strtoul() takes "+5", " 5" and "-1", the
 * last as ULONG_MAX), at most max. Returns 0 and sets *out and *end (the
 * first character after the digits), or -1: no digit at s, or above max. */
int tw_parse_uint(const char *s, const char **end, unsigned long max, unsigned long *out);

/* A 0/1 switch, the value v of variable name: unset or empty, dflt.
 * Returns 0 and sets *out, or -1 with one line in err naming the variable,
 * its value and what is valid. */
int tw_parse_switch(const char *name, const char *v, int dflt, int *out, char *err,
                    size_t errlen);

/* Whether v holds anything but separators (commas, spaces, tabs): a list
 * variable set to "," or " " is a mistake to name, not "unset". */
int tw_list_blank(const char *v);

/* One destination pattern: an address and prefix, or any address (family
 * 0); a port, or any (0). IPv4-mapped IPv6 patterns are stored as the IPv4
 * ones they stand for, as destinations are keyed (tw_dest_key). */
struct tw_dest_pattern {
	uint8_t family;  /* 4, 6; 0: any address */
	uint8_t prefix;
	uint16_t port;   /* 0: any port */
	uint8_t addr[16];
};

/* CIDR[:PORT] in s, which it cuts in place: 10.0.0.0/8, 10.1.2.3:5432,
 * *:8080, ::1, fd00::/8, [fd00::/8]:443, [::1]:80. 0, or -1 if it is none. */
int tw_dest_pattern_parse(char *s, struct tw_dest_pattern *p);

/* Whether an address (family 4 or 6, IPv4-mapped ones given as IPv4) and
 * port match p. */
int tw_dest_pattern_match(const struct tw_dest_pattern *p, uint8_t family, const uint8_t *addr,
                          uint16_t port);

#endif
