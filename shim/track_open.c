// SPDX-License-Identifier: MIT
/*
 * Tracking connections as they are made: socket, connect, bind, accept,
 * and the socket options and shutdowns that decide how they will close.
 *
 * Every function here follows one pattern: pass straight through unless the
 * fd is (or may be) a TCP socket and the shim is active; call the original;
 * keep its result and errno; do the bookkeeping with the recursion guard
 * raised; hand back exactly what the original returned.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "guard.h"
#include "init.h"
#include "real.h"
#include "track.h"
#include "closer.h"
#include "handed.h"
#include "policy.h"
#include "uaccess.h"

int tw_addr_from(struct tw_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (!sa || len < sizeof(sa->sa_family))
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		a->family = 4;
		a->port = ntohs(in->sin_port);
		memcpy(a->addr, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		a->family = 6;
		a->port = ntohs(in6->sin6_port);
		memcpy(a->addr, &in6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* tw_addr_from on an address the program passed to a call not made yet:
 * -1 also when it cannot be read (the call will say EFAULT). */
static int addr_from_user(struct tw_addr *a, const struct sockaddr *sa, socklen_t len)
{
	size_t want = len < sizeof(struct sockaddr_in6) ? len : sizeof(struct sockaddr_in6);

	if (sa && !tw_readable(sa, want)) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	return tw_addr_from(a, sa, len);
}

void tw_sockname(int fd, struct tw_addr *a, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
	              : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (rc < 0 || tw_addr_from(a, (struct sockaddr *)&ss, len) < 0)
		memset(a, 0, sizeof(*a));
}

int tw_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (tw_real.getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || len < 1)
		return -1;
	return ti.tcpi_state;
}

/* glibc's struct tcp_info ends at tcpi_total_retrans; the kernel's goes on
 * (Linux 4.1+), in this order. */
struct tcp_info_ext {
	struct tcp_info base;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in;
};

int tw_tcp_facts(int fd, struct tw_tcp_facts *f)
{
	struct tcp_info_ext ti;
	socklen_t len = sizeof(ti);

	f->state = -1;
	f->handshake = -1;
	f->heard = -1;
	if (tw_real.getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || len < 1)
		return -1;
	f->state = ti.base.tcpi_state;
	/* The SYN is the first byte the peer acknowledges: a connect that
	 * never completed has nothing acknowledged, whatever state it reads. */
	if (len >= sizeof(ti)) {
		f->handshake = ti.bytes_acked > 0;
		f->heard = ti.segs_in > 0;
	}
	return f->state;
}

struct tw_slot *tw_entry_slot(const struct tw_fd *v)
{
	struct tw_slot *s;

	if (!tw_ledger || v->slot < 0 || (unsigned)v->slot >= TW_SLOTS)
		return NULL;
	s = &tw_ledger->slots[v->slot];
	return atomic_load_explicit(&s->generation, memory_order_relaxed) == v->slot_gen ? s : NULL;
}

/* An entry whose fd was closed behind our back (fclose's internal close, a
 * raw syscall, closefrom before glibc 2.34...): the number came back from
 * socket()/accept()/dup(). How it closed cannot be known now. */
void tw_drop_stale(struct tw_fd *e)
{
	uint32_t kind;

	/* The usual case, the number's last close seen: no locked instruction.
	 * Acquire: that close (another thread's, maybe) claimed the entry by
	 * exchange after its last writes to it, and the caller writes next. */
	if (atomic_load_explicit(&e->kind, memory_order_acquire) == TW_FD_NONE)
		return;
	kind = atomic_exchange(&e->kind, TW_FD_NONE);
	if (kind == TW_FD_TCP)
		tw_count_stale(e);
}

void tw_count_stale(const struct tw_fd *v)
{
	struct tw_slot *s;

	if (v->state == TW_CS_NEW || v->state == TW_CS_LISTENING)
		return;
	s = tw_entry_slot(v);
	if (s) {
		tw_count_open(s, v->dest, -1);
		tw_count_close(s, v->dest, TW_CLOSE_OTHER, 0, 0);
	}
}

uint64_t tw_socket_cookie(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int saved = errno;

	if (tw_real.getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) < 0)
		cookie = 0;
	errno = saved;
	return cookie;
}

static int is_tcp(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) &&
	       (type & 0xf) == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP);
}

