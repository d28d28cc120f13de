// SPDX-License-Identifier: MIT
/*
 * The shim's own system calls.
 *
 * HAZARD: the shim exports syscall() (wrappers.c), so a call to syscall()
 * from inside the shim would come back to that wrapper, and through it to
 * tracking, with the guard in whatever state the caller left it. Every
 * system call the shim makes itself goes through tw_syscall() instead,
 * which never leaves the library.
 */
#ifndef TW_SYS_H
#define TW_SYS_H

/* The raw call: the kernel's result turned into -1 and errno, as syscall()
 * does. Async-signal-safe. */
long tw_sys6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* tw_syscall(SYS_x, args...): up to six arguments, each passed as a long
 * (pointers and unsigned values keep their bits, as syscall() has them). */
#define TW_SYS_PICK(nr, a, b, c, d, e, f, ...)                                            \
	tw_sys6((long)(nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define tw_syscall(...) TW_SYS_PICK(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

/* syscall() called by the program (wrappers.c): the calls that open, connect,
 * shut down, copy or close a socket go through tracking, as their libc
 * wrappers do; every other number passes straight to the kernel. */
long tw_syscall_entry(long nr, const long a[6]);
/* The wrapper's two ways out of assembly: a number tracking wants, with its
 * arguments as they came; and a kernel error to turn into errno. */
long tw_syscall_tracked(long nr, long a1, long a2, long a3, long a4, long a5);
long tw_syscall_failed(long ret);

#endif
