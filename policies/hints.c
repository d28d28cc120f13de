// SPDX-License-Identifier: MIT
/*
 * Pooling hints (TWSHIM_HINTS, on unless 0): when a destination churns
 * (many connections, short lives, this side closing first), one hint per
 * destination per minute, to the log and to the ledger, where `twshim
 * stat` shows it: the rate, the median lifetime, TIME_WAIT now, the ports,
 * when they run out at this rate, the connect() latency trend, and what to
 * do about it.
 *
 * Looked at from connect(), never from close(): a hint is logged, and
 * logging is not for close(). Looked at after each connect() that took a
 * port or failed for want of one, at most ten times a second per
 * destination unless LOOK_EVERY such calls came sooner (a program can run
 * through a thousand ports in less than 100 ms, and then only fail), and
 * written at most once a minute.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy.h"

#define MIN_TIME_WAIT 100u   /* below this, nothing worth saying */
#define LOOK_EVERY 64u       /* connect() calls that bring a look forward */

static int hints_on = 1;
static unsigned range_ports = 28232; /* the default 32768-60999 */
static _Atomic uint64_t next_look_ms[TW_DESTS];
static _Atomic uint32_t calls_since_look[TW_DESTS];

static int configure(tw_getenv_fn get, char *err, size_t errlen)
{
	char buf[64], *end, *p;
	unsigned lo, hi;

	if (tw_parse_switch("TWSHIM_HINTS", get("TWSHIM_HINTS"), 1, &hints_on, err, errlen) < 0) {
		hints_on = 0;
		return -1;
	}
	/* Per network namespace: read where the program runs. */
	/* strtoul, not sscanf: this may run in a signal handler (registry.c). */
	tw_read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf));
	lo = (unsigned)strtoul(buf, &end, 10);
	if (end != buf) {
		p = end;
		hi = (unsigned)strtoul(p, &end, 10);
		if (end != p && hi >= lo)
			range_ports = hi - lo + 1;
	}
	return hints_on;
}

static void hist_copy(uint64_t *out, const _Atomic uint64_t *h)
{
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++)
		out[i] = atomic_load_explicit(&h[i], memory_order_relaxed);
}

/* A look at destination d: whether it churns, and if so the hint. Apart
 * from the throttle below, which every connect() passes through, so that
 * its buffers weigh nothing there. */
static __attribute__((noinline)) void look(struct tw_dest *d, uint64_t now_ms)
{
	uint64_t tw, recent, per_min;
	uint64_t hist[TW_HIST_BUCKETS], life, conn, eta = 0;
	uint32_t q = tw_quantum(now_ms);
	char ip[INET6_ADDRSTRLEN] = "?", when[96];
	int64_t real_ms;

	real_ms = tw_realtime_ms();
	if (real_ms - atomic_load(&d->hint.at_ms) < 60000)
		return;
	tw = tw_window_sum(d->c.tw_window, q);
	if (tw < MIN_TIME_WAIT || tw * 20 < range_ports ||
	    atomic_load(&d->c.active_closes) <= atomic_load(&d->c.passive_closes))
		return;
	hist_copy(hist, d->c.lifetime_ms_hist);
	life = tw_hist_quantile(hist, 0.5);
	if (life > 1024)
		return; /* long-lived connections: pooling them gains little */
	hist_copy(hist, d->c.connect_us_hist);
	conn = tw_hist_quantile(hist, 0.5);
	per_min = tw;
	/* The last 2 s, as a rate per minute: at that rate, do the ports last? */
	recent = tw_window_sum_last(d->c.tw_window, q, 2000 / TW_WIN_QUANTUM_MS) * 30;
	if (tw >= range_ports)
		eta = 1;
	else if (recent >= range_ports)
		eta = (range_ports - tw) * 60 / recent + 1;

	atomic_store(&d->hint.connect_p50_us_before, atomic_load(&d->hint.connect_p50_us));
	atomic_store(&d->hint.advice, eta ? TW_ADVICE_URGENT : TW_ADVICE_POOL);
	atomic_store(&d->hint.per_min, (uint32_t)per_min);
	atomic_store(&d->hint.time_wait, (uint32_t)tw);
	atomic_store(&d->hint.ports, range_ports);
	atomic_store(&d->hint.eta_s, (uint32_t)eta);
	atomic_store(&d->hint.lifetime_p50_ms, (uint32_t)life);
	atomic_store(&d->hint.connect_p50_us, (uint32_t)conn);
	atomic_store_explicit(&d->hint.at_ms, real_ms, memory_order_release);

	inet_ntop(d->family == 4 ? AF_INET : AF_INET6, d->addr, ip, sizeof(ip));
	if (eta)
		snprintf(when, sizeof(when), "at this rate the ports run out in about %llu s",
		         (unsigned long long)eta);
	else
		snprintf(when, sizeof(when), "the ports last at this rate");
	tw_warn("hint: %s%s%s:%u churns: %llu connections closed by this side in the last minute "
	        "(median lifetime <= %llu ms), %llu TIME_WAIT of %u ports, connect() p50 <= %llu us; "
	        "%s. Keep connections alive or pool them in the program; without changing it: "
	        "--close fin-reset (no TIME_WAIT on either side, the peer reads all then EOF), "
	        "--close peer-first (servers that close after each response) or --source-addrs "
	        "(more addresses, more ports). "
	        "Next hint for this destination in a minute at the earliest",
	        d->family == 6 ? "[" : "", ip, d->family == 6 ? "]" : "", d->port,
	        (unsigned long long)per_min, (unsigned long long)life, (unsigned long long)tw,
	        range_ports, (unsigned long long)conn, when);
}

void tw_hints_after_connect(struct tw_slot *s, int dest, uint64_t now_ns)
{
	uint64_t now_ms = now_ns / 1000000u, next;
	uint32_t calls;

	if (!hints_on || !s || dest < 0 || dest >= (int)TW_DESTS - 1)
		return;
	/* A load and a store, not a locked add: threads that race here lose
	 * a count or two, which only puts a look off by as many calls. */
	calls = atomic_load_explicit(&calls_since_look[dest], memory_order_relaxed) + 1;
	atomic_store_explicit(&calls_since_look[dest], calls, memory_order_relaxed);
	next = atomic_load_explicit(&next_look_ms[dest], memory_order_relaxed);
	if ((now_ms < next && calls < LOOK_EVERY) ||
	    !atomic_compare_exchange_strong(&next_look_ms[dest], &next, now_ms + 100))
		return;
	atomic_store_explicit(&calls_since_look[dest], 0, memory_order_relaxed);
	look(&s->dests[dest], now_ms);
}

const struct tw_policy tw_policy_hints = {
	.name = "hints",
	.configure = configure,
};
