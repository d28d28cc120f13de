// SPDX-License-Identifier: MIT
/* The pure parsers shared by the shim and the command (parse.h). */
#include "parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int tw_parse_uint(const char *s, const char **end, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return 0;
}

int tw_list_blank(const char *v)
{
	return v[strspn(v, ", \t")] == '\0';
}

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int parse_port(const char *p, uint16_t *port)
{
	unsigned long v;
	const char *end;

	if (tw_parse_uint(p, &end, 65535, &v) < 0 || *end != '\0' || v < 1)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int tw_dest_pattern_parse(char *s, struct tw_dest_pattern *e)
{
	char *addr = s, *port = NULL, *slash;
	unsigned max;

	memset(e, 0, sizeof(*e));
	if (*s == '[') {                      /* [v6[/len]][:port] */
		char *close = strchr(s, ']');
		if (!close)
			return -1;
		*close = '\0';
		addr = s + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else if (strchr(s, ':') == strrchr(s, ':') && strchr(s, ':')) {
		port = strchr(s, ':');            /* v4[/len]:port or *:port */
		*port++ = '\0';
	}
	if (port && parse_port(port, &e->port) < 0)
		return -1;
	if (strcmp(addr, "*") == 0)
		return port ? 0 : -1;
	if ((slash = strchr(addr, '/')))
		*slash++ = '\0';
	if (inet_pton(AF_INET, addr, e->addr) == 1) {
		e->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, e->addr) == 1) {
		e->family = 6;
		max = 128;
	} else {
		return -1;
	}
	e->prefix = (uint8_t)max;
	if (slash) {
		const char *end;
		unsigned long len;
		if (tw_parse_uint(slash, &end, max, &len) < 0 || *end != '\0')
			return -1;
		e->prefix = (uint8_t)len;
	}
	/* ::ffff:10.0.0.1, ::ffff:10.0.0.0/104: the IPv4 pattern they stand
	 * for. Destinations are keyed that way (tw_dest_key): an IPv6 pattern
	 * in the mapped range would never meet one. */
	if (e->family == 6 && e->prefix >= 96 && memcmp(e->addr, v4_mapped, 12) == 0) {
		memmove(e->addr, e->addr + 12, 4);
		memset(e->addr + 4, 0, 12);
		e->family = 4;
		e->prefix = (uint8_t)(e->prefix - 96);
	}
	return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ b[whole]) & (0xff << (8 - rest))) == 0;
}

int tw_dest_pattern_match(const struct tw_dest_pattern *p, uint8_t family, const uint8_t *addr,
                          uint16_t port)
{
	if (p->port && p->port != port)
		return 0;
	return p->family == 0 || (p->family == family && prefix_match(p->addr, addr, p->prefix));
}

int tw_parse_switch(const char *name, const char *v, int dflt, int *out, char *err,
                    size_t errlen)
{
	if (v == NULL || *v == '\0') {
		*out = dflt;
		return 0;
	}
	if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0) {
		*out = v[0] == '1';
		return 0;
	}
	snprintf(err, errlen, "%s='%s' is not a switch: expected '1' (on) or '0' (off; "
	         "unset, it is %s)", name, v, dflt ? "on" : "off");
	return -1;
}
