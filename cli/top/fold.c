// SPDX-License-Identifier: MIT
/*
 * twshim top --by-command: each read of the ledger folded into one row per
 * command, before the rows and rates are made as for processes. A shell
 * loop of one-shot clients is then one row with its connects per second,
 * where per process each run shows once and is gone by the next read.
 *
 * The folded rows are made to compare as processes do (rows.c's
 * same_proc: slot, pid, start time): the two reads are folded together, and
 * a command takes the same slot in both, its place among the commands of
 * either read. The sums only grow while the ledger lives (a process's
 * counts stay with its command when it is folded into its aggregate), so
 * now - before is what the command did in the interval.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "per_command.h"
#include "view.h"

static const char REST_ADDR[] = "(other destinations)";

static const struct tw_cmd *find_cmd(const struct tw_per_command *pc, const char *comm)
{
	for (size_t i = 0; i < pc->ncmds; i++)
		if (strcmp(pc->cmds[i].comm, comm) == 0)
			return &pc->cmds[i];
	return NULL;
}

/* The latest hint any process of comm has for this destination. */
static struct tw_snap_hint latest_hint(const struct tw_snapshot *s, const char *comm, int kind,
				       const char *addr)
{
	struct tw_snap_hint h = {0};

	for (int i = 0; i < s->nprocs; i++) {
		const struct tw_snap_proc *p = &s->procs[i];
		if (strcmp(p->comm, comm) != 0)
			continue;
		for (int d = 0; d < p->ndests; d++)
			if (p->dests[d].kind == kind && strcmp(p->dests[d].addr, addr) == 0 &&
			    p->dests[d].hint.at_ms > h.at_ms)
				h = p->dests[d].hint;
	}
	return h;
}

/* One command as a process row: pid 0 and its process count say that it
 * stands for a command (tw_fmt_proc shows "curl (250 procs)"). */
static void fold_one(struct tw_snap_proc *p, int slot, const struct tw_cmd *c,
		     const struct tw_per_command *pc, const struct tw_snapshot *s, int in_other)
{
	memset(p, 0, sizeof(*p));
	p->slot = slot;
	snprintf(p->comm, sizeof(p->comm), "%s", c->comm);
	p->merged_procs = c->alive + c->exited + c->vanished + c->folded;
	p->alive = c->alive > 0;
	p->vanished = !p->alive && c->vanished > 0;
	p->state = p->alive ? "alive" : p->vanished ? "vanished" : "exited";
	/* In both reads: the same row. Only in this one: new since the other
	 * read, all of it made in the interval (tw_top_compare's rule for a
	 * process that claimed its slot after the earlier read). */
	p->start_ms = in_other ? 0 : INT64_MAX;
	p->c = c->c;
	for (size_t i = 0; i < c->ndests; i++) {
		const struct tw_cmd_dest *x = &pc->dests[c->first + i];
		struct tw_snap_dest *d;
		int rest = x->kind == TW_DEST_REST || p->ndests >= (int)TW_DESTS - 1;

		if (rest && p->ndests && p->dests[p->ndests - 1].kind == TW_DEST_REST) {
			tw_counters_add(&p->dests[p->ndests - 1].c, &x->c);
			continue;
		}
		d = &p->dests[p->ndests++];
		d->kind = rest ? TW_DEST_REST : x->kind;
		snprintf(d->addr, sizeof(d->addr), "%s", rest ? REST_ADDR : x->addr);
		d->c = x->c;
		if (!rest)
			d->hint = latest_hint(s, c->comm, x->kind, x->addr);
	}
}

static void fold(struct tw_snapshot *out, const struct tw_snapshot *s,
		 const struct tw_per_command *pc, const struct tw_per_command *other,
		 const char *const *names, int nnames)
{
	memcpy(out->name, s->name, sizeof(out->name));
	out->created_ms = s->created_ms;
	out->slot_claims = s->slot_claims;
	out->slots_folded = s->slots_folded;
	out->attach_overflow = s->attach_overflow;
	out->nprocs = 0;
	for (int u = 0; u < nnames; u++) {
		const struct tw_cmd *c = find_cmd(pc, names[u]);
		if (c)
			fold_one(&out->procs[out->nprocs++], u, c, pc, s,
				 other && find_cmd(other, names[u]) != NULL);
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tw_top_fold(struct tw_snapshot *fnow, struct tw_snapshot *fbefore,
		const struct tw_snapshot *now, const struct tw_snapshot *before)
{
	static const char *names[2 * TW_SLOTS];
	struct tw_per_command *pn = malloc(sizeof(*pn)), *pb = before ? malloc(sizeof(*pb)) : NULL;
	int n = 0, u = 0;

	if (!pn || (before && !pb)) {
		free(pn);
		free(pb);
		return -1;
	}
	tw_per_command(pn, now);
	if (pb)
		tw_per_command(pb, before);
	for (size_t i = 0; i < pn->ncmds; i++)
		names[n++] = pn->cmds[i].comm;
	for (size_t i = 0; pb && i < pb->ncmds; i++)
		names[n++] = pb->cmds[i].comm;
	qsort(names, (size_t)n, sizeof(names[0]), by_name);
	/* Each name once; at most a ledger's worth of slots. */
	for (int i = 0; i < n && u < (int)TW_SLOTS; i++)
		if (u == 0 || strcmp(names[u - 1], names[i]) != 0)
			names[u++] = names[i];
	fold(fnow, now, pn, pb, names, u);
	if (pb)
		fold(fbefore, before, pb, pn, names, u);
	free(pn);
	free(pb);
	return 0;
}
