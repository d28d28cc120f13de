// SPDX-License-Identifier: MIT
/* What the sources policy's two files share (sources.c, sources_addrs.c). */
#ifndef TW_SOURCES_H
#define TW_SOURCES_H

#include <stddef.h>
#include <sys/socket.h>

#include "policy.h"

#define TW_SRC_MAX 64

extern struct tw_addr tw_srcs[TW_SRC_MAX]; /* TWSHIM_SOURCE_ADDRS: family 4 or 6; port 0 */
extern int tw_nsrcs;

/* Reads TWSHIM_SOURCE_ADDRS (v) into tw_srcs. 0, or -1 with err. */
int tw_sources_parse_addrs(const char *v, char *err, size_t errlen);
/* src's form for a socket like e toward dest (IPv4 destinations on an IPv6
 * socket need the IPv4-mapped form): its length, 0 when src cannot serve. */
socklen_t tw_source_sockaddr(const struct tw_addr *src, const struct tw_fd *e,
                             const struct tw_addr *dest, struct sockaddr_storage *ss);
/* Binds c's socket to the untried source that holds the fewest ports
 * toward c's destination (ties go round). 1 if it did. */
int tw_sources_next(struct tw_connect_ctx *c);
/* A connection bound to a source left a TIME_WAIT here. */
void tw_sources_time_wait(const struct tw_fd *v);
/* In a fork child: forget the parent's counts. */
void tw_sources_forget(void);

#endif
