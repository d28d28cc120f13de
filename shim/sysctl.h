// SPDX-License-Identifier: MIT
/* The kernel's settings, as /proc/sys has them (sysctl.c). */
#ifndef TW_SYSCTL_H
#define TW_SYSCTL_H

#include <stddef.h>

/* The first line of the sysctl at path (/proc/sys/...), of this network
 * namespace, into buf ("" if none). Raw system calls into the caller's
 * buffer: safe where the shim starts, in a signal handler. errno kept. */
void tw_read_sysctl(const char *path, char *buf, size_t len);

#endif
