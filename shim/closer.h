// SPDX-License-Identifier: MIT
/*
 * The closer: one background thread that holds connections the program has
 * already closed, until they can be closed the way a policy wants (after
 * the peer's FIN, or once unacknowledged data has drained), or until the
 * bound passes. The program's close() returns at once either way.
 */
#ifndef TW_CLOSER_H
#define TW_CLOSER_H

#include <stdint.h>

#include "fdtable.h"
#include "ledger_write.h"

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
extern int tw_closer_wanted; /* a close policy is on: start the thread early */

/* Starts the thread if it is not running. Not from close(), nor from a
 * signal handler: the shim calls it on connect() and accept(). */
void tw_closer_start(void);

/* Hands fd's connection over (fd itself stays the caller's to close).
 * Async-signal-safe. Returns 0, or -1 (not running, full, no fd): then the
 * caller falls back at once. */
int tw_closer_take(int fd, enum tw_hold_mode mode, const struct tw_fd *v);

/* Bytes sent on fd and not yet acknowledged (SIOCOUTQ); -1 if unknown.
 * Async-signal-safe. */
int tw_unacked(int fd);

/* Moves ours off fd (dup2/dup3 onto it). Returns 0, or -1: then it is gone. */
int tw_closer_evict(int fd);

void tw_closer_after_fork_child(void);
void tw_closer_drain_at_exit(void);

/* Counts the end of a held connection (closer.c, close.c). */
void tw_closer_count(const struct tw_fd *v, enum tw_close_class cls, int act);

#endif
