// SPDX-License-Identifier: MIT
/*
 * Giving each process a slot of its own, and keeping what exited processes
 * left behind while their TIME_WAIT lasts.
 *
 * A slot whose process is gone stays as it is while there are free slots: a
 * shell loop running `curl` 1,000 times a minute must show all 1,000
 * connections. When no slot is free, the exited slot holding the least
 * TIME_WAIT is folded into the aggregate slot of its command (the last
 * TW_AGG_SLOTS slots, one per command name, the very last for all names)
 * and so made free; only if every process still runs does a new one join
 * its command's aggregate directly. Either way nothing counted is lost, and
 * `twshim stat` shows the aggregate and how many processes it holds.
 *
 * Every transition is a compare-and-swap on the slot state, so processes
 * racing for slots never share one, and no lock is held across processes
 * (a process killed mid-claim would hold it forever).
 */
#include <errno.h>
#include <string.h>

#include "count.h"
#include "real.h"
#include "slot.h"
#include "twshim/proc.h"

#define PLAIN_SLOTS (TW_SLOTS - TW_AGG_SLOTS)

static int cas_state(struct tw_slot *s, uint32_t from, uint32_t to)
{
	return atomic_compare_exchange_strong(&s->state, &from, to);
}

static void slot_reset(struct tw_slot *s)
{
	/* Zero everything but the state word, which we hold as CLAIMING. */
	memset((char *)s + sizeof(s->state), 0, sizeof(*s) - sizeof(s->state));
	s->dests[TW_DESTS - 1].kind = TW_DEST_REST;
	atomic_store_explicit(&s->dests[TW_DESTS - 1].state, TW_DEST_READY,
	                      memory_order_relaxed);
}

static void slot_fill(struct tw_slot *s, uint32_t gen, int pid, int ppid, uint64_t ticks,
                      const char *comm, int64_t now_ms)
{
	slot_reset(s);
	atomic_store_explicit(&s->generation, gen + 1, memory_order_relaxed);
	s->pid = pid;
	s->ppid = ppid;
	s->start_ticks = ticks;
	s->start_realtime_ms = now_ms;
	strncpy(s->comm, comm, TW_COMM_LEN - 1);
	s->comm[TW_COMM_LEN - 1] = '\0';
}

static int process_gone(const struct tw_slot *s)
{
	return !tw_proc_alive(s->pid, s->start_ticks, tw_real.close);
}

/* The aggregate slot for comm, made if needed; the last slot takes all
 * commands once the aggregate slots run out. */
static struct tw_slot *aggregate_for(struct tw_ledger *l, const char *comm, int64_t now_ms)
{
	for (unsigned i = PLAIN_SLOTS; i < TW_SLOTS - 1; i++) {
		struct tw_slot *s = &l->slots[i];
		uint32_t st = atomic_load(&s->state);

		if (st == TW_SLOT_AGGREGATE && strncmp(s->comm, comm, TW_COMM_LEN) == 0)
			return s;
		if (st == TW_SLOT_FREE && cas_state(s, TW_SLOT_FREE, TW_SLOT_CLAIMING)) {
			slot_fill(s, atomic_load(&s->generation), 0, 0, 0, comm, now_ms);
			atomic_store_explicit(&s->state, TW_SLOT_AGGREGATE, memory_order_release);
			return s;
		}
	}
	struct tw_slot *all = &l->slots[TW_SLOTS - 1];
	if (cas_state(all, TW_SLOT_FREE, TW_SLOT_CLAIMING)) {
		slot_fill(all, atomic_load(&all->generation), 0, 0, 0, "*", now_ms);
		atomic_store_explicit(&all->state, TW_SLOT_AGGREGATE, memory_order_release);
	}
	/* Another process may be filling it in (a few stores): wait for that,
	 * boundedly, so that what we count is not zeroed after us. */
	for (int spin = 0; spin < 100000 && atomic_load(&all->state) == TW_SLOT_CLAIMING; spin++)
		;
	return all;
}

