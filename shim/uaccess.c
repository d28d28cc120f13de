// SPDX-License-Identifier: MIT
/*
 * tw_readable (uaccess.h): a futex wait with a zero timeout reads one
 * aligned word and returns at once: EAGAIN (the word is not the value
 * given) or ETIMEDOUT (it is), and EFAULT when it cannot be read. Pages are
 * readable or not as a whole, so one word per page covers a range. Private
 * futex keys need no write access: read-only memory answers yes, as the
 * kernel's own copy of an address would.
 */
#include "uaccess.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "sys.h"

/* The smallest page Linux has: probing every 4 KiB covers larger pages. */
#define PROBE_STEP 4096u

static int word_readable(uintptr_t w)
{
	struct timespec zero = { 0, 0 };

	return tw_syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, &zero, 0, 0) == 0 ||
	       errno != EFAULT;
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
	for (w = a & ~(uintptr_t)3; ok && w <= last; w = (w | (PROBE_STEP - 1)) + 1) {
		ok = word_readable(w);
		if ((w | (PROBE_STEP - 1)) >= last)
			break;
	}
	errno = saved;
	return ok;
}
