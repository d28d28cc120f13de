/*
 * The closer thread (see closer.h).
 *
 * Hand-over from close() is lock-free and async-signal-safe: a slot in a
 * fixed array is claimed by compare-and-swap, the socket is duplicated to a
 * reserved fd number high above the program's, registered with epoll, and
 * the thread woken through an eventfd. The thread polls the held sockets
 * every few milliseconds while it holds any, and sleeps otherwise.
 *
 * HAZARD: our fds live in the program's fd table. The program may close,
 * close_range or dup2 over numbers it never opened (daemons close "all"
 * fds): our fds are marked TW_FD_HELD in the fd table, and those wrappers
 * leave them alone or move them first (tw_closer_evict), so the program sees what it would
 * without us: EBADF for a number it never opened.
 */
#include "closer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "real.h"
#include "track.h"

#define HOLD_MAX  4096
#define TICK_MS   5
#define WAKE_ID   UINT32_MAX

enum { H_FREE = 0, H_FILLING, H_HELD, H_CLOSING };

struct held {
	_Atomic int state;
	int fd;
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
static _Atomic int running;     /* 0 no, 1 starting, 2 running */
static _Atomic int epfd = -1, evfd = -1;
static int fd_floor = 3;

static void mark(int fd, uint32_t kind)
{
	struct tw_fd *e = kind == TW_FD_NONE ? tw_fd_get(fd) : tw_fd_get_alloc(fd);

	if (e)
		atomic_store_explicit(&e->kind, kind, memory_order_release);
}

/* Our fds go high, out of the way of a program that expects open() to
 * return the lowest free number. */
static int reserve(int fd)
{
	int r = tw_real.fcntl(fd, F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor);

	tw_real.close(fd);
	if (r >= 0)
		mark(r, TW_FD_HELD);
	return r;
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

	return ioctl(fd, SIOCOUTQ, &n) == 0 ? n : -1;
}

/* Ends a held connection: with RST (SO_LINGER {1,0}) or FIN, and counts. */
static void finish(struct held *h, int rst, enum tw_close_class cls, int act)
{
	struct linger lg = { 1, 0 };

	mark(h->fd, TW_FD_NONE);
	if (rst)
		tw_real.setsockopt(h->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	tw_real.close(h->fd);
	tw_closer_count(&h->v, cls, act);
	atomic_store(&h->state, H_FREE);
	atomic_fetch_sub(&nheld, 1);
}

static int claim(struct held *h)
{
	int expected = H_HELD;

	return atomic_compare_exchange_strong(&h->state, &expected, H_CLOSING);
}

/* Reads whatever the peer still sends (the program has closed: nobody
 * wants it) until its FIN. Returns 1 at the FIN, -1 on a reset, 0 else. */
static int drain_input(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0)
			return 1;
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	}
}

static void readable(struct held *h)
{
	int r;

	if (h->mode != TW_HOLD_PEER_FIRST || !claim(h))
		return;
	r = drain_input(h->fd);
	if (r == 1)        /* the peer's FIN came first: the TIME_WAIT is the peer's */
		finish(h, 0, TW_CLOSE_PASSIVE, TW_ACT_PEER_FIRST);
	else if (r < 0)    /* reset by the peer: nobody holds TIME_WAIT */
		finish(h, 0, TW_CLOSE_OTHER, -1);
	else
		atomic_store(&h->state, H_HELD);
}

static void tick(struct held *h, uint64_t now)
{
	int q;

	if (!claim(h))
		return;
	q = tw_unacked(h->fd);
	if (h->mode == TW_HOLD_DRAIN_RESET) {
		if (q == 0)
			finish(h, 1, TW_CLOSE_RESET, TW_ACT_RESET_DRAINED);
		else if (now >= h->deadline || q < 0)
			finish(h, 0, TW_CLOSE_ACTIVE, TW_ACT_RESET_FIN); /* never lose data */
		else
			atomic_store(&h->state, H_HELD);
		return;
	}
	if (now < h->deadline) {
		atomic_store(&h->state, H_HELD);
		return;
	}
	/* The peer did not close in time. A reset only with nothing unacknowledged. */
	if (tw_closer_cfg.fallback_reset && q == 0)
		finish(h, 1, TW_CLOSE_RESET, TW_ACT_PEER_TIMEOUT);
	else
		finish(h, 0, TW_CLOSE_ACTIVE, TW_ACT_PEER_TIMEOUT);
}

