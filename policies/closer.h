// SPDX-License-Identifier: MIT
/*
 * The closer: the close policy's background thread, which holds
 * connections the program has already closed until they can be closed the
 * way the policy wants (after the peer's FIN, or once unacknowledged data
 * has drained), or until the bound passes. The program's close() returns at
 * once either way. Used by close.c only.
 */
#ifndef TW_CLOSER_H
#define TW_CLOSER_H

#include <stdint.h>

#include "policy.h"

enum tw_hold_mode {
	TW_HOLD_DRAIN_RESET = 1, /* RST once SIOCOUTQ is 0; FIN if the bound passes */
	TW_HOLD_PEER_FIRST = 2,  /* close after the peer's FIN; fallback when the bound passes */
};

struct tw_closer_config {
	uint64_t wait_ns;        /* TWSHIM_CLOSE_WAIT_MS */
	int fallback_reset;      /* TWSHIM_CLOSE_FALLBACK=reset */
	int max_held;            /* TWSHIM_CLOSE_HOLD_MAX */
};

extern struct tw_closer_config tw_closer_cfg;
extern int tw_closer_wanted; /* a close policy that holds is on: start the thread early */

/* Starts the thread if it is not running. Not from close(), nor from a
 * signal handler: the close policy calls it after connect() and accept(). */
void tw_closer_start(void);

/* Hands c's connection over (c->fd itself stays the caller's to close);
 * c->ended is called once it really ends. Async-signal-safe. Returns 0, or
 * -1 (not running, full, no channel): then the caller falls back at once. */
int tw_closer_take(const struct tw_close_ctx *c, enum tw_hold_mode mode);

void tw_closer_after_fork_child(void);
void tw_closer_drain_at_exit(void);

#endif
