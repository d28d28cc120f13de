// SPDX-License-Identifier: MIT
/*
 * TWSHIM_ONLY / TWSHIM_EXCEPT: which destinations the policies touch.
 * Tracking applies to every connection whatever these say.
 *
 * A list of CIDR[:PORT], separated by commas or spaces:
 *   10.0.0.0/8   10.1.2.3:5432   *:8080   ::1   [fd00::/8]:443   [::1]:80
 * A connection's destination is the remote ip:port for connections the
 * program opens, and the local listening ip:port for ones it accepts (as in
 * `twshim stat`). IPv4-mapped IPv6 addresses match IPv4 entries, and
 * entries written IPv4-mapped (::ffff:10.0.0.1, ::ffff:10.0.0.0/104) are
 * the IPv4 entries they stand for. A value of separators only ("," or " ")
 * is an error, not "unset".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

#define SCOPE_MAX 64

struct scope_entry {
	uint8_t family;  /* 0: any address */
	uint8_t prefix;
	uint16_t port;   /* 0: any port */
	uint8_t addr[16];
};

struct scope_list {
	int n;
	struct scope_entry e[SCOPE_MAX];
};

static struct scope_list only, except;

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

/* One entry, in place. Returns 0 or -1. */
static int parse_entry(char *s, struct scope_entry *e)
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
	/* ::ffff:10.0.0.1, ::ffff:10.0.0.0/104: the IPv4 entry they stand
	 * for. Destinations are keyed that way (tw_dest_key): an IPv6 entry
	 * in the mapped range would never meet one. */
	if (e->family == 6 && e->prefix >= 96 && memcmp(e->addr, v4_mapped, 12) == 0) {
		memmove(e->addr, e->addr + 12, 4);
		memset(e->addr + 4, 0, 12);
		e->family = 4;
		e->prefix = (uint8_t)(e->prefix - 96);
	}
	return 0;
}

static int parse_list(const char *name, const char *v, struct scope_list *l, char *err,
                      size_t errlen)
{
	char buf[4096], *tok, *save = NULL;

	l->n = 0;
	if (!v || !*v)
		return 0;
	if (tw_list_blank(v)) {
		snprintf(err, errlen, "%s='%s' lists no destination: expected CIDR[:PORT] entries "
		         "separated by commas or spaces (unset it to apply the policies everywhere)",
		         name, v);
		return -1;
	}
	if (strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "%s is longer than %zu characters", name, sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, v);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char copy[128];
		snprintf(copy, sizeof(copy), "%s", tok);
		if (l->n == SCOPE_MAX) {
			snprintf(err, errlen, "%s has more than %d entries", name, SCOPE_MAX);
			return -1;
		}
		if (parse_entry(tok, &l->e[l->n]) < 0) {
			snprintf(err, errlen,
			         "%s: '%s' is not a destination: expected CIDR[:PORT] such as "
			         "10.0.0.0/8, 10.1.2.3:5432, *:8080, fd00::/8 or [::1]:80", name, copy);
			l->n = 0;
			return -1;
		}
		l->n++;
	}
	return 0;
}

int tw_scope_configure(tw_getenv_fn get, char *err, size_t errlen)
{
	if (parse_list("TWSHIM_ONLY", get("TWSHIM_ONLY"), &only, err, errlen) < 0 ||
	    parse_list("TWSHIM_EXCEPT", get("TWSHIM_EXCEPT"), &except, err, errlen) < 0) {
		only.n = except.n = 0;
		return -1;
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

static int matches(const struct scope_list *l, const struct tw_addr *d)
{
	for (int i = 0; i < l->n; i++) {
		const struct scope_entry *e = &l->e[i];
		if (e->port && e->port != d->port)
			continue;
		if (e->family == 0 || (e->family == d->family && prefix_match(e->addr, d->addr, e->prefix)))
			return 1;
	}
	return 0;
}

/* dest: an address, IPv4-mapped or not (an AF_INET6 socket's IPv4
 * destination): compared as its key, where it is IPv4. */
int tw_scope_applies(const struct tw_addr *dest)
{
	struct tw_addr key;

	if (!only.n && !except.n)
		return 1;
	tw_dest_key(&key, dest);
	if (only.n && !matches(&only, &key))
		return 0;
	return !matches(&except, &key);
}
