// SPDX-License-Identifier: MIT
/* twshim stat's table and JSON pieces, shared by its per-process view
 * (stat.c) and its per-command one (stat_commands.c). */
#ifndef TW_STAT_H
#define TW_STAT_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "ledger_read.h"

/* An exited process that failed to connect stays listed this long: the
 * victims of exhaustion hold no TIME_WAIT, and were hidden with the rest. */
#define STAT_FAILED_RECENT_MS (10 * 60 * 1000)

/* Whether stat lists p without --all: alive, holding TIME_WAIT or open
 * connections, or failed to connect in the last STAT_FAILED_RECENT_MS
 * (now_ms: the wall clock, as the ledger's exit times). */
int tw_stat_listed(const struct tw_snap_proc *p, int64_t now_ms);

/* The table's header line; first names the first column (PID, PROCS).
 * Nothing once tw_stat_no_header is set (--no-header). */
extern int tw_stat_no_header;
void tw_stat_header(const char *first);
/* One table row: a process or command, or a destination under it. */
void tw_stat_row(const char *first, const char *name, const char *state,
                 const struct tw_snap_counters *c);
/* A row's counters as JSON members: connects, connect_errors, ... */
void tw_stat_json_counters(struct tw_json *j, const struct tw_snap_counters *c);

/* The report's first members on stdout: ledger, layout_version,
 * time_wait_seconds, slots_folded (the object left open). */
void tw_stat_json_head(struct tw_json *j, const struct tw_snapshot *s);
/* A destination's pooling hint as the member "hint" (null when none). */
void tw_stat_json_hint(struct tw_json *j, const struct tw_snap_hint *h);

/* stat --prometheus: the ledgers shm names (nshm of them; none: those of
 * $TWSHIM_SHM, else every /dev/shm/twshim* ledger), narrowed by filter
 * (NULL: none), to out. TW_EXIT_OK once written, whole, whatever ledgers
 * were down; TW_EXIT_FAIL when it could not be. */
struct tw_filter;
int tw_stat_export(FILE *out, const char *const *shm, int nshm, const struct tw_filter *filter);

/* stat --by-command: one row per command, then per destination. */
void tw_stat_by_command_text(const struct tw_snapshot *s);
void tw_stat_by_command_json(const struct tw_snapshot *s);

#endif
