// SPDX-License-Identifier: MIT
/*
 * Connections handed on: this process closed its copy of a socket while
 * another process still held it (a forking server's parent, after fork, or
 * a child that closes first). Whoever holds the last reference may end it
 * unseen: a child that exits without close(), a backend that _exit()s.
 * The connection is remembered here, and the kernel is asked later whether
 * it has ended and how (shim/diag.c); it is counted then, once, in the
 * slot where it was counted as open, unless a holder's own close() counted
 * it first (the socket's cookie decides, tw_cookie_first()).
 */
#ifndef TW_HANDED_H
#define TW_HANDED_H

#include <stdint.h>

#include "fdtable.h"

/* Remember v (exact 4-tuple, counted in v->slot), its SO_COOKIE, and the
 * close policy's action already set on the socket (enum tw_act; -1 none).
 * Async-signal-safe. Returns 0, or -1 when the table is full: then the
 * connection is counted as ended now, as the kernel sees it now. */
int tw_handed_add(const struct tw_fd *v, uint64_t cookie, int act);

/* Asks the kernel about what was handed on, at most every few tens of
 * milliseconds (now_ns from tw_now_ns()), and counts what has ended. The
 * wrappers call it after accept() and connect(); exit calls it once more
 * with force set. Guard raised. */
void tw_handed_poll(uint64_t now_ns, int force);

/* In a fork child: what the parent handed on is the parent's to count. */
void tw_handed_after_fork_child(void);

#endif
