// SPDX-License-Identifier: MIT
/*
 * naive_linger0.so: what a user would preload instead of twshim's close
 * policy, for make bench-policies: SO_LINGER {1,0} set just before every
 * close(), whatever the fd (on a non-socket the call fails with ENOTSOCK,
 * which still enters the kernel) and whatever the connection's state, so
 * every TCP close is a reset. No tracking, no ledger, no care for data in
 * flight (DOMAIN fact 8: a reset discards what is unsent or unacknowledged).
 *
 * A measuring device, not a product. errno is preserved.
 */
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

static int (*real_close)(int);

__attribute__((constructor)) static void naive_init(void)
{
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

__attribute__((visibility("default"))) int close(int fd)
{
	static const struct linger lg = { 1, 0 };
	int saved = errno;

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	errno = saved;
	return real_close(fd);
}