static void *closer_main(void *arg)
{
	struct epoll_event ev[64];

	(void)arg;
	for (;;) {
		int n = epoll_wait(atomic_load(&epfd), ev, 64, atomic_load(&nheld) ? TICK_MS : -1);
		uint64_t now;

		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == WAKE_ID) {
				uint64_t x;
				if (read(atomic_load(&evfd), &x, sizeof(x)) < 0) {
					/* nothing pending: fine */
				}
			} else if (ev[i].data.u32 < HOLD_MAX) {
				readable(&held[ev[i].data.u32]);
			}
		}
		now = tw_now_ns();
		for (int i = 0, hi = atomic_load(&hiwater); i < hi && atomic_load(&nheld); i++)
			if (atomic_load(&held[i].state) == H_HELD)
				tick(&held[i], now);
	}
	return NULL;
}

void tw_closer_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = WAKE_ID };
	int expected = 0, ep, efd;
	sigset_t all, old;
	struct rlimit rl;
	pthread_t th;

	if (atomic_load(&running) == 2 || !atomic_compare_exchange_strong(&running, &expected, 1))
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fd_floor = rl.rlim_cur > 2048 ? (int)rl.rlim_cur - 1024 : (int)rl.rlim_cur / 2;
	if (fd_floor < 3)
		fd_floor = 3;
	/* Raw system calls, like every other fd the shim makes (tw_real): a
	 * sanitizer interposing epoll_create1 would see the low number made
	 * here and closed by reserve() without seeing the close, and take the
	 * program's next socket() on that number for a race. */
	ep = (int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
	efd = (int)syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ep >= 0)
		ep = reserve(ep);
	if (efd >= 0)
		efd = reserve(efd);
	if (ep < 0 || efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		goto fail;
	atomic_store(&epfd, ep);
	atomic_store(&evfd, efd);
	/* The program's signals are not for us: block them all in our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	expected = pthread_create(&th, NULL, closer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (expected != 0)
		goto fail;
	pthread_setname_np(th, "twshim-closer");
	pthread_detach(th);
	atomic_store(&running, 2);
	return;
fail:
	tw_warn("cannot start the closer thread (%s): close policies fall back to the "
	        "kernel's close", expected ? "pthread_create" : "epoll/eventfd");
	if (ep >= 0) {
		mark(ep, TW_FD_NONE);
		tw_real.close(ep);
	}
	if (efd >= 0) {
		mark(efd, TW_FD_NONE);
		tw_real.close(efd);
	}
	atomic_store(&epfd, -1);
	atomic_store(&evfd, -1);
	atomic_store(&running, 0);
}

int tw_closer_take(int fd, enum tw_hold_mode mode, const struct tw_fd *v)
{
	struct epoll_event ev = { 0 };
	uint64_t one = 1;
	struct held *h = NULL;
	int nfd;

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
	nfd = tw_real.fcntl(fd, F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor);
	if (nfd < 0) {
		atomic_store(&h->state, H_FREE);
		return -1;
	}
	mark(nfd, TW_FD_HELD);
	h->fd = nfd;
	h->mode = mode;
	h->deadline = tw_now_ns() + tw_closer_cfg.wait_ns;
	h->v = *v;
	ev.events = mode == TW_HOLD_PEER_FIRST ? EPOLLIN | EPOLLRDHUP : 0;
	ev.data.u32 = (uint32_t)(h - held);
	atomic_fetch_add(&nheld, 1);
	atomic_store(&h->state, H_HELD);
	if (epoll_ctl(atomic_load(&epfd), EPOLL_CTL_ADD, nfd, &ev) < 0) {
		/* Still polled by the ticks; only the peer's FIN is seen later. */
	}
	if (write(atomic_load(&evfd), &one, sizeof(one)) < 0) {
		/* The counter is full of wake-ups already. */
	}
	return 0;
}

