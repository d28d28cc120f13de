// SPDX-License-Identifier: MIT
/*
 * The shim's own fds in the program's fd table (ownfd.h).
 *
 * HAZARD: what no mark can cover is the instant between a system call that
 * makes one of our fds and the mark: a program thread's dup2() or close()
 * on that very number then goes straight through. Hence each fd is checked
 * after it is marked (the caller's ours() for the pending ones, the inode
 * for the channel), and one that is not ours any more is left alone. The
 * check must come after every such call, including one that read the
 * number unmarked just before the mark and has not yet made its system
 * call: the wrappers that replace or close numbers bracket the read and
 * the call (tw_ownfd_replacing), and marking waits for those in flight.
 * A dup2() onto a pending fd waits until the start lets it go; onto the
 * channel, it moves the channel to another number first. Closing one of
 * ours closes, then unmarks: a dup2() onto the number, which waits while
 * it is marked, can never replace our fd and then have its own closed by us.
 */
#include "ownfd.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "clock.h"
#include "fdtable.h"
#include "real.h"
#include "sys.h"

static _Atomic int pending[TW_OWNFD_PENDING] = { -1, -1 };
static _Atomic int channel = -1;
static _Atomic int users;       /* threads about to use the channel's number */
static _Atomic int replacing;   /* program calls between reading the marks and their call */
static ino_t channel_ino;
static int fd_floor = 3;        /* where the channel's copies go: high */

/* Marks fd as the shim's in the fd table (the program never opened it). */
static void mark(int fd)
{
	struct tw_fd *e = tw_fd_get_alloc(fd);

	if (e)
		atomic_store(&e->kind, TW_FD_HELD); /* seq_cst: see tw_ownfd_replacing */
}

/* Clears fd's TW_FD_HELD mark, unless the number is another's already. */
static void unmark(int fd)
{
	struct tw_fd *e = tw_fd_get(fd);
	uint32_t held_kind = TW_FD_HELD;

	if (e)
		atomic_compare_exchange_strong(&e->kind, &held_kind, TW_FD_NONE);
}

/* The bracket, the marks and settle()'s look are all sequentially
 * consistent: a caller's read of a mark after tw_ownfd_replacing() either
 * sees the mark, or settle(), which looks after marking, sees the caller
 * in flight. (Fences would do the same, but TSan cannot follow them.) */
void tw_ownfd_replacing(void)
{
	atomic_fetch_add(&replacing, 1);
}

void tw_ownfd_replaced(void)
{
	atomic_fetch_sub(&replacing, 1);
}

/* Waits (bounded, about a second) for the threads counted in *n to leave. */
static void drain(_Atomic int *n)
{
	for (int i = 0; i < 1100 && atomic_load(n) > 0; i++)
		tw_backoff(i);
}

/* After marking: waits for the program's calls that may have read a mark
 * before it was set to make their system call, so that the check that
 * follows sees what they did. Such a call takes microseconds; bounded
 * (about a second) all the same, for a thread that left a signal handler
 * by longjmp from the middle of one, and so never ends it. */
static void settle(void)
{
	drain(&replacing);
}

static void close_marked(int fd)
{
	tw_real.close(fd);
	unmark(fd);
}

int tw_ownfd_pend(const int fds[TW_OWNFD_PENDING], int (*ours)(int fd))
{
	int all = 1;

	/* Published before marked: a dup2() that sees the mark finds the fd
	 * pending, and waits (tw_ownfd_evict). */
	for (int i = 0; i < TW_OWNFD_PENDING; i++) {
		atomic_store(&pending[i], fds[i]);
		mark(fds[i]);
	}
	settle();
	for (int i = 0; i < TW_OWNFD_PENDING; i++) {
		if (!ours(fds[i])) {
			unmark(fds[i]);
			atomic_store(&pending[i], -1);
			all = 0;
		}
	}
	return all ? 0 : -1;
}

