// SPDX-License-Identifier: MIT
/*
 * twshim top's rows: two reads of the ledger compared, the rates between
 * them, the rows sorted (lines.c puts them in words).
 *
 * A rate compares a process with itself only: the same slot, pid and start
 * time in both reads. A slot reused by another process between the reads
 * is a new process; a new process (or destination) made all its connects
 * since the earlier read, and one that cannot be placed has no rate ('-'),
 * never a negative or borrowed one.
 */
#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Each order, its name for --sort, and its key in the live view. */
/* clang-format off */
static const struct {
	const char *name;
	int key;
} sorts[TOP_SORTS] = {
	[TOP_BY_PRESSURE] = { "pressure", 'P' },
	[TOP_BY_TIME_WAIT] = { "time_wait", 't' },
	[TOP_BY_RATE] = { "rate", 'r' },
	[TOP_BY_ERRORS] = { "errors", 'e' },
	[TOP_BY_LATENCY] = { "latency", 'l' },
	[TOP_BY_COMMAND] = { "command", 'c' },
	[TOP_BY_PID] = { "pid", 'p' },
};
/* clang-format on */

const char *tw_top_sort_name(enum top_sort s)
{
	return (unsigned)s < TOP_SORTS ? sorts[s].name : "?";
}

int tw_top_sort_key(enum top_sort s)
{
	return (unsigned)s < TOP_SORTS ? sorts[s].key : '?';
}

int tw_top_sort_by_key(int key)
{
	for (int i = 0; i < TOP_SORTS; i++)
		if (sorts[i].key == key)
			return i;
	return -1;
}

int tw_top_sort_by_name(const char *name)
{
	for (int i = 0; i < TOP_SORTS; i++)
		if (strcmp(sorts[i].name, name) == 0)
			return i;
	return -1;
}

/* The ledger's processes by state, for the header. */
static void count_procs(struct top_view *v, const struct tw_snapshot *s)
{
	v->alive = v->exited = v->aggregates = v->vanished = 0;
	for (int i = 0; i < s->nprocs; i++) {
		const struct tw_snap_proc *p = &s->procs[i];
		v->alive += p->alive;
		v->aggregates += p->aggregate;
		v->exited += !p->alive && !p->aggregate;
		v->vanished += p->vanished;
	}
}

void tw_top_build(struct top_view *v, const struct top_feed *f, enum top_sort sort, int dests,
		  int by_command)
{
	/* Rows point into these until the next build. */
	static struct tw_snapshot fnow, fbefore;
	const struct tw_snapshot *before = f->have_before ? f->before : NULL;

	if (by_command && tw_top_fold(&fnow, &fbefore, f->now, before) == 0) {
		tw_top_compare(v, &fnow, before ? &fbefore : NULL, f->now_s - f->before_s,
			       f->before_ms, sort, dests);
		count_procs(v, f->now); /* the processes, not the commands */
		return;
	}
	tw_top_compare(v, f->now, before, f->now_s - f->before_s, f->before_ms, sort, dests);
}

static int same_proc(const struct tw_snap_proc *a, const struct tw_snap_proc *b)
{
	return a->slot == b->slot && a->pid == b->pid && a->start_ms == b->start_ms &&
	       a->aggregate == b->aggregate;
}

static int find_dest(const struct tw_snap_proc *p, int kind, const char *addr)
{
	for (int i = 0; i < p->ndests; i++)
		if (p->dests[i].kind == kind && strcmp(p->dests[i].addr, addr) == 0)
			return i;
	return -1;
}

/* The aggregate a process of this command is folded into
 * (shim/slot_claim.c): its command's, else the last slot's, for all. */
static int aggregate_of(const struct tw_snapshot *s, const char *comm)
{
	int all = -1;

	for (int i = 0; i < s->nprocs; i++) {
		const struct tw_snap_proc *p = &s->procs[i];
		if (!p->aggregate)
			continue;
		if (p->slot == (int)TW_SLOTS - 1)
			all = i;
		else if (strcmp(p->comm, comm) == 0)
			return i;
	}
	return all;
}

/* The connects that processes gone since the earlier read took into an
 * aggregate: moved there, not made there in the interval. */
static void count_folds(struct top_view *v, const struct tw_snapshot *now,
			const struct tw_snapshot *before, const int *now_at)
{
	for (int i = 0; i < before->nprocs; i++) {
		const struct tw_snap_proc *q = &before->procs[i];
		const struct tw_snap_proc *agg;
		int n = now_at[q->slot], a;

		if (q->aggregate || (n >= 0 && same_proc(&now->procs[n], q)))
			continue;
		a = aggregate_of(now, q->comm);
		if (a < 0)
			continue;
		agg = &now->procs[a];
		v->folded[a] += q->c.connects;
		v->folded_err[a] += q->c.connect_errors_total;
		for (int d = 0; d < q->ndests; d++) {
			int k = find_dest(agg, q->dests[d].kind, q->dests[d].addr);
			if (k < 0)
				k = find_dest(agg, TW_DEST_REST, "(other destinations)");
			if (k >= 0) {
				v->folded_dest[a][k] += q->dests[d].c.connects;
				v->folded_dest_err[a][k] += q->dests[d].c.connect_errors_total;
			}
		}
	}
}

