// SPDX-License-Identifier: MIT
/*
 * Counting into the ledger: a slot's totals and its destinations'.
 *
 * Every update after a slot is published is a relaxed atomic add: the
 * counters are independent, readers tolerate a snapshot that is a few
 * events apart between fields, and no lock is ever taken, so counting is
 * safe from close() and from signal handlers.
 */
#include "count.h"

#include <errno.h>
#include <string.h>

#include "segment.h"

int tw_cookie_first(uint64_t cookie)
{
	_Atomic uint64_t *c;
	uint64_t old;

	/* Fibonacci hashing: the product's top 10 bits index the table. */
	_Static_assert(TW_COOKIES == 1u << 10, "the hash below takes 10 bits");
	if (!tw_ledger || cookie == 0)
		return 1;
	c = &tw_ledger->counted_cookies[(cookie * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - 10)];
	old = atomic_load(c);
	do {
		if (old == cookie)
			return 0;
	} while (!atomic_compare_exchange_weak(c, &old, cookie));
	return 1;
}

void tw_dest_key(struct tw_addr *key, const struct tw_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(key, 0, sizeof(*key));
	key->port = a->port;
	if (a->family == 6 && memcmp(a->addr, mapped, 12) == 0) {
		key->family = 4;
		memcpy(key->addr, a->addr + 12, 4);
	} else {
		key->family = a->family;
		memcpy(key->addr, a->addr, a->family == 4 ? 4 : 16);
	}
}

static int dest_matches(const struct tw_dest *d, uint8_t kind, const struct tw_addr *key)
{
	return d->kind == kind && d->family == key->family && d->port == key->port &&
	       memcmp(d->addr, key->addr, 16) == 0;
}

int tw_dest_find(struct tw_slot *s, uint8_t kind, const struct tw_addr *key)
{
	for (unsigned i = 0; i < TW_DESTS - 1; i++) {
		struct tw_dest *d = &s->dests[i];
		uint32_t st = atomic_load_explicit(&d->state, memory_order_acquire);

		if (st == TW_DEST_FREE) {
			uint32_t expected = TW_DEST_FREE;
			if (atomic_compare_exchange_strong(&d->state, &expected, TW_DEST_CLAIMING)) {
				d->kind = kind;
				d->family = key->family;
				d->port = key->port;
				memcpy(d->addr, key->addr, 16);
				atomic_store_explicit(&d->state, TW_DEST_READY, memory_order_release);
				return (int)i;
			}
			st = expected;
		}
		/* Another thread is filling this entry in: a few stores. Bounded,
		 * because that thread may be the one this signal handler interrupted. */
		for (int spin = 0; st == TW_DEST_CLAIMING && spin < 1000; spin++)
			st = atomic_load_explicit(&d->state, memory_order_acquire);
		if (st == TW_DEST_READY && dest_matches(d, kind, key))
			return (int)i;
	}
	atomic_fetch_add_explicit(&s->dest_overflow, 1, memory_order_relaxed);
	return TW_DESTS - 1;
}

#define ADD(field, n) atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)

static enum tw_err err_index(int err)
{
	switch (err) {
	case EADDRNOTAVAIL: return TW_ERR_EADDRNOTAVAIL;
	case EADDRINUSE: return TW_ERR_EADDRINUSE;
	case ECONNREFUSED: return TW_ERR_ECONNREFUSED;
	case ETIMEDOUT: return TW_ERR_ETIMEDOUT;
	case ENETUNREACH: return TW_ERR_ENETUNREACH;
	case EHOSTUNREACH: return TW_ERR_EHOSTUNREACH;
	case ECONNRESET: return TW_ERR_ECONNRESET;
	default: return TW_ERR_OTHER;
	}
}

static void count_connect(struct tw_counters *c, int err, uint64_t call_us)
{
	if (err == 0)
		ADD(c->connects, 1);
	else if (err > 0)
		ADD(c->connect_errors[err_index(err)], 1);
	if (call_us != UINT64_MAX) {
		ADD(c->connect_us_sum, call_us);
		ADD(c->connect_us_hist[tw_hist_bucket(call_us)], 1);
	}
}

/* err 0: connected; > 0: failed with that errno; < 0: in progress (only
 * the call's duration counts now). call_us UINT64_MAX: no duration to
 * record (a non-blocking connect whose outcome was seen later). */
void tw_count_connect(struct tw_slot *s, int dest, int err, uint64_t call_us)
{
	count_connect(&s->total, err, call_us);
	if (dest >= 0)
		count_connect(&s->dests[dest].c, err, call_us);
}

void tw_count_accept(struct tw_slot *s, int dest)
{
	ADD(s->total.accepts, 1);
	if (dest >= 0)
		ADD(s->dests[dest].c.accepts, 1);
}

