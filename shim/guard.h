// SPDX-License-Identifier: MIT
/*
 * The per-thread recursion guard. While it is raised, whatever the shim does
 * itself (shm_open, getsockopt, syslog's socket, the log file) passes straight
 * through the wrappers and never re-enters tracking or policy.
 *
 * initial-exec TLS: a plain load from the thread pointer, no allocation on
 * first use, so it is safe in close() and in signal handlers. The shim is
 * loaded at start-up by LD_PRELOAD, where initial-exec TLS is always available.
 */
#ifndef TW_GUARD_H
#define TW_GUARD_H

#include <errno.h>

extern __thread int tw_guard __attribute__((tls_model("initial-exec")));

/* Whether this thread is inside the shim's own work, or is a vfork child
 * running on its parent's stack and TLS until it execs or exits: the vfork
 * wrapper (wrappers.c) raises the guard around its system call. Whatever
 * the child closes or dups must leave the parent's fd table, ledger and
 * sockets alone (Python's subprocess calls close_range() there). Every
 * wrapper passes straight through while the guard is up. */
static inline int tw_guarded(void)
{
	return tw_guard != 0;
}

/* Around the shim's own work: raised by tw_enter(), lowered by tw_leave(). */
static inline void tw_enter(void)
{
	tw_guard++;
}

static inline void tw_leave(void)
{
	tw_guard--;
}

/* The same for a wrapper's bookkeeping after the real call: the call's
 * errno is what the program must see, whatever the bookkeeping's own
 * calls set. tw_begin() keeps it and raises the guard; tw_end() lowers the
 * guard and puts the errno back.
 *
 *	err = tw_begin();
 *	...bookkeeping...
 *	tw_end(err);
 *
 * tw_end(saved) also closes a tw_enter() whose errno to hand back was
 * saved before the real call: the program's own, for a wrapper that then
 * passes the call through (track_connect.c, track_close.c).
 */
static inline int tw_begin(void)
{
	int err = errno;

	tw_guard++;
	return err;
}

static inline void tw_end(int err)
{
	tw_guard--;
	errno = err;
}

#endif
