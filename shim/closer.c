// SPDX-License-Identifier: MIT
/*
 * The closer thread (see closer.h).
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
 * HAZARD: the sending end is the one fd the shim keeps in the program's
 * table, marked TW_FD_HELD there. The wrappers leave it alone (close says
 * EBADF, close_range goes around it) or move it out of the way first
 * (tw_closer_evict), so that the program sees what it would without us:
 * EBADF for a number it never opened. While the thread starts, the pair's
 * ends also sit at the numbers socketpair() gave: marked the same way,
 * and a dup2() onto one waits until the start lets it go (pending[]).
 * What no mark can cover is the instant between a system call that makes
 * one of our fds and the mark: a program thread's dup2() or close() on
 * that very number then goes straight through. The start checks its fds
 * after marking them and leaves alone any that is not its own any more.
 *
 * The thread's private numbers mean nothing in the fd table (fdtable.c),
 * which is the program's: it never marks them, and it makes its calls as
 * raw system calls, so that no wrapper, and no sanitizer, takes one of its
 * numbers for the program's fd of the same number.
 */
#include "closer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "log.h"
#include "real.h"
#include "sys.h"
#include "track.h"

#define HOLD_MAX  4096
#define TICK_MS   5
#define WAKE_ID   UINT32_MAX
#define DRAIN_MAX 64            /* reads of 4 KiB per readiness, at most */

/* FREE -> FILLING (close(), claimed) -> SENT (message on its way) ->
 * HELD (the thread has the socket) -> FREE (ended, counted). Past SENT
 * only the thread touches an entry. */
enum { H_FREE = 0, H_FILLING, H_SENT, H_HELD };

struct held {
	_Atomic int state;
	int fd;                 /* in the thread's own table */
	int mode;               /* enum tw_hold_mode */
	uint64_t deadline;      /* CLOCK_MONOTONIC ns */
	struct tw_fd v;         /* the program's entry, for counting */
};

struct tw_closer_config tw_closer_cfg = {
	.wait_ns = 2000ull * 1000000u, .fallback_reset = 1, .max_held = 1024,
};
int tw_closer_wanted;

static struct held held[HOLD_MAX];
static _Atomic int nheld, hiwater;
static _Atomic int running;     /* 0 no, 1 starting, 2 running, 3 stopped for good */
static _Atomic int ending;      /* at exit: end what is held, now */
static _Atomic int tx = -1;     /* the sending end, in the program's table */
static _Atomic int tx_users;    /* threads about to use tx's number */
static int fd_floor = 3;

/* The thread's start: 0 waiting, 1 ready, -1 failed. */
static _Atomic int thread_ready;
static int rx_at_start;         /* the receiving end's number, both tables */
static ino_t rx_ino, tx_ino;

static long sys_close(int fd) { return tw_syscall(SYS_close, fd); }

/* Marks fd as the shim's in the fd table (the program never opened it). */
static void mark_held(int fd)
{
	struct tw_fd *e = tw_fd_get_alloc(fd);

	if (e)
		atomic_store_explicit(&e->kind, TW_FD_HELD, memory_order_release);
}

/* Clears fd's TW_FD_HELD mark, unless the number is another's already. */
static void unmark(int fd)
{
	struct tw_fd *e = tw_fd_get(fd);
	uint32_t held_kind = TW_FD_HELD;

	if (e)
		atomic_compare_exchange_strong(&e->kind, &held_kind, TW_FD_NONE);
}

void tw_closer_count(const struct tw_fd *v, enum tw_close_class cls, int act)
{
	struct tw_slot *s = tw_entry_slot(v);

	if (!s)
		return;
	tw_count_end(s, v->dest, v, cls);
	if (act >= 0)
		tw_count_action(s, v->dest, (enum tw_act)act);
}

int tw_unacked(int fd)
{
	int n = 0;

	return tw_syscall(SYS_ioctl, fd, SIOCOUTQ, &n) == 0 ? n : -1;
}

/* ---- the thread ---- */

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
static int private_table(int rx)
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

static void release(struct held *h, enum tw_close_class cls, int act)
{
	tw_closer_count(&h->v, cls, act);
	atomic_store(&h->state, H_FREE);
	atomic_fetch_sub(&nheld, 1);
}

