// SPDX-License-Identifier: MIT
/*
 * Pooling hints (TWSHIM_HINTS, on unless 0): when a destination churns
 * (many connections, short lives, this side closing first), one hint per
 * destination per minute, to the ledger, where `twshim stat` and `top`
 * show it: the rate, the median lifetime, TIME_WAIT now, the ports, when
 * they run out at this rate (or that they are out now), the connect()
 * latency trend, and what to do about it, never a policy that is on
 * already. To the log too, at level info: a service's stderr (cron mail,
 * a log parser) gets none unless it asks, with TWSHIM_HINTS=log, which
 * `twshim run` sets when its stderr is a terminal.
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

#include "policy.h"

#define MIN_TIME_WAIT 100u   /* below this, nothing worth saying */
#define LOOK_EVERY 64u       /* connect() calls that bring a look forward */

static int hints_log;
static unsigned range_ports = 28232; /* the default 32768-60999 */
static _Atomic uint64_t next_look_ms[TW_DESTS];
static _Atomic uint32_t calls_since_look[TW_DESTS];
/* EADDRNOTAVAIL counted at the look before, per destination. */
static _Atomic uint64_t eaddr_seen[TW_DESTS];

static int configure(tw_getenv_fn get, char *err, size_t errlen)
{
	const char *v = get("TWSHIM_HINTS");
	char buf[64], *end, *p;
	unsigned lo, hi;
	int hints_on = 1;

	hints_log = v && strcmp(v, "log") == 0;
	if (!hints_log && tw_parse_switch("TWSHIM_HINTS", v, 1, &hints_on, err, errlen) < 0) {
		snprintf(err, errlen, "TWSHIM_HINTS='%s' is not a choice: expected '1' (hints in the "
		         "ledger, the log at level info), 'log' (and the log as a warning) or '0' "
		         "(none)", v);
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
static __attribute__((noinline)) void look(struct tw_dest *d, uint64_t now_ms, int out_now,
                                           unsigned covered)
{
	uint64_t tw, recent, per_min;
	uint64_t hist[TW_HIST_BUCKETS], life, conn, eta = 0;
	uint32_t q = tw_quantum(now_ms);
	char ip[INET6_ADDRSTRLEN] = "?", when[96], fix[320];
	int64_t real_ms;
	int close_on, sources_on;

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

	close_on = (covered & TW_HINT_CLOSE_ON) != 0;
	sources_on = (covered & TW_HINT_SOURCES_ON) != 0;
	tw_note_hint(d, &(struct tw_hint_note){
		.at_ms = real_ms,
		.advice = (eta || out_now ? TW_ADVICE_URGENT : TW_ADVICE_POOL) |
		          (out_now ? TW_HINT_OUT_NOW : 0) |
		          (covered & (TW_HINT_CLOSE_ON | TW_HINT_SOURCES_ON)),
		.per_min = (uint32_t)per_min,
		.time_wait = (uint32_t)tw,
		.ports = range_ports,
		.eta_s = (uint32_t)eta,
		.lifetime_p50_ms = (uint32_t)life,
		.connect_p50_us = (uint32_t)conn,
	});

	inet_ntop(d->family == 4 ? AF_INET : AF_INET6, d->addr, ip, sizeof(ip));
	if (out_now)
		snprintf(when, sizeof(when), "out of ports now: connect() fails with EADDRNOTAVAIL");
	else if (eta)
		snprintf(when, sizeof(when), "at this rate the ports run out in about %llu s",
		         (unsigned long long)eta);
	else
		snprintf(when, sizeof(when), "the ports last at this rate");
	/* What to do without changing the program: what is not on already. */
	if (close_on && sources_on)
		snprintf(fix, sizeof(fix), "the close policy and --source-addrs are on already: widen "
		         "net.ipv4.ip_local_port_range, or add source addresses");
	else if (close_on)
		snprintf(fix, sizeof(fix), "a close policy is on already (these closes came too late "
		         "for it: the peer's FIN first): --source-addrs (more addresses, more ports)");
	else if (sources_on)
		snprintf(fix, sizeof(fix), "--close fin-reset (no TIME_WAIT on either side, the peer "
		         "reads all then EOF) or --close peer-first (servers that close after each "
		         "response); --source-addrs is on already");
	else
		snprintf(fix, sizeof(fix), "--close fin-reset (no TIME_WAIT on either side, the peer "
		         "reads all then EOF), --close peer-first (servers that close after each "
		         "response) or --source-addrs (more addresses, more ports)");
	tw_log(hints_log ? TW_LOG_WARN : TW_LOG_INFO,
	       "hint: %s%s%s:%u churns: %llu connections closed by this side in the last minute "
	       "(median lifetime <= %llu ms), %llu TIME_WAIT of %u ports, connect() p50 <= %llu us; "
	       "%s. Keep connections alive or pool them in the program; without changing it: %s. "
	       "Next hint for this destination in a minute at the earliest",
	       d->family == 6 ? "[" : "", ip, d->family == 6 ? "]" : "", d->port,
	       (unsigned long long)per_min, (unsigned long long)life, (unsigned long long)tw,
	       range_ports, (unsigned long long)conn, when, fix);
}

/* After each connect() that took a port or failed for want of one. */
static void after_connect(struct tw_connect_ctx *c)
{
	struct tw_slot *s = c->slot;
	int dest = c->dest;
	uint64_t now_ms = c->done_ns / 1000000u, next, eaddr, seen;
	uint32_t calls;

	if (!s || dest < 0 || dest >= (int)TW_DESTS - 1)
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
	/* Out of ports now: EADDRNOTAVAIL counted since the look before. */
	eaddr = atomic_load_explicit(&s->dests[dest].c.connect_errors[TW_ERR_EADDRNOTAVAIL],
	                             memory_order_relaxed);
	seen = atomic_exchange_explicit(&eaddr_seen[dest], eaddr, memory_order_relaxed);
	look(&s->dests[dest], now_ms, eaddr > seen, c->covered);
}

const struct tw_policy tw_policy_hints = {
	.name = "hints",
	.configure = configure,
	.after_connect = after_connect,
};