static void fresh(struct tw_fd *v, uint32_t kind, int family)
{
	memset(v, 0, sizeof(*v));
	atomic_init(&v->kind, kind);
	v->dest = -1;
	v->slot = -1;
	v->family = family == AF_INET6 ? 6 : 4;
}

/* tw_drop_stale for a number a call just made, if the table has it; errno
 * kept. */
static void tw_drop_stale_fd(int fd)
{
	struct tw_fd *e = tw_fd_get(fd);
	int err;

	if (tw_fd_kind(e) == TW_FD_NONE)
		return;
	err = errno;
	tw_guard++;
	tw_drop_stale(e);
	tw_guard--;
	errno = err;
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
			tw_drop_stale_fd(fd);
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
	err = errno;
	tw_guard++;
	e = tw_fd_get_alloc(fd);
	if (e) {
		tw_drop_stale(e);
		/* Non-TCP inet sockets (UDP for DNS) are remembered too, so that
		 * their connect() needs no probing. */
		fresh(&v, tcp ? TW_FD_TCP : TW_FD_OTHER, domain);
		tw_fd_publish(e, &v);
	}
	tw_guard--;
	errno = err;
	return fd;
}

/* A socket we did not see created (inherited, socket activation): ask it. */
static uint32_t probe(int fd, struct tw_fd *v)
{
	int dom = 0, proto = 0;
	socklen_t l1 = sizeof(dom), l2 = sizeof(proto);

	if (tw_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l1) < 0 ||
	    tw_real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l2) < 0)
		return TW_FD_NONE;
	fresh(v, (dom == AF_INET || dom == AF_INET6) && proto == IPPROTO_TCP ? TW_FD_TCP : TW_FD_OTHER,
	      dom);
	return atomic_load(&v->kind);
}

/* The entry of a TCP socket, adopting one we did not see made; NULL when fd
 * is not ours to track. Called with the guard raised. */
static struct tw_fd *tcp_entry(int fd)
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

static int dest_of(struct tw_slot *s, uint8_t kind, const struct tw_addr *a)
{
	struct tw_addr key;

	if (!s)
		return -1;
	tw_dest_key(&key, a);
	return tw_dest_find(s, kind, &key);
}

static void set_owner(struct tw_fd *e, struct tw_slot *s, int dest)
{
	e->slot = (int16_t)tw_slot_index(s);
	e->slot_gen = s ? atomic_load(&s->generation) : 0;
	e->dest = (int16_t)dest;
}

/* The destination of a connect() being tracked, in c and *dest. */
static void connect_dest(struct tw_connect_ctx *c, const struct tw_addr *remote, int *dest)
{
	tw_dest_key(&c->key, remote);
	*dest = c->e->state != TW_CS_NEW ? c->e->dest
	        : c->slot ? tw_dest_find(c->slot, TW_DEST_OUT, &c->key) : -1;
	c->dest = *dest;
}

/*
 * The address given to connect() is the program's memory, which may not be
 * readable (connect((void *)1, ...) is EFAULT from the kernel). A socket the
 * table knows as TCP has its address read after the real call, which read
 * it first: no question to the kernel on the way. Only a policy that acts
 * before the call (a source address to bind) needs it before, and asks
 * whether it can be read (uaccess.h); so does a socket the table does not
 * know yet, whose family the address tells.
 */
