// SPDX-License-Identifier: MIT
/*
 * Tracking the socket options and shutdowns that decide how a connection
 * will close (SO_LINGER, shutdown), and the SO_ERROR that tells how a
 * non-blocking connect() ended. The pattern of every wrapper is in
 * track_socket.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ends.h"
#include "facts.h"
#include "guard.h"
#include "real.h"
#include "slot.h"
#include "track.h"

int tw_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct tw_fd *e;
	int rc;

	tw_real_bind();
	rc = tw_real.setsockopt(fd, level, name, val, len);
	if (rc == 0 && !tw_guarded() && level == SOL_SOCKET && name == SO_LINGER && val &&
	    len >= sizeof(struct linger) && tw_fd_kind(e = tw_fd_get(fd)) == TW_FD_TCP) {
		const struct linger *lg = val;
		if (lg->l_onoff && lg->l_linger == 0)
			tw_fd_flags_set(e, TW_F_LINGER0);
		else
			tw_fd_flags_clear(e, TW_F_LINGER0);
	}
	return rc;
}

/* The end of a non-blocking connect the program never asked about,
 * settled from the kernel by the next call that touches the socket:
 * so_error its error (0 if none), or -1 to ask the kernel (TCP_INFO: still
 * in SYN_SENT, it goes on; any other state with the handshake done, it
 * connected). Guard raised. */
static void connect_outcome_later(int fd, struct tw_fd *e, int so_error)
{
	struct tw_slot *s = tw_slot_acquire(TW_SLOT_WAIT), *owner = tw_conn_owner(e);
	struct tw_tcp_facts f;

	if (so_error < 0) {
		if (tw_tcp_facts(fd, &f) < 0 || f.state == TCP_SYN_SENT)
			return;
		/* CLOSE without a handshake: refused or timed out, and the
		 * program read the error some other way (recv, send). */
		so_error = f.state == TCP_CLOSE && f.handshake == 0 ?
		                   tw_failed_connect_errno(f.heard) : 0;
	}
	if (so_error != 0) {
		e->state = TW_CS_NEW;
		if (s)
			tw_count_connect(s, e->dest, so_error, UINT64_MAX);
		if (owner)
			tw_count_open(owner, e->dest, -1);
	} else {
		e->state = TW_CS_CONNECTED;
		if (s)
			tw_count_connect(s, e->dest, 0, UINT64_MAX);
	}
}

/* The usual way to learn how a non-blocking connect() ended. */
int tw_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct tw_fd *e;
	int rc, err, so_error;

	tw_real_bind();
	rc = tw_real.getsockopt(fd, level, name, val, len);
	if (rc != 0 || tw_guarded() || level != SOL_SOCKET || name != SO_ERROR || !val || !len ||
	    *len < sizeof(int) || tw_fd_kind(e = tw_fd_get(fd)) != TW_FD_TCP ||
	    e->state != TW_CS_CONNECTING)
		return rc;
	err = tw_begin();
	memcpy(&so_error, val, sizeof(so_error));
	/* No error yet may still mean in progress: the kernel says which. */
	connect_outcome_later(fd, e, so_error != 0 ? so_error : -1);
	tw_end(err);
	return rc;
}

int tw_shutdown(int fd, int how)
{
	struct tw_fd *e;
	int st, after, rc, err, saved = errno;

	tw_real_bind();
	if (tw_guarded() || tw_fd_kind(e = tw_fd_get(fd)) != TW_FD_TCP)
		return tw_real.shutdown(fd, how);
	/* Programs that never ask how a non-blocking connect ended often shut
	 * down next: the kernel knows by now. */
	if (e->state == TW_CS_CONNECTING) {
		tw_enter();
		connect_outcome_later(fd, e, -1);
		tw_leave();
	}
	if (how == SHUT_RD || how == SHUT_RDWR)
		tw_fd_flags_set(e, TW_F_SHUT_RD);
	if ((how != SHUT_WR && how != SHUT_RDWR) ||
	    (e->flags & (TW_F_SHUT_ACTIVE | TW_F_SHUT_PASSIVE))) {
		errno = saved;
		return tw_real.shutdown(fd, how);
	}
	/* Our FIN goes out now: whether it is the first decides TIME_WAIT, and
	 * at close() the socket may already be in TIME_WAIT or CLOSE. The state
	 * before says whose FIN came first, unless the peer's lands between
	 * that look and the shutdown itself: then the state after reads
	 * LAST_ACK (ours answered theirs). CLOSE after cannot tell; no flag,
	 * and close() asks the kernel's table (closed_already()). */
	tw_enter();
	st = tw_tcp_state(fd);
	tw_leave();
	errno = saved;
	rc = tw_real.shutdown(fd, how);
	err = tw_begin();
	if (rc == 0 && st == TCP_ESTABLISHED) {
		after = tw_tcp_state(fd);
		if (after == TCP_LAST_ACK ||
		    (after == TCP_CLOSE && !tw_time_wait_here(fd, e->family, &e->remote)))
			tw_fd_flags_set(e, TW_F_SHUT_PASSIVE);
		else
			tw_fd_flags_set(e, TW_F_SHUT_ACTIVE);
	} else if (rc == 0 && st == TCP_CLOSE_WAIT) {
		tw_fd_flags_set(e, TW_F_SHUT_PASSIVE);
	}
	tw_end(err);
	return rc;
}
