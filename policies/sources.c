// SPDX-License-Identifier: MIT
/*
 * Spreading connections over source addresses and confining their ports
 * (DOMAIN facts 10 and 11).
 *
 * TWSHIM_SOURCE_ADDRS=LIST: IPv4/IPv6 addresses and a-b ranges. Each
 * outgoing connection is bound to the address that holds the fewest ports
 * toward its destination, as the kernel counts them for every process
 * (a sock_diag dump filtered by destination: connections and TIME_WAIT
 * entries alike, at most once a second per destination, this process's
 * own choices added in between), so that a loop of one-shot processes
 * spreads as one long-lived process does; with IP_BIND_ADDRESS_NO_PORT,
 * so that connect() still picks the port with the whole four-tuple in
 * view: N addresses give N times the
 * ports to each destination. (Binding to port 0 without it would reserve a
 * port for every destination at once: the classic bind-before-connect
 * mistake, which makes exhaustion come sooner, not later.)
 *
 * TWSHIM_SPREAD=reuse (with TWSHIM_SOURCE_PORTS): the shim picks each
 * source port itself, round-robin over LO-HI with a cursor every process
 * spreading over LO-HI shares (the ledger's), and binds it explicitly with
 * SO_REUSEADDR: connect() to a port chosen that way takes over its
 * TIME_WAIT at once when TCP timestamps are on (DOMAIN fact 10). A port
 * taken by explicit bind is skipped by every other program's automatic
 * choice while it is in TIME_WAIT: keep LO-HI in ip_local_reserved_ports.
 * SO_REUSEADDR also lets a port be bound again while a live connection of
 * ours holds it, and then connect() to that connection's destination fails
 * (EADDRNOTAVAIL): the spread skips the ports our open sockets hold. A port
 * whose last connection is closed but not yet in TIME_WAIT (the peer has
 * not sent its FIN) fails the same way until it is: a blocking connect()
 * waits for that, briefly.
 *
 * TWSHIM_SOURCE_PORTS=LO-HI: this process's automatic ports come from
 * LO-HI only (IP_LOCAL_PORT_RANGE, Linux 6.3), so that operators can give
 * each service its share of the ephemeral range and one churning service
 * cannot starve the rest of the host. On older kernels the option is
 * refused: the policy says so once and stays off (narrow the namespace's
 * ip_local_port_range instead).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

#define SPREAD_WAITS 20                /* of 1 ms: a peer's FIN is that late at most */

static unsigned port_lo, port_hi;      /* 0: TWSHIM_SOURCE_PORTS unset */
static _Atomic int ports_refused;
static int spread;                     /* TWSHIM_SPREAD=reuse */

/* The socket that took each port of the spread, as tw_fd_token() has it
 * (0: none yet). The port is held while that fd is still the same socket:
 * a close, a dup2 over it or a new socket on the number change the token.
 * Indexed by port - port_lo. */
static _Atomic uint64_t port_owner[65536];

static int parse_ports(const char *v, char *err, size_t errlen)
{
	unsigned long lo, hi;
	const char *end;

	port_lo = port_hi = 0;
	if (!v || !*v)
		return 0;
	if (tw_parse_uint(v, &end, 65535, &lo) < 0 || *end != '-' ||
	    tw_parse_uint(end + 1, &end, 65535, &hi) < 0 || *end != '\0' || lo < 1 || lo > hi) {
		snprintf(err, errlen, "TWSHIM_SOURCE_PORTS='%s' is not a port range: expected "
		         "LO-HI, 1 <= LO <= HI <= 65535", v);
		return -1;
	}
	port_lo = (unsigned)lo;
	port_hi = (unsigned)hi;
	return 0;
}

/* Whether lo-hi lies inside net.ipv4.ip_local_reserved_ports ("a-b,c,..."). */
static int reserved(unsigned lo, unsigned hi)
{
	char buf[4096], *p;
	unsigned next = lo;

	tw_read_sysctl("/proc/sys/net/ipv4/ip_local_reserved_ports", buf, sizeof(buf));
	for (p = buf; *p && next <= hi;) {
		unsigned long a = strtoul(p, &p, 10), b = a;
		if (*p == '-')
			b = strtoul(p + 1, &p, 10);
		if (a <= next && b >= next)
			next = (unsigned)b + 1;
		while (*p == ',' || *p == ' ' || *p == '\n')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			break;
	}
	return next > hi;
}

static int configure(tw_getenv_fn get, char *err, size_t errlen)
{
	const char *sp = get("TWSHIM_SPREAD");
	char ts[16];

	spread = 0;
	if (tw_sources_parse_addrs(get("TWSHIM_SOURCE_ADDRS"), err, errlen) < 0 ||
	    parse_ports(get("TWSHIM_SOURCE_PORTS"), err, errlen) < 0)
		goto bad;
	if (sp && *sp && strcmp(sp, "reuse") != 0 && strcmp(sp, "off") != 0) {
		snprintf(err, errlen, "TWSHIM_SPREAD='%s' is not a spread: expected 'reuse' or 'off'",
		         sp);
		goto bad;
	}
	if (sp && strcmp(sp, "reuse") == 0) {
		if (!port_lo) {
			snprintf(err, errlen, "TWSHIM_SPREAD=reuse needs TWSHIM_SOURCE_PORTS=LO-HI "
			         "(the ports it may choose from)");
			goto bad;
		}
		tw_read_sysctl("/proc/sys/net/ipv4/tcp_timestamps", ts, sizeof(ts));
		if (ts[0] == '0') {
			snprintf(err, errlen, "TWSHIM_SPREAD=reuse needs TCP timestamps, and "
			         "net.ipv4.tcp_timestamps is 0 here: without them a TIME_WAIT port "
			         "cannot be reused at once");
			goto bad;
		}
		if (!reserved(port_lo, port_hi))
			tw_warn("TWSHIM_SPREAD=reuse: ports %u-%u are not all in "
			        "net.ipv4.ip_local_reserved_ports; other programs' automatic ports "
			        "may land there, and skip those this one leaves in TIME_WAIT",
			        port_lo, port_hi);
		spread = 1;
	}
	return tw_nsrcs > 0 || port_lo != 0;
bad:
	tw_nsrcs = 0;
	port_lo = port_hi = 0;
	spread = 0;
	return -1;
}

