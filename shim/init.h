// SPDX-License-Identifier: MIT
/* Start-up, fork and exit (init.c): what the wrappers call of it. */
#ifndef TW_INIT_H
#define TW_INIT_H

/* For the vfork wrapper (wrappers.c): around its system call. */
void tw_vfork_prepare(void);
long tw_vfork_after(long rc);

#endif
