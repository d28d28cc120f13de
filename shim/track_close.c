// SPDX-License-Identifier: MIT
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
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "init.h"
#include "log.h"
#include "real.h"
#include "sys.h"
#include "track.h"
#include "closer.h"
#include "handed.h"
#include "policy.h"

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
 * Returns the TCP state that stands for the answer, unread set, *errored
 * set for an error.
 *
 * One call instead of TCP_INFO plus SIOCINQ: the close path of every
 * connection pays for it. TCP_INFO stays for the cases a peek cannot tell
 * (the read side shut down, a connect still in flight, a half-close).
 */
static int peek_state(int fd, int *unread, int *errored)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	*unread = n > 0;
	*errored = 0;
	if (n > 0)
		return TCP_ESTABLISHED;
	if (n == 0)
		return TCP_CLOSE_WAIT;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return TCP_ESTABLISHED;
	*errored = 1;
	return TCP_CLOSE;
}

struct closing {
	struct tw_fd v;             /* the entry as it was */
	int tcp_state;
	int unread;
	int errored;                /* the peek read an error: the connection was reset */
	int over;                   /* both FINs done before close(): the TIME_WAIT exists */
	int handshake;              /* from TCP_INFO: 1 done, 0 never, -1 unknown */
	int heard;                  /* from TCP_INFO: any segment came in */
	int connected_late;         /* a non-blocking connect seen through only now */
	int connect_err;            /* ... or seen failed only now: its errno */
	int act;                    /* what a policy did (enum tw_act), -1 nothing */
	int verify;                 /* ask the kernel after the close what it did */
	struct tw_addr local;       /* the exact local address, when verify is set */
	enum tw_close_class cls;
	enum tw_close_verdict verdict;
	struct tw_slot *s;          /* where the close is counted */
	struct tw_slot *owner;      /* where the connection was counted as open */
	int dest;
	int placed;                 /* s, owner and dest are set */
	int leave_errors;           /* read no pending error away (LOOK_LEAVING) */
	uint64_t cookie;            /* the fd's SO_COOKIE now, 0 unknown */
};

/* The kernel's state, for a socket a peek cannot speak for. */
static void ask_tcp_info(int fd, struct closing *c)
{
	struct tw_tcp_facts f;

	c->tcp_state = tw_tcp_facts(fd, &f);
	c->handshake = f.handshake;
	c->heard = f.heard;
	if (c->tcp_state == TCP_ESTABLISHED || c->tcp_state == TCP_CLOSE_WAIT ||
	    c->tcp_state == TCP_FIN_WAIT1 || c->tcp_state == TCP_FIN_WAIT2) {
		if (ioctl(fd, SIOCINQ, &c->unread) < 0)
			c->unread = 0;
	}
}

/*
 * The socket reads CLOSE with its fd still open and no error to read:
 * either a reset the program has read already, or both FINs are done and
 * the TIME_WAIT is a separate kernel entry already (DOMAIN fact 16), on
 * the side whose FIN was first. A shutdown() the shim saw says which side
 * that was. Without one (the FIN went through another holder of the
 * socket), the kernel's table does: a TIME_WAIT entry at this socket's own
 * 4-tuple is this side's. Neither: a reset, or the peer holds it; counted
 * as other, as a reset is.
 */
static enum tw_close_class closed_already(int fd, struct closing *c)
{
	if (c->v.flags & TW_F_SHUT_ACTIVE)
		return TW_CLOSE_ACTIVE;
	if (c->v.flags & TW_F_SHUT_PASSIVE)
		return TW_CLOSE_PASSIVE;
	return tw_time_wait_here(fd, c->v.family, &c->v.remote) ? TW_CLOSE_ACTIVE : TW_CLOSE_OTHER;
}

/* Whether close_prepare may read what it reads away: a pending error
 * (ECONNRESET) is taken by the peek, and by SO_ERROR. */
enum look { LOOK_TAKING = 0, LOOK_LEAVING };

/* Takes fd's entry out of the table and reads what the kernel knows while
 * the fd is still open. Returns 0 when fd is not a tracked TCP socket.
 * LOOK_LEAVING: the fd may stay the program's (dup2 onto it may fail), so
 * it is only asked (TCP_INFO), never read. */
