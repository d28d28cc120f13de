/*
 * Tracking connections as they end: close, the dup family (which closes the
 * target fd), close_range and closefrom.
 *
 * HAZARD: close() must stay async-signal-safe. Programs call it from signal
 * handlers and between fork and exec. On this path: no malloc, no locks, no
 * stdio, no logging, no waiting for another thread; only system calls,
 * atomics and stack buffers. And the fd is gone whatever close() returns:
 * never retry it, not even on EINTR (on Linux the number may already belong
 * to another thread's new file).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guard.h"
#include "init.h"
#include "real.h"
#include "track.h"

enum tw_close_class tw_classify(int st, unsigned flags, int unread)
{
	int live = st == TCP_ESTABLISHED || st == TCP_FIN_WAIT1 || st == TCP_FIN_WAIT2 ||
	           st == TCP_CLOSING || st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK;

	/* SO_LINGER {1,0}, or data the application never read: the kernel
	 * answers close() with RST, and no one keeps TIME_WAIT. */
	if (live && ((flags & TW_F_LINGER0) || unread > 0))
		return TW_CLOSE_RESET;
	/* After shutdown(SHUT_WR) who sent the first FIN is known already; the
	 * exchange may have finished before close(): the socket then reads
	 * CLOSE, its TIME_WAIT living on apart. */
	if (live || st == TCP_CLOSE || st == TCP_TIME_WAIT) {
		if (flags & TW_F_SHUT_ACTIVE)
			return TW_CLOSE_ACTIVE;
		if (flags & TW_F_SHUT_PASSIVE)
			return TW_CLOSE_PASSIVE;
	}
	switch (st) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
		return TW_CLOSE_ACTIVE;
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
		return TW_CLOSE_PASSIVE;
	default: /* SYN_SENT, LISTEN, CLOSE after a reset, not a socket any more */
		return TW_CLOSE_OTHER;
	}
}

/*
 * What close() will do, asked with one system call: a 1-byte peek that
 * never waits. Data pending: close() sends RST. End of file: the peer's FIN
 * came first (CLOSE_WAIT). Nothing yet (EAGAIN): the connection is open and
 * this close sends the first FIN. An error: it was reset or timed out.
 * Returns the TCP state that stands for the answer, unread set.
 *
 * One call instead of TCP_INFO plus SIOCINQ: the close path of every
 * connection pays for it. TCP_INFO stays for the cases a peek cannot tell
 * (the read side shut down, a connect still in flight).
 */
static int peek_state(int fd, int *unread)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	*unread = n > 0;
	if (n > 0)
		return TCP_ESTABLISHED;
	if (n == 0)
		return TCP_CLOSE_WAIT;
	return errno == EAGAIN || errno == EWOULDBLOCK ? TCP_ESTABLISHED : TCP_CLOSE;
}

struct closing {
	struct tw_fd v;   /* the entry as it was */
	int tcp_state;
	int unread;
};

/* Takes fd's entry out of the table and reads what the kernel knows while
 * the fd is still open. Returns 0 when fd is not a tracked TCP socket. */
static int close_prepare(int fd, struct tw_fd *e, struct closing *c)
{
	uint32_t kind = atomic_exchange_explicit(&e->kind, TW_FD_NONE, memory_order_acq_rel);

	if (kind != TW_FD_TCP)
		return 0;
	memcpy(&c->v, e, sizeof(c->v));
	c->tcp_state = -1;
	c->unread = 0;
	if (c->v.state == TW_CS_NEW || c->v.state == TW_CS_LISTENING)
		return 1;
	if ((c->v.state == TW_CS_CONNECTED || c->v.state == TW_CS_ACCEPTED) &&
	    !(c->v.flags & TW_F_SHUT_RD)) {
		c->tcp_state = peek_state(fd, &c->unread);
	} else {
		c->tcp_state = tw_tcp_state(fd);
		if (c->tcp_state == TCP_ESTABLISHED || c->tcp_state == TCP_CLOSE_WAIT ||
		    c->tcp_state == TCP_FIN_WAIT1 || c->tcp_state == TCP_FIN_WAIT2) {
			if (ioctl(fd, SIOCINQ, &c->unread) < 0)
				c->unread = 0;
		}
	}
	/* To ask the kernel afterwards, the exact 4-tuple is needed (an
	 * accepted socket's entry holds the listener's, maybe wildcard, address). */
	if (c->v.flags & TW_F_SHARED) {
		tw_sockname(fd, &c->v.local, 0);
		tw_sockname(fd, &c->v.remote, 1);
	}
	return 1;
}

/* Counts the close once the fd is gone. */
static void close_finish(struct closing *c)
{
	struct tw_slot *owner = tw_entry_slot(&c->v), *s;
	enum tw_close_class cls;
	uint64_t now = tw_now_ns();
	int dest = -1;

	if (c->v.state == TW_CS_NEW || c->v.state == TW_CS_LISTENING)
		return;
	/* Others hold the socket: their close is the one that counts. */
	if ((c->v.flags & TW_F_SHARED) &&
	    tw_diag_still_open(c->v.family, &c->v.local, &c->v.remote) == 1)
		return;

	/* A fork child closing what its parent opened counts it as its own
	 * if it has a slot already; it never claims one here (that could wait). */
	s = tw_slot_acquire(0);
	if (!s)
		s = owner;
	if (s && s == owner) {
		dest = c->v.dest;
	} else if (s) {
		struct tw_addr key;
		tw_dest_key(&key, c->v.state == TW_CS_ACCEPTED ? &c->v.local : &c->v.remote);
		dest = tw_dest_find(s, c->v.state == TW_CS_ACCEPTED ? TW_DEST_IN : TW_DEST_OUT, &key);
	}
	if (c->v.state == TW_CS_CONNECTING) {
		/* Never asked how the non-blocking connect ended: the kernel knows. */
		if (c->tcp_state < 0 || c->tcp_state == TCP_SYN_SENT || c->tcp_state == TCP_CLOSE) {
			cls = TW_CLOSE_OTHER;
			goto count;
		}
		if (s)
			tw_count_connect(s, dest, 0, UINT64_MAX);
	}
	cls = tw_classify(c->tcp_state, c->v.flags, c->unread);
count:
	if (s)
		tw_count_close(s, dest, cls, (now - c->v.open_ns) / 1000000u, now / 1000000u);
	if (owner)
		tw_count_open(owner, c->v.dest, -1);
}

