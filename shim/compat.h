// SPDX-License-Identifier: MIT
/*
 * The glibc baseline: libtwshim.so, built on any glibc, loads in every
 * x86_64 glibc userland since 2.17 (issue 12; tests/e2e/glibc_baseline.sh
 * fails naming any import above it).
 *
 * The linker records for each libc symbol the version of its default
 * definition on the build host, and the loader refuses the library where
 * libc lacks that version. glibc 2.34 moved libdl, libpthread and librt into
 * libc.so.6 under new versions (dlsym@@GLIBC_2.34), keeping the old ones for
 * old binaries: a build on 2.34+ would need 2.34 for calls glibc has had
 * since 2.2.5. Hence:
 *
 * - Such a call is pinned below to GLIBC_2.2.5, x86_64's first version:
 *   ".symver" makes this translation unit's references to it bind to that
 *   exact version. glibc 2.34+ defines it in libc.so.6; an older one in
 *   libdl.so.2, libpthread.so.0 or librt.so.1. The loader binds a versioned
 *   reference to whichever loaded object defines that version (what lets old
 *   binaries run on 2.34+): the Makefile links those three by their run-time
 *   names so that an old glibc loads them (on 2.34+ they are stubs, and -ldl
 *   finds an empty libdl.a that records nothing).
 * - fstat became a symbol in 2.33 (before, an inline around __fxstat):
 *   tw_fstat is the system call, the same struct stat on x86_64.
 * - Calls that appeared after 2.17 (close_range, closefrom) are never
 *   linked: real.c finds them with dlsym and falls back to the system call.
 *
 * The Makefile includes this header first in every shim and policy source
 * (-include), so that a call added to any file is pinned without anyone
 * remembering to; a call it does not cover shows up in the test, named.
 * Sanitizer builds get the same pins (their runtimes intercept these calls
 * at the base version, which matches any version asked for) but need not be
 * portable: the runtime they link is the build host's.
 */
#ifndef TW_COMPAT_H
#define TW_COMPAT_H

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

/* Only x86_64 is built and tested for old userlands (docs/containers.md); elsewhere the
 * build host's versions apply. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define TW_PIN(name) __asm__(".symver " #name ", " #name "@GLIBC_2.2.5")
/* libdl */
TW_PIN(dlopen);
TW_PIN(dlsym);
/* libpthread */
TW_PIN(pthread_create);
TW_PIN(pthread_detach);
TW_PIN(pthread_once);
TW_PIN(pthread_sigmask);
/* librt */
TW_PIN(shm_open);
TW_PIN(shm_unlink);
#undef TW_PIN
#endif

/* tw_syscall, not syscall(): the shim exports syscall() itself (sys.h). */
static inline int tw_fstat(int fd, struct stat *st)
{
	return (int)tw_syscall(SYS_fstat, fd, st);
}

#endif
