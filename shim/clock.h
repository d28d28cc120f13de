// SPDX-License-Identifier: MIT
/* The clocks the shim reads. */
#ifndef TW_CLOCK_H
#define TW_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ns: lifetimes, waits, the ledger's windows. */
uint64_t tw_now_ns(void);
/* CLOCK_REALTIME in ms: what the ledger shows as a date. */
int64_t tw_realtime_ms(void);

#endif