int tw_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct tw_addr remote;
	struct tw_slot *s;
	struct tw_fd *e;
	struct tw_connect_ctx ctx;
	uint64_t t0, t1;
	uint32_t seq, kind;
	int rc, err, dest = -1, counted = 0, retried = 0, known, saved = errno;

	tw_real_bind();
	if (tw_guarded() || tw_inert())
		return tw_real.connect(fd, addr, len);
	kind = tw_fd_kind(tw_fd_get(fd));
	if (kind == TW_FD_OTHER || kind == TW_FD_HELD ||
	    (kind != TW_FD_TCP && addr_from_user(&remote, addr, len) < 0))
		return tw_real.connect(fd, addr, len);
	known = kind != TW_FD_TCP; /* remote read above */
	tw_guard++;
	e = tcp_entry(fd);
	if (!e || !tw_active() || e->state == TW_CS_CONNECTED || e->state == TW_CS_ACCEPTED) {
		tw_guard--;
		errno = saved;
		return tw_real.connect(fd, addr, len);
	}
	s = tw_slot_acquire(TW_SLOT_WAIT);
	seq = atomic_load(&e->seq);
	ctx = (struct tw_connect_ctx){ .fd = fd, .e = e, .addr = addr, .len = len, .slot = s,
	                               .blocking = -1 };
	/* Policies choose the source of connections the program did not bind. */
	if (e->state == TW_CS_NEW && e->local.family == 0 && tw_policies_before_connect_wanted()) {
		if (!known && addr_from_user(&remote, addr, len) < 0) {
			tw_guard--;
			errno = saved;
			return tw_real.connect(fd, addr, len);
		}
		known = 1;
		connect_dest(&ctx, &remote, &dest);
		tw_policies_before_connect(&ctx);
	} else if (known) {
		connect_dest(&ctx, &remote, &dest);
	}
	for (;;) {
		errno = saved;
		/* The guard comes down for the call itself: a program may leave it
		 * for good (siglongjmp from a SIGALRM timeout), and then every later
		 * call in this thread would pass untracked. */
		tw_guard--;
		t0 = tw_now_ns();
		if (!ctx.started_ns)
			ctx.started_ns = t0; /* retry's bound runs from the first attempt */
		rc = tw_real.connect(fd, addr, len);
		err = errno;
		t1 = tw_now_ns();
		tw_guard++;
		if (!known) {
			/* The kernel read the address, unless it says it could not
			 * (EFAULT) or refused its length before reading (EINVAL). */
			if ((rc < 0 && (err == EFAULT || err == EINVAL)) ||
			    tw_addr_from(&remote, addr, len) < 0)
				goto done;
			known = 1;
			connect_dest(&ctx, &remote, &dest);
		}
		if (rc == 0 || (err != EADDRNOTAVAIL && err != EADDRINUSE) ||
		    e->state != TW_CS_NEW || atomic_load(&e->seq) != seq)
			break;
		/* No port: each attempt counts; a policy may try again. */
		if (s)
			tw_count_connect(s, dest, err, (t1 - t0) / 1000u);
		ctx.err = err;
		if (!tw_policies_retry_connect(&ctx)) {
			counted = 1;
			break;
		}
		retried = 1;
	}

	/* Another thread closed fd meanwhile, and the number may be a new
	 * socket now: count the attempt, leave the new entry alone. */
	if (atomic_load(&e->seq) != seq || tw_fd_kind(e) != TW_FD_TCP) {
		if (s && !counted && rc != 0 && err != EINPROGRESS && err != EINTR)
			tw_count_connect(s, dest, err, (t1 - t0) / 1000u);
		goto done;
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
			if (tw_entry_slot(e))
				tw_count_open(tw_entry_slot(e), e->dest, -1);
		}
		goto done;
	}
	if (rc == 0 || err == EINPROGRESS || err == EINTR) {
		/* EINTR: a blocking connect goes on in the background, as a
		 * non-blocking one does; either way the port is taken now. */
		e->state = rc == 0 ? TW_CS_CONNECTED : TW_CS_CONNECTING;
		e->open_ns = rc == 0 ? t1 : t0;
		e->remote = remote;
		/* Only a close policy acts on what it believes is this socket
		 * (holds it, resets it): its close checks that the number still
		 * is, by this cookie; observing pays nothing for it. */
		e->cookie = tw_policies_at_close_wanted() ? tw_socket_cookie(fd) : 0;
		/* The local address is not read here: only the close of a shared
		 * socket needs it, and that close reads both ends afresh. */
		set_owner(e, s, dest);
		if (s) {
			tw_count_connect(s, dest, rc == 0 ? 0 : -1, (t1 - t0) / 1000u);
			tw_count_open(s, dest, 1);
		}
		if (retried && s)
			tw_count_action(s, dest, TW_ACT_RETRY_OK);
		tw_hints_after_connect(s, dest, t1);
		tw_handed_poll(t1, 0);
		if (tw_closer_wanted)
			tw_closer_start();
	} else {
		if (s && !counted)
			tw_count_connect(s, dest, err, (t1 - t0) / 1000u);
		/* Out of ports: when a hint matters most. */
		if (err == EADDRNOTAVAIL || err == EADDRINUSE)
			tw_hints_after_connect(s, dest, t1);
	}
done:
	tw_guard--;
	errno = err;
	return rc;
}

