// SPDX-License-Identifier: MIT
/* This process's slot in the ledger. */
#ifndef TW_SLOT_H
#define TW_SLOT_H

#include <stdint.h>

#include "twshim/ledger.h"

/* This process's slot, claimed on first use (TW_SLOT_WAIT: waiting for
 * another thread's claim). TW_SLOT_EXISTING never claims nor waits: for
 * close() and the closer, which must stay async-signal-safe. NULL without
 * a ledger, or with no slot to be had. */
enum tw_slot_mode { TW_SLOT_EXISTING = 0, TW_SLOT_WAIT = 1 };
struct tw_slot *tw_slot_acquire(enum tw_slot_mode mode);
/* s's index in the ledger, -1 for NULL. */
int tw_slot_index(const struct tw_slot *s);
void tw_slot_forget(void);  /* in a fork child: the parent's slot is not ours */
void tw_slot_exit(void);    /* at exit: mark the slot exited */

/* Claims a slot in l for a process, folding exited ones into per-command
 * aggregates when none is free (slot_claim.c). The slot's index, or -1. */
int tw_slot_claim(struct tw_ledger *l, int pid, int ppid, uint64_t start_ticks,
                  const char *comm, int64_t now_realtime_ms, uint32_t now_q);

#endif