/* Ends a held connection: with RST (SO_LINGER {1,0}) or FIN, and counts. */
static void finish(struct held *h, int rst, enum tw_close_class cls, int act)
{
	struct linger lg = { 1, 0 };

	if (rst)
		tw_syscall(SYS_setsockopt, h->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	sys_close(h->fd);
	release(h, cls, act);
}

/* Reads whatever the peer still sends (the program has closed: nobody
 * wants it) until its FIN. Returns 1 at the FIN, -1 on a reset, 0 else
 * (nothing more now, or a peer that keeps sending: the next readiness
 * reads on). */
static int drain_input(int fd)
{
	char buf[4096];

	for (int i = 0; i < DRAIN_MAX; i++) {
		long n = tw_syscall(SYS_recvfrom, fd, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
		if (n > 0)
			continue;
		if (n == 0)
			return 1;
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	}
	return 0;
}

static void readable(struct held *h, uint32_t events)
{
	int r;

	if (atomic_load(&h->state) != H_HELD)
		return;
	if (h->mode != TW_HOLD_PEER_FIRST) {
		/* Draining, registered for nothing: epoll still says when the
		 * peer reset it (EPOLLHUP, EPOLLERR), and says so until it goes. */
		if (events & (EPOLLHUP | EPOLLERR))
			finish(h, 0, TW_CLOSE_OTHER, -1);
		return;
	}
	r = drain_input(h->fd);
	if (r == 1)        /* the peer's FIN came first: the TIME_WAIT is the peer's */
		finish(h, 0, TW_CLOSE_PASSIVE, TW_ACT_PEER_FIRST);
	else if (r < 0)    /* reset by the peer: nobody holds TIME_WAIT */
		finish(h, 0, TW_CLOSE_OTHER, -1);
}

static void tick(struct held *h, uint64_t now)
{
	int q = tw_unacked(h->fd);

	if (h->mode == TW_HOLD_DRAIN_RESET) {
		if (q == 0)
			finish(h, 1, TW_CLOSE_RESET, TW_ACT_RESET_DRAINED);
		else if (now >= h->deadline || q < 0)
			finish(h, 0, TW_CLOSE_ACTIVE, TW_ACT_RESET_FIN); /* never lose data */
		return;
	}
	if (now < h->deadline)
		return;
	/* The peer did not close in time. A reset only with nothing unacknowledged. */
	if (tw_closer_cfg.fallback_reset && q == 0)
		finish(h, 1, TW_CLOSE_RESET, TW_ACT_PEER_TIMEOUT);
	else
		finish(h, 0, TW_CLOSE_ACTIVE, TW_ACT_PEER_TIMEOUT);
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
		struct held *h;
		struct epoll_event ev = { 0 };
		int fd = -1;
		long n = tw_syscall(SYS_recvmsg, rx, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return n == 0 ? -1 : 0;
		cm = CMSG_FIRSTHDR(&m);
		if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if (n != sizeof(idx) || idx >= HOLD_MAX || atomic_load(&held[idx].state) != H_SENT) {
			if (fd >= 0) /* a wake-up carries none; anything else is not ours */
				sys_close(fd);
			continue;
		}
		h = &held[idx];
		if (fd < 0) { /* no number left in our table: the kernel closed it, with FIN */
			release(h, TW_CLOSE_ACTIVE, TW_ACT_HOLD_FULL);
			continue;
		}
		h->fd = fd;
		ev.events = h->mode == TW_HOLD_PEER_FIRST ? EPOLLIN | EPOLLRDHUP : 0;
		ev.data.u32 = idx;
		if (tw_syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			/* Still polled by the ticks; only the peer's FIN is seen later. */
		}
		atomic_store(&h->state, H_HELD);
	}
}

static void *closer_main(void *arg)
{
	struct epoll_event ev[64], wake = { .events = EPOLLIN, .data.u32 = WAKE_ID };
	int rx = rx_at_start, ep = -1, orphan = 0;

	(void)arg;
	tw_guard++; /* nothing this thread does is the program's */
	/* Named from here: naming another thread opens its comm file, an fd in
	 * the program's table, at the lowest free number, which the start has
	 * just given back (regression: a program thread's dup2() onto it, in
	 * that instant, had its file closed by glibc). */
	tw_syscall(SYS_prctl, PR_SET_NAME, "twshim-closer", 0, 0, 0);
	if (private_table(rx) == 0)
		ep = (int)tw_syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
	if (ep < 0 || tw_syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, rx, &wake) != 0) {
		atomic_store(&thread_ready, -1);
		return NULL; /* our table, and what is in it, go with the thread */
	}
	atomic_store(&thread_ready, 1);
	for (;;) {
		long n = tw_syscall(SYS_epoll_wait, ep, ev, 64, atomic_load(&nheld) ? TICK_MS : -1);
		uint64_t now;
		int end = atomic_load(&ending);

		for (long i = 0; i < n; i++) {
			if (ev[i].data.u32 == WAKE_ID && receive(rx, ep) < 0) {
				tw_syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, rx, NULL);
				orphan = 1;
			} else if (ev[i].data.u32 < HOLD_MAX)
				readable(&held[ev[i].data.u32], ev[i].events);
		}
		if (orphan && atomic_load(&nheld) == 0)
			return NULL; /* nothing held, nothing to come: our table goes with us */
		now = tw_now_ns();
		for (int i = 0, hi = atomic_load(&hiwater); i < hi && atomic_load(&nheld); i++) {
			struct held *h = &held[i];

			if (atomic_load(&h->state) != H_HELD)
				continue;
			if (end) /* at exit, past the wait: FIN, the kernel delivers what is queued */
				finish(h, 0, TW_CLOSE_ACTIVE,
				       h->mode == TW_HOLD_PEER_FIRST ? TW_ACT_PEER_TIMEOUT
				                                     : TW_ACT_RESET_FIN);
			else
				tick(h, now);
		}
	}
	return NULL;
}

