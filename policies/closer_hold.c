// SPDX-License-Identifier: MIT
/*
 * The closer's hold decisions (closer_held.h): when a held connection ends,
 * and how. Run by the closer thread only, on sockets in its own fd table,
 * by raw system calls (closer_thread.c says why).
 *
 * Draining for a reset: RST once nothing is unacknowledged (SIOCOUTQ 0),
 * never before, so no data is lost; FIN if the bound passes first. Peer
 * first: whatever the peer still sends is read away until its FIN, then
 * the close is passive (the TIME_WAIT is the peer's); past the bound, the
 * fallback (a reset, with the same no-loss rule, or the kernel's FIN).
 */
#include "closer_held.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "services.h"

#define DRAIN_MAX 64            /* reads of 4 KiB per readiness, at most */

struct tw_closer_config tw_closer_cfg = {
	.wait_ns = 2000ull * 1000000u, .fallback_reset = 1, .max_held = 1024,
};
struct tw_held tw_held[TW_HOLD_MAX];
_Atomic int tw_nheld, tw_hiwater;
_Atomic int tw_closer_ending;

void tw_held_release(struct tw_held *h, enum tw_close_class cls, int act)
{
	h->ended(&h->v, cls, act);
	atomic_store(&h->state, TW_H_FREE);
	atomic_fetch_sub(&tw_nheld, 1);
}

void tw_held_finish(struct tw_held *h, int rst, enum tw_close_class cls, int act)
{
	struct linger lg = { 1, 0 };

	if (rst)
		tw_syscall(SYS_setsockopt, h->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	tw_syscall(SYS_close, h->fd);
	tw_held_release(h, cls, act);
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

void tw_held_readable(struct tw_held *h, uint32_t events)
{
	int r;

	if (atomic_load(&h->state) != TW_H_HELD)
		return;
	if (h->mode != TW_HOLD_PEER_FIRST) {
		/* Draining, registered for nothing: epoll still says when the
		 * peer reset it (EPOLLHUP, EPOLLERR), and says so until it goes. */
		if (events & (EPOLLHUP | EPOLLERR))
			tw_held_finish(h, 0, TW_CLOSE_OTHER, -1);
		return;
	}
	r = drain_input(h->fd);
	if (r == 1)        /* the peer's FIN came first: the TIME_WAIT is the peer's */
		tw_held_finish(h, 0, TW_CLOSE_PASSIVE, TW_ACT_PEER_FIRST);
	else if (r < 0)    /* reset by the peer: nobody holds TIME_WAIT */
		tw_held_finish(h, 0, TW_CLOSE_OTHER, -1);
}

void tw_held_tick(struct tw_held *h, uint64_t now)
{
	int q = tw_unacked(h->fd);

	if (h->mode == TW_HOLD_DRAIN_RESET) {
		if (q == 0)
			tw_held_finish(h, 1, TW_CLOSE_RESET, TW_ACT_RESET_DRAINED);
		else if (now >= h->deadline || q < 0)
			tw_held_finish(h, 0, TW_CLOSE_ACTIVE, TW_ACT_RESET_FIN); /* never lose data */
		return;
	}
	if (now < h->deadline)
		return;
	/* The peer did not close in time. A reset only with nothing unacknowledged. */
	if (tw_closer_cfg.fallback_reset && q == 0)
		tw_held_finish(h, 1, TW_CLOSE_RESET, TW_ACT_PEER_TIMEOUT);
	else
		tw_held_finish(h, 0, TW_CLOSE_ACTIVE, TW_ACT_PEER_TIMEOUT);
}
