// SPDX-License-Identifier: MIT
/*
 * Connection tracking: what each wrapper (wrappers.c) does beyond calling
 * the original. Each tw_* function has the signature of the call it stands
 * for and the same result and errno. Nothing else: what the track_*.c
 * files share has headers named for it (track_entry.h, closing.h).
 */
#ifndef TW_TRACK_H
#define TW_TRACK_H

#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* track_socket.c, track_connect.c, track_accept.c, track_sockopt.c */
int tw_socket(int domain, int type, int protocol);
int tw_connect(int fd, const struct sockaddr *addr, socklen_t len);
int tw_bind(int fd, const struct sockaddr *addr, socklen_t len);
int tw_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, int use_accept4);
int tw_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int tw_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int tw_shutdown(int fd, int how);

/* track_close.c */
int tw_close(int fd);
int tw_fclose(FILE *stream);
int tw_close_range(unsigned lo, unsigned hi, int flags);
void tw_closefrom(int lowfd);

/* track_dup.c */
int tw_dup(int fd);
int tw_dup3(int oldfd, int newfd, int flags, int is_dup2);
int tw_fcntl(int fd, int cmd, void *arg);
ssize_t tw_sendmsg(int fd, const struct msghdr *msg, int flags);
int tw_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags);

/* track_wait.c */
pid_t tw_wait(int *status);
pid_t tw_waitpid(pid_t pid, int *status, int options);
pid_t tw_wait3(int *status, int options, struct rusage *ru);
pid_t tw_wait4(pid_t pid, int *status, int options, struct rusage *ru);
int tw_waitid(idtype_t type, id_t id, siginfo_t *info, int options);

#endif
