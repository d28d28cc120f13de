// SPDX-License-Identifier: MIT
/*
 * System calls made without libc's syscall(), which the shim interposes
 * (sys.h). On x86_64 the instruction itself; elsewhere the shim does not
 * export syscall(), and libc's is safe to call.
 */
#include "sys.h"

#include <errno.h>
#include <unistd.h>

long tw_sys6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	if ((unsigned long)ret > -4096UL) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	return syscall(nr, a1, a2, a3, a4, a5, a6);
#endif
}