void tw_count_action(struct tw_slot *s, int dest, enum tw_act act)
{
	if (!s)
		return;
	ADD(s->total.actions[act], 1);
	if (dest >= 0)
		ADD(s->dests[dest].c.actions[act], 1);
}

void tw_count_bind(struct tw_slot *s)
{
	ADD(s->total.binds, 1);
}

void tw_count_open(struct tw_slot *s, int dest, int delta)
{
	ADD(s->total.open_now, delta);
	if (dest >= 0)
		ADD(s->dests[dest].c.open_now, delta);
}

static void count_close(struct tw_counters *c, enum tw_close_class cls, uint64_t lifetime_ms,
                        uint32_t q)
{
	switch (cls) {
	case TW_CLOSE_ACTIVE:
		ADD(c->active_closes, 1);
		tw_window_add(c->tw_window, q, 1);
		break;
	case TW_CLOSE_PASSIVE:
		ADD(c->passive_closes, 1);
		break;
	case TW_CLOSE_RESET:
		ADD(c->reset_closes, 1);
		break;
	case TW_CLOSE_OTHER:
		ADD(c->other_closes, 1);
		return;
	}
	ADD(c->lifetime_ms_hist[tw_hist_bucket(lifetime_ms)], 1);
}

void tw_count_close_class(struct tw_slot *s, int dest, enum tw_close_class cls,
                          uint64_t lifetime_ms, uint64_t now_ms)
{
	uint32_t q = tw_quantum(now_ms);

	count_close(&s->total, cls, lifetime_ms, q);
	if (dest >= 0)
		count_close(&s->dests[dest].c, cls, lifetime_ms, q);
}

/* Adds src into dst; open_now is not carried (src's process is gone, and
 * the kernel closed whatever it held). */
void tw_counters_fold(struct tw_counters *dst, const struct tw_counters *src, uint32_t now_q)
{
	ADD(dst->connects, atomic_load(&src->connects));
	for (unsigned i = 0; i < TW_ERR_COUNT; i++)
		ADD(dst->connect_errors[i], atomic_load(&src->connect_errors[i]));
	ADD(dst->accepts, atomic_load(&src->accepts));
	ADD(dst->binds, atomic_load(&src->binds));
	ADD(dst->active_closes, atomic_load(&src->active_closes));
	ADD(dst->passive_closes, atomic_load(&src->passive_closes));
	ADD(dst->reset_closes, atomic_load(&src->reset_closes));
	ADD(dst->other_closes, atomic_load(&src->other_closes));
	ADD(dst->connect_us_sum, atomic_load(&src->connect_us_sum));
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++) {
		ADD(dst->lifetime_ms_hist[i], atomic_load(&src->lifetime_ms_hist[i]));
		ADD(dst->connect_us_hist[i], atomic_load(&src->connect_us_hist[i]));
	}
	for (unsigned i = 0; i < TW_ACT_COUNT; i++)
		ADD(dst->actions[i], atomic_load(&src->actions[i]));
	for (unsigned i = 0; i < TW_WIN_BUCKETS; i++) {
		uint64_t v = atomic_load(&src->tw_window[i]);
		uint32_t bq = (uint32_t)(v >> 32);
		if ((uint32_t)v && bq <= now_q && now_q - bq < TW_WIN_SPAN)
			tw_window_add(dst->tw_window, bq, (uint32_t)v);
	}
}

uint64_t tw_time_wait_next_free_ns(const struct tw_slot *s, int dest, uint64_t now_ns)
{
	const _Atomic uint64_t *win;
	uint32_t now = tw_quantum(now_ns / 1000000u), oldest = UINT32_MAX;

	if (!s || dest < 0)
		return 0;
	win = s->dests[dest].c.tw_window;
	for (unsigned i = 0; i < TW_WIN_BUCKETS; i++) {
		uint64_t v = atomic_load(&win[i]);
		uint32_t bq = (uint32_t)(v >> 32);
		if ((uint32_t)v && bq <= now && now - bq < TW_WIN_SPAN && bq < oldest)
			oldest = bq;
	}
	if (oldest == UINT32_MAX)
		return 0;
	return ((uint64_t)(oldest + TW_WIN_SPAN) * TW_WIN_QUANTUM_MS) * 1000000u - now_ns;
}

void tw_note_hint(struct tw_dest *d, const struct tw_hint_note *n)
{
	struct tw_hint *h = &d->hint;

	atomic_store(&h->connect_p50_us_before, atomic_load(&h->connect_p50_us));
	atomic_store(&h->advice, n->advice);
	atomic_store(&h->per_min, n->per_min);
	atomic_store(&h->time_wait, n->time_wait);
	atomic_store(&h->ports, n->ports);
	atomic_store(&h->eta_s, n->eta_s);
	atomic_store(&h->lifetime_p50_ms, n->lifetime_p50_ms);
	atomic_store(&h->connect_p50_us, n->connect_p50_us);
	atomic_store_explicit(&h->at_ms, n->at_ms, memory_order_release);
}