/* Events per second (connects, failures): now - then, less what was
 * folded in; -1 when a counter went back (it never does for one process:
 * the slot is not it). */
static double rate(uint64_t now, uint64_t then, uint64_t folded, double dt_s)
{
	uint64_t made;

	if (now < then)
		return -1;
	made = now - then;
	made -= made < folded ? made : folded;
	return (double)made / dt_s;
}

/* The median of the connect() times counted since then (NULL: all of
 * them); 0 when there are none, or a bucket went back. */
static uint64_t interval_p50(const struct tw_snap_counters *now,
			     const struct tw_snap_counters *then)
{
	uint64_t made[TW_HIST_BUCKETS];

	for (unsigned b = 0; b < TW_HIST_BUCKETS; b++) {
		uint64_t was = then ? then->connect_us_hist[b] : 0;
		if (now->connect_us_hist[b] < was)
			return 0;
		made[b] = now->connect_us_hist[b] - was;
	}
	return tw_hist_quantile(made, 0.5);
}

static void rates(struct top_view *v, const struct tw_snapshot *now,
		  const struct tw_snapshot *before, double dt_s, int64_t before_ms)
{
	const struct tw_snap_proc *then_at[TW_SLOTS] = {0};
	int now_at[TW_SLOTS];

	for (int i = 0; i < now->nprocs; i++) {
		v->proc_rate[i] = v->proc_err_rate[i] = -1;
		v->proc_p50[i] = 0;
		for (unsigned d = 0; d < TW_DESTS; d++) {
			v->dest_rate[i][d] = v->dest_err_rate[i][d] = -1;
			v->dest_p50[i][d] = 0;
		}
	}
	if (!before || dt_s <= 0 || before->created_ms != now->created_ms)
		return;
	for (unsigned i = 0; i < TW_SLOTS; i++)
		now_at[i] = -1;
	for (int i = 0; i < now->nprocs; i++)
		now_at[now->procs[i].slot] = i;
	for (int i = 0; i < before->nprocs; i++)
		then_at[before->procs[i].slot] = &before->procs[i];
	memset(v->folded, 0, sizeof(v->folded));
	memset(v->folded_dest, 0, sizeof(v->folded_dest));
	memset(v->folded_err, 0, sizeof(v->folded_err));
	memset(v->folded_dest_err, 0, sizeof(v->folded_dest_err));
	count_folds(v, now, before, now_at);

	for (int i = 0; i < now->nprocs; i++) {
		const struct tw_snap_proc *p = &now->procs[i], *q = then_at[p->slot];

		if (q && !same_proc(p, q))
			q = NULL;
		/* Neither in the earlier read nor claimed since: unknown. */
		if (!q && p->start_ms < before_ms)
			continue;
		v->proc_rate[i] = rate(p->c.connects, q ? q->c.connects : 0, v->folded[i], dt_s);
		if (v->proc_rate[i] < 0)
			continue;
		v->proc_err_rate[i] = rate(p->c.connect_errors_total,
					   q ? q->c.connect_errors_total : 0, v->folded_err[i], dt_s);
		/* An aggregate's histogram also grows by what is folded in. */
		if (!p->aggregate)
			v->proc_p50[i] = interval_p50(&p->c, q ? &q->c : NULL);
		for (int d = 0; d < p->ndests; d++) {
			const struct tw_snap_dest *e = &p->dests[d];
			int k = q ? find_dest(q, e->kind, e->addr) : -1;
			const struct tw_snap_counters *was = k >= 0 ? &q->dests[k].c : NULL;

			v->dest_rate[i][d] = rate(e->c.connects, was ? was->connects : 0,
						  v->folded_dest[i][d], dt_s);
			v->dest_err_rate[i][d] = rate(e->c.connect_errors_total,
						      was ? was->connect_errors_total : 0,
						      v->folded_dest_err[i][d], dt_s);
			if (!p->aggregate)
				v->dest_p50[i][d] = interval_p50(&e->c, was);
		}
	}
}

/* What a row is sorted on. */
struct top_key {
	const struct tw_snap_counters *c;
	double rate;
	uint64_t p50;
	const char *name; /* the command, or the destination's address */
	int pid;	  /* 0: an aggregate, or a destination */
	int order;	  /* the slot, or the place among the destinations */
};

