// SPDX-License-Identifier: MIT
/* What close() will do, from the kernel's state just before (classify.c). */
#ifndef TW_CLASSIFY_H
#define TW_CLASSIFY_H

#include "count.h"

/* The class of a close from the socket's TCP state, its enum tw_fd_flag
 * flags and the bytes it has not read. CLOSE is a reset here: a finished
 * exchange reads CLOSE too, and only the kernel's table tells it (the
 * caller asks it first). */
enum tw_close_class tw_classify(int tcp_state, unsigned flags, int unread);

#endif