int tw_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct tw_slot *s;
	struct tw_fd *e;
	struct tw_addr local;
	int rc, err, saved = errno;

	uint32_t kind;

	tw_real_bind();
	if (tw_guarded() || tw_inert())
		return tw_real.bind(fd, addr, len);
	/* As in connect(): a known TCP socket's address is read after a bind
	 * that succeeded, which read it first; an unknown socket's family is
	 * read before, if it can be. */
	kind = tw_fd_kind(tw_fd_get(fd));
	if (kind == TW_FD_OTHER || kind == TW_FD_HELD ||
	    (kind != TW_FD_TCP && addr_from_user(&local, addr, len) < 0))
		return tw_real.bind(fd, addr, len);
	tw_guard++;
	e = tcp_entry(fd);
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
	tw_guard--;
	errno = err;
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
	tw_guard++;
	l = tcp_entry(fd);
	tw_guard--;
	if (!l || !tw_active())
		goto passthrough;

	/* The caller may not want the peer's address; we do. */
	errno = saved;
	nfd = use_accept4 ? tw_real.accept4(fd, a, al, flags) : tw_real.accept(fd, a, al);
	if (nfd < 0)
		return nfd;
	err = errno;
	tw_guard++;
	if (l->local.family == 0 || l->local.port == 0)
		tw_sockname(fd, &l->local, 0);
	l->state = TW_CS_LISTENING;
	fresh(&v, TW_FD_TCP, l->family == 6 ? AF_INET6 : AF_INET);
	v.state = TW_CS_ACCEPTED;
	v.open_ns = tw_now_ns();
	v.cookie = tw_policies_at_close_wanted() ? tw_socket_cookie(nfd) : 0;
	v.local = l->local;
	if (!addr || !alen || *alen > given || tw_addr_from(&v.remote, a, *al) < 0)
		tw_sockname(nfd, &v.remote, 1);
	s = tw_slot_acquire(TW_SLOT_WAIT);
	set_owner(&v, s, dest_of(s, TW_DEST_IN, &l->local));
	if ((e = tw_fd_get_alloc(nfd))) {
		tw_drop_stale(e);
		tw_fd_publish(e, &v);
		if (s) {
			tw_count_accept(s, v.dest);
			tw_count_open(s, v.dest, 1);
		}
		/* A forking server: what its children ended since. */
		tw_handed_poll(v.open_ns, 0);
		if (tw_closer_wanted)
			tw_closer_start();
	}
	tw_guard--;
	errno = err;
	return nfd;
passthrough:
	errno = saved;
	nfd = use_accept4 ? tw_real.accept4(fd, addr, alen, flags) : tw_real.accept(fd, addr, alen);
	/* A UNIX connection may get the number of a TCP one closed unseen. */
	if (nfd >= 0 && !tw_guarded() && !tw_inert())
		tw_drop_stale_fd(nfd);
	return nfd;
}

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

int tw_time_wait_here(int fd, uint8_t family, const struct tw_addr *remote)
{
	struct tw_addr local;

	/* getpeername() fails in CLOSE; the peer is known from connect() or
	 * accept(). getsockname() still answers. */
	tw_sockname(fd, &local, 0);
	return tw_time_wait_at(family, &local, remote);
}

int tw_time_wait_at(uint8_t family, const struct tw_addr *local, const struct tw_addr *remote)
{
	uint64_t inode;
	int st;

	return tw_diag_lookup(family, local, remote, &st, &inode) == 1 && st == TCP_TIME_WAIT;
}

/* The end of a non-blocking connect, once known: so_error its error (0 if
 * none), or -1 to ask the kernel (TCP_INFO: still in SYN_SENT, it goes on;
 * any other state with the handshake done, it connected). */
void tw_settle_connect(int fd, struct tw_fd *e, int so_error)
{
	struct tw_slot *s = tw_slot_acquire(TW_SLOT_WAIT), *owner = tw_entry_slot(e);
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
	err = errno;
	tw_guard++;
	memcpy(&so_error, val, sizeof(so_error));
	/* No error yet may still mean in progress: the kernel says which. */
	tw_settle_connect(fd, e, so_error != 0 ? so_error : -1);
	tw_guard--;
	errno = err;
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
		tw_guard++;
		tw_settle_connect(fd, e, -1);
		tw_guard--;
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
	tw_guard++;
	st = tw_tcp_state(fd);
	tw_guard--;
	errno = saved;
	rc = tw_real.shutdown(fd, how);
	err = errno;
	tw_guard++;
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
	tw_guard--;
	errno = err;
	return rc;
}
