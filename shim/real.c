// SPDX-License-Identifier: MIT
/*
 * Binding the real symbols, once.
 *
 * dlsym(RTLD_NEXT) finds the next definition after libtwshim.so, normally
 * glibc's. When it finds nothing (a libc without close_range) or finds our
 * own wrapper (the shim preloaded in a way that puts us after ourselves),
 * calling it would fail or recurse forever: fall back to the system call.
 */
#include "real.h"
#include "sys.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

struct tw_real tw_real;
_Atomic int tw_real_bound;

static int sys_socket(int d, int t, int p) { return (int)tw_syscall(SYS_socket, d, t, p); }
static int sys_connect(int fd, const struct sockaddr *a, socklen_t l) { return (int)tw_syscall(SYS_connect, fd, a, l); }
static int sys_bind(int fd, const struct sockaddr *a, socklen_t l) { return (int)tw_syscall(SYS_bind, fd, a, l); }
static int sys_setsockopt(int fd, int l, int o, const void *v, socklen_t n) { return (int)tw_syscall(SYS_setsockopt, fd, l, o, v, n); }
static int sys_getsockopt(int fd, int l, int o, void *v, socklen_t *n) { return (int)tw_syscall(SYS_getsockopt, fd, l, o, v, n); }
static int sys_accept(int fd, struct sockaddr *a, socklen_t *l) { return (int)tw_syscall(SYS_accept4, fd, a, l, 0); }
static int sys_accept4(int fd, struct sockaddr *a, socklen_t *l, int f) { return (int)tw_syscall(SYS_accept4, fd, a, l, f); }
static int sys_close(int fd) { return (int)tw_syscall(SYS_close, fd); }
static int sys_shutdown(int fd, int how) { return (int)tw_syscall(SYS_shutdown, fd, how); }
static int sys_dup(int fd) { return (int)tw_syscall(SYS_dup, fd); }
static int sys_dup2(int o, int n)
{
	/* dup3 refuses o == n; dup2 then only checks that o is open. */
	if (o == n)
		return tw_syscall(SYS_fcntl, o, F_GETFD) < 0 ? -1 : n;
	return (int)tw_syscall(SYS_dup3, o, n, 0);
}
static int sys_dup3(int o, int n, int f) { return (int)tw_syscall(SYS_dup3, o, n, f); }
static int sys_close_range(unsigned int a, unsigned int b, int f) { return (int)tw_syscall(SYS_close_range, a, b, f); }
static void sys_closefrom(int lo) { tw_syscall(SYS_close_range, (unsigned)lo, ~0u, 0); }
static ssize_t sys_sendmsg(int fd, const struct msghdr *m, int f) { return tw_syscall(SYS_sendmsg, fd, m, f); }
static int sys_sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int f) { return (int)tw_syscall(SYS_sendmmsg, fd, v, n, f); }
static int sys_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return (int)tw_syscall(SYS_fcntl, fd, cmd, arg);
}

static pid_t sys_wait4(pid_t p, int *st, int o, struct rusage *ru) { return (pid_t)tw_syscall(SYS_wait4, p, st, o, ru); }
static pid_t sys_wait(int *st) { return sys_wait4(-1, st, 0, NULL); }
static pid_t sys_waitpid(pid_t p, int *st, int o) { return sys_wait4(p, st, o, NULL); }
static pid_t sys_wait3(int *st, int o, struct rusage *ru) { return sys_wait4(-1, st, o, ru); }
static int sys_waitid(idtype_t t, id_t id, siginfo_t *si, int o) { return (int)tw_syscall(SYS_waitid, t, id, si, o, NULL); }

/* This object's first and last bytes as the linker laid it out: its ELF
 * header, mapped at its load address, and the end of its bss. Hidden, so
 * that each names this object's own, never the program's of the same name. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

/* Whether p is a function of this library: RTLD_NEXT found no other
 * definition (a libc without it), and came back to our own wrapper. Told
 * by address, so that this file needs none of the wrappers' symbols, and
 * costs two comparisons (dladdr() walks the symbol table: about 90,000
 * instructions a call, in every process the shim is preloaded into). */
static int ours(void *p)
{
	uintptr_t a = (uintptr_t)p;

	return a >= (uintptr_t)__ehdr_start && a < (uintptr_t)_end;
}

#define BIND(name)                                                     \
	do {                                                           \
		void *p = dlsym(RTLD_NEXT, #name);                     \
		if (p == NULL || ours(p))                              \
			p = (void *)sys_##name;                        \
		*(void **)&tw_real.name = p;                           \
	} while (0)

/* freopen and fclose have no system call to fall back on: glibc's own, by
 * name. */
#define BIND_LIBC(name)                                                \
	do {                                                           \
		void *p = dlsym(RTLD_NEXT, #name), *libc;              \
		if (p == NULL || ours(p)) {                            \
			libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD); \
			p = libc ? dlsym(libc, #name) : NULL;          \
		}                                                      \
		*(void **)&tw_real.name = p;                           \
	} while (0)

static void bind_all(void)
{
	BIND(socket);
	BIND(connect);
	BIND(bind);
	BIND(setsockopt);
	BIND(getsockopt);
	BIND(accept);
	BIND(accept4);
	BIND(close);
	BIND(shutdown);
	BIND(dup);
	BIND(dup2);
	BIND(dup3);
	BIND(fcntl);
	BIND(close_range);
	BIND(closefrom);
	BIND(sendmsg);
	BIND(sendmmsg);
	BIND(wait);
	BIND(waitpid);
	BIND(wait3);
	BIND(wait4);
	BIND(waitid);
	BIND_LIBC(freopen);
	BIND_LIBC(fclose);
	BIND_LIBC(freopen64);
	atomic_store_explicit(&tw_real_bound, 1, memory_order_release);
}

static pthread_once_t bound = PTHREAD_ONCE_INIT;

/* Called from the constructor, and by any wrapper that runs before it (another
 * library's constructor may open sockets first). */
void tw_real_bind_once(void)
{
	pthread_once(&bound, bind_all);
}
