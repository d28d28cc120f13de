// SPDX-License-Identifier: MIT
/*
 * twshim stat --prometheus: the ledger mapped onto Prometheus families
 * (docs/prometheus.md lists each).
 *
 * Series are per command and destination, never per pid: a shell loop of
 * 1,000 curl runs is one series, not 1,000, and its counters keep growing
 * as its processes exit and their slots are folded into the command's
 * aggregate (per_command.c sums them). The ledger's fixed size bounds the
 * series: at most TW_SLOTS commands times TW_DESTS destinations. Every
 * series carries the ledger's name, so that the files of two ledgers
 * (two services) in one textfile directory never collide.
 */
#include "stat_prom.h"

#include <stdlib.h>
#include <string.h>

#include "per_command.h"
#include "prom.h"
#include "stat_prom_out.h"

static const char *const directions[] = {
    [TW_DEST_OUT] = "out", [TW_DEST_IN] = "in", [TW_DEST_REST] = "other"};

int sp_each_ledger(struct sp_out *o, size_t *k)
{
	while (*k < o->n && !o->pcs[*k])
		++*k;
	if (*k >= o->n)
		return 0;
	o->s = o->ls[*k].snap;
	o->pc = o->pcs[*k];
	++*k;
	return 1;
}

/* A (command, destination) row of one of the ledgers read, as each_row
 * steps through them; zeroed to start. */
struct row {
	size_t k;               /* the next ledger (sp_each_ledger) */
	int in_ledger;          /* o->s and o->pc are the ledger's */
	size_t ci, j;           /* the command; the next of its destinations */
	const struct tw_cmd *c;
	const struct tw_cmd_dest *d;
};

/* Steps r through every (command, destination) row of every ledger read,
 * ledger by ledger, command by command: for (struct row r = {0};
 * each_row(o, &r);) { ... r.c, r.d, o->s ... }. */
static int each_row(struct sp_out *o, struct row *r)
{
	for (;;) {
		if (!r->in_ledger) {
			if (!sp_each_ledger(o, &r->k))
				return 0;
			r->in_ledger = 1;
			r->ci = r->j = 0;
		}
		if (r->ci >= o->pc->ncmds) {
			r->in_ledger = 0;
			continue;
		}
		r->c = &o->pc->cmds[r->ci];
		if (r->j < r->c->ndests) {
			r->d = &o->pc->dests[r->c->first + r->j++];
			return 1;
		}
		r->ci++;
		r->j = 0;
	}
}

/* The labels of a (command, destination) row, with room for one more. */
static size_t dest_labels(struct tw_prom_label *l, const struct sp_out *o, const struct tw_cmd *c,
			  const struct tw_cmd_dest *d)
{
	l[0] = (struct tw_prom_label){"ledger", o->s->name};
	l[1] = (struct tw_prom_label){"comm", c->comm};
	l[2] = (struct tw_prom_label){"direction", directions[d->kind]};
	l[3] = (struct tw_prom_label){"destination", d->addr};
	return 4;
}

enum rows { OUT_ROWS = 1, IN_ROWS = 2, ALL_ROWS = 3 };

static int wanted(const struct tw_cmd_dest *d, enum rows rows)
{
	if (d->kind == TW_DEST_OUT)
		return rows & OUT_ROWS;
	if (d->kind == TW_DEST_IN)
		return rows & IN_ROWS;
	return 1; /* the overflow row mixes both */
}

/* One family, over the (command, destination) rows that rows selects:
 * one sample of pick(counters, 0) each; or, with key, one per i < n that
 * names(i) names, labelled key=names(i), of pick(counters, i). */
typedef uint64_t (*pick_fn)(const struct tw_snap_counters *c, unsigned i);

static void per_dest(struct sp_out *o, const char *name, enum tw_prom_type type, const char *help,
		     enum rows rows, const char *key, const char *(*names)(unsigned), unsigned n,
		     pick_fn pick)
{
	struct tw_prom_label l[5];

	tw_prom_family(&o->p, name, type, help);
	for (struct row r = {0}; each_row(o, &r);) {
		size_t nl = dest_labels(l, o, r.c, r.d);

		if (!wanted(r.d, rows))
			continue;
		if (!key) {
			tw_prom_sample_u64(&o->p, "", l, nl, pick(&r.d->c, 0));
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			if (!names(i))
				continue;
			l[nl] = (struct tw_prom_label){key, names(i)};
			tw_prom_sample_u64(&o->p, "", l, nl + 1, pick(&r.d->c, i));
		}
	}
}

static uint64_t pick_connects(const struct tw_snap_counters *c, unsigned i)
{
	(void)i;
	return c->connects;
}

static uint64_t pick_errors(const struct tw_snap_counters *c, unsigned i)
{
	return c->connect_errors[i];
}

static uint64_t pick_accepts(const struct tw_snap_counters *c, unsigned i)
{
	(void)i;
	return c->accepts;
}

static const char *side_name(unsigned i)
{
	static const char *const sides[] = {"active", "passive", "reset", "other"};
	return i < 4 ? sides[i] : NULL;
}

static uint64_t pick_closes(const struct tw_snap_counters *c, unsigned i)
{
	const uint64_t v[] = {c->active_closes, c->passive_closes, c->reset_closes,
			      c->other_closes};
	return v[i];
}

static uint64_t pick_time_wait(const struct tw_snap_counters *c, unsigned i)
{
	(void)i;
	return c->time_wait;
}

