// SPDX-License-Identifier: MIT
/*
 * The closer thread (closer.h): its own fd table, and its loop.
 *
 * Its fds live in an fd table of its own: as it starts, the thread leaves
 * the process's table (close_range(CLOSE_RANGE_UNSHARE), or unshare(
 * CLONE_FILES)) and keeps nothing of it but its end of the hand-over
 * socket. The connections it holds, its epoll, whatever it opens, are
 * numbers no other thread can see, close, dup over or be given by the
 * kernel: a program that closes or dup2s "every fd" cannot touch them, and
 * they take none of its RLIMIT_NOFILE.
 *
 * Hand-over from close() is lock-free and async-signal-safe: a slot in a
 * fixed array is claimed by compare-and-swap and filled, then the socket
 * goes to the thread in one SCM_RIGHTS message over a socket pair; the
 * kernel carries the reference from the program's table into the thread's
 * before the program's close() drops its own.
 *
 * The sending end is the one fd the shim keeps in the program's table,
 * the channel of shim/ownfd.h, which keeps it out of the program's way.
 *
 * The thread's private numbers mean nothing in the fd table (fdtable.c),
 * which is the program's: it never marks them, and it makes its calls as
 * raw system calls, so that no wrapper, and no sanitizer, takes one of its
 * numbers for the program's fd of the same number.
 */
#include "closer_held.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "services.h"

static long sys_close(int fd) { return tw_syscall(SYS_close, fd); }

/* Closes every fd of this thread's (private) table but keep. */
static int close_all_but(int keep)
{
	char buf[4096];
	long n;
	int dir;

	if ((keep == 0 || tw_syscall(SYS_close_range, 0u, (unsigned)keep - 1, 0u) == 0) &&
	    tw_syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0)
		return 0;
	/* Before Linux 5.9: the numbers in use, from /proc, a batch at a time. */
	dir = (int)tw_syscall(SYS_openat, AT_FDCWD, "/proc/thread-self/fd",
	                      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	for (int closed = 1; closed;) { /* until a pass closes nothing */
		closed = 0;
		tw_syscall(SYS_lseek, dir, 0, SEEK_SET);
		while ((n = tw_syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct dirent64 *d = (struct dirent64 *)(buf + off);
				char *end;
				long fd = strtol(d->d_name, &end, 10);

				off += d->d_reclen;
				if (*end == '\0' && end != d->d_name && fd != keep && fd != dir &&
				    sys_close((int)fd) == 0)
					closed++;
			}
		}
		if (n < 0)
			break;
	}
	sys_close(dir);
	return n < 0 ? -1 : 0;
}

/* Leaves the process's fd table for one of our own, holding only rx. */
static int private_table(int rx, ino_t rx_ino)
{
	struct stat st;

	/* Copies the numbers up to rx only, then the rest goes: the program's
	 * files below rx stay referenced here for the microseconds until
	 * close_all_but(). POSIX locks are owned by the table: closing our
	 * copies leaves the program's locks alone. */
	if (tw_syscall(SYS_close_range, (unsigned)rx + 1, ~0u, (unsigned)CLOSE_RANGE_UNSHARE) != 0 &&
	    unshare(CLONE_FILES) != 0)
		return -1;
	if (close_all_but(rx) < 0)
		return -1;
	/* The program may have put a file of its own on rx's number before we
	 * copied the table: then it is not ours to read. */
	if (tw_syscall(SYS_fstat, rx, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_ino != rx_ino)
		return -1;
	return 0;
}

/* The messages waiting on rx: one connection each, or a wake-up. Returns
 * -1 once every sending end is closed (a start that gave up on us). */
static int receive(int rx, int ep)
{
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} cbuf;
		uint32_t idx;
		struct iovec iov = { &idx, sizeof(idx) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
		                    .msg_controllen = sizeof(cbuf.buf) };
		struct cmsghdr *cm;
		struct tw_held *h;
		struct epoll_event ev = { 0 };
		int fd = -1;
		long n = tw_syscall(SYS_recvmsg, rx, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return n == 0 ? -1 : 0;
		cm = CMSG_FIRSTHDR(&m);
		if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if (n != sizeof(idx) || idx >= TW_HOLD_MAX ||
		    atomic_load(&tw_held[idx].state) != TW_H_SENT) {
			if (fd >= 0) /* a wake-up carries none; anything else is not ours */
				sys_close(fd);
			continue;
		}
		h = &tw_held[idx];
		if (fd < 0) { /* no number left in our table: the kernel closed it, with FIN */
			tw_held_release(h, TW_CLOSE_ACTIVE, TW_ACT_HOLD_FULL);
			continue;
		}
		h->fd = fd;
		ev.events = h->mode == TW_HOLD_PEER_FIRST ? EPOLLIN | EPOLLRDHUP : 0;
		ev.data.u32 = idx;
		if (tw_syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			/* Still polled by the ticks; only the peer's FIN is seen later. */
		}
		atomic_store(&h->state, TW_H_HELD);
	}
}

void *tw_closer_main(void *arg)
{
	struct epoll_event ev[64], wake = { .events = EPOLLIN, .data.u32 = TW_WAKE_ID };
	struct tw_closer_start *start = arg;
	int rx = start->rx, ep = -1, orphan = 0;

	tw_enter(); /* nothing this thread does is the program's: for good */
	/* Named from here: naming another thread opens its comm file, an fd in
	 * the program's table, at the lowest free number, which the start has
	 * just given back (regression: a program thread's dup2() onto it, in
	 * that instant, had its file closed by glibc). */
	tw_syscall(SYS_prctl, PR_SET_NAME, "twshim-closer", 0, 0, 0);
	if (private_table(rx, start->rx_ino) == 0)
		ep = (int)tw_syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
	if (ep < 0 || tw_syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, rx, &wake) != 0) {
		atomic_store(&start->ready, TW_THREAD_FAILED);
		return NULL; /* our table, and what is in it, go with the thread */
	}
	atomic_store(&start->ready, TW_THREAD_READY);
	for (;;) {
		long n = tw_syscall(SYS_epoll_wait, ep, ev, 64, atomic_load(&tw_nheld) ? TW_TICK_MS : -1);
		uint64_t now;
		int end = atomic_load(&tw_closer_ending);

		for (long i = 0; i < n; i++) {
			if (ev[i].data.u32 == TW_WAKE_ID && receive(rx, ep) < 0) {
				tw_syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, rx, NULL);
				orphan = 1;
			} else if (ev[i].data.u32 < TW_HOLD_MAX)
				tw_held_readable(&tw_held[ev[i].data.u32], ev[i].events);
		}
		if (orphan && atomic_load(&tw_nheld) == 0)
			return NULL; /* nothing held, nothing to come: our table goes with us */
		now = tw_now_ns();
		for (int i = 0, hi = atomic_load(&tw_hiwater); i < hi && atomic_load(&tw_nheld); i++) {
			struct tw_held *h = &tw_held[i];

			if (atomic_load(&h->state) != TW_H_HELD)
				continue;
			if (end) /* at exit, past the wait: FIN, the kernel delivers what is queued */
				tw_held_finish(h, 0, TW_CLOSE_ACTIVE,
				               h->mode == TW_HOLD_PEER_FIRST ? TW_ACT_PEER_TIMEOUT
				                                             : TW_ACT_RESET_FIN);
			else
				tw_held_tick(h, now);
		}
	}
	return NULL;
}
