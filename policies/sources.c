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
 * spreads as one long-lived process does; with IP_BIND_ADDRESS_NO_PORT, so that connect() still picks
 * the port with the whole four-tuple in view: N addresses give N times the
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

#include "log.h"
#include "policy.h"
#include "real.h"
#include "track.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

#define SRC_MAX 64
#define SPREAD_WAITS 20                /* of 1 ms: a peer's FIN is that late at most */

static struct tw_addr srcs[SRC_MAX];   /* family 4 or 6; port 0 */
static int nsrcs;
static unsigned port_lo, port_hi;      /* 0: TWSHIM_SOURCE_PORTS unset */
static _Atomic int ports_refused;
static int spread;                     /* TWSHIM_SPREAD=reuse */

/* The socket that took each port of the spread: 1 + its fd << 32 | its fd
 * entry's seq then (0: none yet). The port is held while that entry is
 * still the same socket: a close, a dup2 over it or a new socket on the
 * number bump the seq. Indexed by port - port_lo. */
static _Atomic uint64_t port_owner[65536];

/* TIME_WAIT per source address and destination entry, as the ledger counts
 * per destination: active closes in the last 60 s. What the choice falls
 * back on when the kernel cannot be asked. */
static _Atomic uint64_t tw_by_src[SRC_MAX][TW_DESTS][TW_WIN_BUCKETS];
static _Atomic unsigned rotor;

/* The kernel's count of ports each source holds toward a destination, as
 * last asked, and this process's choices since. Per destination entry;
 * several threads may refresh one at once: the counts are estimates. */
#define VIEW_MS 1000u
struct src_view {
	_Atomic uint64_t at_ms;          /* when asked; 0 never */
	_Atomic uint64_t key;            /* key_of() the destination asked about */
	_Atomic uint32_t held[SRC_MAX];
	_Atomic uint32_t picks[SRC_MAX];
};
static struct src_view views[TW_DESTS];

static int add_range(const char *a, const char *b)
{
	struct tw_addr lo = { 0 }, hi = { 0 };

	if (inet_pton(AF_INET, a, lo.addr) == 1 && (!b || inet_pton(AF_INET, b, hi.addr) == 1)) {
		lo.family = hi.family = 4;
	} else if (inet_pton(AF_INET6, a, lo.addr) == 1 &&
	           (!b || inet_pton(AF_INET6, b, hi.addr) == 1)) {
		lo.family = hi.family = 6;
	} else {
		return -1;
	}
	if (!b)
		hi = lo;
	/* Ranges vary in the last two bytes only: enough for 64 addresses. */
	unsigned len = lo.family == 4 ? 4 : 16;
	if (memcmp(lo.addr, hi.addr, len - 2) != 0)
		return -1;
	unsigned from = (unsigned)lo.addr[len - 2] << 8 | lo.addr[len - 1];
	unsigned to = (unsigned)hi.addr[len - 2] << 8 | hi.addr[len - 1];
	if (to < from)
		return -1;
	for (unsigned v = from; v <= to; v++) {
		if (nsrcs == SRC_MAX)
			return -2;
		srcs[nsrcs] = lo;
		srcs[nsrcs].addr[len - 2] = (uint8_t)(v >> 8);
		srcs[nsrcs].addr[len - 1] = (uint8_t)v;
		nsrcs++;
	}
	return 0;
}

static int parse_addrs(const char *v, char *err, size_t errlen)
{
	char buf[2048], *tok, *save = NULL;

	nsrcs = 0;
	if (!v || !*v)
		return 0;
	if (tw_list_blank(v)) {
		snprintf(err, errlen, "TWSHIM_SOURCE_ADDRS='%s' lists no address: expected "
		         "addresses or ranges separated by commas or spaces", v);
		return -1;
	}
	if (strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "TWSHIM_SOURCE_ADDRS is longer than %zu characters",
		         sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, v);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char *dash = strchr(tok, '-'), item[128];
		int rc;

		snprintf(item, sizeof(item), "%s", tok);
		if (dash)
			*dash++ = '\0';
		rc = add_range(tok, dash);
		if (rc == -2) {
			snprintf(err, errlen, "TWSHIM_SOURCE_ADDRS names more than %d addresses",
			         SRC_MAX);
			return -1;
		}
		if (rc < 0) {
			snprintf(err, errlen,
			         "TWSHIM_SOURCE_ADDRS: '%s' is not an address or range: expected "
			         "e.g. 10.0.0.2, 10.0.0.2-10.0.0.11 or fd00::2-fd00::9 (a range "
			         "varies in its last 16 bits)", item);
			return -1;
		}
	}
	return 0;
}

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

