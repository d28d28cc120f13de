// SPDX-License-Identifier: MIT
/* What stat --prometheus's writer holds while it writes the families,
 * shared by stat_prom.c (per destination) and stat_prom_ledger.c (per
 * ledger and per command). */
#ifndef TW_STAT_PROM_OUT_H
#define TW_STAT_PROM_OUT_H

#include <stddef.h>

#include "per_command.h"
#include "prom.h"
#include "stat_prom.h"

/* connect() durations: bucket 0 holds calls under 1 us, bucket i those in
 * [2^(i-1), 2^i) us, the last the rest. Durations are whole microseconds,
 * truncated, so every call in bucket i took less than 2^i us: le = 2^i us,
 * exact in decimal seconds. The last bucket is +Inf's alone. */
#define CONNECT_LE (TW_HIST_BUCKETS - 1)

struct sp_out {
	struct tw_prom p;
	const struct tw_prom_ledger *ls; /* every ledger, read or not */
	size_t n;
	struct tw_per_command **pcs;     /* per ledger read, NULL for one not read */
	/* The ledger each family's loop is at (sp_each_ledger). */
	const struct tw_snapshot *s;
	const struct tw_per_command *pc;
	char le[CONNECT_LE][24];
	const char *le_ptr[CONNECT_LE];
};

/* Steps o through the ledgers that were read: for (size_t k = 0;
 * sp_each_ledger(o, &k);) { ... o->s, o->pc ... }. Every family holds
 * every ledger's series, each under its own ledger label. */
int sp_each_ledger(struct sp_out *o, size_t *k);

/* stat_prom_ledger.c: each ledger's up, info, start time and slot counters,
 * the processes per command and state; the policies' actions per command. */
void sp_ledger_families(struct sp_out *o);
void sp_policy_actions(struct sp_out *o);

#endif
