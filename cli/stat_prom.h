// SPDX-License-Identifier: MIT
/* twshim stat --prometheus: the ledger as Prometheus metrics (docs/prometheus.md). */
#ifndef TW_STAT_PROM_H
#define TW_STAT_PROM_H

#include <stddef.h>
#include <stdio.h>

#include "ledger_read.h"

/* Writes s to out in the text exposition format 0.0.4. Returns 0, or -1
 * with one line in err. */
int tw_stat_prometheus(FILE *out, const struct tw_snapshot *s, char *err, size_t errlen);

#endif