/* Moves the content of s (held as CLAIMING) into its command's aggregate. */
static void fold(struct tw_ledger *l, struct tw_slot *s, int64_t now_ms, uint32_t now_q)
{
	struct tw_slot *agg = aggregate_for(l, s->comm, now_ms);

	tw_counters_fold(&agg->total, &s->total, now_q);
	for (unsigned i = 0; i < TW_DESTS; i++) {
		struct tw_dest *d = &s->dests[i];
		struct tw_addr key;
		int di;

		if (atomic_load(&d->state) != TW_DEST_READY)
			continue;
		if (d->kind == TW_DEST_REST) {
			di = TW_DESTS - 1;
		} else {
			memset(&key, 0, sizeof(key));
			key.family = d->family;
			key.port = d->port;
			memcpy(key.addr, d->addr, 16);
			di = tw_dest_find(agg, d->kind, &key);
		}
		tw_counters_fold(&agg->dests[di].c, &d->c, now_q);
	}
	atomic_fetch_add(&agg->dest_overflow, atomic_load(&s->dest_overflow));
	atomic_fetch_add(&agg->merged_procs, 1 + atomic_load(&s->merged_procs));
	atomic_fetch_add(&l->h.slots_folded, 1);
}

/* Takes s from state st if it is still the slot we judged (generation gen);
 * gives it back untouched otherwise. */
static int win(struct tw_slot *s, uint32_t st, uint32_t gen)
{
	if (!cas_state(s, st, TW_SLOT_CLAIMING))
		return 0;
	if (atomic_load(&s->generation) != gen) {
		atomic_store(&s->state, st);
		return 0;
	}
	return 1;
}

static int take(struct tw_slot *s, int pid, int ppid, uint64_t ticks, const char *comm,
                int64_t now_ms)
{
	slot_fill(s, atomic_load(&s->generation), pid, ppid, ticks, comm, now_ms);
	atomic_store_explicit(&s->state, TW_SLOT_LIVE, memory_order_release);
	return 0;
}

int tw_slot_claim(struct tw_ledger *l, int pid, int ppid, uint64_t ticks, const char *comm,
                  int64_t now_ms, uint32_t now_q)
{
	struct tw_slot *best = NULL;
	uint64_t best_tw = UINT64_MAX;
	uint32_t best_gen = 0, best_st = 0;

	/* A live slot with our pid and start time was written by this very
	 * process before it called execve(): that image is gone. */
	for (unsigned i = 0; i < PLAIN_SLOTS; i++) {
		struct tw_slot *s = &l->slots[i];
		if (atomic_load(&s->state) == TW_SLOT_LIVE && s->pid == pid &&
		    s->start_ticks == ticks) {
			atomic_store(&s->exit_realtime_ms, now_ms);
			cas_state(s, TW_SLOT_LIVE, TW_SLOT_EXITED);
		}
	}
	atomic_fetch_add(&l->h.slot_claims, 1);

	/* 1. A slot never used. */
	for (unsigned i = 0; i < PLAIN_SLOTS; i++) {
		struct tw_slot *s = &l->slots[i];
		if (atomic_load(&s->state) == TW_SLOT_FREE &&
		    cas_state(s, TW_SLOT_FREE, TW_SLOT_CLAIMING))
			return take(s, pid, ppid, ticks, comm, now_ms), (int)i;
	}
	/* 2. The slot of a process that is gone, the one holding the least
	 *    TIME_WAIT, folded into its command's aggregate first: what it
	 *    counted stays (a reset policy leaves no TIME_WAIT, yet its resets
	 *    must still add up). The generation is read before judging:
	 *    another process may claim the slot while we read /proc, and win
	 *    it back to LIVE (the same state value); a changed generation
	 *    after our CAS says so. */
	for (unsigned i = 0; i < PLAIN_SLOTS; i++) {
		struct tw_slot *s = &l->slots[i];
		uint32_t gen = atomic_load(&s->generation);
		uint32_t st = atomic_load(&s->state);
		uint64_t tw;

		if (st != TW_SLOT_EXITED && !(st == TW_SLOT_LIVE && process_gone(s)))
			continue;
		tw = tw_window_sum(s->total.tw_window, now_q);
		if (tw < best_tw) {
			best = s;
			best_tw = tw;
			best_gen = gen;
			best_st = st;
		}
		if (tw == 0)
			break;
	}
	if (best && win(best, best_st, best_gen)) {
		fold(l, best, now_ms, now_q);
		return take(best, pid, ppid, ticks, comm, now_ms), (int)(best - l->slots);
	}
	/* 4. Every slot belongs to a running process: join our command's aggregate. */
	atomic_fetch_add(&l->h.attach_overflow, 1);
	struct tw_slot *agg = aggregate_for(l, comm, now_ms);
	atomic_fetch_add(&agg->merged_procs, 1);
	return (int)(agg - l->slots);
}
