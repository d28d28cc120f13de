// SPDX-License-Identifier: MIT
/* Whether the shim acts in this process, decided once, lazily. */
#ifndef TW_INIT_H
#define TW_INIT_H

#include <stdatomic.h>

#include "config.h"

enum tw_run_state { TW_ST_UNINIT = 0, TW_ST_ACTIVE = 1, TW_ST_INERT = 2 };

extern _Atomic int tw_run_state;
extern struct tw_config tw_cfg;

int tw_activate(void);

/* For the vfork wrapper (wrappers.c): around its system call. */
void tw_vfork_prepare(void);
long tw_vfork_after(long rc);

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

/* 0 when the shim is inert: even the fd table is left alone. */
static inline int tw_inert(void)
{
	return atomic_load_explicit(&tw_run_state, memory_order_relaxed) == TW_ST_INERT;
}

#endif
