// SPDX-License-Identifier: MIT
/* twshim stat --prometheus: the ledger as Prometheus metrics (docs/prometheus.md). */
#ifndef TW_STAT_PROM_H
#define TW_STAT_PROM_H

#include <stddef.h>
#include <stdio.h>

#include "ledger_read.h"

/* A ledger for the export: its name as shown (escaped), and what was read
 * of it, or NULL when it could not be (missing, unreadable, refused). */
struct tw_prom_ledger {
	const char *name;
	const struct tw_snapshot *snap;
};

/* Writes the ledgers to out in the text exposition format 0.0.4: every
 * family once, each ledger's series under its ledger label, and
 * twshim_ledger_up for each, 1 read or 0 not. Returns 0, or -1 with one
 * line in err (a write error: the file is not whole). */
int tw_stat_prometheus_ledgers(FILE *out, const struct tw_prom_ledger *ls, size_t n, char *err,
			       size_t errlen);
/* The same for one ledger read. */
int tw_stat_prometheus(FILE *out, const struct tw_snapshot *s, char *err, size_t errlen);

#endif
