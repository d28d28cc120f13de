// SPDX-License-Identifier: MIT
/*
 * A writer of the Prometheus text exposition format, version 0.0.4: what
 * Prometheus scrapes and node_exporter's textfile collector reads. Generic:
 * it knows the format's rules, not twshim's metrics (stat_prom.c maps the
 * ledger onto it).
 *
 * Families are written one at a time: tw_prom_family() writes the # HELP
 * and # TYPE lines of a name (once per name in the output), then the
 * samples of that family follow. The writer refuses what the format or its
 * conventions forbid (a bad metric or label name, a second header for a
 * name, a sample of another family, a counter not ending in _total) and
 * escapes what label values and help texts may contain. It writes no
 * sample timestamps.
 *
 *	struct tw_prom p;
 *	struct tw_prom_label l[] = { { "comm", "curl" }, { "errno", "EADDRNOTAVAIL" } };
 *
 *	tw_prom_init(&p, stdout);
 *	tw_prom_family(&p, "twshim_connect_errors_total", TW_PROM_COUNTER, "Failed connect().");
 *	tw_prom_sample_u64(&p, "", l, 2, 42);
 *	if (tw_prom_finish(&p) < 0)
 *		fprintf(stderr, "%s\n", tw_prom_error(&p));
 */
#ifndef TW_PROM_H
#define TW_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum tw_prom_type {
	TW_PROM_COUNTER,   /* name ends in _total; samples: "" */
	TW_PROM_GAUGE,	   /* samples: "" */
	TW_PROM_HISTOGRAM, /* samples: "_bucket" (with le), "_sum", "_count" */
	TW_PROM_SUMMARY,   /* samples: "" (with quantile), "_sum", "_count" */
	TW_PROM_UNTYPED,   /* samples: "" */
};

struct tw_prom_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" */
	const char *value; /* any bytes: escaped, invalid UTF-8 replaced by U+FFFD */
};

#define TW_PROM_NAME_MAX   128 /* metric names, suffix included, and label names */
#define TW_PROM_FAMILY_MAX 64  /* families in one output */
#define TW_PROM_LABEL_MAX  15  /* labels per sample, le included */

struct tw_prom {
	FILE *out;
	int err;		/* set by the first failure; every later call fails */
	char msg[192];		/* what failed */
	enum tw_prom_type type; /* of the current family */
	int nfamilies;		/* families written; the last is the current one */
	char families[TW_PROM_FAMILY_MAX][TW_PROM_NAME_MAX];
};

void tw_prom_init(struct tw_prom *p, FILE *out);

/* Starts family name: "# HELP name help" (backslash and newline escaped)
 * and "# TYPE name type". Returns 0, or -1: a bad name, a counter not
 * ending in _total, a name already written, too many families. */
int tw_prom_family(struct tw_prom *p, const char *name, enum tw_prom_type type, const char *help);

/* One sample of the current family: "name+suffix{labels} value". value is
 * written as given (see the formatters below). Returns 0, or -1: no
 * family, a suffix the family's type does not have, a bad label name, too
 * many labels, a write error. */
int tw_prom_sample(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		   size_t nlabels, const char *value);
int tw_prom_sample_u64(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		       size_t nlabels, uint64_t v);
int tw_prom_sample_i64(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		       size_t nlabels, int64_t v);
int tw_prom_sample_f64(struct tw_prom *p, const char *suffix, const struct tw_prom_label *labels,
		       size_t nlabels, double v);

/*
 * One series of the current histogram family, from per-bucket counts (not
 * cumulative): counts[i] holds the values in (le[i-1], le[i]] for i < nle,
 * counts[nle] those above le[nle-1]. Writes the cumulative _bucket samples
 * for le[0..nle-1] and "+Inf", then _sum (as given, in the family's unit)
 * and _count (the +Inf bucket, as the format requires). le must rise.
 */
int tw_prom_histogram(struct tw_prom *p, const struct tw_prom_label *labels, size_t nlabels,
		      const char *const *le, const uint64_t *counts, size_t nle, const char *sum);

/* Flushes the output. Returns 0, or -1 if any call failed or a write did. */
int tw_prom_finish(struct tw_prom *p);
/* What failed first ("" if nothing did). */
const char *tw_prom_error(const struct tw_prom *p);

/* Formatters for values and le labels; each returns buf. */
/* The shortest text that reads back as v; NaN, +Inf, -Inf as the format
 * spells them. buf: 32 bytes at least. */
char *tw_prom_fmt_f64(char *buf, size_t len, double v);
/* v / 10^decimals, exactly, in plain decimal without trailing zeros:
 * (1500000, 6) is "1.5", (4, 6) "0.000004". For counts kept in
 * microseconds or milliseconds, shown in seconds. decimals <= 19. */
char *tw_prom_fmt_fixed(char *buf, size_t len, uint64_t v, unsigned decimals);

/* Whether s is a valid metric name / label name. */
int tw_prom_metric_name_ok(const char *s);
int tw_prom_label_name_ok(const char *s);

#endif
