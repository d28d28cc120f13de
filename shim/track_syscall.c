// SPDX-License-Identifier: MIT
/*
 * syscall() as real programs use it: libuv (Node.js) closes every fd with
 * syscall(SYS_close) to avoid close()'s cancellation point, and other
 * runtimes make the socket calls themselves. The numbers that make, connect,
 * shut down, copy or close a socket go through the same tracking as their
 * libc wrappers; every other number, and every call while the guard is up,
 * goes straight to the kernel, arguments untouched.
 *
 * HAZARD: syscall() is not a cancellation point, while close(), connect()
 * and accept() are: tracking calls those libc functions, so cancellation is
 * held off around it, or a pending pthread_cancel() would act in a call
 * the program made precisely so that it would not.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "fdtable.h"
#include "guard.h"
#include "sys.h"
#include "track.h"

/* The calls tracking has a wrapper for. */
static int is_socket_call(long nr)
{
	switch (nr) {
	case SYS_close:
	case SYS_close_range:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_socket:
	case SYS_connect:
	case SYS_accept:
	case SYS_accept4:
	case SYS_shutdown:
		return 1;
	default:
		return 0;
	}
}

static long tracked(long nr, const long a[6])
{
	switch (nr) {
	case SYS_close:
		return tw_close((int)a[0]);
	case SYS_close_range:
		return tw_close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]);
	case SYS_dup2:
		return tw_dup3((int)a[0], (int)a[1], 0, 1);
	case SYS_dup3:
		return tw_dup3((int)a[0], (int)a[1], (int)a[2], 0);
	case SYS_socket:
		return tw_socket((int)a[0], (int)a[1], (int)a[2]);
	case SYS_connect:
		return tw_connect((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
	case SYS_accept:
		return tw_accept((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2], 0, 0);
	case SYS_accept4:
		return tw_accept((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2], (int)a[3], 1);
	case SYS_shutdown:
		return tw_shutdown((int)a[0], (int)a[1]);
	default:
		return tw_sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}

long tw_syscall_entry(long nr, const long a[6])
{
	long rc;
	int cancel;

	/* The pass-through path of close: an fd that is not a tracked socket
	 * (every file libuv closes) costs two loads, as through close(). */
	if (!is_socket_call(nr) || tw_guarded() ||
	    (nr == SYS_close && tw_fd_kind(tw_fd_get((int)a[0])) == TW_FD_NONE))
		return tw_sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	rc = tracked(nr, a);
	pthread_setcancelstate(cancel, NULL);
	return rc;
}

/* From the syscall() wrapper (wrappers.c), for the numbers is_socket_call()
 * names: none takes more than four arguments. */
long tw_syscall_tracked(long nr, long a1, long a2, long a3, long a4, long a5)
{
	const long a[6] = { a1, a2, a3, a4, a5, 0 };

	return tw_syscall_entry(nr, a);
}

long tw_syscall_failed(long ret)
{
	errno = (int)-ret;
	return -1;
}
