// SPDX-License-Identifier: MIT
/*
 * Tracking connect(): try (the call, and again while a policy finds a way
 * round a port shortage), then settle (what the kernel's answer means for
 * the entry and the ledger). The pattern of every wrapper is in
 * track_socket.c.
 *
 * The address given to connect() is the program's memory, which may not be
 * readable (connect((void *)1, ...) is EFAULT from the kernel). A socket the
 * table knows as TCP has its address read after the real call, which read
 * it first: no question to the kernel on the way. Only a policy that acts
 * before the call (a source address to bind) needs it before, and asks
 * whether it can be read (uaccess.h); so does a socket the table does not
 * know yet, whose family the address tells.
 */
#include <errno.h>

#include "activate.h"
#include "clock.h"
#include "ends.h"
#include "facts.h"
#include "guard.h"
#include "handed.h"
#include "real.h"
#include "registry.h"
#include "slot.h"
#include "track.h"
#include "track_entry.h"

/* One tracked connect(), from its first attempt to its bookkeeping. */
struct attempt {
	struct tw_connect_ctx ctx;  /* what the policies see */
	struct tw_fd *e;
	struct tw_slot *s;
	struct tw_addr remote;
	uint32_t seq;               /* the entry's at the start: a close elsewhere bumps it */
	int known;                  /* remote has been read */
	int dest;
	int rc, err;                /* the last attempt's */
	uint64_t t0, t1;            /* around the last attempt */
	int counted;                /* its failure is counted already */
	int retried;                /* a policy made it try again */
};

/* The destination of a connect() being tracked, in a and its context. */
static void connect_dest(struct attempt *a)
{
	struct tw_connect_ctx *c = &a->ctx;

	tw_dest_key(&c->key, &a->remote);
	a->dest = c->e->state != TW_CS_NEW ? c->e->dest
	          : c->slot ? tw_dest_find(c->slot, TW_DEST_OUT, &c->key) : -1;
	c->dest = a->dest;
}

/* The call, and again while a policy finds another way (a source address,
 * a wait). Guard raised on entry and on return; down for each call: a
 * program may leave it for good (siglongjmp from a SIGALRM timeout), and
 * then every later call in this thread would pass untracked. Returns -1
 * when the kernel never read the address (EFAULT, EINVAL): nothing to
 * track. */
static int connect_try(struct attempt *a, int saved)
{
	struct tw_connect_ctx *c = &a->ctx;

	for (;;) {
		errno = saved;
		tw_leave();
		a->t0 = tw_now_ns();
		if (!c->started_ns)
			c->started_ns = a->t0; /* retry's bound runs from the first attempt */
		a->rc = tw_real.connect(c->fd, c->addr, c->len);
		a->err = errno;
		a->t1 = tw_now_ns();
		tw_enter();
		if (!a->known) {
			/* The kernel read the address, unless it says it could not
			 * (EFAULT) or refused its length before reading (EINVAL). */
			if ((a->rc < 0 && (a->err == EFAULT || a->err == EINVAL)) ||
			    tw_addr_from(&a->remote, c->addr, c->len) < 0)
				return -1;
			a->known = 1;
			connect_dest(a);
		}
		if (a->rc == 0 || (a->err != EADDRNOTAVAIL && a->err != EADDRINUSE) ||
		    a->e->state != TW_CS_NEW || atomic_load(&a->e->seq) != a->seq)
			return 0;
		/* No port: each attempt counts; a policy may try again. */
		if (a->s)
			tw_count_connect(a->s, a->dest, a->err, (a->t1 - a->t0) / 1000u);
		c->err = a->err;
		if (!tw_policies_retry_connect(c)) {
			a->counted = 1;
			return 0;
		}
		a->retried = 1;
	}
}

/* The policies' look after a connect() that took a port or ran out. */
static void connect_told(struct attempt *a, int err)
{
	a->ctx.err = err;
	a->ctx.done_ns = a->t1;
	tw_policies_after_connect(&a->ctx);
}

