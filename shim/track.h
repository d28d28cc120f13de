// SPDX-License-Identifier: MIT
/*
 * Connection tracking: what each wrapper does beyond calling the original.
 * Each tw_* function has the signature of the call it stands for and the
 * same result and errno.
 */
#ifndef TW_TRACK_H
#define TW_TRACK_H

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fdtable.h"
#include "ledger_write.h"

int tw_socket(int domain, int type, int protocol);
int tw_connect(int fd, const struct sockaddr *addr, socklen_t len);
int tw_bind(int fd, const struct sockaddr *addr, socklen_t len);
int tw_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, int use_accept4);
int tw_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int tw_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int tw_shutdown(int fd, int how);

int tw_close(int fd);
int tw_fclose(FILE *stream);
ssize_t tw_sendmsg(int fd, const struct msghdr *msg, int flags);
int tw_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags);
int tw_dup(int fd);
int tw_dup3(int oldfd, int newfd, int flags, int is_dup2);
int tw_fcntl(int fd, int cmd, void *arg);
int tw_close_range(unsigned lo, unsigned hi, int flags);
pid_t tw_wait(int *status);
pid_t tw_waitpid(pid_t pid, int *status, int options);
pid_t tw_wait3(int *status, int options, struct rusage *ru);
pid_t tw_wait4(pid_t pid, int *status, int options, struct rusage *ru);
int tw_waitid(idtype_t type, id_t id, siginfo_t *info, int options);
void tw_closefrom(int lowfd);
void tw_count_exit_closes(void);
void tw_count_end(struct tw_slot *s, int dest, const struct tw_fd *v, enum tw_close_class cls);

/* Internals shared by track_open.c and track_close.c. */
int tw_addr_from(struct tw_addr *a, const struct sockaddr *sa, socklen_t len);
void tw_sockname(int fd, struct tw_addr *local, int peer);
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

/* Whether the kernel holds a TIME_WAIT entry at fd's own 4-tuple (remote
 * as connect() or accept() gave it): a socket in CLOSE with its fd open has
 * finished both FINs, and this says the TIME_WAIT is this side's. */
int tw_time_wait_here(int fd, uint8_t family, const struct tw_addr *remote);
/* The same for an exact 4-tuple read earlier (the fd may be gone). */
int tw_time_wait_at(uint8_t family, const struct tw_addr *local, const struct tw_addr *remote);

/* The errno of a connect that ended in CLOSE without a handshake, when the
 * program has read the error itself: a segment came back (the RST) means
 * refused; none, a timeout. heard as struct tw_tcp_facts has it. */
static inline int tw_failed_connect_errno(int heard)
{
	return heard == 0 ? ETIMEDOUT : ECONNREFUSED;
}

/* A non-blocking connect the program never asked about, settled from the
 * kernel by the next call that touches the socket. Guard raised. */
void tw_settle_connect(int fd, struct tw_fd *e, int so_error);
void tw_drop_stale(struct tw_fd *e);
/* The end of a connection whose entry was stale (its fd closed unseen):
 * counted as other, and open no more. Async-signal-safe. */
void tw_count_stale(const struct tw_fd *v);
/* fd's SO_COOKIE, 0 when the kernel has none to give (before Linux 4.6, or
 * not a socket). Async-signal-safe. */
uint64_t tw_socket_cookie(int fd);
struct tw_slot *tw_entry_slot(const struct tw_fd *v);

/* Who closed first, from the kernel's state just before close(). */
enum tw_close_class tw_classify(int tcp_state, unsigned flags, int unread);

/* The kernel's socket at this exact 4-tuple (NETLINK_SOCK_DIAG): 1 and its
 * TCP state and inode (0: no fd holds it, as for a TIME_WAIT entry), 0 if
 * there is none, -1 if the kernel cannot be asked. Async-signal-safe. */
int tw_diag_lookup(uint8_t family, const struct tw_addr *local, const struct tw_addr *remote,
                   int *state, uint64_t *inode);

/* The kernel's sockets toward dest (every state, every process) by local
 * address: counts[i] for srcs[i], n of them. 0, or -1 if it cannot say. */
int tw_diag_count_by_source(const struct tw_addr *dest, const struct tw_addr *srcs, int n,
                            uint32_t *counts);

/* After a close of a socket others may hold: 1 if an fd somewhere still
 * holds it, 0 if not (orphaned, TIME_WAIT or gone), -1 if unknown. */
int tw_diag_still_open(uint8_t family, const struct tw_addr *local,
                       const struct tw_addr *remote);

#endif
