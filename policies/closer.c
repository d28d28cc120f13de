// SPDX-License-Identifier: MIT
/*
 * The closer, the program's side (closer.h): starting the thread, handing
 * connections over from close(), fork and exit. The thread itself is in
 * closer_thread.c, what it decides for each connection in closer_hold.c.
 */
#include "closer_held.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "services.h"

int tw_closer_wanted;

enum run {
	R_OFF = 0,
	R_STARTING,
	R_RUNNING,
	R_GAVE_UP, /* for good: the start failed (one line said so), or the channel is gone;
	            * a thread that runs still ends what it holds */
};
static _Atomic int running; /* enum run */
static struct tw_closer_start start;

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
	tw_ownfd_close_all();
	tw_warn("cannot start the closer thread (%s): close policies fall back to the "
	        "kernel's close", what);
	atomic_store(&running, R_GAVE_UP); /* one line, not one per connect() */
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
	int expected = R_OFF, sp[2];
	sigset_t all, old;
	struct stat st;
	pthread_t th;

	if (atomic_load(&running) >= R_RUNNING || maybe_in_handler() ||
	    !atomic_compare_exchange_strong(&running, &expected, R_STARTING))
		return;
	/* A raw system call, like every other fd the shim makes (tw_real): a
	 * sanitizer interposing socketpair would see the numbers made here and
	 * closed by us without seeing the closes. */
	if (tw_syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	               sp) != 0) {
		start_failed("socketpair");
		return;
	}
	/* Until marked, a program thread's dup2() or close() on a number
	 * passes straight through: in that instant one may have put its own
	 * file on ours. Then it is not ours to use, or to close. */
	if (tw_ownfd_pend(sp, our_pair_end) < 0) {
		start_failed("its socket pair was taken");
		return;
	}
	/* Room for hundreds of hand-overs in flight (the kernel caps it). */
	tw_syscall(SYS_setsockopt, sp[0], SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int));
	/* The sending end goes high, out of the program's way (ownfd.h). */
	if (tw_ownfd_keep(sp[0]) < 0) {
		start_failed("no fd number left for its channel");
		return;
	}
	tw_ownfd_unpend(0);
	if (tw_syscall(SYS_fstat, sp[1], &st) != 0) {
		start_failed("its socket pair was taken");
		return;
	}
	start.rx_ino = st.st_ino;
	start.rx = sp[1];
	atomic_store(&start.ready, TW_THREAD_WAITING);
	/* The program's signals are not for us: block them all in our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	expected = pthread_create(&th, NULL, tw_closer_main, &start);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (expected != 0) {
		start_failed("pthread_create");
		return;
	}
	pthread_detach(th);
	/* It copies our table as it starts; rx is its own once it says so. */
	for (int i = 0; i < 2100 && atomic_load(&start.ready) == TW_THREAD_WAITING; i++)
		tw_backoff(i);
	if (atomic_load(&start.ready) != TW_THREAD_READY) {
		/* A thread that failed has gone with its table; one that did not
		 * answer in 2 s finds rx gone or not ours, or reads it never again
		 * (its peer, the channel, is closed): either way it ends. */
		start_failed("its own fd table");
		return;
	}
	tw_ownfd_unpend(1);
	atomic_store(&running, R_RUNNING);
}

/* One message to the thread: held entry idx and its socket, or a wake-up
 * (fd -1). */
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
	rc = tw_syscall(SYS_sendmsg, tw_ownfd_use(), &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	tw_ownfd_unuse();
	return rc;
}

int tw_closer_take(const struct tw_close_ctx *c, enum tw_hold_mode mode)
{
	struct tw_held *h = NULL;
	int saved = errno;

	if (atomic_load(&running) != R_RUNNING ||
	    atomic_load(&tw_nheld) >= tw_closer_cfg.max_held)
		return -1;
	for (int i = 0; i < TW_HOLD_MAX && !h; i++) {
		int expected = TW_H_FREE;
		if (atomic_compare_exchange_strong(&tw_held[i].state, &expected, TW_H_FILLING)) {
			h = &tw_held[i];
			for (int hi = atomic_load(&tw_hiwater); hi < i + 1;)
				if (atomic_compare_exchange_weak(&tw_hiwater, &hi, i + 1))
					break;
		}
	}
	if (!h)
		return -1;
	h->mode = mode;
	h->deadline = tw_now_ns() + tw_closer_cfg.wait_ns;
	h->v = *c->v;
	h->ended = c->ended;
	atomic_fetch_add(&tw_nheld, 1);
	atomic_store(&h->state, TW_H_SENT);
	/* Full (the thread is behind by thousands), or no channel. */
	if (send_one((uint32_t)(h - tw_held), c->fd) != sizeof(uint32_t)) {
		int r = R_RUNNING;

		/* No channel any more (ownfd.h: moved off by a dup2() with no
		 * number left): no hand-over will go, for good. What the thread
		 * holds still ends as before. */
		if (errno == EBADF)
			atomic_compare_exchange_strong(&running, &r, R_GAVE_UP);
		atomic_fetch_sub(&tw_nheld, 1);
		atomic_store(&h->state, TW_H_FREE);
		errno = saved;
		return -1;
	}
	errno = saved;
	return 0;
}

/* The child has copies of the channel and of whatever a start left
 * pending (shim/ownfd.c closes those), and no thread; what the thread held
 * is in the parent's thread's table, not in the child's. */
void tw_closer_after_fork_child(void)
{
	for (int i = 0, hi = atomic_load(&tw_hiwater); i < hi; i++)
		atomic_store(&tw_held[i].state, TW_H_FREE);
	atomic_store(&tw_nheld, 0);
	atomic_store(&tw_hiwater, 0);
	atomic_store(&running, R_OFF);
}

/* At exit: give what is held its bound to end as the policy wants, then
 * have the rest closed with FIN (the kernel delivers queued data: nothing
 * lost). Whatever the thread has not closed when the process ends, the
 * kernel closes with FIN too, uncounted. */
void tw_closer_drain_at_exit(void)
{
	uint64_t end = tw_now_ns() + tw_closer_cfg.wait_ns + 50u * 1000000u;
	struct timespec tick = { 0, TW_TICK_MS * 1000000L };

	if (atomic_load(&running) < R_RUNNING)
		return;
	while (atomic_load(&tw_nheld) > 0 && tw_now_ns() < end)
		nanosleep(&tick, NULL);
	if (atomic_load(&tw_nheld) == 0)
		return;
	atomic_store(&tw_closer_ending, 1);
	send_one(TW_WAKE_ID, -1); /* a wake-up */
	for (end = tw_now_ns() + 100u * 1000000u; atomic_load(&tw_nheld) > 0 && tw_now_ns() < end;)
		nanosleep(&tick, NULL);
}
