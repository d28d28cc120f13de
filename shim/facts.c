// SPDX-License-Identifier: MIT
/*
 * What the kernel says of a socket (facts.h): its addresses, its TCP
 * state, its cookie, what it has not sent yet, whether a TIME_WAIT entry
 * stands at its 4-tuple. Each answer is the kernel's own; what the
 * program's calls suggest is only a hint (DOMAIN.md: the kernel is the
 * witness).
 */
#include "facts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "diag.h"
#include "real.h"
#include "sys.h"
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
int tw_addr_from_user(struct tw_addr *a, const struct sockaddr *sa, socklen_t len)
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

int tw_unacked(int fd)
{
	int n = 0;

	return tw_syscall(SYS_ioctl, fd, SIOCOUTQ, &n) == 0 ? n : -1;
}

int tw_fd_blocking(int fd)
{
	int fl = tw_real.fcntl(fd, F_GETFL, NULL);

	return fl >= 0 && !(fl & O_NONBLOCK);
}