/* ---- the program's side ---- */

/* The fds the start makes in the program's table before the thread has
 * its own: the pair's ends at the numbers socketpair() gave (sp[0] until
 * its high copy is made, sp[1] until the thread has copied it). Marked
 * TW_FD_HELD like tx: a close() of one says EBADF, and a dup2() onto one
 * waits in tw_closer_evict until the start has let it go. */
#define PENDING 2
static _Atomic int pending[PENDING] = { -1, -1 };

/* Closes a marked fd of ours in the program's table: closed, then
 * unmarked, so that a dup2() onto the number, which waits while it is
 * marked, can never replace our fd and then have its own closed by us. */
static void close_held(int fd)
{
	tw_real.close(fd);
	unmark(fd);
}

/* Closes a pending fd of ours; no longer pending only once unmarked. */
static void pending_release(int i)
{
	int fd = atomic_load(&pending[i]);

	if (fd < 0)
		return;
	close_held(fd);
	atomic_store(&pending[i], -1);
}

/* Gives back what a start made in the program's table: tx, and whatever
 * is still pending. */
static void close_start_fds(void)
{
	int t = atomic_exchange(&tx, -1);

	for (int i = 0; i < PENDING; i++)
		pending_release(i);
	if (t >= 0)
		close_held(t);
}

/* One round of waiting for another thread of ours that is at work (a
 * start, a send): the first 100 give way, the rest sleep 1 ms each. */
static void backoff(int round)
{
	struct timespec pause = { 0, 1000000 };

	if (round < 100)
		sched_yield();
	else
		nanosleep(&pause, NULL);
}

/* Waits (bounded) while fd is one of the start's pending fds. */
static void pending_wait(int fd)
{
	for (int n = 0; n < 3000; n++) {
		int hit = 0;

		for (int i = 0; i < PENDING; i++)
			hit |= atomic_load(&pending[i]) == fd;
		if (!hit)
			return;
		backoff(n);
	}
}

/* Whether fd is still an end of the socket pair the start made: a
 * non-blocking UNIX seqpacket socket, which no program file is likely to
 * be by chance. */
static int our_pair_end(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	long fl = tw_syscall(SYS_fcntl, fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK) &&
	       tw_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_SEQPACKET;
}

static void start_failed(const char *what)
{
	close_start_fds();
	tw_warn("cannot start the closer thread (%s): close policies fall back to the "
	        "kernel's close", what);
	atomic_store(&running, 3); /* one line, not one per connect() */
}

/*
 * Whether this thread may be running a signal handler: some signal it
 * blocks has a handler. A handler runs with its own signal blocked (unless
 * installed with SA_NODEFER), and pthread_create is not async-signal-safe
 * (it allocates the new thread's TLS with malloc: a handler that
 * interrupted malloc would wait for itself). A false alarm (a program that
 * blocks a handled signal for a while) only puts the start off to the next
 * connect(). Costs a system call or two per connect() until the thread runs.
 */
