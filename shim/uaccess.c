// SPDX-License-Identifier: MIT
/*
 * tw_readable (uaccess.h): rt_sigprocmask with a "how" that is none of
 * SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK copies the new set in (8 bytes) and
 * then refuses the call: EINVAL, nothing changed; EFAULT when those bytes
 * cannot be read. Pages are readable or not as a whole, and an aligned
 * 8-byte read stays in one page: one read per page covers a range.
 * (A zero-timeout futex wait reads a word too, but sleeps until its timer
 * fires when the word holds the value given: a quarter of a millisecond.)
 */
#include "uaccess.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "sys.h"

/* The smallest page Linux has: probing every 4 KiB covers larger pages. */
#define PROBE_STEP 4096u
#define PROBE_HOW  0x7ead       /* no such "how": the kernel refuses it */
#define KSIGSET    8            /* the kernel's sigset_t, in bytes */

static int chunk_readable(uintptr_t w)
{
	/* A null set is "no new set": the kernel reads nothing there. The
	 * page at 0 is never the program's (vm.mmap_min_addr); whatever is
	 * asked of it passes through to the kernel, which answers. */
	if (w == 0)
		return 0;
	return tw_syscall(SYS_rt_sigprocmask, PROBE_HOW, w, 0, KSIGSET) == 0 || errno != EFAULT;
}

int tw_readable(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, last, w;
	int saved = errno, ok = 1;

	if (len == 0)
		return 1;
	if (a + len - 1 < a)
		return 0;
	last = a + len - 1;
	for (w = a & ~(uintptr_t)(KSIGSET - 1); ok && w <= last; w = (w | (PROBE_STEP - 1)) + 1) {
		ok = chunk_readable(w);
		if ((w | (PROBE_STEP - 1)) >= last)
			break;
	}
	errno = saved;
	return ok;
}
