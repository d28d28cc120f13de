// SPDX-License-Identifier: MIT
/*
 * The fd table's entries for TCP sockets, as the wrappers that make and
 * adopt them share it (track_entry.c): fresh ones, ones adopted from a
 * socket the shim did not see made, and the slot and destination that
 * count them. Called with the guard raised unless said otherwise.
 */
#ifndef TW_TRACK_ENTRY_H
#define TW_TRACK_ENTRY_H

#include <stdint.h>

#include "count.h"
#include "fdtable.h"

/* A new entry in v, of kind (enum tw_fd_kind) and address family family
 * (AF_INET, AF_INET6): no slot, no destination. */
void tw_entry_fresh(struct tw_fd *v, uint32_t kind, int family);
/* The entry of a TCP socket, adopting one we did not see made (inherited,
 * socket activation); NULL when fd is not ours to track. */
struct tw_fd *tw_tcp_entry(int fd);
/* The destination entry of a, in s (kind: enum tw_dest_kind); -1 without s. */
int tw_entry_dest(struct tw_slot *s, uint8_t kind, const struct tw_addr *a);
/* Records that s counts e as open, at destination dest. */
void tw_entry_own(struct tw_fd *e, struct tw_slot *s, int dest);
/* A number a call just made (a UNIX socket, an accepted connection) may
 * be one whose TCP socket was closed unseen: that one ended. Guard down,
 * errno kept. */
void tw_fd_drop_stale_at(int fd);

#endif