static int maybe_in_handler(void)
{
	sigset_t blocked;
	struct sigaction sa;

	if (pthread_sigmask(SIG_BLOCK, NULL, &blocked) != 0)
		return 1;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sigismember(&blocked, sig) != 1)
			continue;
		/* sa_sigaction shares sa_handler's place: a function either way. */
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN)
			return 1;
	}
	return 0;
}

void tw_closer_start(void)
{
	int expected = 0, sp[2], t;
	sigset_t all, old;
	struct rlimit rl;
	struct stat st;
	pthread_t th;

	if (atomic_load(&running) >= 2 || maybe_in_handler() ||
	    !atomic_compare_exchange_strong(&running, &expected, 1))
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fd_floor = rl.rlim_cur > 2048 ? (int)rl.rlim_cur - 1024 : (int)rl.rlim_cur / 2;
	if (fd_floor < 3)
		fd_floor = 3;
	/* A raw system call, like every other fd the shim makes (tw_real): a
	 * sanitizer interposing socketpair would see the numbers made here and
	 * closed by us without seeing the closes. */
	if (tw_syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	            sp) != 0) {
		start_failed("socketpair");
		return;
	}
	for (int i = 0; i < PENDING; i++) {
		mark_held(sp[i]);
		atomic_store(&pending[i], sp[i]);
	}
	/* Until marked, a program thread's dup2() or close() on a number
	 * passes straight through: in that instant one may have put its own
	 * file on ours. Then it is not ours to use, or to close. */
	for (int i = 0; i < PENDING; i++) {
		if (!our_pair_end(sp[i])) {
			unmark(sp[i]);
			atomic_store(&pending[i], -1);
		}
	}
	if (atomic_load(&pending[0]) < 0 || atomic_load(&pending[1]) < 0 ||
	    tw_syscall(SYS_fstat, sp[0], &st) != 0) {
		start_failed("its socket pair was taken");
		return;
	}
	tx_ino = st.st_ino;
	/* Room for hundreds of hand-overs in flight (the kernel caps it). */
	tw_syscall(SYS_setsockopt, sp[0], SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int));
	/* The sending end goes high, out of the way of a program that expects
	 * open() to return the lowest free number; once marked and published,
	 * a dup2() onto it moves it (tw_closer_evict). The same instant as
	 * above: checked, and another number taken if need be. */
	for (int tries = 0; tries < 8; tries++) {
		int cur;

		t = tw_real.fcntl(sp[0], F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor);
		if (t < 0)
			break;
		mark_held(t);
		atomic_store(&tx, t);
		if (tw_syscall(SYS_fstat, t, &st) == 0 && st.st_ino == tx_ino)
			break;
		cur = t;
		if (!atomic_compare_exchange_strong(&tx, &cur, -1))
			break; /* tw_closer_evict moved it meanwhile, and checked it */
		unmark(t);
		t = -1;
	}
	pending_release(0);
	if (atomic_load(&tx) < 0 || tw_syscall(SYS_fstat, sp[1], &st) != 0) {
		start_failed("no fd number left");
		return;
	}
	rx_ino = st.st_ino;
	rx_at_start = sp[1];
	atomic_store(&thread_ready, 0);
	/* The program's signals are not for us: block them all in our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	expected = pthread_create(&th, NULL, closer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (expected != 0) {
		start_failed("pthread_create");
		return;
	}
	pthread_detach(th);
	/* It copies our table as it starts; rx is its own once it says so. */
	for (int i = 0; i < 2100 && atomic_load(&thread_ready) == 0; i++)
		backoff(i);
	if (atomic_load(&thread_ready) != 1) {
		/* A thread that failed has gone with its table; one that did not
		 * answer in 2 s finds rx gone or not ours, or reads it never again
		 * (its peer, tx, is closed): either way it ends. */
		start_failed("its own fd table");
		return;
	}
	pending_release(1);
	atomic_store(&running, 2);
}

/* The number of tx, for one use: tw_closer_evict waits for the users of an
 * old number before the program may have it. */
static int tx_get(void)
{
	atomic_fetch_add(&tx_users, 1);
	return atomic_load(&tx);
}

static void tx_put(void)
{
	atomic_fetch_sub(&tx_users, 1);
}

