// SPDX-License-Identifier: MIT
/* What the kernel says of a socket (facts.c). Each call asks it afresh. */
#ifndef TW_FACTS_H
#define TW_FACTS_H

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fdtable.h"

/* An address as a socket has it: 0, or -1 when sa is not IPv4 or IPv6. */
int tw_addr_from(struct tw_addr *a, const struct sockaddr *sa, socklen_t len);
/* The same for an address the program passed to a call not made yet: -1
 * also when it cannot be read (the call will say EFAULT). */
int tw_addr_from_user(struct tw_addr *a, const struct sockaddr *sa, socklen_t len);
/* fd's local (peer 0) or remote (peer 1) address; zeroed when unknown. */
void tw_sockname(int fd, struct tw_addr *a, int peer);
/* fd's TCP state (TCP_INFO), -1 if unknown. */
int tw_tcp_state(int fd);

/* What TCP_INFO tells of a connection, for the cases a peek cannot: its
 * state; whether the handshake ever completed (the peer acknowledged the
 * SYN); whether any segment came in. 1, 0, or -1 where the kernel is older
 * than Linux 4.1 and does not say. Returns the state, -1 if unknown. */
struct tw_tcp_facts {
	int state;
	int handshake;
	int heard;
};
int tw_tcp_facts(int fd, struct tw_tcp_facts *f);

/* The errno of a connect that ended in CLOSE without a handshake, when the
 * program has read the error itself: a segment came back (the RST) means
 * refused; none, a timeout. heard as struct tw_tcp_facts has it. */
static inline int tw_failed_connect_errno(int heard)
{
	return heard == 0 ? ETIMEDOUT : ECONNREFUSED;
}

/* fd's SO_COOKIE, 0 when the kernel has none to give (before Linux 4.6, or
 * not a socket). errno kept. Async-signal-safe. */
uint64_t tw_socket_cookie(int fd);

/* Whether the kernel holds a TIME_WAIT entry at fd's own 4-tuple (remote
 * as connect() or accept() gave it): a socket in CLOSE with its fd open has
 * finished both FINs, and this says the TIME_WAIT is this side's. */
int tw_time_wait_here(int fd, uint8_t family, const struct tw_addr *remote);
/* The same for an exact 4-tuple read earlier (the fd may be gone). */
int tw_time_wait_at(uint8_t family, const struct tw_addr *local, const struct tw_addr *remote);

/* Bytes sent on fd and not yet acknowledged (SIOCOUTQ); -1 if unknown.
 * Async-signal-safe. */
int tw_unacked(int fd);
/* Whether fd blocks (no O_NONBLOCK): a policy may sleep in its connect()
 * only then. */
int tw_fd_blocking(int fd);

#endif
