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

extern __thread int tw_guard __attribute__((tls_model("initial-exec")));

/*
 * vfork(): the child runs in the parent's memory, on the calling thread's
 * stack and TLS, until it execs or exits. Whatever it closes or dups before
 * that must leave the parent's fd table, ledger and sockets alone (Python's
 * subprocess calls close_range() there). The vfork wrapper (wrappers.c)
 * raises this thread's guard and notes the parent's pid; the child, seeing
 * another pid, passes everything through; the parent, at its next call into
 * the shim, sees its own pid and lowers the guard.
 */
extern __thread int tw_vfork_pid __attribute__((tls_model("initial-exec")));
void tw_vfork_end(void);

/* Whether this thread is inside the shim's own work (or a vfork child):
 * every wrapper passes straight through then. */
static inline int tw_guarded(void)
{
	if (__builtin_expect(tw_vfork_pid != 0, 0))
		tw_vfork_end();
	return tw_guard != 0;
}

static inline int tw_enter(void)
{
	return tw_guard++ == 0;
}

static inline void tw_leave(void)
{
	tw_guard--;
}

#endif
