// SPDX-License-Identifier: MIT
/*
 * The source addresses of TWSHIM_SOURCE_ADDRS (sources.c has the policy):
 * the list, and the choice of the one that holds the fewest ports toward a
 * destination, as the kernel counts them for every process.
 */
#include "sources.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

struct tw_addr tw_srcs[TW_SRC_MAX];
int tw_nsrcs;

/* TIME_WAIT per source address and destination entry, as the ledger counts
 * per destination: active closes in the last 60 s. What the choice falls
 * back on when the kernel cannot be asked. */
static _Atomic uint64_t tw_by_src[TW_SRC_MAX][TW_DESTS][TW_WIN_BUCKETS];
static _Atomic unsigned rotor;

/* The kernel's count of ports each source holds toward a destination, as
 * last asked, and this process's choices since. Per destination entry;
 * several threads may refresh one at once: the counts are estimates. */
#define VIEW_MS 1000u
struct src_view {
	_Atomic uint64_t at_ms;          /* when asked; 0 never */
	_Atomic uint64_t key;            /* key_of() the destination asked about */
	_Atomic uint32_t held[TW_SRC_MAX];
	_Atomic uint32_t picks[TW_SRC_MAX];
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
		if (tw_nsrcs == TW_SRC_MAX)
			return -2;
		tw_srcs[tw_nsrcs] = lo;
		tw_srcs[tw_nsrcs].addr[len - 2] = (uint8_t)(v >> 8);
		tw_srcs[tw_nsrcs].addr[len - 1] = (uint8_t)v;
		tw_nsrcs++;
	}
	return 0;
}

int tw_sources_parse_addrs(const char *v, char *err, size_t errlen)
{
	char buf[2048], *tok, *save = NULL;

	tw_nsrcs = 0;
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
			         TW_SRC_MAX);
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

/* The source's form for this socket: IPv4 destinations on an IPv6 socket
 * need the IPv4-mapped form. -1 when the source cannot serve. */
socklen_t tw_source_sockaddr(const struct tw_addr *src, const struct tw_fd *e,
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
	uint32_t held[TW_SRC_MAX];
	uint64_t at = atomic_load(&v->at_ms), key = key_of(&c->key);

	if (at && now_ms - at < VIEW_MS && atomic_load(&v->key) == key)
		return v;
	if (tw_diag_count_by_source(&c->key, tw_srcs, tw_nsrcs, held) < 0)
		return NULL;
	for (int i = 0; i < tw_nsrcs; i++) {
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
	unsigned start = atomic_fetch_add(&rotor, 1), best = TW_SRC_MAX;
	uint64_t best_n = UINT64_MAX;
	struct sockaddr_storage ss;
	struct src_view *v;
	socklen_t len;
	int one = 1, d = c->dest >= 0 ? c->dest : (int)TW_DESTS - 1;

	v = view_of(c, d, now_ms);
	for (int k = 0; k < tw_nsrcs; k++) {
		unsigned i = (start + (unsigned)k) % (unsigned)tw_nsrcs;
		uint64_t n;
		if ((c->tried >> i) & 1 || !tw_source_sockaddr(&tw_srcs[i], c->e, &c->key, &ss))
			continue;
		n = v ? (uint64_t)atomic_load(&v->held[i]) + atomic_load(&v->picks[i])
		      : tw_window_sum(tw_by_src[i][d], q);
		if (n < best_n) {
			best = i;
			best_n = n;
		}
	}
	if (best == TW_SRC_MAX)
		return 0;
	c->tried |= UINT64_C(1) << best;
	if (v)
		atomic_fetch_add(&v->picks[best], 1);
	len = tw_source_sockaddr(&tw_srcs[best], c->e, &c->key, &ss);
	/* Port 0 without IP_BIND_ADDRESS_NO_PORT would reserve a port for all
	 * destinations: only bind if the deferral is available. */
	if (tw_real.setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
	    tw_real.bind(c->fd, (struct sockaddr *)&ss, len) < 0)
		return 0;
	c->e->src = (uint8_t)(best + 1);
	tw_count_action(c->slot, c->dest, TW_ACT_SOURCE_ADDR);
	return 1;
}

/* A connection bound to one of the sources closed first, here: its
 * TIME_WAIT counts against that source (what the choice falls back on). */
void tw_sources_time_wait(const struct tw_fd *v)
{
	if (v->src == 0 || v->src > tw_nsrcs)
		return;
	tw_window_add(tw_by_src[v->src - 1][v->dest >= 0 ? v->dest : (int)TW_DESTS - 1],
	              tw_quantum(tw_now_ns() / 1000000u), 1);
}

/* In a fork child: its TIME_WAIT is its own from now on (pages untouched
 * when the policy is off stay untouched). */
void tw_sources_forget(void)
{
	if (tw_nsrcs) {
		memset(tw_by_src, 0, sizeof(tw_by_src));
		memset(views, 0, sizeof(views));
	}
}
