// SPDX-License-Identifier: MIT
/*
 * Activation: whether the shim acts in this process, decided once, on the
 * first TCP socket (activate.h). It reads the configuration and the
 * policies' variables and opens the ledger.
 *
 * HAZARD: that first socket may be made in a signal handler, which may have
 * interrupted malloc, or this very start-up in the same thread. What the
 * start-up does is async-signal-safe (raw reads of sysctls into stack
 * buffers, shm_open, mmap: no stdio, no malloc, no lock); the one step
 * that is not, starting the closer thread, is left to a connect() outside
 * any handler (policies/closer.c: tw_closer_start, maybe_in_handler). A handler that interrupts the
 * start-up in its own thread passes through untracked rather than wait for
 * itself.
 */
#include "activate.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "guard.h"
#include "log.h"
#include "real.h"
#include "registry.h"
#include "segment.h"
#include "sys.h"

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
	tw_enter();
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
	tw_leave();
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
		 * 100 ms for a ledger being made (segment.c). */
		while (cur != -1 && cur != me) {
			sched_yield();
			cur = atomic_load_explicit(&starter, memory_order_acquire);
		}
		if (cur == me)
			return 0; /* a handler inside our own start: this call passes */
	}
	return atomic_load_explicit(&tw_run_state, memory_order_acquire) == TW_ST_ACTIVE;
}

const char *tw_activate_strict(void)
{
	strict = 1;
	tw_activate();
	if (atomic_load(&tw_run_state) == TW_ST_ACTIVE)
		return NULL;
	return strict_why[0] ? strict_why : "the configuration is bad";
}

void tw_activate_after_fork_child(void)
{
	long cur = atomic_load(&starter);

	/* A start under way in another thread of the parent never ends here. */
	if (cur > 0)
		atomic_compare_exchange_strong(&starter, &cur, 0);
}
