// SPDX-License-Identifier: MIT
/*
 * Tracking connections as they end: close, fclose, close_range and
 * closefrom, each around the close pipeline (closing.h). The dup family,
 * which closes its target too, is in track_dup.c.
 *
 * HAZARD: close() must stay async-signal-safe. Programs call it from signal
 * handlers and between fork and exec. On this path: no malloc, no locks, no
 * stdio, no logging, no waiting for another thread; only system calls,
 * atomics and stack buffers. And the fd is gone whatever close() returns:
 * never retry it, not even on EINTR (on Linux the number may already belong
 * to another thread's new file).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "activate.h"
#include "closing.h"
#include "guard.h"
#include "ownfd.h"
#include "real.h"
#include "sys.h"
#include "track.h"

/*
 * The close pipeline around the call that lets fd go (close, fclose): the
 * kernel asked while fd is still open, a policy's say (how), the call,
 * then the count. The peek and TCP_INFO set errno: a close that succeeds
 * keeps the caller's. The guard comes down for the call: with SO_LINGER
 * {1,N} it blocks, and a siglongjmp out of it must not leave the guard up
 * for good.
 */
static int close_around(int fd, struct tw_fd *e, enum tw_decide how, int (*let_go)(void *),
                        void *what)
{
	struct tw_closing c;
	int rc, err, saved = errno;

	tw_enter();
	if (!tw_closing_prepare(fd, e, &c, TW_LOOK_TAKING)) {
		tw_end(saved);
		return let_go(what);
	}
	tw_closing_decide(fd, &c, how);
	tw_end(saved);
	rc = let_go(what);
	err = tw_begin();
	tw_closing_finish(&c);
	tw_end(err);
	return rc;
}

static int real_fclose(void *stream)
{
	return tw_real.fclose(stream);
}

static int real_close(void *fd)
{
	return tw_real.close(*(int *)fd);
}

/*
 * fclose() of a stream on a tracked socket (fdopen): glibc closes the fd
 * inside, by a call no wrapper sees, and the entry would stay, trusted when
 * the number came back as a pipe or a UNIX socket. The close is observed as
 * close() observes it, the fd still open; no close policy acts on it: the
 * stream's buffered data goes out inside fclose, after any look the policy
 * could take (a reset would lose it, a hold would race fclose's own close).
 */
int tw_fclose(FILE *stream)
{
	int fd, saved = errno;
	struct tw_fd *e;

	if (!tw_real.fclose)
		tw_real_bind();
	/* fileno_unlocked: the stream is the caller's to lock; -1 for one with
	 * no fd (fmemopen, fopencookie). */
	fd = stream && !tw_guarded() ? fileno_unlocked(stream) : -1;
	errno = saved;
	if (fd < 0 || tw_fd_kind(e = tw_fd_get(fd)) != TW_FD_TCP)
		return tw_real.fclose(stream);
	return close_around(fd, e, TW_DECIDE_OBSERVE, real_fclose, stream);
}

int tw_close(int fd)
{
	struct tw_fd *e;

	/* The pass-through path: two loads. Files, pipes, UNIX sockets. */
	e = tw_fd_get(fd);
	if (tw_fd_kind(e) == TW_FD_NONE || tw_guarded()) {
		if (!tw_real.close)
			tw_real_bind();
		return tw_real.close(fd);
	}
	/* One of the shim's own fds (ownfd.h): the program never opened it. */
	if (tw_fd_kind(e) == TW_FD_HELD) {
		errno = EBADF;
		return -1;
	}
	return close_around(fd, e, TW_DECIDE_POLICY, real_close, &fd);
}

/* For the range closers: closes a tracked socket as close() would. */
static void close_one(int fd, struct tw_fd *e, void *arg)
{
	struct tw_closing c;

	(void)arg;
	if (atomic_load(&e->kind) == TW_FD_HELD)
		return;
	if (tw_closing_prepare(fd, e, &c, TW_LOOK_TAKING)) {
		tw_closing_decide(fd, &c, TW_DECIDE_POLICY);
		tw_real.close(fd);
		tw_closing_finish(&c);
	}
}

/* close_range over [lo, hi] but around the shim's own fds, in ascending order. */
struct around {
	unsigned next;   /* first number not yet closed */
	int flags, rc;
};

static void close_up_to(int fd, struct tw_fd *e, void *arg)
{
	struct around *a = arg;

	if (atomic_load(&e->kind) != TW_FD_HELD)
		return;
	if ((unsigned)fd > a->next && tw_real.close_range(a->next, (unsigned)fd - 1, a->flags) < 0)
		a->rc = -1;
	a->next = (unsigned)fd + 1;
}

static void note_held(int fd, struct tw_fd *e, void *held)
{
	(void)fd;
	if (atomic_load(&e->kind) == TW_FD_HELD)
		*(int *)held = 1;
}

static int close_range_around_held(unsigned lo, unsigned hi, int flags)
{
	struct around a = { .next = lo, .flags = flags, .rc = 0 };

	tw_fd_foreach(lo, hi, close_up_to, &a);
	if (a.next <= hi && tw_real.close_range(a.next, hi, flags) < 0)
		a.rc = -1;
	return a.rc;
}

/* Whether this kernel has close_range(2); asked once, with an empty range. */
static int close_range_works(void)
{
	enum { UNKNOWN = 0, YES, NO };
	static _Atomic int known; /* UNKNOWN, YES, NO */
	int k = atomic_load(&known), saved = errno;

	if (k == UNKNOWN) {
		k = tw_syscall(SYS_close_range, ~0u, ~0u, 0) == 0 ? YES : NO;
		atomic_store(&known, k);
		errno = saved;
	}
	return k == YES;
}

/* Tracked sockets in the range are closed one by one, so that each is
 * seen open just before; the rest of the range goes in as few calls as the
 * shim's own fds allow. */
int tw_close_range(unsigned lo, unsigned hi, int flags)
{
	int saved = errno, rc;

	tw_real_bind();
	/* CLOEXEC closes nothing now; UNSHARE first gives this thread its own
	 * fd table, so closing ours one by one would touch others': let both be.
	 * Unknown flags, or a kernel without close_range (before 5.9): the call
	 * fails, and then nothing may have been closed by us either. */
	if (tw_guarded() || tw_inert() || lo > hi || flags != 0 || !close_range_works())
		return tw_real.close_range(lo, hi, flags);
	tw_enter();
	/* The guard is up: close_one's own closes pass straight through. */
	tw_fd_foreach(lo, hi, close_one, NULL);
	tw_leave();
	errno = saved;
	/* From reading the marks to the call (ownfd.h): the closer's start
	 * may be making a number in the range one of its own at this instant. */
	tw_ownfd_replacing();
	rc = close_range_around_held(lo, hi, flags);
	tw_ownfd_replaced();
	return rc;
}

void tw_closefrom(int lowfd)
{
	int saved = errno, held = 0;

	tw_real_bind();
	if (lowfd < 0 || tw_guarded() || tw_inert()) {
		tw_real.closefrom(lowfd);
		errno = saved;
		return;
	}
	tw_enter();
	tw_fd_foreach((unsigned)lowfd, ~0u, close_one, NULL);
	tw_leave();
	tw_ownfd_replacing(); /* as in tw_close_range */
	tw_fd_foreach((unsigned)lowfd, ~0u, note_held, &held);
	if (held)
		close_range_around_held((unsigned)lowfd, ~0u, 0);
	else
		tw_real.closefrom(lowfd); /* works without close_range(2) too */
	tw_ownfd_replaced();
	errno = saved;
}
