// SPDX-License-Identifier: MIT
/* Where twshim export listens (export_listen.c). */
#ifndef TW_EXPORT_LISTEN_H
#define TW_EXPORT_LISTEN_H

#define EXPORT_DEFAULT "127.0.0.1:9477"

/* A listening socket (non-blocking, close-on-exec) on arg: ADDR:PORT,
 * [V6]:PORT or :PORT (every address, IPv4 and IPv6). The fd; -2 when arg
 * is no such address, -1 when it cannot be listened on (each said in one
 * line on stderr). */
int tw_export_listen(const char *arg);

#endif
