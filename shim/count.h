// SPDX-License-Identifier: MIT
/*
 * Counting into a slot of the ledger: each call adds to the slot's totals
 * and, for dest >= 0, to that destination's. Async-signal-safe: relaxed
 * atomic adds, no lock.
 */
#ifndef TW_COUNT_H
#define TW_COUNT_H

#include <stdint.h>

#include "fdtable.h"
#include "twshim/ledger.h"

/* How a connection closed, from the kernel's state just before close(). */
enum tw_close_class {
	TW_CLOSE_ACTIVE,   /* first FIN from us: TIME_WAIT here */
	TW_CLOSE_PASSIVE,  /* the peer's FIN came first: TIME_WAIT there */
	TW_CLOSE_RESET,    /* RST: no TIME_WAIT */
	TW_CLOSE_OTHER,    /* never established, failed, or not observable */
};

/* The destination entry for a key (see tw_dest_key), claimed if new;
 * TW_DESTS-1 (all others) when the table is full. */
int tw_dest_find(struct tw_slot *s, uint8_t kind, const struct tw_addr *key);
/* The key of an address: IPv4-mapped IPv6 becomes IPv4. */
void tw_dest_key(struct tw_addr *key, const struct tw_addr *a);

/* A connect() ended: err 0 connected, > 0 failed with that errno, < 0 in
 * progress (only the call's duration counts now); call_us UINT64_MAX: no
 * duration to record (an outcome seen later). */
void tw_count_connect(struct tw_slot *s, int dest, int err, uint64_t call_us);
void tw_count_accept(struct tw_slot *s, int dest);
void tw_count_bind(struct tw_slot *s);
/* What a policy did. s may be NULL (no ledger): nothing is counted. */
void tw_count_action(struct tw_slot *s, int dest, enum tw_act act);
/* Connections open now: +1 as one is made, -1 as it ends. */
void tw_count_open(struct tw_slot *s, int dest, int delta);
/* Adds one close of class cls, of a connection that lived lifetime_ms. */
void tw_count_close_class(struct tw_slot *s, int dest, enum tw_close_class cls,
                          uint64_t lifetime_ms, uint64_t now_ms);
/* Adds src's counters into dst (folding an exited process's slot). */
void tw_counters_fold(struct tw_counters *dst, const struct tw_counters *src, uint32_t now_q);

/* A pooling hint for a destination, as policies/hints.c words it: its
 * figures, written into the destination's struct tw_hint (the figure of
 * the previous hint kept as the trend), its time last, so that a reader
 * that sees the time sees the rest. */
struct tw_hint_note {
	int64_t at_ms;              /* CLOCK_REALTIME */
	uint32_t advice;            /* enum tw_advice | TW_HINT_* */
	uint32_t per_min, time_wait, ports, eta_s, lifetime_p50_ms, connect_p50_us;
};
void tw_note_hint(struct tw_dest *d, const struct tw_hint_note *n);

/* 1 for the first close to claim this socket cookie, 0 for any later one
 * (a socket shared between processes is counted once). */
int tw_cookie_first(uint64_t cookie);

/* When the oldest of the slot's TIME_WAIT toward dest ends, as ns from
 * now_ns; 0 when the ledger knows of none (retry.c waits for it). */
uint64_t tw_time_wait_next_free_ns(const struct tw_slot *s, int dest, uint64_t now_ns);

#endif