static const char *err_name(unsigned i)
{
	return tw_err_name(i);
}

static void connect_duration(struct sp_out *o)
{
	struct tw_prom_label l[5];
	char sum[32];

	tw_prom_family(&o->p, "twshim_connect_duration_seconds", TW_PROM_HISTOGRAM,
		       "Time spent in each connect() call, failed and non-blocking ones "
		       "included. It rises from microseconds to milliseconds once about half "
		       "the ports to a destination are in TIME_WAIT.");
	for (struct row r = {0}; each_row(o, &r);) {
		size_t nl = dest_labels(l, o, r.c, r.d);

		if (!wanted(r.d, OUT_ROWS))
			continue;
		tw_prom_fmt_fixed(sum, sizeof(sum), r.d->c.connect_us_sum, 6);
		tw_prom_histogram(&o->p, l, nl, o->le_ptr, r.d->c.connect_us_hist, CONNECT_LE, sum);
	}
}

/* A signed gauge per (command, destination), as the ledger keeps open_now. */
static void signed_per_dest(struct sp_out *o, const char *name, const char *help,
			    int64_t (*pick)(const struct tw_snap_counters *c))
{
	struct tw_prom_label l[5];

	tw_prom_family(&o->p, name, TW_PROM_GAUGE, help);
	for (struct row r = {0}; each_row(o, &r);)
		tw_prom_sample_i64(&o->p, "", l, dest_labels(l, o, r.c, r.d), pick(&r.d->c));
}

static int64_t pick_open(const struct tw_snap_counters *c)
{
	return c->open_now;
}

static int64_t pick_open_at_exit(const struct tw_snap_counters *c)
{
	return c->open_at_exit;
}

static void open_connections(struct sp_out *o)
{
	signed_per_dest(o, "twshim_open_connections", "Connections open now.", pick_open);
	signed_per_dest(o, "twshim_open_at_exit",
			"Connections the command's vanished processes (killed, crashed, _exit()) "
			"still had when they ended: the kernel closed them unseen, most likely "
			"into TIME_WAIT here, not in twshim_time_wait.",
			pick_open_at_exit);
}

int tw_stat_prometheus(FILE *f, const struct tw_snapshot *s, char *err, size_t errlen)
{
	struct tw_prom_ledger l = {.name = s->name, .snap = s};

	return tw_stat_prometheus_ledgers(f, &l, 1, err, errlen);
}

int tw_stat_prometheus_ledgers(FILE *f, const struct tw_prom_ledger *ls, size_t n, char *err,
			       size_t errlen)
{
	struct sp_out *o = calloc(1, sizeof(*o));
	struct tw_per_command **pcs = calloc(n ? n : 1, sizeof(*pcs));
	int rc = -1;

	if (!o || !pcs) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (size_t k = 0; k < n; k++) {
		if (!ls[k].snap)
			continue;
		pcs[k] = malloc(sizeof(*pcs[k]));
		if (!pcs[k]) {
			snprintf(err, errlen, "no memory for %zu bytes", sizeof(*pcs[k]));
			goto done;
		}
		tw_per_command(pcs[k], ls[k].snap);
	}
	tw_prom_init(&o->p, f);
	o->ls = ls;
	o->n = n;
	o->pcs = pcs;
	for (unsigned i = 0; i < CONNECT_LE; i++)
		o->le_ptr[i] = tw_prom_fmt_fixed(o->le[i], sizeof(o->le[i]), UINT64_C(1) << i, 6);

	sp_ledger_families(o);
	per_dest(o, "twshim_connects_total", TW_PROM_COUNTER,
		 "connect() calls that succeeded (a non-blocking one when its outcome was "
		 "seen).",
		 OUT_ROWS, NULL, NULL, 0, pick_connects);
	per_dest(o, "twshim_connect_errors_total", TW_PROM_COUNTER,
		 "connect() failures by errno. EADDRNOTAVAIL: no local port left for the "
		 "destination, most of them in TIME_WAIT.",
		 OUT_ROWS, "errno", err_name, TW_ERR_COUNT, pick_errors);
	connect_duration(o);
	per_dest(o, "twshim_accepts_total", TW_PROM_COUNTER,
		 "Connections accepted; the destination is the local listening address.", IN_ROWS,
		 NULL, NULL, 0, pick_accepts);
	per_dest(o, "twshim_closes_total", TW_PROM_COUNTER,
		 "Connections ended, by who closed first: active (this side: the TIME_WAIT is "
		 "here), passive (the peer: it is there), reset (RST: none), other (never "
		 "established, or closed unseen).",
		 ALL_ROWS, "side", side_name, 4, pick_closes);
	per_dest(o, "twshim_time_wait", TW_PROM_GAUGE,
		 "TIME_WAIT entries the command holds in the kernel now: its active closes "
		 "of the last 60 s (an estimate: see man 7 twshim, LIMITS).",
		 ALL_ROWS, NULL, NULL, 0, pick_time_wait);
	open_connections(o);
	sp_policy_actions(o);
	if (tw_prom_finish(&o->p) < 0) {
		snprintf(err, errlen, "stat --prometheus: %s", tw_prom_error(&o->p));
		goto done;
	}
	rc = 0;
done:
	for (size_t k = 0; pcs && k < n; k++)
		free(pcs[k]);
	free(pcs);
	free(o);
	return rc;
}
