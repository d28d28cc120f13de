// SPDX-License-Identifier: MIT
/* The kernel's table of sockets, asked over NETLINK_SOCK_DIAG (diag.c). */
#ifndef TW_DIAG_H
#define TW_DIAG_H

#include <stdint.h>

#include "fdtable.h"

/* The kernel's socket at this exact 4-tuple: 1 and its TCP state and
 * inode (0: no fd holds it, as for a TIME_WAIT entry), 0 if there is none,
 * -1 if the kernel cannot be asked. Async-signal-safe. */
int tw_diag_lookup(uint8_t family, const struct tw_addr *local, const struct tw_addr *remote,
                   int *state, uint64_t *inode);

/* The kernel's sockets toward dest (every state, every process) by local
 * address: counts[i] for srcs[i], n of them. 0, or -1 if it cannot say. */
int tw_diag_count_by_source(const struct tw_addr *dest, const struct tw_addr *srcs, int n,
                            uint32_t *counts);

/* After a close of a socket others may hold: 1 if an fd somewhere still
 * holds it, 0 if not (orphaned, TIME_WAIT or gone), -1 if unknown. */
int tw_diag_still_open(uint8_t family, const struct tw_addr *local,
                       const struct tw_addr *remote);

#endif
