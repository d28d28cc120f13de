// SPDX-License-Identifier: MIT
/* twshim stat's table and JSON pieces (stat_fields.c), shared by its
 * per-process view (stat.c) and its per-command one (stat_commands.c). */
#ifndef TW_STAT_H
#define TW_STAT_H

#include <stdint.h>
#include <stdio.h>

#include "emit.h"
#include "json.h"
#include "ledger_read.h"

/* An exited process that failed to connect stays listed this long: the
 * victims of exhaustion hold no TIME_WAIT, and were hidden with the rest. */
#define STAT_FAILED_RECENT_MS (10 * 60 * 1000)

/* Whether stat lists p without --all: alive, holding TIME_WAIT or open
 * connections, or failed to connect in the last STAT_FAILED_RECENT_MS
 * (now_ms: the wall clock, as the ledger's exit times). */
int tw_stat_listed(const struct tw_snap_proc *p, int64_t now_ms);

/* The table's first three columns (text only, or STATE with its key):
 * first names the first (PID, PROCS). */
#define TW_STAT_COL_FIRST(first) TW_COL((first), -8)
#define TW_STAT_COL_COMMAND(key) TW_F((key), "COMMAND", -22)
#define TW_STAT_COL_STATE(key) TW_F((key), "STATE", -9)

/* --no-header: the table without its header line, nor the notes under it. */
extern int tw_stat_no_header;

/* A row's counters: the table's columns from CONNECTS on, the JSON's
 * members from "connects" on. */
void tw_stat_counters(struct tw_emit *e, const struct tw_snap_counters *c);
/* A destination's row under its process or command (first: the first
 * column's title), and its JSON members up to its counters'. */
void tw_stat_dest_row(struct tw_emit *e, const char *first, const char *shown,
                      const char *addr, int kind, const struct tw_snap_counters *c);
/* A destination's pooling hint: in words under its row, as the member
 * "hint" (null when none). */
void tw_stat_hint(struct tw_emit *e, const struct tw_snap_hint *h);
/* JSON: the document opens with ledger, layout_version,
 * time_wait_seconds, slots_folded (the object left open). */
void tw_stat_head(struct tw_emit *e, const struct tw_snapshot *s);

/* tw_stat_counters and tw_stat_hint into a JSON document j has open. */
void tw_stat_json_counters(struct tw_json *j, const struct tw_snap_counters *c);
void tw_stat_json_hint(struct tw_json *j, const struct tw_snap_hint *h);

/* stat --prometheus: the ledgers shm names (nshm of them; none: those of
 * $TWSHIM_SHM, else every /dev/shm/twshim* ledger), narrowed by filter
 * (NULL: none), to out. TW_EXIT_OK once written, whole, whatever ledgers
 * were down; TW_EXIT_FAIL when it could not be. */
struct tw_filter;
int tw_stat_export(FILE *out, const char *const *shm, int nshm, const struct tw_filter *filter);

/* stat --by-command: one row per command, then per destination. */
void tw_stat_by_command(struct tw_emit *e, const struct tw_snapshot *s);

#endif
