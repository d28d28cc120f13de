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
#include <stdio.h>
#include <string.h>

#include "scope.h"

#define SCOPE_MAX 64

struct scope_list {
	int n;
	struct tw_dest_pattern e[SCOPE_MAX];
};

static struct scope_list only, except;

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
		if (tw_dest_pattern_parse(tok, &l->e[l->n]) < 0) {
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

static int matches(const struct scope_list *l, const struct tw_addr *d)
{
	for (int i = 0; i < l->n; i++)
		if (tw_dest_pattern_match(&l->e[i], d->family, d->addr, d->port))
			return 1;
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
