// SPDX-License-Identifier: MIT
/* The clocks the shim reads. */
#ifndef TW_CLOCK_H
#define TW_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ns: lifetimes, waits, the ledger's windows. */
uint64_t tw_now_ns(void);
/* CLOCK_REALTIME in ms: what the ledger shows as a date. */
int64_t tw_realtime_ms(void);

/* One round of waiting for another thread of ours that is at work (a
 * start, a send), round 0 first: the first 100 rounds give way, the rest
 * sleep 1 ms each. */
void tw_backoff(int round);

#endif