/* What the last attempt's answer means for the entry and the ledger. */
static void connect_settle(struct attempt *a)
{
	struct tw_fd *e = a->e;
	struct tw_slot *s = a->s;
	int rc = a->rc, err = a->err;
	uint64_t call_us = (a->t1 - a->t0) / 1000u;

	/* Another thread closed fd meanwhile, and the number may be a new
	 * socket now: count the attempt, leave the new entry alone. */
	if (atomic_load(&e->seq) != a->seq || tw_fd_kind(e) != TW_FD_TCP) {
		if (s && !a->counted && rc != 0 && err != EINPROGRESS && err != EINTR)
			tw_count_connect(s, a->dest, err, call_us);
		return;
	}
	if (e->state == TW_CS_CONNECTING) {
		/* Asked again while in progress: EALREADY says nothing; success
		 * or EISCONN completes it; any other error ends it. */
		if (rc == 0 || err == EISCONN) {
			e->state = TW_CS_CONNECTED;
			if (s)
				tw_count_connect(s, e->dest, 0, UINT64_MAX);
		} else if (err != EALREADY && err != EINPROGRESS && err != EINTR) {
			e->state = TW_CS_NEW;
			if (s)
				tw_count_connect(s, e->dest, err, UINT64_MAX);
			if (tw_conn_owner(e))
				tw_count_open(tw_conn_owner(e), e->dest, -1);
		}
		return;
	}
	if (rc == 0 || err == EINPROGRESS || err == EINTR) {
		/* EINTR: a blocking connect goes on in the background, as a
		 * non-blocking one does; either way the port is taken now. */
		e->state = rc == 0 ? TW_CS_CONNECTED : TW_CS_CONNECTING;
		e->open_ns = rc == 0 ? a->t1 : a->t0;
		e->remote = a->remote;
		/* Only a close policy acts on what it believes is this socket
		 * (holds it, resets it): its close checks that the number still
		 * is, by this cookie; observing pays nothing for it. */
		e->cookie = tw_policies_at_close_wanted() ? tw_socket_cookie(a->ctx.fd) : 0;
		/* The local address is not read here: only the close of a shared
		 * socket needs it, and that close reads both ends afresh. */
		tw_entry_own(e, s, a->dest);
		if (s) {
			tw_count_connect(s, a->dest, rc == 0 ? 0 : -1, call_us);
			tw_count_open(s, a->dest, 1);
		}
		if (a->retried)
			tw_count_action(s, a->dest, TW_ACT_RETRY_OK);
		connect_told(a, 0);
		tw_handed_poll(a->t1, 0);
		tw_policies_opened(a->ctx.fd);
	} else {
		if (s && !a->counted)
			tw_count_connect(s, a->dest, err, call_us);
		/* Out of ports: when a hint matters most. */
		if (err == EADDRNOTAVAIL || err == EADDRINUSE)
			connect_told(a, err);
	}
}

int tw_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	/* Not zeroed whole: every connect() would pay for it. Each field is
	 * set below before it is read. */
	struct attempt a;
	uint32_t kind;
	int saved = errno;

	tw_real_bind();
	if (tw_guarded() || tw_inert())
		return tw_real.connect(fd, addr, len);
	kind = tw_fd_kind(tw_fd_get(fd));
	if (kind == TW_FD_OTHER || kind == TW_FD_HELD ||
	    (kind != TW_FD_TCP && tw_addr_from_user(&a.remote, addr, len) < 0))
		return tw_real.connect(fd, addr, len);
	a.known = kind != TW_FD_TCP; /* remote read above */
	tw_enter();
	a.e = tw_tcp_entry(fd);
	if (!a.e || !tw_active() || a.e->state == TW_CS_CONNECTED ||
	    a.e->state == TW_CS_ACCEPTED) {
		tw_end(saved);
		return tw_real.connect(fd, addr, len);
	}
	a.s = tw_slot_acquire(TW_SLOT_WAIT);
	a.seq = atomic_load(&a.e->seq);
	a.dest = -1;
	a.counted = a.retried = 0;
	a.ctx = (struct tw_connect_ctx){ .fd = fd, .e = a.e, .addr = addr, .len = len,
	                                 .slot = a.s, .dest = -1, .blocking = -1 };
	/* Policies choose the source of connections the program did not bind. */
	if (a.e->state == TW_CS_NEW && a.e->local.family == 0 &&
	    tw_policies_before_connect_wanted()) {
		if (!a.known && tw_addr_from_user(&a.remote, addr, len) < 0) {
			tw_end(saved);
			return tw_real.connect(fd, addr, len);
		}
		a.known = 1;
		connect_dest(&a);
		tw_policies_before_connect(&a.ctx);
	} else if (a.known) {
		connect_dest(&a);
	}
	if (connect_try(&a, saved) == 0)
		connect_settle(&a);
	tw_end(a.err);
	return a.rc;
}