static int close_prepare(int fd, struct tw_fd *e, struct closing *c, enum look look)
{
	uint32_t kind = atomic_load_explicit(&e->kind, memory_order_acquire);

	/* The closer's own fds keep their mark: the caller leaves them alone. */
	if (kind == TW_FD_HELD || kind == TW_FD_NONE ||
	    !atomic_compare_exchange_strong(&e->kind, &kind, TW_FD_NONE))
		return 0;
	atomic_fetch_add(&e->seq, 1);
	if (kind != TW_FD_TCP)
		return 0;
	memset(c, 0, sizeof(*c));
	memcpy(&c->v, e, sizeof(c->v));
	c->tcp_state = -1;
	c->handshake = c->heard = -1;
	c->act = -1;
	c->cls = TW_CLOSE_OTHER;
	if (c->v.state == TW_CS_NEW || c->v.state == TW_CS_LISTENING)
		return 1;
	/* The entry's socket may have been closed unseen (by a system call
	 * made without libc; fclose is seen, wrappers.c), and the number be
	 * another file now, made by a call the shim does not wrap (socketpair,
	 * open, pipe): under a close policy, which would hold or reset it, the
	 * kernel says whether it is the same socket (the cookie taken at
	 * connect or accept). If not, the old connection ended unseen; this
	 * close is not its, and passes through. A shared socket's cookie
	 * counts it once (close_finish, count_at_exit). */
	if (c->v.cookie || (c->v.flags & TW_F_SHARED))
		c->cookie = tw_socket_cookie(fd);
	if (c->v.cookie && c->cookie != c->v.cookie) {
		tw_count_stale(&c->v);
		return 0;
	}
	/* No peek on a socket others hold, nor on one that may stay the
	 * program's: it would take a pending error (ECONNRESET) away. */
	c->leave_errors = look == LOOK_LEAVING;
	if ((c->v.state == TW_CS_CONNECTED || c->v.state == TW_CS_ACCEPTED) &&
	    !(c->v.flags & (TW_F_SHUT_RD | TW_F_SHARED)) && look == LOOK_TAKING) {
		c->tcp_state = peek_state(fd, &c->unread, &c->errored);
		/* After the program's own shutdown(SHUT_WR), end of file may mean
		 * the exchange is over (CLOSE) or not yet (CLOSING, LAST_ACK):
		 * ask. Only programs that half-close pay for it. */
		if (c->tcp_state == TCP_CLOSE_WAIT &&
		    (c->v.flags & (TW_F_SHUT_ACTIVE | TW_F_SHUT_PASSIVE)))
			ask_tcp_info(fd, c);
	} else {
		ask_tcp_info(fd, c);
	}
	if (c->tcp_state == TCP_CLOSE && !c->errored && c->unread == 0 && c->handshake != 0) {
		c->cls = closed_already(fd, c);
		c->over = c->cls != TW_CLOSE_OTHER;
	}
	/* To ask the kernel afterwards, the exact 4-tuple is needed (an
	 * accepted socket's entry holds the listener's, maybe wildcard, address;
	 * getpeername() fails once the socket reads CLOSE: then the one
	 * connect() or accept() gave stays). */
	if (c->v.flags & TW_F_SHARED) {
		struct linger lg = { 0, 0 };
		socklen_t llen = sizeof(lg);
		struct tw_addr peer;

		tw_sockname(fd, &c->v.local, 0);
		tw_sockname(fd, &peer, 1);
		if (peer.family)
			c->v.remote = peer;
		/* SO_LINGER may have been set through another copy: ask the socket. */
		if (tw_real.getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &llen) == 0)
			c->v.flags = (uint8_t)((c->v.flags & ~TW_F_LINGER0) |
			                       (lg.l_onoff && !lg.l_linger ? TW_F_LINGER0 : 0));
	}
	return 1;
}

/* Where the close is counted. A fork child closing what its parent opened
 * counts it as its own if it has a slot already; it never claims one here
 * (claiming reads /proc with stdio-like formatting: not for close()). */
static void close_place(struct closing *c)
{
	struct tw_slot *owner = tw_entry_slot(&c->v);
	struct tw_addr key;

	c->placed = 1;
	c->owner = owner;
	c->s = tw_slot_acquire(TW_SLOT_EXISTING);
	if (!c->s)
		c->s = owner;
	c->dest = -1;
	if (c->s && c->s == owner) {
		c->dest = c->v.dest;
	} else if (c->s) {
		tw_dest_key(&key, c->v.state == TW_CS_ACCEPTED ? &c->v.local : &c->v.remote);
		c->dest = tw_dest_find(c->s, c->v.state == TW_CS_ACCEPTED ? TW_DEST_IN : TW_DEST_OUT,
		                       &key);
	}
}

