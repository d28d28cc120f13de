// SPDX-License-Identifier: MIT
/* What stat and top show alike: the words for a process, a destination
 * and their counters, and the order of pressure. */
#ifndef TW_FORMAT_H
#define TW_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_read.h"

/* "2024-05-01T12:00:00Z" (UTC); "-" for ms <= 0. */
void tw_fmt_time(char *buf, size_t len, int64_t ms);

/* A time given as a histogram bucket's upper bound, "<=64us"; "-" for 0. */
void tw_fmt_us_le(char *buf, size_t len, uint64_t us);

/* The median connect() time as its bucket's upper bound, "<=64us"; "-"
 * when there is none. */
void tw_fmt_connect_p50(char *buf, size_t len, const struct tw_snap_counters *c);

/* connect() failures by errno, "EADDRNOTAVAIL=3 ECONNREFUSED=1"; "" when none. */
void tw_fmt_errors(char *buf, size_t len, const struct tw_snap_counters *c);

/* What the policies did, "reset=150 retry=3"; "" when nothing. */
void tw_fmt_actions(char *buf, size_t len, const struct tw_snap_counters *c);

/* The PID and COMMAND of a process; an aggregate is "-" and
 * "curl* (776 procs)". */
void tw_fmt_proc(char *pid, size_t pidlen, char *name, size_t namelen,
		 const struct tw_snap_proc *p);

/* "-> 10.0.0.1:80" for connections made, "<- 10.0.0.1:80" for accepted ones. */
void tw_fmt_dest(char *buf, size_t len, const struct tw_snap_dest *d);

/* A pooling hint's figures on one line ("hint 2024-...: 900 closed here in
 * a minute, ..."); "" when there is no hint. */
void tw_fmt_hint(char *buf, size_t len, const struct tw_snap_hint *h);

/* The order of pressure, as a qsort result: more TIME_WAIT first, then
 * more connects; 0 when both are equal. */
int tw_pressure_cmp(const struct tw_snap_counters *x, const struct tw_snap_counters *y);

#endif
