// SPDX-License-Identifier: MIT
/* The ledger summed per command and per (command, destination). */
#include "per_command.h"

#include <stdlib.h>
#include <string.h>

void tw_counters_add(struct tw_snap_counters *dst, const struct tw_snap_counters *src)
{
	dst->connects += src->connects;
	for (unsigned i = 0; i < TW_ERR_COUNT; i++)
		dst->connect_errors[i] += src->connect_errors[i];
	dst->connect_errors_total += src->connect_errors_total;
	dst->accepts += src->accepts;
	dst->binds += src->binds;
	dst->active_closes += src->active_closes;
	dst->passive_closes += src->passive_closes;
	dst->reset_closes += src->reset_closes;
	dst->other_closes += src->other_closes;
	dst->open_now += src->open_now;
	dst->open_at_exit += src->open_at_exit;
	dst->connect_us_sum += src->connect_us_sum;
	dst->connect_samples += src->connect_samples;
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++) {
		dst->lifetime_ms_hist[i] += src->lifetime_ms_hist[i];
		dst->connect_us_hist[i] += src->connect_us_hist[i];
	}
	dst->time_wait += src->time_wait;
	for (unsigned i = 0; i < TW_ACT_COUNT; i++)
		dst->actions[i] += src->actions[i];
	dst->actions_total += src->actions_total;
}

struct ref {
	const char *comm;
	const struct tw_snap_dest *d;
};

/* The overflow row has no address of its own: one per command. */
static int by_key(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->comm, y->comm);

	if (c)
		return c;
	if (x->d->kind != y->d->kind)
		return x->d->kind < y->d->kind ? -1 : 1;
	return x->d->kind == TW_DEST_REST ? 0 : strcmp(x->d->addr, y->d->addr);
}

static int by_comm(const void *a, const void *b)
{
	const struct tw_snap_proc *const *x = a, *const *y = b;

	return strcmp((*x)->comm, (*y)->comm);
}

void tw_per_command(struct tw_per_command *out, const struct tw_snapshot *s)
{
	const struct tw_snap_proc *procs[TW_SLOTS];
	struct ref refs[TW_SLOTS * TW_DESTS];
	size_t nprocs = 0, nrefs = 0, ci = 0;

	out->ncmds = out->ndests = 0;
	for (int i = 0; i < s->nprocs && nprocs < TW_SLOTS; i++) {
		const struct tw_snap_proc *p = &s->procs[i];

		procs[nprocs++] = p;
		for (int d = 0; d < p->ndests && d < (int)TW_DESTS; d++)
			refs[nrefs++] = (struct ref){.comm = p->comm, .d = &p->dests[d]};
	}
	qsort(procs, nprocs, sizeof(procs[0]), by_comm);
	qsort(refs, nrefs, sizeof(refs[0]), by_key);

	for (size_t i = 0; i < nprocs; i++) {
		const struct tw_snap_proc *p = procs[i];
		struct tw_cmd *c;

		if (out->ncmds == 0 || strcmp(out->cmds[out->ncmds - 1].comm, p->comm) != 0) {
			c = &out->cmds[out->ncmds++];
			memset(c, 0, sizeof(*c));
			c->comm = p->comm;
		}
		c = &out->cmds[out->ncmds - 1];
		if (p->aggregate)
			c->folded += p->merged_procs;
		else if (p->alive)
			c->alive++;
		else if (p->vanished)
			c->vanished++;
		else
			c->exited++;
		tw_counters_add(&c->c, &p->c);
	}

	for (size_t i = 0; i < nrefs; i++) {
		const struct tw_snap_dest *d = refs[i].d;
		struct tw_cmd_dest *o;

		if (i == 0 || by_key(&refs[i], &refs[i - 1]) != 0) {
			o = &out->dests[out->ndests];
			memset(o, 0, sizeof(*o));
			o->kind = d->kind;
			o->addr = d->kind == TW_DEST_REST ? "other" : d->addr;
			/* Both lists are in command order: the command is here or later. */
			while (strcmp(out->cmds[ci].comm, refs[i].comm) != 0)
				ci++;
			if (out->cmds[ci].ndests == 0)
				out->cmds[ci].first = out->ndests;
			out->cmds[ci].ndests++;
			out->ndests++;
		}
		o = &out->dests[out->ndests - 1];
		tw_counters_add(&o->c, &d->c);
	}
}
