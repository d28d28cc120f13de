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

static inline int tw_enter(void)
{
	return tw_guard++ == 0;
}

static inline void tw_leave(void)
{
	tw_guard--;
}

#endif
