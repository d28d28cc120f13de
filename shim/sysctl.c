// SPDX-License-Identifier: MIT
/* The kernel's settings for this network namespace, as /proc/sys has them. */
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "sys.h"

/* HAZARD: this runs as the shim starts, on the process's first TCP socket,
 * which may be made in a signal handler that interrupted malloc: raw
 * system calls into the caller's buffer, no stdio (fopen allocates). */
void tw_read_sysctl(const char *path, char *buf, size_t len)
{
	int saved = errno;
	long fd, n = 0, got = 0;
	char *nl;

	buf[0] = '\0';
	if (len < 2)
		return;
	fd = tw_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		do {
			n = tw_syscall(SYS_read, fd, buf + got, len - 1 - (size_t)got);
			got += n > 0 ? n : 0;
		} while ((n > 0 || (n < 0 && errno == EINTR)) && (size_t)got < len - 1);
		tw_syscall(SYS_close, fd);
	}
	buf[got] = '\0';
	if ((nl = strchr(buf, '\n')))
		nl[1] = '\0'; /* the first line, as it was */
	errno = saved;
}