/* A non-blocking connect the program never asked about, at its close:
 * the handshake completed or it did not. Returns 0 when it never did. */
static int settle_connect(int fd, struct closing *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->tcp_state < 0 || c->tcp_state == TCP_SYN_SENT)
		return 0; /* still in flight: abandoned, no outcome to count */
	if (c->tcp_state != TCP_CLOSE || c->handshake != 0) {
		c->connected_late = 1;
		return 1;
	}
	/* Refused or timed out. The error is still there unless the program
	 * read it (recv, send); the socket is ours alone, closing: take it. */
	if (!(c->v.flags & TW_F_SHARED) && !c->leave_errors &&
	    tw_real.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = 0;
	c->connect_err = err ? err : tw_failed_connect_errno(c->heard);
	return 0;
}

/* Whether a close policy may change this close. */
enum decide {
	DECIDE_OBSERVE = 0, /* no: what it does cannot be undone if the call fails (dup2) */
	DECIDE_POLICY,      /* yes: close() and the range closers */
	DECIDE_AT_EXIT,     /* yes, without holding or waiting: the kernel closes it next */
};

/* Before the fd goes: what close() will do, and whether a policy changes it.
 * A socket others may hold is never changed: a reset would cut them off. */
static void close_decide(int fd, struct closing *c, enum decide policies)
{
	struct tw_close_ctx ctx;

	c->verdict = TW_CLOSE_AS_IS;
	if (c->v.state == TW_CS_NEW || c->v.state == TW_CS_LISTENING)
		return;
	if (c->v.state == TW_CS_CONNECTING) {
		if (!settle_connect(fd, c))
			return;
		c->v.state = TW_CS_CONNECTED; /* seen through now: policies apply */
	}
	if (!c->over)
		c->cls = tw_classify(c->tcp_state, c->v.flags, c->unread);
	if (policies == DECIDE_OBSERVE || !tw_policies_at_close_wanted())
		return;
	close_place(c);
	ctx = (struct tw_close_ctx){ .fd = fd, .v = &c->v, .cls = c->cls, .slot = c->s,
	                             .dest = c->dest, .tcp_state = c->tcp_state,
	                             .over = c->over, .at_exit = policies == DECIDE_AT_EXIT,
	                             .shared = (c->v.flags & TW_F_SHARED) != 0, .act = -1 };
	/* Data a holder has not read yet only makes the last close a reset: a
	 * forking server's parent closes its copy before the child has read
	 * the request. The policy judges such a socket as that holder will
	 * see it; the class counted stays the kernel's. */
	if (ctx.shared && !c->over)
		ctx.cls = tw_classify(c->tcp_state, c->v.flags, 0);
	c->verdict = tw_policies_at_close(&ctx);
	if (c->verdict != TW_CLOSE_AS_IS)
		c->cls = ctx.cls;
	c->act = ctx.act;
	/* This side's FIN went with the program's shutdown(): the peer's may
	 * still arrive between the look above and close() itself, finishing
	 * the exchange before the policy's change can act. Only the kernel
	 * can say afterwards; it needs the exact 4-tuple, read now. */
	if (c->act >= 0 && !c->over && (c->v.flags & TW_F_SHUT_ACTIVE) &&
	    policies != DECIDE_AT_EXIT) {
		tw_sockname(fd, &c->local, 0);
		c->verify = 1;
	}
}

/* After the close: a TIME_WAIT entry at the connection's own 4-tuple means
 * the exchange had finished before close(), whatever the policy set. */
static void close_verify(struct closing *c)
{
	if (tw_time_wait_at(c->v.family, &c->local, &c->v.remote)) {
		c->cls = TW_CLOSE_ACTIVE;
		c->act = TW_ACT_LATE;
	}
}

/* The end of connection v, as cls, counted in s at destination dest; the
 * policies hear of it too. Async-signal-safe. */
void tw_count_end(struct tw_slot *s, int dest, const struct tw_fd *v, enum tw_close_class cls)
{
	uint64_t now = tw_now_ns();

	tw_count_close(s, dest, cls, (now - v->open_ns) / 1000000u, now / 1000000u);
	tw_policies_closed(v, cls);
}

static void close_count(struct closing *c);