int tw_closer_evict(int fd)
{
	struct epoll_event ev = { 0 };

	for (int i = 0, hi = atomic_load(&hiwater); i < hi; i++) {
		struct held *h = &held[i];
		int nfd;

		if (h->fd != fd || !claim(h))
			continue;
		nfd = tw_real.fcntl(fd, F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor);
		if (nfd < 0) {           /* nowhere to go: end it now, safely */
			finish(h, 0, TW_CLOSE_ACTIVE, -1);
			return -1;
		}
		epoll_ctl(atomic_load(&epfd), EPOLL_CTL_DEL, fd, NULL);
		mark(fd, TW_FD_NONE);
		mark(nfd, TW_FD_HELD);
		h->fd = nfd;
		ev.events = h->mode == TW_HOLD_PEER_FIRST ? EPOLLIN | EPOLLRDHUP : 0;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(atomic_load(&epfd), EPOLL_CTL_ADD, nfd, &ev);
		atomic_store(&h->state, H_HELD);
		return 0;
	}
	/* Our epoll or eventfd: move it, the thread reads the numbers anew. */
	if (fd == atomic_load(&epfd) || fd == atomic_load(&evfd)) {
		int nfd = tw_real.fcntl(fd, F_DUPFD_CLOEXEC, (void *)(intptr_t)fd_floor);
		if (nfd < 0)
			return -1;
		mark(fd, TW_FD_NONE);
		mark(nfd, TW_FD_HELD);
		atomic_store(fd == atomic_load(&epfd) ? &epfd : &evfd, nfd);
	}
	return 0;
}

/* The child has copies of our fds and no thread. Closing the copies sends
 * nothing: the parent still holds every one of those sockets. */
void tw_closer_after_fork_child(void)
{
	for (int i = 0, hi = atomic_load(&hiwater); i < hi; i++) {
		if (atomic_load(&held[i].state) == H_FREE)
			continue;
		mark(held[i].fd, TW_FD_NONE);
		tw_real.close(held[i].fd);
		atomic_store(&held[i].state, H_FREE);
	}
	atomic_store(&nheld, 0);
	atomic_store(&hiwater, 0);
	if (atomic_load(&running) == 2) {
		mark(atomic_load(&epfd), TW_FD_NONE);
		mark(atomic_load(&evfd), TW_FD_NONE);
		tw_real.close(atomic_load(&epfd));
		tw_real.close(atomic_load(&evfd));
	}
	atomic_store(&epfd, -1);
	atomic_store(&evfd, -1);
	atomic_store(&running, 0);
}

/* At exit: give what is held its bound to end as the policy wants, then
 * close the rest with FIN (the kernel delivers queued data: nothing lost). */
void tw_closer_drain_at_exit(void)
{
	uint64_t end = tw_now_ns() + tw_closer_cfg.wait_ns + 50u * 1000000u;
	struct timespec tick = { 0, TICK_MS * 1000000L };

	if (atomic_load(&running) != 2)
		return;
	while (atomic_load(&nheld) > 0 && tw_now_ns() < end)
		nanosleep(&tick, NULL);
	for (int i = 0, hi = atomic_load(&hiwater); i < hi; i++)
		if (atomic_load(&held[i].state) == H_HELD && claim(&held[i]))
			finish(&held[i], 0, TW_CLOSE_ACTIVE,
			       held[i].mode == TW_HOLD_PEER_FIRST ? TW_ACT_PEER_TIMEOUT
			                                          : TW_ACT_RESET_FIN);
}
