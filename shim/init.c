// SPDX-License-Identifier: MIT
/*
 * Start-up, fork and exit.
 *
 * The constructor only binds the real symbols and registers the fork
 * handlers: it runs inside every program the shim is preloaded into, most
 * of which (shells, sed, sleep) never open a TCP socket. Configuration and
 * the ledger are read on the first TCP socket (activate.c).
 */
#include "init.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>

#include "activate.h"
#include "clock.h"
#include "config.h"
#include "fdtable.h"
#include "guard.h"
#include "handed.h"
#include "log.h"
#include "ownfd.h"
#include "real.h"
#include "registry.h"
#include "slot.h"
#include "track_exit.h"

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
	tw_enter();
	if (!tw_inert())
		before_fork();
}

long tw_vfork_after(long rc)
{
	tw_leave();
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

static void after_fork_child(void)
{
	tw_activate_after_fork_child();
	tw_handed_after_fork_child();
	tw_ownfd_after_fork_child(); /* the shim's fds the parent kept */
	tw_policies_after_fork_child();
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
		const char *why = tw_activate_strict();

		if (why) {
			tw_err("%s; TWSHIM_STRICT=1: not starting %s", why,
			       program_invocation_short_name);
			_exit(1);
		}
	}
}

__attribute__((destructor)) static void tw_fini(void)
{
	/* A vfork child that calls exit() runs this in its parent's memory:
	 * the slot and the held connections are the parent's. */
	if (tw_guarded())
		return;
	if (atomic_load(&tw_run_state) == TW_ST_ACTIVE) {
		tw_policies_at_exit(); /* held connections end as their policy wants */
		tw_enter();
		tw_handed_poll(tw_now_ns(), 1); /* what children ended meanwhile */
		tw_leave();
		tw_count_exit_closes();
	}
	tw_slot_exit();
}