static socklen_t sockaddr_of(const struct tw_addr *src, const struct tw_fd *e,
                             const struct tw_addr *dest, struct sockaddr_storage *ss);

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

int tw_sources_addrs_on(void)
{
	return tw_policy_on(&tw_policy_sources) && nsrcs > 0;
}

static int configure(tw_getenv_fn get, char *err, size_t errlen)
{
	const char *sp = get("TWSHIM_SPREAD");
	char ts[16];

	spread = 0;
	if (parse_addrs(get("TWSHIM_SOURCE_ADDRS"), err, errlen) < 0 ||
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
	return nsrcs > 0 || port_lo != 0;
bad:
	nsrcs = 0;
	port_lo = port_hi = 0;
	spread = 0;
	return -1;
}

/* Whether the socket that took a port (port_owner) still holds it. */
static int port_held(uint64_t owner)
{
	struct tw_fd *e = owner ? tw_fd_get((int)(owner >> 32) - 1) : NULL;

	return e && tw_fd_kind(e) == TW_FD_TCP &&
	       atomic_load_explicit(&e->seq, memory_order_relaxed) == (uint32_t)owner;
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
	if (c->e->src && sockaddr_of(&srcs[c->e->src - 1], c->e, &c->key, &ss))
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

		if (k < n && port_held(atomic_load(&port_owner[i])))
			continue;
		if (c->e->family == 4)
			in->sin_port = port;
		else
			in6->sin6_port = port;
		if (tw_real.bind(c->fd, (struct sockaddr *)&ss, len) == 0) {
			atomic_store(&port_owner[i], (uint64_t)(c->fd + 1) << 32 |
			                             atomic_load(&c->e->seq));
			c->spread_port = (int)(port_lo + i);
			if (c->slot)
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

/* The source's form for this socket: IPv4 destinations on an IPv6 socket
 * need the IPv4-mapped form. -1 when the source cannot serve. */
static socklen_t sockaddr_of(const struct tw_addr *src, const struct tw_fd *e,
                             const struct tw_addr *dest, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (src->family != dest->family)
		return 0;
	if (e->family == 4 && src->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, src->addr, 4);
		return sizeof(*in);
	}
	if (e->family == 6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		if (src->family == 4) {
			in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&in6->sin6_addr.s6_addr[12], src->addr, 4);
		} else {
			memcpy(&in6->sin6_addr, src->addr, 16);
		}
		return sizeof(*in6);
	}
	return 0;
}

/* A destination in one word (FNV-1a of its bytes), so that threads
 * sharing a view compare and replace it with plain atomics. A collision
 * only mixes two destinations' estimates until the next refresh. */
static uint64_t key_of(const struct tw_addr *a)
{
	const uint8_t *p = (const uint8_t *)a;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < sizeof(*a); i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h | 1; /* never 0: 0 is "none yet" */
}

/* The view of c's destination, asked of the kernel again if it is older
 * than VIEW_MS or of another destination. NULL if the kernel cannot say.
 * Threads refreshing one view at once each store a whole answer; the
 * counts are estimates either way. */
static struct src_view *view_of(const struct tw_connect_ctx *c, int d, uint64_t now_ms)
{
	struct src_view *v = &views[d];
	uint32_t held[SRC_MAX];
	uint64_t at = atomic_load(&v->at_ms), key = key_of(&c->key);

	if (at && now_ms - at < VIEW_MS && atomic_load(&v->key) == key)
		return v;
	if (tw_diag_count_by_source(&c->key, srcs, nsrcs, held) < 0)
		return NULL;
	for (int i = 0; i < nsrcs; i++) {
		atomic_store(&v->held[i], held[i]);
		atomic_store(&v->picks[i], 0);
	}
	atomic_store(&v->key, key);
	atomic_store(&v->at_ms, now_ms ? now_ms : 1);
	return v;
}

/* Binds to the untried source that holds the fewest ports toward c's
 * destination (ties go round). Returns 1 if bound. */
int tw_sources_next(struct tw_connect_ctx *c)
{
	uint64_t now_ms = tw_now_ns() / 1000000u;
	uint32_t q = tw_quantum(now_ms);
	unsigned start = atomic_fetch_add(&rotor, 1), best = SRC_MAX;
	uint64_t best_n = UINT64_MAX;
	struct sockaddr_storage ss;
	struct src_view *v;
	socklen_t len;
	int one = 1, d = c->dest >= 0 ? c->dest : (int)TW_DESTS - 1;

	v = view_of(c, d, now_ms);
	for (int k = 0; k < nsrcs; k++) {
		unsigned i = (start + (unsigned)k) % (unsigned)nsrcs;
		uint64_t n;
		if ((c->tried >> i) & 1 || !sockaddr_of(&srcs[i], c->e, &c->key, &ss))
			continue;
		n = v ? (uint64_t)atomic_load(&v->held[i]) + atomic_load(&v->picks[i])
		      : tw_window_sum(tw_by_src[i][d], q);
		if (n < best_n) {
			best = i;
			best_n = n;
		}
	}
	if (best == SRC_MAX)
		return 0;
	c->tried |= UINT64_C(1) << best;
	if (v)
		atomic_fetch_add(&v->picks[best], 1);
	len = sockaddr_of(&srcs[best], c->e, &c->key, &ss);
	/* Port 0 without IP_BIND_ADDRESS_NO_PORT would reserve a port for all
	 * destinations: only bind if the deferral is available. */
	if (tw_real.setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
	    tw_real.bind(c->fd, (struct sockaddr *)&ss, len) < 0)
		return 0;
	c->e->src = (uint8_t)(best + 1);
	if (c->slot)
		tw_count_action(c->slot, c->dest, TW_ACT_SOURCE_ADDR);
	return 1;
}

static void before_connect(struct tw_connect_ctx *c)
{
	if (spread) {
		/* The source address first (bound with the port deferred), then the port. */
		if (nsrcs && tw_sources_next(c)) {
			/* IP_BIND_ADDRESS_NO_PORT: the port bind below completes it. */
		}
		spread_bind(c);
		return;
	}
	if (port_lo && !atomic_load(&ports_refused)) {
		uint32_t range = (uint32_t)port_hi << 16 | port_lo;
		if (tw_real.setsockopt(c->fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range,
		                       sizeof(range)) == 0) {
			if (c->slot)
				tw_count_action(c->slot, c->dest, TW_ACT_SOURCE_PORTS);
		} else if (!atomic_exchange(&ports_refused, 1)) {
			tw_warn("TWSHIM_SOURCE_PORTS=%u-%u: this kernel refuses IP_LOCAL_PORT_RANGE "
			        "(%s; Linux 6.3 has it): the policy stays off; narrow "
			        "net.ipv4.ip_local_port_range for the service's namespace instead",
			        port_lo, port_hi, strerror(errno));
		}
	}
	if (nsrcs)
		tw_sources_next(c);
}

static void closed(const struct tw_fd *v, enum tw_close_class cls)
{
	if (cls != TW_CLOSE_ACTIVE || v->src == 0 || v->src > nsrcs)
		return;
	tw_window_add(tw_by_src[v->src - 1][v->dest >= 0 ? v->dest : (int)TW_DESTS - 1],
	              tw_quantum(tw_now_ns() / 1000000u), 1);
}

static void after_fork_child(void)
{
	/* The child's TIME_WAIT is its own from now on (pages untouched when
	 * the policy is off stay untouched). */
	if (nsrcs) {
		memset(tw_by_src, 0, sizeof(tw_by_src));
		memset(views, 0, sizeof(views));
	}
}

const struct tw_policy tw_policy_sources = {
	.name = "sources",
	.configure = configure,
	.before_connect = before_connect,
	.retry_connect = retry_connect,
	.closed = closed,
	.after_fork_child = after_fork_child,
};
