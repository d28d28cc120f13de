// SPDX-License-Identifier: MIT
/* The fd table's entries for TCP sockets, as tracking makes and adopts
 * them (track_entry.h). */
#include "track_entry.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ends.h"
#include "guard.h"
#include "real.h"
#include "slot.h"

void tw_entry_fresh(struct tw_fd *v, uint32_t kind, int family)
{
	memset(v, 0, sizeof(*v));
	atomic_init(&v->kind, kind);
	v->dest = -1;
	v->slot = -1;
	v->family = family == AF_INET6 ? 6 : 4;
}

void tw_fd_drop_stale_at(int fd)
{
	struct tw_fd *e = tw_fd_get(fd);
	int err;

	if (tw_fd_kind(e) == TW_FD_NONE)
		return;
	err = tw_begin();
	tw_conn_drop_stale(e);
	tw_end(err);
}

/* A socket we did not see created (inherited, socket activation): ask it. */
static uint32_t probe(int fd, struct tw_fd *v)
{
	int dom = 0, proto = 0;
	socklen_t l1 = sizeof(dom), l2 = sizeof(proto);

	if (tw_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l1) < 0 ||
	    tw_real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l2) < 0)
		return TW_FD_NONE;
	tw_entry_fresh(v, (dom == AF_INET || dom == AF_INET6) && proto == IPPROTO_TCP ? TW_FD_TCP
	                                                                             : TW_FD_OTHER,
	               dom);
	return atomic_load(&v->kind);
}

struct tw_fd *tw_tcp_entry(int fd)
{
	struct tw_fd *e = tw_fd_get(fd), v;
	uint32_t kind = tw_fd_kind(e);

	if (kind == TW_FD_TCP)
		return e;
	if (kind == TW_FD_OTHER)
		return NULL;
	kind = probe(fd, &v);
	if (kind == TW_FD_NONE || !(e = tw_fd_get_alloc(fd)))
		return NULL;
	tw_fd_publish(e, &v);
	return kind == TW_FD_TCP ? e : NULL;
}

int tw_entry_dest(struct tw_slot *s, uint8_t kind, const struct tw_addr *a)
{
	struct tw_addr key;

	if (!s)
		return -1;
	tw_dest_key(&key, a);
	return tw_dest_find(s, kind, &key);
}

void tw_entry_own(struct tw_fd *e, struct tw_slot *s, int dest)
{
	e->slot = (int16_t)tw_slot_index(s);
	e->slot_gen = s ? atomic_load(&s->generation) : 0;
	e->dest = (int16_t)dest;
}
