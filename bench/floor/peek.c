// SPDX-License-Identifier: MIT
/*
 * floor_peek.so: the floor under the shim's cost, for bench/run.sh.
 *
 * A preload library that does nothing but the one thing the shim cannot
 * avoid on each connection: a 1-byte recv(MSG_PEEK | MSG_DONTWAIT) just
 * before close(), the single system call the shim adds per connection (it
 * is how the shim learns, from the kernel, who closed first: see
 * peek_state() in shim/track_close.c). Compared against no preload at all,
 * its ratio is what that one call costs on this machine; whatever the
 * shim's ratio adds above it is the shim's own bookkeeping.
 *
 * A measuring device, not a product: it peeks before every close(),
 * whatever the fd (on a non-socket the call fails with ENOTSOCK, which
 * still enters the kernel), and tracks nothing. errno is preserved.
 */
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

static int (*real_close)(int);

__attribute__((constructor)) static void floor_init(void)
{
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

__attribute__((visibility("default"))) int close(int fd)
{
	int saved = errno;
	char b;

	(void)recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	errno = saved;
	return real_close(fd);
}
