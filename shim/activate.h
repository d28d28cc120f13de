// SPDX-License-Identifier: MIT
/* Whether the shim acts in this process, decided once, lazily (activate.c). */
#ifndef TW_ACTIVATE_H
#define TW_ACTIVATE_H

#include <stdatomic.h>

#include "config.h"

enum tw_run_state { TW_ST_UNINIT = 0, TW_ST_ACTIVE = 1, TW_ST_INERT = 2 };

extern _Atomic int tw_run_state; /* enum tw_run_state */
extern struct tw_config tw_cfg;

/* Decides, once: 1 active, 0 inert. Other threads wait for the first. */
int tw_activate(void);
/* TWSHIM_STRICT=1, from the constructor: activates now, and returns why
 * the program must not start (a bad value), or NULL to go on. */
const char *tw_activate_strict(void);
/* In a fork child: a start under way in another thread of the parent
 * never ends here. */
void tw_activate_after_fork_child(void);

/* 1 when tracking is on. The first call (the first TCP socket) reads the
 * configuration and opens the ledger; a failure makes the shim inert. */
static inline int tw_active(void)
{
	int st = atomic_load_explicit(&tw_run_state, memory_order_acquire);

	if (st == TW_ST_ACTIVE)
		return 1;
	if (st == TW_ST_INERT)
		return 0;
	return tw_activate();
}

/* 1 when the shim is inert: even the fd table is left alone. */
static inline int tw_inert(void)
{
	return atomic_load_explicit(&tw_run_state, memory_order_relaxed) == TW_ST_INERT;
}

#endif