/* Counts the close once the fd is gone. */
static void close_finish(struct closing *c)
{
	if (c->v.state == TW_CS_NEW || c->v.state == TW_CS_LISTENING)
		return;
	/* Others hold the socket: their close is the one that counts. When the
	 * kernel cannot tell (the connection was over before), the first close
	 * to claim the socket's cookie counts it. */
	if (c->v.flags & TW_F_SHARED) {
		if (tw_diag_still_open(c->v.family, &c->v.local, &c->v.remote) == 1) {
			/* Unless the only other holders are receivers of
			 * SCM_RIGHTS, whose fds the shim never saw made and whose
			 * closes it will not see: a socket sent and never copied
			 * here (no dup, no fork) has one tracked close, this one.
			 * The connection has left this process: open here no
			 * more, its end uncounted. A copied one keeps the rule:
			 * the last tracked close counts, if it is the last. */
			struct tw_slot *owner = tw_entry_slot(&c->v);

			if ((c->v.flags & (TW_F_SENT | TW_F_COPIED)) == TW_F_SENT && owner) {
				/* A non-blocking connect seen through only now. */
				if (c->connected_late)
					tw_count_connect(owner, c->v.dest, 0, UINT64_MAX);
				tw_count_open(owner, c->v.dest, -1);
			} else if ((c->v.flags & TW_F_FORKED) && c->cookie) {
				/* Another process holds it and may end it unseen
				 * (a forking server's child that exits): ask the
				 * kernel later (handed.h). */
				if (c->connected_late && owner)
					tw_count_connect(owner, c->v.dest, 0, UINT64_MAX);
				tw_handed_add(&c->v, c->cookie, c->act);
			}
			return;
		}
		if (!tw_cookie_first(c->cookie))
			return;
	}
	close_count(c);
}

/* Counts the end of the connection c speaks for: its class, what a policy
 * did, and that it is open no more. */
static void close_count(struct closing *c)
{
	if (!c->placed)
		close_place(c);
	if (c->connected_late && c->s)
		tw_count_connect(c->s, c->dest, 0, UINT64_MAX);
	if (c->connect_err && c->s)
		tw_count_connect(c->s, c->dest, c->connect_err, UINT64_MAX);
	if (c->verify)
		close_verify(c);
	if (c->act >= 0 && c->s)
		tw_count_action(c->s, c->dest, (enum tw_act)c->act);
	/* A connection the closer took is counted when it really ends. */
	if (c->verdict != TW_CLOSE_TAKEN && c->s)
		tw_count_end(c->s, c->dest, &c->v, c->cls);
	if (c->owner)
		tw_count_open(c->owner, c->v.dest, -1);
}

/*
 * fclose() of a stream on a tracked socket (fdopen): glibc closes the fd
 * inside, by a call no wrapper sees, and the entry would stay, trusted when
 * the number came back as a pipe or a UNIX socket. The close is observed as
 * close() observes it, the fd still open; no close policy acts on it: the
 * stream's buffered data goes out inside fclose, after any look the policy
 * could take (a reset would lose it, a hold would race fclose's own close).
 */
/*
 * The close pipeline around the call that lets fd go (close, fclose): the
 * kernel asked while fd is still open, a policy's say (how), the call,
 * then the count. The peek and TCP_INFO set errno: a close that succeeds
 * keeps the caller's. The guard comes down for the call: with SO_LINGER
 * {1,N} it blocks, and a siglongjmp out of it must not leave the guard up
 * for good.
 */
static int close_around(int fd, struct tw_fd *e, enum decide how, int (*let_go)(void *),
                        void *what)
{
	struct closing c;
	int rc, err, saved = errno;

	tw_guard++;
	if (!close_prepare(fd, e, &c, LOOK_TAKING)) {
		tw_guard--;
		errno = saved;
		return let_go(what);
	}
	close_decide(fd, &c, how);
	errno = saved;
	tw_guard--;
	rc = let_go(what);
	err = errno;
	tw_guard++;
	close_finish(&c);
	tw_guard--;
	errno = err;
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
	return close_around(fd, e, DECIDE_OBSERVE, real_fclose, stream);
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
	/* One of the closer's fds: the program never opened it. */
	if (tw_fd_kind(e) == TW_FD_HELD) {
		errno = EBADF;
		return -1;
	}
	return close_around(fd, e, DECIDE_POLICY, real_close, &fd);
}

/*
 * Whether this exit lets go of the last copy of a shared socket: copies
 * made with dup() live in this process and end with it; one sent with
 * SCM_RIGHTS lives on where the shim cannot see. One inherited over fork
 * ends here when this process has no children left (they were reaped, and
 * their copies with them) and either made the connection (its slot counts
 * it) or outlived the process that did (whose slot says it exited). A
 * child does not count its running parent's connection, nor a parent one a
 * running child still holds: their own exit or close does. Children that
 * share one and exit in turn after their parent: the first counts it.
 */
