// SPDX-License-Identifier: MIT
/* Which libc.so.6 a program would run with, read, not run: where the
 * dynamic loader looks for it before its system directories. */
#ifndef TW_RUN_LIBC_H
#define TW_RUN_LIBC_H

#include <stddef.h>

#include "run_elf.h"

/* The libc.so.6 the loader would give the program p at path, when it is
 * not the system's: from p's DT_RPATH, LD_LIBRARY_PATH, p's DT_RUNPATH,
 * in the loader's order ($ORIGIN expanded), or beside p's loader when that
 * is not self_interp (the loader of this command, which runs on the
 * system's). 0, its path in out; -1 when the loader would take the system's
 * (this command's own: new enough, since this command runs). */
int tw_run_libc(const char *path, const struct tw_elf *p, const char *self_interp, char *out,
                size_t len);

#endif
