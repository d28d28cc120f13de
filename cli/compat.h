// SPDX-License-Identifier: MIT
/*
 * The glibc baseline for the twshim command: built on any glibc, it runs
 * in every x86_64 glibc userland since 2.17, as libtwshim.so loads there
 * (issue 12), so that the library and the command copied together into an
 * older image both work (docs/containers.md; tests/e2e/glibc_baseline.sh
 * names any import above the baseline, tests/e2e/old_userland.sh runs the
 * command in Debian 11). Why each step is needed is told in shim/compat.h;
 * what differs for an executable:
 *
 * - dlopen, dlsym (top's ncurses, cli/curses_dl.c) and shm_open (the
 *   ledger) are pinned to GLIBC_2.2.5, as in the shim; the Makefile links
 *   libdl.so.2 and librt.so.1 by run-time name for glibc before 2.34.
 * - stat and fstat became symbols in glibc 2.33: tw_stat and tw_fstat are
 *   the system calls, the same struct stat on x86_64.
 * - __libc_start_main, called by the start files (crt1.o) of every
 *   program, took a new version in 2.34: cli/start_compat.c.
 *
 * The Makefile includes this header first in every source of the command
 * (-include), as shim/compat.h for the library.
 */
#ifndef TW_CLI_COMPAT_H
#define TW_CLI_COMPAT_H

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define TW_PIN(name) __asm__(".symver " #name ", " #name "@GLIBC_2.2.5")
TW_PIN(dlopen);
TW_PIN(dlsym);
TW_PIN(dlerror);
TW_PIN(dlclose);
TW_PIN(shm_open);
#undef TW_PIN

static inline int tw_stat(const char *path, struct stat *st)
{
	return (int)syscall(SYS_stat, path, st);
}

static inline int tw_fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}
#else
/* Elsewhere the build host's glibc is the baseline. */
#define tw_stat stat
#define tw_fstat fstat
#endif

#endif
