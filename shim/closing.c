// SPDX-License-Identifier: MIT
/*
 * The close pipeline (closing.h).
 *
 * HAZARD: close() must stay async-signal-safe. Programs call it from signal
 * handlers and between fork and exec. On this path: no malloc, no locks, no
 * stdio, no logging, no waiting for another thread; only system calls,
 * atomics and stack buffers.
 */
#include "closing.h"

#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "classify.h"
#include "diag.h"
#include "ends.h"
#include "facts.h"
#include "handed.h"
#include "real.h"
#include "slot.h"

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

/* The kernel's state, for a socket a peek cannot speak for. */
static void ask_tcp_info(int fd, struct tw_closing *c)
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
 * either a reset (its error read already by the program, or behind data it
 * has not read), or both FINs are done and the TIME_WAIT is a separate
 * kernel entry already (DOMAIN fact 16), on the side whose FIN was first.
 * Only the kernel's table tells them apart: a TIME_WAIT entry at this
 * socket's own 4-tuple is this side's, whichever way its FIN went. A
 * shutdown() the shim saw cannot say it: after this side's, the peer may
 * still have reset. After the peer's FIN came first (a shutdown() that
 * answered it), the TIME_WAIT is the peer's: passive, without asking.
 * Neither: a reset, or the peer holds it; counted as other, as a reset is.
 */
static enum tw_close_class closed_already(int fd, struct tw_closing *c)
{
	if (c->v.flags & TW_F_SHUT_PASSIVE)
		return TW_CLOSE_PASSIVE;
	return tw_time_wait_here(fd, c->v.family, &c->v.remote) ? TW_CLOSE_ACTIVE : TW_CLOSE_OTHER;
}

/* Takes fd's entry out of the table and reads what the kernel knows while
 * the fd is still open. Returns 0 when fd is not a tracked TCP socket.
 * TW_LOOK_LEAVING: the fd may stay the program's (dup2 onto it may fail), so
 * it is only asked (TCP_INFO), never read. */
int tw_closing_prepare(int fd, struct tw_fd *e, struct tw_closing *c, enum tw_look look)
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
	 * counts it once (tw_closing_finish; count_at_exit in track_exit.c). */
	if (c->v.cookie || (c->v.flags & TW_F_SHARED))
		c->cookie = tw_socket_cookie(fd);
	if (c->v.cookie && c->cookie != c->v.cookie) {
		tw_conn_end_unseen(&c->v);
		return 0;
	}
	/* No peek on a socket others hold, nor on one that may stay the
	 * program's: it would take a pending error (ECONNRESET) away. */
	c->leave_errors = look == TW_LOOK_LEAVING;
	if ((c->v.state == TW_CS_CONNECTED || c->v.state == TW_CS_ACCEPTED) &&
	    !(c->v.flags & (TW_F_SHUT_RD | TW_F_SHARED)) && look == TW_LOOK_TAKING) {
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
	if (c->tcp_state == TCP_CLOSE && !c->errored && c->handshake != 0) {
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
static void close_place(struct tw_closing *c)
{
	struct tw_slot *owner = tw_conn_owner(&c->v);
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
static int connect_outcome_at_close(int fd, struct tw_closing *c)
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

/* Before the fd goes: what close() will do, and whether a policy changes it.
 * A socket others may hold is never changed: a reset would cut them off. */
void tw_closing_decide(int fd, struct tw_closing *c, enum tw_decide policies)
{
	struct tw_close_ctx ctx;

	c->verdict = TW_CLOSE_AS_IS;
	if (c->v.state == TW_CS_NEW || c->v.state == TW_CS_LISTENING)
		return;
	if (c->v.state == TW_CS_CONNECTING) {
		if (!connect_outcome_at_close(fd, c))
			return;
		c->v.state = TW_CS_CONNECTED; /* seen through now: policies apply */
	}
	if (!c->over)
		c->cls = tw_classify(c->tcp_state, c->v.flags, c->unread);
	if (policies == TW_DECIDE_OBSERVE || !tw_policies_at_close_wanted())
		return;
	close_place(c);
	ctx = (struct tw_close_ctx){ .fd = fd, .v = &c->v, .cls = c->cls, .slot = c->s,
	                             .dest = c->dest, .tcp_state = c->tcp_state,
	                             .over = c->over, .at_exit = policies == TW_DECIDE_AT_EXIT,
	                             .shared = (c->v.flags & TW_F_SHARED) != 0, .act = -1,
	                             .ended = tw_conn_end_held };
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
	    policies != TW_DECIDE_AT_EXIT) {
		tw_sockname(fd, &c->local, 0);
		c->verify = 1;
	}
}

/* After the close: a TIME_WAIT entry at the connection's own 4-tuple means
 * the exchange had finished before close(), whatever the policy set. */
static void close_verify(struct tw_closing *c)
{
	if (tw_time_wait_at(c->v.family, &c->local, &c->v.remote)) {
		c->cls = TW_CLOSE_ACTIVE;
		c->act = TW_ACT_LATE;
	}
}

/* Counts the close once the fd is gone. */
void tw_closing_finish(struct tw_closing *c)
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
			struct tw_slot *owner = tw_conn_owner(&c->v);

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
	tw_closing_count(c);
}

/* Counts the end of the connection c speaks for: its class, what a policy
 * did, and that it is open no more. */
void tw_closing_count(struct tw_closing *c)
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
		tw_conn_end(c->s, c->dest, &c->v, c->cls);
	if (c->owner)
		tw_count_open(c->owner, c->v.dest, -1);
}