static int desc(uint64_t a, uint64_t b)
{
	return a == b ? 0 : a < b ? 1 : -1;
}

static int by_sort(const void *a, const void *b, void *arg)
{
	const struct top_key *x = a, *y = b;
	int c = 0;

	switch (*(const enum top_sort *)arg) {
	case TOP_BY_TIME_WAIT: c = desc(x->c->time_wait, y->c->time_wait); break;
	case TOP_BY_RATE: c = x->rate == y->rate ? 0 : x->rate < y->rate ? 1 : -1; break;
	case TOP_BY_ERRORS: c = desc(x->c->connect_errors_total, y->c->connect_errors_total); break;
	case TOP_BY_LATENCY: c = desc(x->p50, y->p50); break;
	case TOP_BY_COMMAND: c = strcmp(x->name, y->name); break;
	case TOP_BY_PID:
		/* Aggregates (no pid) after the processes. */
		c = (x->pid == 0) - (y->pid == 0);
		if (!c)
			c = (x->pid > y->pid) - (x->pid < y->pid);
		break;
	default: break;
	}
	if (!c)
		c = tw_pressure_cmp(x->c, y->c);
	return c ? c : x->order - y->order;
}

/* The row's connect() median: over the interval if it connected in it. */
static uint64_t row_p50(const struct tw_snap_counters *c, uint64_t interval)
{
	return interval ? interval : tw_hist_quantile(c->connect_us_hist, 0.5);
}

static void key(struct top_key *k, const struct tw_snap_counters *c, double r, uint64_t p50,
		const char *name, int pid, int order)
{
	k->c = c;
	k->rate = r;
	k->p50 = p50;
	k->name = name;
	k->pid = pid;
	k->order = order;
}

static void push(struct top_view *v, enum top_kind kind, const struct tw_snap_proc *p,
		 const struct tw_snap_dest *d, double r, double er, uint64_t p50)
{
	struct top_row *row = &v->rows[v->nrows++];

	row->kind = kind;
	row->p = p;
	row->d = d;
	row->c = d ? &d->c : &p->c;
	row->rate = r;
	row->err_rate = er;
	row->connect_p50 = p50;
}

static void list_dests(struct top_view *v, const struct tw_snap_proc *p, int pi, enum top_sort sort)
{
	struct top_key keys[TW_DESTS];

	for (int d = 0; d < p->ndests; d++)
		key(&keys[d], &p->dests[d].c, v->dest_rate[pi][d],
		    row_p50(&p->dests[d].c, v->dest_p50[pi][d]), p->dests[d].addr, 0, d);
	qsort_r(keys, (size_t)p->ndests, sizeof(keys[0]), by_sort, &sort);
	for (int i = 0; i < p->ndests; i++) {
		int d = keys[i].order;
		push(v, TOP_DEST, p, &p->dests[d], v->dest_rate[pi][d], v->dest_err_rate[pi][d],
		     keys[i].p50);
		if (p->dests[d].hint.at_ms > 0)
			push(v, TOP_HINT, p, &p->dests[d], -1, -1, 0);
	}
}

void tw_top_compare(struct top_view *v, const struct tw_snapshot *now,
		    const struct tw_snapshot *before, double dt_s, int64_t before_ms,
		    enum top_sort sort, int dests)
{
	static struct top_key keys[TW_SLOTS];
	int n = 0;

	count_procs(v, now);
	v->time_wait = v->errors = 0;
	v->rate = v->err_rate = -1;
	v->nrows = 0;
	rates(v, now, before, dt_s, before_ms);
	for (int i = 0; i < now->nprocs; i++) {
		const struct tw_snap_proc *p = &now->procs[i];
		double r = v->proc_rate[i], er = v->proc_err_rate[i];

		v->time_wait += p->c.time_wait;
		v->errors += p->c.connect_errors_total;
		if (r >= 0)
			v->rate = (v->rate < 0 ? 0 : v->rate) + r;
		if (er >= 0)
			v->err_rate = (v->err_rate < 0 ? 0 : v->err_rate) + er;
		/* stat's choice, and whoever connected, or tried, in the interval. */
		if (p->alive || p->c.time_wait > 0 || p->c.open_now > 0 || r > 0 || er > 0)
			key(&keys[n++], &p->c, r, row_p50(&p->c, v->proc_p50[i]), p->comm, p->pid,
			    i);
	}
	/* order is the index here, which follows the slot: ties fall as in stat. */
	qsort_r(keys, (size_t)n, sizeof(keys[0]), by_sort, &sort);
	v->listed = n;
	for (int k = 0; k < n; k++) {
		int i = keys[k].order;
		push(v, TOP_PROC, &now->procs[i], NULL, v->proc_rate[i], v->proc_err_rate[i],
		     keys[k].p50);
		if (dests)
			list_dests(v, &now->procs[i], i, sort);
	}
}