static int last_copy_at_exit(const struct tw_fd *e, int children)
{
	struct tw_slot *owner = tw_entry_slot(e);

	if (e->flags & TW_F_SENT)
		return 0;
	if (!(e->flags & TW_F_FORKED))
		return 1;
	return !children && owner != NULL &&
	       (owner == tw_slot_acquire(TW_SLOT_EXISTING) ||
	        atomic_load(&owner->state) == TW_SLOT_EXITED);
}

static void count_at_exit(int fd, struct tw_fd *e, void *arg)
{
	struct closing c;
	int children = *(int *)arg;

	if (tw_fd_kind(e) != TW_FD_TCP)
		return;
	/* Shared sockets: the last holder's close counts them, or the owner
	 * asks the kernel (handed.h); this exit may still set their policy,
	 * which acts only when the last holder lets go. When this exit is the
	 * last holder, it counts them once (the cookie says which copy came
	 * first). Regression: a socket dup2'd, or forked to a child that had
	 * exited, and left open at exit() was never counted. */
	if (e->flags & TW_F_SHARED) {
		int last = last_copy_at_exit(e, children);

		if (close_prepare(fd, e, &c, LOOK_TAKING)) {
			close_decide(fd, &c, DECIDE_AT_EXIT);
			if (last && c.v.state != TW_CS_NEW && c.v.state != TW_CS_LISTENING &&
			    c.cookie && tw_cookie_first(c.cookie))
				close_count(&c);
		}
		return;
	}
	/* The kernel closes the fd as the process ends: a policy may still
	 * set how (a reset, or fin-reset), but nothing can be handed over. The
	 * fd stays open for whatever runs after this destructor. */
	if (close_prepare(fd, e, &c, LOOK_TAKING)) {
		close_decide(fd, &c, DECIDE_AT_EXIT);
		close_finish(&c);
	}
}

/* At exit the kernel closes what the program left open: those closes are
 * active ones too (this side's FIN), and leave TIME_WAIT here. Count them
 * as the kernel will do them, leaving the fds open for it. */
void tw_count_exit_closes(void)
{
	siginfo_t si;
	int children, saved = errno;

	if (tw_inert())
		return;
	/* Any child, exited or not, that is still ours to wait for (ECHILD:
	 * none). Raw: the shim's waitid wrapper counts what children ended. */
	children = tw_syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT, NULL) == 0 ||
	           errno != ECHILD;
	errno = saved;
	tw_guard++;
	tw_fd_foreach(0, ~0u, count_at_exit, &children);
	tw_guard--;
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
	/* A copy of one of the closer's fds is the program's own: untracked. */
	if (kind == TW_FD_NONE || kind == TW_FD_HELD)
		return;
	if (kind == TW_FD_TCP)
		tw_fd_flags_set(o, TW_F_SHARED | TW_F_COPIED);
	tw_fd_publish(n, o);
}

/* A TCP socket sent with SCM_RIGHTS is held by the receiver too: marked
 * shared, as after fork. A sent message counts even when it carried no
 * bytes: a datagram or seqpacket socket delivers the fds with an empty one
 * (a stream socket drops them, and a socket wrongly taken for shared only
 * costs its close a kernel query, where the other mistake would reset the
 * receiver's connection). The kernel accepted the control data, so each
 * header fits in it; the count is bounded by what is left of the buffer
 * all the same. */
static void mark_sent(const struct msghdr *msg)
{
	if (!msg || !msg->msg_control || msg->msg_controllen == 0)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		size_t left = msg->msg_controllen - (size_t)((char *)CMSG_DATA(cm) -
		                                             (char *)msg->msg_control);
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = cm->cmsg_len - CMSG_LEN(0);
		n = (n < left ? n : left) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			struct tw_fd *e;
			int sent;

			memcpy(&sent, CMSG_DATA(cm) + i * sizeof(int), sizeof(sent));
			if (tw_fd_kind(e = tw_fd_get(sent)) == TW_FD_TCP)
				tw_fd_flags_set(e, TW_F_SHARED | TW_F_SENT);
		}
	}
}

ssize_t tw_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t rc;
	int err;

	tw_real_bind();
	rc = tw_real.sendmsg(fd, msg, flags);
	if (rc < 0 || tw_guarded() || tw_inert())
		return rc;
	err = errno;
	mark_sent(msg);
	errno = err;
	return rc;
}

