// SPDX-License-Identifier: MIT
/*
 * Everything a policy may use of the shim: the one shim header a policy
 * includes (HACKING.md, "Layers"; tests/arch/layers.sh checks it). What a
 * policy implements is in policy.h.
 *
 *   the real calls        tw_real.X: the original of every wrapped call, so
 *                         that a policy's own calls pass no wrapper (real.h);
 *                         tw_syscall for raw system calls (sys.h)
 *   the guard             tw_enter/tw_leave, for a thread of a policy's own
 *                         (guard.h)
 *   the clock             tw_now_ns, tw_realtime_ms; tw_backoff to wait for
 *                         another thread of the shim's (clock.h)
 *   the log               tw_err, tw_warn, tw_log (log.h)
 *   parsing               tw_parse_uint, tw_parse_switch, tw_list_blank,
 *                         destination patterns, tw_getenv_fn (parse.h)
 *   the kernel's word     a socket's state, addresses, cookie, unacknowledged
 *                         bytes, blocking or not (facts.h); the sockets toward
 *                         a destination by source address (diag.h); a sysctl
 *                         (sysctl.h)
 *   the fd table          struct tw_fd and struct tw_addr; whether an fd is
 *                         still the same socket (tw_fd_token) (fdtable.h)
 *   the shim's own fds    the one fd a policy may keep in the program's table
 *                         (ownfd.h)
 *   counting              this process's slot (slot.h); counting an action,
 *                         destination keys, the oldest TIME_WAIT toward a
 *                         destination, the close classes (count.h); the
 *                         cursors that processes share (segment.h)
 *
 * Anything else of shim/ a policy needs is added here first, saying why.
 */
#ifndef TW_SERVICES_H
#define TW_SERVICES_H

#include "clock.h"
#include "count.h"
#include "diag.h"
#include "facts.h"
#include "fdtable.h"
#include "guard.h"
#include "log.h"
#include "ownfd.h"
#include "parse.h"
#include "real.h"
#include "segment.h"
#include "slot.h"
#include "sys.h"
#include "sysctl.h"
#include "twshim/ledger.h"

#endif
