// SPDX-License-Identifier: MIT
/*
 * TWSHIM_RETRY_MS=N: bounded retry when connect() finds no local port
 * (EADDRNOTAVAIL) or an explicit bind collides (EADDRINUSE).
 *
 * First another configured source address (TWSHIM_SOURCE_ADDRS), at once.
 * Then, for blocking sockets only, wait and try again: the wait is until
 * this process's oldest TIME_WAIT toward the destination ends, or a backoff
 * from 10 ms doubling to 250 ms where the ledger has none (other programs
 * made them), never past N ms from the first attempt. A non-blocking socket
 * never sleeps: its program has an event loop that must not stall.
 * One log line per destination per minute says that it is happening.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy.h"

static uint64_t budget_ns;
static _Atomic uint64_t logged_ms[TW_DESTS]; /* last log line per destination entry */

static int configure(tw_getenv_fn get, char *err, size_t errlen)
{
	const char *v = get("TWSHIM_RETRY_MS");
	const char *end;
	unsigned long ms;

	budget_ns = 0;
	if (!v || !*v)
		return 0;
	if (tw_parse_uint(v, &end, 600000, &ms) < 0 || *end != '\0') {
		snprintf(err, errlen, "TWSHIM_RETRY_MS='%s' is not a bound: expected milliseconds, "
		         "1 to 600000 (0: off)", v);
		return -1;
	}
	budget_ns = (uint64_t)ms * 1000000u;
	return ms > 0;
}

static void say_once_a_minute(const struct tw_connect_ctx *c, uint64_t now_ns)
{
	int d = c->dest >= 0 ? c->dest : (int)TW_DESTS - 1;
	uint64_t now_ms = now_ns / 1000000u, last = atomic_load(&logged_ms[d]);
	char ip[INET6_ADDRSTRLEN] = "?";

	if (last && now_ms - last < 60000)
		return;
	if (!atomic_compare_exchange_strong(&logged_ms[d], &last, now_ms))
		return;
	inet_ntop(c->key.family == 4 ? AF_INET : AF_INET6, c->key.addr, ip, sizeof(ip));
	tw_warn("connect to %s%s%s:%u: %s; retrying for up to %llu ms (TWSHIM_RETRY_MS)",
	        c->key.family == 6 ? "[" : "", ip, c->key.family == 6 ? "]" : "", c->key.port,
	        c->err == EADDRNOTAVAIL ? "no local port left (EADDRNOTAVAIL)"
	                                : "source address and port in use (EADDRINUSE)",
	        (unsigned long long)(budget_ns / 1000000u));
}

static int retry_connect(struct tw_connect_ctx *c)
{
	static uint64_t backoff_cap = 250u * 1000000u;
	uint64_t now = tw_now_ns(), left, wait, backoff = 10u * 1000000u;
	struct timespec ts;

	if (!budget_ns || (c->err != EADDRNOTAVAIL && c->err != EADDRINUSE))
		return 0;
	/* Said only when it retries: a non-blocking socket with no other
	 * source to try gets its error at once (regression: "retrying" was
	 * logged for it all the same). */
	if (c->other_source && c->other_source(c)) {
		say_once_a_minute(c, now);
		goto again;
	}
	if (!tw_connect_blocking(c) || now - c->started_ns >= budget_ns)
		return 0;
	say_once_a_minute(c, now);
	left = budget_ns - (now - c->started_ns);
	/* Attempts so far set the backoff: 10 ms, doubled each time, capped. */
	for (uint64_t t = c->started_ns; t + backoff < now && backoff < backoff_cap; t += backoff)
		backoff *= 2;
	if (backoff > backoff_cap)
		backoff = backoff_cap;
	wait = tw_time_wait_next_free_ns(c->slot, c->dest, now);
	if (wait == 0 || wait > backoff)
		wait = backoff;
	if (wait > left)
		wait = left;
	ts.tv_sec = (time_t)(wait / 1000000000u);
	ts.tv_nsec = (long)(wait % 1000000000u);
	/* A signal ends the retrying: the program may count on EINTR-less
	 * timeouts of its own (alarm), and it gets the failure it would have. */
	if (nanosleep(&ts, NULL) < 0)
		return 0;
again:
	tw_count_action(c->slot, c->dest, TW_ACT_RETRY);
	return 1;
}

const struct tw_policy tw_policy_retry = {
	.name = "retry",
	.configure = configure,
	.retry_connect = retry_connect,
};