/* The same for each message that went: sendmmsg returns how many did. */
int tw_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	int rc, err;

	tw_real_bind();
	rc = tw_real.sendmmsg(fd, vec, vlen, flags);
	if (rc <= 0 || !vec || tw_guarded() || tw_inert())
		return rc;
	err = errno;
	for (int i = 0; i < rc && (unsigned int)i < vlen; i++)
		mark_sent(&vec[i].msg_hdr);
	errno = err;
	return rc;
}

int tw_dup(int fd)
{
	int nfd, err;

	tw_real_bind();
	nfd = tw_real.dup(fd);
	if (nfd < 0 || tw_guarded() || tw_inert())
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
	if (tw_guarded() || tw_inert() || oldfd == newfd)
		return is_dup2 ? tw_real.dup2(oldfd, newfd) : tw_real.dup3(oldfd, newfd, flags);
	tw_guard++;
	e = tw_fd_get(newfd);
	if (tw_fd_kind(e) == TW_FD_HELD)
		tw_closer_evict(newfd);
	else if (tw_fd_kind(e) != TW_FD_NONE &&
	         (closing = close_prepare(newfd, e, &c, LOOK_LEAVING)))
		/* No policy, and no peek: what either does before the fd goes
		 * (SO_LINGER {1,0}, a copy for the closer, a pending ECONNRESET
		 * read away) cannot be undone if the call then fails (EBADF,
		 * EINVAL) and newfd stays the program's. */
		close_decide(newfd, &c, DECIDE_OBSERVE);
	errno = saved;
	rc = is_dup2 ? tw_real.dup2(oldfd, newfd) : tw_real.dup3(oldfd, newfd, flags);
	err = errno;
	if (rc >= 0) {
		if (closing)
			close_finish(&c);
		dup_entry(oldfd, newfd);
		if (newfd == STDERR_FILENO)
			tw_log_stderr_replaced();
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
	if (rc < 0 || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || tw_guarded() || tw_inert())
		return rc;
	err = errno;
	tw_guard++;
	dup_entry(fd, rc);
	tw_guard--;
	errno = err;
	return rc;
}

/* For the range closers: closes a tracked socket as close() would, and
 * notes in *held whether the range holds one of the closer's fds. */
static void close_one(int fd, struct tw_fd *e, void *held)
{
	struct closing c;

	if (atomic_load(&e->kind) == TW_FD_HELD) {
		*(int *)held = 1;
		return;
	}
	if (close_prepare(fd, e, &c, LOOK_TAKING)) {
		close_decide(fd, &c, DECIDE_POLICY);
		tw_real.close(fd);
		close_finish(&c);
	}
}

/* close_range over [lo, hi] but around the closer's fds, in ascending order. */
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
	static _Atomic int known; /* 0 unknown, 1 yes, 2 no */
	int k = atomic_load(&known), saved = errno;

	if (k == 0) {
		k = tw_syscall(SYS_close_range, ~0u, ~0u, 0) == 0 ? 1 : 2;
		atomic_store(&known, k);
		errno = saved;
	}
	return k == 1;
}

/* Tracked sockets in the range are closed one by one, so that each is
 * seen open just before; the rest of the range goes in as few calls as the
 * closer's fds allow. */
int tw_close_range(unsigned lo, unsigned hi, int flags)
{
	int saved = errno, held = 0;

	tw_real_bind();
	/* CLOEXEC closes nothing now; UNSHARE first gives this thread its own
	 * fd table, so closing ours one by one would touch others': let both be.
	 * Unknown flags, or a kernel without close_range (before 5.9): the call
	 * fails, and then nothing may have been closed by us either. */
	if (tw_guarded() || tw_inert() || lo > hi || flags != 0 || !close_range_works())
		return tw_real.close_range(lo, hi, flags);
	tw_guard++;
	/* The guard is up: close_one's own closes pass straight through. */
	tw_fd_foreach(lo, hi, close_one, &held);
	tw_guard--;
	errno = saved;
	return held ? close_range_around_held(lo, hi, flags) : tw_real.close_range(lo, hi, flags);
}

void tw_closefrom(int lowfd)
{
	int saved = errno, held = 0;

	tw_real_bind();
	if (lowfd >= 0 && !tw_guarded() && !tw_inert()) {
		tw_guard++;
		tw_fd_foreach((unsigned)lowfd, ~0u, close_one, &held);
		tw_guard--;
	}
	errno = saved;
	if (held)
		close_range_around_held((unsigned)lowfd, ~0u, 0);
	else
		tw_real.closefrom(lowfd);
	errno = saved;
}
