// SPDX-License-Identifier: MIT
/*
 * Whether the program's memory can be read, asked of the kernel.
 *
 * A wrapper that reads an argument before the real call (the address given
 * to connect() or bind(), accept()'s length) would crash on a pointer the
 * real call answers with EFAULT. It asks first, and on "no" passes the call
 * through untouched, so that the program gets the kernel's own answer.
 */
#ifndef TW_UACCESS_H
#define TW_UACCESS_H

#include <stddef.h>

/* 1 when every byte of [p, p + len) can be read now, 0 when one cannot.
 * One system call per page the range touches; errno kept.
 * Async-signal-safe. */
int tw_readable(const void *p, size_t len);

#endif
