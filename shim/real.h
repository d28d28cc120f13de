// SPDX-License-Identifier: MIT
/* The table of real libc symbols. Wrappers call originals only through it. */
#ifndef TW_REAL_H
#define TW_REAL_H

#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>

struct tw_real {
	int (*socket)(int, int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*close)(int);
	int (*shutdown)(int, int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	FILE *(*freopen)(const char *, const char *, FILE *);
	int (*fclose)(FILE *);
	FILE *(*freopen64)(const char *, const char *, FILE *);
	pid_t (*wait)(int *);
	pid_t (*waitpid)(pid_t, int *, int);
	pid_t (*wait3)(int *, int, struct rusage *);
	pid_t (*wait4)(pid_t, int *, int, struct rusage *);
	int (*waitid)(idtype_t, id_t, siginfo_t *, int);
};

/* Filled by tw_real_bind() before any wrapper runs its own logic. Never NULL
 * once bound: a symbol that cannot be found, or that resolves to ourselves,
 * is replaced by a direct system call. */
extern struct tw_real tw_real;
extern _Atomic int tw_real_bound;

void tw_real_bind_once(void);

/* Every wrapper's first step: one load once bound, no call into libc. */
static inline void tw_real_bind(void)
{
	if (!atomic_load_explicit(&tw_real_bound, memory_order_acquire))
		tw_real_bind_once();
}

#endif