/* Binds c's socket to the next port of LO-HI (and the chosen source
 * address, if any) with SO_REUSEADDR, passing over the ports our open
 * sockets hold, and those bind() refuses (a listener, a socket of another
 * program's without SO_REUSEADDR). */
static void spread_bind(struct tw_connect_ctx *c)
{
	static _Atomic uint32_t own_cursor; /* without a ledger */
	_Atomic uint32_t *next_port = tw_spread_cursor(port_lo, port_hi);
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned n = port_hi - port_lo + 1;
	socklen_t len = sizeof(ss);
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (c->e->src && tw_source_sockaddr(&tw_srcs[c->e->src - 1], c->e, &c->key, &ss))
		len = c->e->family == 4 ? sizeof(*in) : sizeof(*in6);
	else if (c->e->family == 4)
		in->sin_family = AF_INET, len = sizeof(*in);
	else
		in6->sin6_family = AF_INET6, len = sizeof(*in6);
	if (tw_real.setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return;
	/* Once round skipping the ports our open sockets hold; if all are
	 * held, once more taking whatever bind() allows. */
	for (unsigned k = 0; k < 2 * n; k++) {
		unsigned i = atomic_fetch_add(next_port ? next_port : &own_cursor, 1) % n;
		uint16_t port = htons((uint16_t)(port_lo + i));

		if (k < n && tw_fd_token_same(atomic_load(&port_owner[i])))
			continue;
		if (c->e->family == 4)
			in->sin_port = port;
		else
			in6->sin6_port = port;
		if (tw_real.bind(c->fd, (struct sockaddr *)&ss, len) == 0) {
			atomic_store(&port_owner[i], tw_fd_token(c->fd, c->e));
			c->spread_port = (int)(port_lo + i);
			tw_count_action(c->slot, c->dest, TW_ACT_SPREAD);
			return;
		}
		if (errno != EADDRINUSE)
			return;
	}
}

/* A spread port whose last connection to this destination is closed but
 * not in TIME_WAIT yet (FIN_WAIT2: the peer has not closed) refuses the
 * four-tuple; it takes the TIME_WAIT over once the peer's FIN arrives. A
 * blocking connect() waits for that, up to SPREAD_WAITS ms; a non-blocking
 * one never sleeps (its event loop must not stall): it gets the error. */
static int retry_connect(struct tw_connect_ctx *c)
{
	struct timespec ms = { 0, 1000000 };

	if (!c->spread_port || c->err != EADDRNOTAVAIL || c->spread_waits >= SPREAD_WAITS ||
	    !tw_connect_blocking(c))
		return 0;
	c->spread_waits++;
	nanosleep(&ms, NULL);
	return 1;
}

static void before_connect(struct tw_connect_ctx *c)
{
	c->other_source = tw_sources_next; /* for retry.c */
	if (spread) {
		/* The source address first (bound with the port deferred), then the port. */
		if (tw_nsrcs && tw_sources_next(c)) {
			/* IP_BIND_ADDRESS_NO_PORT: the port bind below completes it. */
		}
		spread_bind(c);
		return;
	}
	if (port_lo && !atomic_load(&ports_refused)) {
		uint32_t range = (uint32_t)port_hi << 16 | port_lo;
		if (tw_real.setsockopt(c->fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range,
		                       sizeof(range)) == 0) {
			tw_count_action(c->slot, c->dest, TW_ACT_SOURCE_PORTS);
		} else if (!atomic_exchange(&ports_refused, 1)) {
			tw_warn("TWSHIM_SOURCE_PORTS=%u-%u: this kernel refuses IP_LOCAL_PORT_RANGE "
			        "(%s; Linux 6.3 has it): the policy stays off; narrow "
			        "net.ipv4.ip_local_port_range for the service's namespace instead",
			        port_lo, port_hi, strerror(errno));
		}
	}
	if (tw_nsrcs)
		tw_sources_next(c);
}

static void closed(const struct tw_fd *v, enum tw_close_class cls)
{
	if (cls == TW_CLOSE_ACTIVE)
		tw_sources_time_wait(v);
}

/* The hints advise more source addresses no more. */
static unsigned covers(void)
{
	return tw_nsrcs > 0 ? TW_HINT_SOURCES_ON : 0;
}

static void after_fork_child(void)
{
	tw_sources_forget();
}

const struct tw_policy tw_policy_sources = {
	.name = "sources",
	.configure = configure,
	.covers = covers,
	.before_connect = before_connect,
	.retry_connect = retry_connect,
	.closed = closed,
	.after_fork_child = after_fork_child,
};
