// SPDX-License-Identifier: MIT
/*
 * Tracking bind() and accept(): the local address a socket takes, and the
 * connections a listener hands out. The pattern of every wrapper is in
 * track_socket.c.
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
#include "uaccess.h"

int tw_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct tw_slot *s;
	struct tw_fd *e;
	struct tw_addr local;
	uint32_t kind;
	int rc, err, saved = errno;

	tw_real_bind();
	if (tw_guarded() || tw_inert())
		return tw_real.bind(fd, addr, len);
	/* As in connect(): a known TCP socket's address is read after a bind
	 * that succeeded, which read it first; an unknown socket's family is
	 * read before, if it can be. */
	kind = tw_fd_kind(tw_fd_get(fd));
	if (kind == TW_FD_OTHER || kind == TW_FD_HELD ||
	    (kind != TW_FD_TCP && tw_addr_from_user(&local, addr, len) < 0))
		return tw_real.bind(fd, addr, len);
	tw_enter();
	e = tw_tcp_entry(fd);
	if (e && tw_active())
		tw_policies_before_bind(fd, e);
	else
		e = NULL;
	errno = saved;
	rc = tw_real.bind(fd, addr, len);
	err = errno;
	if (rc == 0 && e && (kind != TW_FD_TCP || tw_addr_from(&local, addr, len) == 0)) {
		e->local = local;
		if (e->local.port == 0)
			tw_sockname(fd, &e->local, 0);
		if ((s = tw_slot_acquire(TW_SLOT_WAIT)))
			tw_count_bind(s);
	}
	tw_end(err);
	return rc;
}

int tw_accept(int fd, struct sockaddr *addr, socklen_t *alen, int flags, int use_accept4)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss), given = 0;
	struct sockaddr *a = addr ? addr : (struct sockaddr *)&ss;
	socklen_t *al = addr ? alen : &sslen;
	struct tw_fd *l, *e, v;
	struct tw_slot *s;
	int nfd, err, saved = errno;

	tw_real_bind();
	if (tw_guarded() || tw_inert())
		goto passthrough;
	/* The length given, to tell a truncated address afterwards. The kernel
	 * reads it only with an address to fill (and only once a connection
	 * came): a bad one is its to answer, EFAULT or EAGAIN. */
	if (addr) {
		if (!alen || !tw_readable(alen, sizeof(*alen)))
			goto passthrough;
		given = *alen;
	}
	tw_enter();
	l = tw_tcp_entry(fd);
	tw_leave();
	if (!l || !tw_active())
		goto passthrough;

	/* The caller may not want the peer's address; we do. */
	errno = saved;
	nfd = use_accept4 ? tw_real.accept4(fd, a, al, flags) : tw_real.accept(fd, a, al);
	if (nfd < 0)
		return nfd;
	err = tw_begin();
	if (l->local.family == 0 || l->local.port == 0)
		tw_sockname(fd, &l->local, 0);
	l->state = TW_CS_LISTENING;
	tw_entry_fresh(&v, TW_FD_TCP, l->family == 6 ? AF_INET6 : AF_INET);
	v.state = TW_CS_ACCEPTED;
	v.open_ns = tw_now_ns();
	v.cookie = tw_policies_at_close_wanted() ? tw_socket_cookie(nfd) : 0;
	v.local = l->local;
	if (!addr || !alen || *alen > given || tw_addr_from(&v.remote, a, *al) < 0)
		tw_sockname(nfd, &v.remote, 1);
	s = tw_slot_acquire(TW_SLOT_WAIT);
	tw_entry_own(&v, s, tw_entry_dest(s, TW_DEST_IN, &l->local));
	if ((e = tw_fd_get_alloc(nfd))) {
		tw_conn_drop_stale(e);
		tw_fd_publish(e, &v);
		if (s) {
			tw_count_accept(s, v.dest);
			tw_count_open(s, v.dest, 1);
		}
		/* A forking server: what its children ended since. */
		tw_handed_poll(v.open_ns, 0);
		tw_policies_opened(nfd);
	}
	tw_end(err);
	return nfd;
passthrough:
	errno = saved;
	nfd = use_accept4 ? tw_real.accept4(fd, addr, alen, flags) : tw_real.accept(fd, addr, alen);
	/* A UNIX connection may get the number of a TCP one closed unseen. */
	if (nfd >= 0 && !tw_guarded() && !tw_inert())
		tw_fd_drop_stale_at(nfd);
	return nfd;
}