static long send_one(uint32_t idx, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { &idx, sizeof(idx) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	long rc;

	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf.buf;
		m.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	rc = tw_syscall(SYS_sendmsg, tx_get(), &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	tx_put();
	return rc;
}

int tw_closer_take(int fd, enum tw_hold_mode mode, const struct tw_fd *v)
{
	struct held *h = NULL;
	int saved = errno;

	if (atomic_load(&running) != 2 || atomic_load(&nheld) >= tw_closer_cfg.max_held)
		return -1;
	for (int i = 0; i < HOLD_MAX && !h; i++) {
		int expected = H_FREE;
		if (atomic_compare_exchange_strong(&held[i].state, &expected, H_FILLING)) {
			h = &held[i];
			for (int hi = atomic_load(&hiwater); hi < i + 1;)
				if (atomic_compare_exchange_weak(&hiwater, &hi, i + 1))
					break;
		}
	}
	if (!h)
		return -1;
	h->mode = mode;
	h->deadline = tw_now_ns() + tw_closer_cfg.wait_ns;
	h->v = *v;
	atomic_fetch_add(&nheld, 1);
	atomic_store(&h->state, H_SENT);
	/* Full (the thread is behind by thousands), or the thread is gone. */
	if (send_one((uint32_t)(h - held), fd) != sizeof(uint32_t)) {
		atomic_fetch_sub(&nheld, 1);
		atomic_store(&h->state, H_FREE);
		errno = saved;
		return -1;
	}
	errno = saved;
	return 0;
}

int tw_closer_evict(int fd)
{
	struct stat st;
	int nfd, cur = fd;

	pending_wait(fd);
	if (fd != atomic_load(&tx))
		return 0;
	if (tw_syscall(SYS_fstat, fd, &st) != 0 || st.st_ino != tx_ino) {
		/* Not our socket any more: replaced where nothing could see it
		 * (a raw system call). No more hand-overs, and nothing to move. */
		nfd = -1;
	} else {
		nfd = tw_real.fcntl(fd, F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor);
	}
	if (nfd >= 0)
		mark_held(nfd);
	if (!atomic_compare_exchange_strong(&tx, &cur, nfd)) {
		/* Another thread's dup2() onto the same number moved it first. */
		if (nfd >= 0)
			close_held(nfd);
		nfd = 0;
	} else if (nfd < 0) {
		/* No number left to move to: no more hand-overs. What the thread
		 * holds ends as before; new closes fall back to the kernel's. */
		atomic_store(&running, 3);
	}
	unmark(fd);
	/* A close() in another thread may be sending on the old number. Its
	 * send takes microseconds; bounded all the same, for a thread that
	 * left a signal handler by longjmp from the middle of one. */
	for (int n = 0; n < 1100 && atomic_load(&tx_users) > 0; n++)
		backoff(n);
	return nfd < 0 ? -1 : 0;
}

/* The child has copies of tx and of whatever a start left pending, and no
 * thread; what the thread held is in the parent's thread's table, not in
 * the child's. */
void tw_closer_after_fork_child(void)
{
	for (int i = 0, hi = atomic_load(&hiwater); i < hi; i++)
		atomic_store(&held[i].state, H_FREE);
	atomic_store(&nheld, 0);
	atomic_store(&hiwater, 0);
	atomic_store(&tx_users, 0);
	close_start_fds();
	atomic_store(&running, 0);
}

/* At exit: give what is held its bound to end as the policy wants, then
 * have the rest closed with FIN (the kernel delivers queued data: nothing
 * lost). Whatever the thread has not closed when the process ends, the
 * kernel closes with FIN too, uncounted. */
void tw_closer_drain_at_exit(void)
{
	uint64_t end = tw_now_ns() + tw_closer_cfg.wait_ns + 50u * 1000000u;
	struct timespec tick = { 0, TICK_MS * 1000000L };

	if (atomic_load(&running) < 2)
		return;
	while (atomic_load(&nheld) > 0 && tw_now_ns() < end)
		nanosleep(&tick, NULL);
	if (atomic_load(&nheld) == 0)
		return;
	atomic_store(&ending, 1);
	send_one(UINT32_MAX, -1); /* a wake-up */
	for (end = tw_now_ns() + 100u * 1000000u; atomic_load(&nheld) > 0 && tw_now_ns() < end;)
		nanosleep(&tick, NULL);
}