int tw_close(int fd)
{
	struct tw_fd *e;
	struct closing c;
	int rc, err, saved;

	/* The pass-through path: two loads. Files, pipes, UNIX sockets. */
	e = tw_fd_get(fd);
	if (tw_fd_kind(e) == TW_FD_NONE || tw_guard) {
		if (!tw_real.close)
			tw_real_bind();
		return tw_real.close(fd);
	}
	saved = errno;
	tw_guard++;
	if (!close_prepare(fd, e, &c)) {
		tw_guard--;
		errno = saved;
		return tw_real.close(fd);
	}
	/* The peek and TCP_INFO set errno: a close that succeeds keeps the caller's. */
	errno = saved;
	rc = tw_real.close(fd);
	err = errno;
	close_finish(&c);
	tw_guard--;
	errno = err;
	return rc;
}

/* newfd now refers to what oldfd does: both entries are marked shared. */
static void dup_entry(int oldfd, int newfd)
{
	struct tw_fd *o = tw_fd_get(oldfd), *n;
	uint32_t kind = tw_fd_kind(o);

	n = kind == TW_FD_NONE ? tw_fd_get(newfd) : tw_fd_get_alloc(newfd);
	if (!n)
		return;
	tw_drop_stale(n);
	if (kind == TW_FD_NONE)
		return;
	if (kind == TW_FD_TCP)
		o->flags |= TW_F_SHARED;
	tw_fd_publish(n, o);
}

int tw_dup(int fd)
{
	int nfd, err;

	tw_real_bind();
	nfd = tw_real.dup(fd);
	if (nfd < 0 || tw_guard || tw_inert())
		return nfd;
	err = errno;
	tw_guard++;
	dup_entry(fd, nfd);
	tw_guard--;
	errno = err;
	return nfd;
}

/* dup2/dup3 close newfd first, silently: that is a close like any other. */
int tw_dup3(int oldfd, int newfd, int flags, int is_dup2)
{
	struct tw_fd *e;
	struct closing c;
	int rc, err, closing = 0, saved = errno;

	tw_real_bind();
	if (tw_guard || tw_inert() || oldfd == newfd)
		return is_dup2 ? tw_real.dup2(oldfd, newfd) : tw_real.dup3(oldfd, newfd, flags);
	tw_guard++;
	e = tw_fd_get(newfd);
	if (tw_fd_kind(e) != TW_FD_NONE)
		closing = close_prepare(newfd, e, &c);
	errno = saved;
	rc = is_dup2 ? tw_real.dup2(oldfd, newfd) : tw_real.dup3(oldfd, newfd, flags);
	err = errno;
	if (rc >= 0) {
		if (closing)
			close_finish(&c);
		dup_entry(oldfd, newfd);
	} else if (closing) {
		/* newfd was not replaced: it is still open and still ours. */
		atomic_store(&c.v.kind, TW_FD_TCP);
		tw_fd_publish(e, &c.v);
	}
	tw_guard--;
	errno = err;
	return rc;
}

int tw_fcntl(int fd, int cmd, void *arg)
{
	int rc, err;

	tw_real_bind();
	rc = tw_real.fcntl(fd, cmd, arg);
	if (rc < 0 || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || tw_guard || tw_inert())
		return rc;
	err = errno;
	tw_guard++;
	dup_entry(fd, rc);
	tw_guard--;
	errno = err;
	return rc;
}

static void close_one(int fd, struct tw_fd *e, void *arg)
{
	struct closing c;

	(void)arg;
	if (close_prepare(fd, e, &c)) {
		tw_real.close(fd);
		close_finish(&c);
	}
}

/* Tracked sockets in the range are closed one by one, so that each is
 * seen open just before; the rest of the range goes in one call. */
int tw_close_range(unsigned lo, unsigned hi, int flags)
{
	int saved = errno;

	tw_real_bind();
	/* CLOEXEC closes nothing now; UNSHARE first gives this thread its own
	 * fd table, so closing ours one by one would touch others': let both be. */
	if (tw_guard || tw_inert() || lo > hi || (flags & (CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE)))
		return tw_real.close_range(lo, hi, flags);
	tw_guard++;
	/* The guard is up: close_one's own closes pass straight through. */
	tw_fd_foreach(lo, hi, close_one, NULL);
	tw_guard--;
	errno = saved;
	return tw_real.close_range(lo, hi, flags);
}

void tw_closefrom(int lowfd)
{
	int saved = errno;

	tw_real_bind();
	if (lowfd >= 0 && !tw_guard && !tw_inert()) {
		tw_guard++;
		tw_fd_foreach((unsigned)lowfd, ~0u, close_one, NULL);
		tw_guard--;
	}
	errno = saved;
	tw_real.closefrom(lowfd);
}
