// SPDX-License-Identifier: MIT
/*
 * Tracking sockets as they are made: socket(), and the fd table's entries
 * for TCP sockets that connect, bind and accept share (track_entry.h).
 *
 * Every wrapper of the track_*.c files follows one pattern: pass straight
 * through unless the fd is (or may be) a TCP socket and the shim is
 * active; call the original; keep its result and errno; do the
 * bookkeeping with the recursion guard raised (tw_begin/tw_end); hand back
 * exactly what the original returned.
 */
#include <errno.h>
#include <netinet/in.h>

#include "activate.h"
#include "ends.h"
#include "guard.h"
#include "real.h"
#include "track.h"
#include "track_entry.h"

static int is_tcp(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) &&
	       (type & 0xf) == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP);
}

int tw_socket(int domain, int type, int protocol)
{
	struct tw_fd v, *e;
	int fd, err, tcp, saved = errno;

	tw_real_bind();
	if (tw_guarded() || tw_inert())
		return tw_real.socket(domain, type, protocol);
	if (domain != AF_INET && domain != AF_INET6) {
		/* A UNIX socket may get the number of a TCP one closed unseen. */
		fd = tw_real.socket(domain, type, protocol);
		if (fd >= 0)
			tw_fd_drop_stale_at(fd);
		return fd;
	}
	tcp = is_tcp(domain, type, protocol);
	if (tcp && !tw_active()) {
		errno = saved;
		return tw_real.socket(domain, type, protocol);
	}
	errno = saved;
	fd = tw_real.socket(domain, type, protocol);
	if (fd < 0)
		return fd;
	err = tw_begin();
	e = tw_fd_get_alloc(fd);
	if (e) {
		tw_conn_drop_stale(e);
		/* Non-TCP inet sockets (UDP for DNS) are remembered too, so that
		 * their connect() needs no probing. */
		tw_entry_fresh(&v, tcp ? TW_FD_TCP : TW_FD_OTHER, domain);
		tw_fd_publish(e, &v);
	}
	tw_end(err);
	return fd;
}