void tw_ownfd_unpend(int i)
{
	int fd = atomic_load(&pending[i]);

	if (fd < 0)
		return;
	close_marked(fd);
	atomic_store(&pending[i], -1);
}

/* Waits (bounded) while fd is marked ours but is not the channel: one of
 * the start's pending ends (held up to 2 s while its thread starts), or in
 * passage, about to become the channel or closed and about to be unmarked.
 * Either way a dup2() onto it must wait for the outcome. */
static void not_channel_wait(int fd)
{
	for (int n = 0; n < 3000; n++) {
		if (tw_fd_kind(tw_fd_get(fd)) != TW_FD_HELD || fd == atomic_load(&channel))
			return;
		tw_backoff(n);
	}
}

static int is_channel_socket(int fd)
{
	struct stat st;

	return tw_syscall(SYS_fstat, fd, &st) == 0 && st.st_ino == channel_ino;
}

int tw_ownfd_keep(int fd)
{
	struct rlimit rl;
	struct stat st;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fd_floor = rl.rlim_cur > 2048 ? (int)rl.rlim_cur - 1024 : (int)rl.rlim_cur / 2;
	if (fd_floor < 3)
		fd_floor = 3;
	if (tw_syscall(SYS_fstat, fd, &st) != 0)
		return -1;
	channel_ino = st.st_ino;
	/* Once marked and published, a dup2() onto the copy moves it
	 * (tw_ownfd_evict). Until marked, the same instant as above: checked,
	 * and another number taken if need be. */
	for (int tries = 0; tries < 8; tries++) {
		int t = tw_real.fcntl(fd, F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor), cur;

		if (t < 0)
			break;
		atomic_store(&channel, t); /* before the mark, as in tw_ownfd_pend */
		mark(t);
		settle();
		if (is_channel_socket(t))
			break;
		cur = t;
		if (!atomic_compare_exchange_strong(&channel, &cur, -1))
			break; /* tw_ownfd_evict moved it meanwhile, and checked it */
		unmark(t);
	}
	return atomic_load(&channel);
}

int tw_ownfd_use(void)
{
	atomic_fetch_add(&users, 1);
	return atomic_load(&channel);
}

void tw_ownfd_unuse(void)
{
	atomic_fetch_sub(&users, 1);
}

void tw_ownfd_close_all(void)
{
	int t = atomic_exchange(&channel, -1);

	for (int i = 0; i < TW_OWNFD_PENDING; i++)
		tw_ownfd_unpend(i);
	if (t >= 0)
		close_marked(t);
}

int tw_ownfd_evict(int fd)
{
	int nfd = -1, cur = fd;

	not_channel_wait(fd);
	if (fd != atomic_load(&channel))
		return 0;
	/* Not our socket any more (replaced where nothing could see it, by a
	 * raw system call): no channel any more, and nothing to move. */
	if (is_channel_socket(fd))
		nfd = tw_real.fcntl(fd, F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor);
	if (nfd >= 0) {
		/* Marked, checked, then published: as in tw_ownfd_keep, and a
		 * dup2() onto it meanwhile waits in not_channel_wait. */
		mark(nfd);
		settle();
		if (!is_channel_socket(nfd)) {
			unmark(nfd);
			nfd = -1;
		}
	}
	if (!atomic_compare_exchange_strong(&channel, &cur, nfd)) {
		/* Another thread's dup2() onto the same number moved it first. */
		if (nfd >= 0)
			close_marked(nfd);
		nfd = 0;
	}
	/* nfd < 0: no number left to move to, no channel any more. Whoever
	 * uses it sees -1 and falls back (the closer: to the kernel's close). */
	unmark(fd);
	/* A close() in another thread may be sending on the old number. Its
	 * send takes microseconds; bounded all the same, for a thread that
	 * left a signal handler by longjmp from the middle of one. */
	drain(&users);
	return nfd < 0 ? -1 : 0;
}

void tw_ownfd_after_fork_child(void)
{
	atomic_store(&users, 0);
	atomic_store(&replacing, 0);
	tw_ownfd_close_all();
}
