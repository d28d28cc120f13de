// SPDX-License-Identifier: MIT
/*
 * Start-up, fork and exit.
 *
 * The constructor only binds the real symbols and registers the fork
 * handlers: it runs inside every program the shim is preloaded into, most
 * of which (shells, sed, sleep) never open a TCP socket. Configuration and
 * the ledger are read on the first TCP socket.
 *
 * HAZARD: that first socket may be made in a signal handler, which may have
 * interrupted malloc, or this very start-up in the same thread. What the
 * start-up does is async-signal-safe (raw reads of sysctls into stack
 * buffers, shm_open, mmap: no stdio, no malloc, no lock); the one step
 * that is not, starting the closer thread, is left to a connect() outside
 * any handler (closer.c). A handler that interrupts the start-up in its own
 * thread passes through untracked rather than wait for itself.
 */
#include "init.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/syscall.h>

#include "fdtable.h"
#include "guard.h"
#include "handed.h"
#include "ledger_write.h"
#include "log.h"
#include "real.h"
#include "sys.h"
#include "track.h"
#include "policy.h"

__thread int tw_guard __attribute__((tls_model("initial-exec")));
_Atomic int tw_run_state;
struct tw_config tw_cfg;

/* 0: not started; the starting thread's id while it runs; -1: done.
 * Not pthread_once: a signal handler that interrupted the start in the
 * same thread would wait for itself there. */
static _Atomic long starter;
/* TWSHIM_STRICT=1 (the constructor): a problem is not logged but kept in
 * strict_why, for the one line the program is stopped with. */
static int strict;
static char strict_why[512];

static void problem(const char *why, const char *instead)
{
	if (strict)
		snprintf(strict_why, sizeof(strict_why), "%s", why);
	else
		tw_err("%s; %s", why, instead);
}

static const char *env(const char *name)
{
	return getenv(name);
}

static void activate_once(void)
{
	char err[512];
	int st = TW_ST_INERT, cancel, rc;

	/* shm_open, fopen of sysctls...: cancellation points, and a thread
	 * cancelled half way would leave a mapping or an fd behind. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	tw_guard++;
	if (tw_config_load(&tw_cfg, env, err, sizeof(err)) < 0) {
		tw_log_cfg = tw_cfg.log;
		problem(err, "twshim is off for this process");
		goto done;
	}
	tw_log_cfg = tw_cfg.log;
	if (tw_policies_configure(env, err, sizeof(err)) < 0) {
		problem(err, "twshim is off for this process");
		goto done;
	}
	/* A ledger that cannot be had costs the counting, not the policies:
	 * what another user can do to the name (plant a file there, fill
	 * /dev/shm) must not turn the fix off, nor, under TWSHIM_STRICT=1,
	 * stop the program. Only this user's own segment gone wrong does. */
	if (tw_cfg.shm_name[0] &&
	    (rc = tw_ledger_open(tw_cfg.shm_name, err, sizeof(err))) < 0) {
		if (strict && rc == TW_LEDGER_UNUSABLE) {
			problem(err, "twshim is off for this process");
			goto done;
		}
		tw_err("%s; the ledger is off for this process, the policies apply uncounted", err);
	}
	tw_debug("active, ledger %s", tw_cfg.shm_name[0] ? tw_cfg.shm_name : "off");
	st = TW_ST_ACTIVE;
done:
	atomic_store_explicit(&tw_run_state, st, memory_order_release);
	tw_guard--;
	pthread_setcancelstate(cancel, NULL);
}

int tw_activate(void)
{
	long me, cur = 0;

	tw_real_bind();
	me = tw_syscall(SYS_gettid);
	if (atomic_compare_exchange_strong(&starter, &cur, me)) {
		activate_once();
		atomic_store_explicit(&starter, -1, memory_order_release);
	} else {
		/* Another thread is starting: a few system calls, or up to
		 * 100 ms for a ledger being made (ledger_write.c). */
		while (cur != -1 && cur != me) {
			sched_yield();
			cur = atomic_load_explicit(&starter, memory_order_acquire);
		}
		if (cur == me)
			return 0; /* a handler inside our own start: this call passes */
	}
	return atomic_load_explicit(&tw_run_state, memory_order_acquire) == TW_ST_ACTIVE;
}

static void mark_shared(int fd, struct tw_fd *e, void *arg)
{
	(void)fd;
	(void)arg;
	tw_fd_flags_set(e, TW_F_SHARED | TW_F_COPIED | TW_F_FORKED);
}

/* After fork both processes hold every socket: a close in either may not
 * be the last reference, so the close path asks the kernel (diag.c).
 * Marked before fork, so that no close in another thread slips between. */
static void before_fork(void)
{
	tw_fd_foreach(0, ~0u, mark_shared, NULL);
}

/* The vfork wrapper (wrappers.c) calls this just before its system call,
 * and tw_vfork_after() in the parent once the child has exec'd or exited.
 * The guard stays up in between: the child runs on this thread's TLS, and
 * whatever it closes or dups must pass through (guard.h). A child that
 * execs may keep the sockets, as a fork child may: they are marked shared
 * in the same way. */
void tw_vfork_prepare(void)
{
	tw_guard++;
	if (!tw_inert())
		before_fork();
}

long tw_vfork_after(long rc)
{
	tw_guard--;
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

static void after_fork_child(void)
{
	long cur = atomic_load(&starter);

	/* A start under way in another thread of the parent never ends here. */
	if (cur > 0)
		atomic_compare_exchange_strong(&starter, &cur, 0);
	tw_handed_after_fork_child();
	tw_policies_after_fork_child(); /* it drops the closer's fds */
	tw_slot_forget(); /* the child takes its own slot on its first event */
}

__attribute__((constructor)) static void tw_init(void)
{
	tw_real_bind();
	/* setuid/setcap programs: the loader only preloads from system paths
	 * there; whoever installed us there still gets no behaviour change. */
	if (getauxval(AT_SECURE)) {
		atomic_store(&tw_run_state, TW_ST_INERT);
		tw_config_scrub_env();
		return;
	}
	tw_log_note_stderr();
	pthread_atfork(before_fork, NULL, after_fork_child);
	/* TWSHIM_STRICT=1: read the configuration now, and refuse to run the
	 * program at all with a bad value, rather than run it without the fix
	 * that was asked for. The one place the shim ends its host, on request. */
	if (getenv("TWSHIM_STRICT") && strcmp(getenv("TWSHIM_STRICT"), "1") == 0) {
		strict = 1;
		tw_activate();
		if (atomic_load(&tw_run_state) != TW_ST_ACTIVE) {
			tw_err("%s; TWSHIM_STRICT=1: not starting %s",
			       strict_why[0] ? strict_why : "the configuration is bad",
			       program_invocation_short_name);
			_exit(1);
		}
	}
}

__attribute__((destructor)) static void tw_fini(void)
{
	/* A vfork child that calls exit() runs this in its parent's memory:
	 * the slot and the held connections are the parent's. */
	if (tw_guard)
		return;
	if (atomic_load(&tw_run_state) == TW_ST_ACTIVE) {
		tw_policies_at_exit(); /* held connections end as their policy wants */
		tw_guard++;
		tw_handed_poll(tw_now_ns(), 1); /* what children ended meanwhile */
		tw_guard--;
		tw_count_exit_closes();
	}
	tw_slot_exit();
}
