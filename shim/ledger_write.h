// SPDX-License-Identifier: MIT
/* The shim's side of the ledger: mapping it, owning a slot, counting. */
#ifndef TW_LEDGER_WRITE_H
#define TW_LEDGER_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "fdtable.h"
#include "twshim/ledger.h"

/* NULL when the ledger is off (TWSHIM_SHM=off) or could not be opened. */
extern struct tw_ledger *tw_ledger;

/* The cursor that every process spreading over ports lo-hi shares (the
 * ledger's spread table); NULL without a ledger or when the table is full. */
_Atomic uint32_t *tw_spread_cursor(unsigned lo, unsigned hi);

/* Maps (creating if needed) the segment. Returns 0, or one of these with
 * one line in err naming the segment and what is wrong with it. */
enum {
	/* Not to be had for reasons others control: the name taken by another
	 * user or by something not a regular file, /dev/shm full, a limit. */
	TW_LEDGER_UNAVAILABLE = -1,
	/* A segment of this user's that cannot be used (mode, size, layout):
	 * only this user or root can have made it so. */
	TW_LEDGER_UNUSABLE = -2,
};
int tw_ledger_open(const char *name, char *err, size_t errlen);

/* This process's slot, claimed on first use (TW_SLOT_WAIT: waiting for
 * another thread's claim). TW_SLOT_EXISTING never claims nor waits: for
 * close() and the closer, which must stay async-signal-safe. */
enum { TW_SLOT_EXISTING = 0, TW_SLOT_WAIT = 1 };
struct tw_slot *tw_slot_acquire(int mode);
int tw_slot_index(const struct tw_slot *s);
/* 1 for the first close to claim this socket cookie, 0 for any later one. */
int tw_cookie_first(uint64_t cookie);
void tw_slot_forget(void);  /* in a fork child: the parent's slot is not ours */
void tw_slot_exit(void);    /* at exit: mark the slot exited */

/* Claiming; folding exited slots into per-command aggregates (slot_claim.c). */
int tw_slot_claim(struct tw_ledger *l, int pid, int ppid, uint64_t start_ticks,
                  const char *comm, int64_t now_realtime_ms, uint32_t now_q);

/* The destination entry for a key (see tw_dest_key), claimed if new;
 * TW_DESTS-1 (all others) when the table is full. */
int tw_dest_find(struct tw_slot *s, uint8_t kind, const struct tw_addr *key);
/* The key of an address: IPv4-mapped IPv6 becomes IPv4. */
void tw_dest_key(struct tw_addr *key, const struct tw_addr *a);

enum tw_close_class {
	TW_CLOSE_ACTIVE,   /* first FIN from us: TIME_WAIT here */
	TW_CLOSE_PASSIVE,  /* the peer's FIN came first: TIME_WAIT there */
	TW_CLOSE_RESET,    /* RST: no TIME_WAIT */
	TW_CLOSE_OTHER,    /* never established, failed, or not observable */
};

/* Counting: each updates the slot's totals and the destination's. */
void tw_count_connect(struct tw_slot *s, int dest, int err, uint64_t call_us);
void tw_count_accept(struct tw_slot *s, int dest);
void tw_count_bind(struct tw_slot *s);
void tw_count_action(struct tw_slot *s, int dest, enum tw_act act);
void tw_count_open(struct tw_slot *s, int dest, int delta);
void tw_count_close(struct tw_slot *s, int dest, enum tw_close_class cls,
                    uint64_t lifetime_ms, uint64_t now_ms);
void tw_counters_fold(struct tw_counters *dst, const struct tw_counters *src, uint32_t now_q);

uint64_t tw_now_ns(void);
int64_t tw_realtime_ms(void);

#endif
