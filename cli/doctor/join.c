// SPDX-License-Identifier: MIT
/*
 * twshim doctor's join: every ledger it can read, matched with the kernel's
 * TIME_WAIT on the destination ip:port (a wildcard listener's on its port:
 * wildcard_covers). The ledger keys by destination only (not by source
 * address, not by network namespace), so the join is per destination over
 * all sources.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnosis.h"
#include "escape.h"
#include "filter.h"
#include "ledger_list.h"

#define DR_STR_(x) #x
#define DR_STR(x) DR_STR_(x)

/* Failures older than this are history, not a warning. */
#define RECENT_MS (10 * 60 * 1000)

/* One line of why a ledger is missing from the report. */
static void __attribute__((format(printf, 2, 3))) ledger_note(struct doctor *d, const char *fmt, ...)
{
	va_list ap;

	d->ledger_errs_total++;
	if (d->nledger_errs == DR_MAX_LEDGER_ERRS)
		return;
	va_start(ap, fmt);
	vsnprintf(d->ledger_errs[d->nledger_errs++], sizeof(d->ledger_errs[0]), fmt, ap);
	va_end(ap);
}

static void add_ledger(struct doctor *d, const char *name)
{
	struct tw_snapshot *s;
	char shown[TW_ESC_LEN(64)];
	int missing;
	char err[400];

	tw_esc_name(shown, sizeof(shown), name);
	if (d->nsnaps == DR_MAX_LEDGERS) {
		ledger_note(d, "ledger %s not read: doctor reads at most " DR_STR(DR_MAX_LEDGERS)
		               " ledgers at once (name the ones wanted with --shm)", shown);
		return;
	}
	s = malloc(sizeof(*s));
	if (!s) {
		ledger_note(d, "ledger %s: out of memory", shown);
		return;
	}
	if (tw_snapshot_read(name, s, &missing, err, sizeof(err)) < 0) {
		free(s);
		ledger_note(d, "%s", err);
		return;
	}
	d->snaps[d->nsnaps++] = s;
}

/* Every ledger in /dev/shm: the shim's default is one per user (twshim.UID).
 * Every twshim* name is looked at, in name order, however many there are:
 * files anyone may create there (junk, FIFOs, other users' segments) are
 * refused one by one with a note, and never hide the ledgers after them;
 * past DR_MAX_LEDGERS ledgers read, each one left is named as not read. */
void dr_read_ledgers(struct doctor *d)
{
	const char *env = getenv("TWSHIM_SHM");
	char **names;
	size_t n;

	if (d->nshm) {
		for (int i = 0; i < d->nshm; i++)
			add_ledger(d, d->shm[i]);
		return;
	}
	if (env && *env) {
		if (strcmp(env, "off") != 0)
			add_ledger(d, env);
		return;
	}
	n = tw_ledger_list(&names);
	for (size_t i = 0; i < n; i++)
		add_ledger(d, names[i]);
	tw_ledger_list_free(names, n);
}

struct dr_dest *dr_dest_of(const struct doctor *d, const struct tw_tw_group *g)
{
	const uint8_t *addr = g->incoming ? g->local : g->remote;

	for (size_t i = 0; i < d->ndests; i++) {
		const struct dr_dest *x = &d->dests[i];
		if (x->family == g->family && x->incoming == g->incoming && x->port == g->port &&
		    memcmp(x->addr, addr, 16) == 0)
			return (struct dr_dest *)x;
	}
	return NULL;
}

static struct dr_dest *dest_for(struct doctor *d, const struct tw_tw_group *g, int create)
{
	const uint8_t *addr = g->incoming ? g->local : g->remote;
	struct dr_dest *x = dr_dest_of(d, g);

	if (x)
		return x;
	if (!create || d->ndests == DR_MAX_DESTS)
		return NULL;
	x = &d->dests[d->ndests++];
	memset(x, 0, sizeof(*x));
	x->family = g->family;
	x->incoming = g->incoming;
	x->port = g->port;
	memcpy(x->addr, addr, 16);
	x->loopback = (uint8_t)tw_kaddr_loopback(g->family, addr);
	tw_kendpoint_format(x->endpoint, sizeof(x->endpoint), g->family, addr, g->port);
	return x;
}

static int by_tw(const void *a, const void *b)
{
	const struct dr_proc *x = a, *y = b;

	if (x->time_wait != y->time_wait)
		return x->time_wait < y->time_wait ? 1 : -1;
	if (x->eaddrnotavail != y->eaddrnotavail)
		return x->eaddrnotavail < y->eaddrnotavail ? 1 : -1;
	return x->pid - y->pid;
}

/* Adds a process's row to its command's totals toward x. */
static void add_cmd(struct dr_dest *x, const struct tw_snap_proc *p, const struct dr_proc *r)
{
	struct dr_cmd *c = NULL;

	for (int i = 0; i < x->ncmds && !c; i++)
		if (strcmp(x->cmds[i].comm, p->comm) == 0)
			c = &x->cmds[i];
	if (!c && x->ncmds < DR_MAX_PROCS) {
		c = &x->cmds[x->ncmds++];
		memset(c, 0, sizeof(*c));
		snprintf(c->comm, sizeof(c->comm), "%s", p->comm);
	}
	if (!c)
		return; /* the command's processes are still in procs and totals */
	c->procs += p->aggregate ? p->merged_procs : 1;
	c->alive += p->alive != 0;
	c->time_wait += r->time_wait;
	c->eaddrnotavail += r->eaddrnotavail;
	c->open_at_exit += r->open_at_exit;
}

static int by_cmd_tw(const void *a, const void *b)
{
	const struct dr_cmd *x = a, *y = b;

	if (x->time_wait != y->time_wait)
		return x->time_wait < y->time_wait ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

/*
 * A service listening on the wildcard address (0.0.0.0, ::) has what it
 * accepted counted under that address in the ledger, while each of the
 * kernel's TIME_WAIT entries carries the local address its client reached
 * (10.88.0.1:8080): such a ledger row stands for every incoming entry on
 * its port. An IPv6 wildcard listener also accepts IPv4 clients, whose
 * entries the kernel view keys as IPv4 (unmapped, like the ledger); that
 * it was IPV6_V6ONLY instead is not in the ledger, and not assumed.
 */
static int wildcard_covers(const struct tw_snap_dest *ld, int incoming, uint8_t family,
                           uint16_t port)
{
	static const uint8_t any[16];

	return incoming && ld->kind == TW_DEST_IN && ld->port == port &&
	       (ld->family == 6 || (ld->family == 4 && family == 4)) &&
	       memcmp(ld->ip, any, ld->family == 4 ? 4 : 16) == 0;
}

/* Whether the ledger's row ld counts x's connections. */
static int ledger_row_of(const struct tw_snap_dest *ld, const struct dr_dest *x)
{
	if (ld->kind == (x->incoming ? TW_DEST_IN : TW_DEST_OUT) &&
	    strcmp(ld->addr, x->endpoint) == 0)
		return 1;
	return wildcard_covers(ld, x->incoming, x->family, x->port);
}

/* A ledger process's row for this destination, if it has one. */
static void attribute(struct dr_dest *x, const struct tw_snapshot *s, const struct tw_snap_proc *p,
                      int64_t now_ms)
{
	for (int i = 0; i < p->ndests; i++) {
		const struct tw_snap_dest *ld = &p->dests[i];
		struct dr_proc r;
		if (!ledger_row_of(ld, x))
			continue;
		memset(&r, 0, sizeof(r));
		r.pid = p->pid;
		snprintf(r.comm, sizeof(r.comm), "%s", p->comm);
		r.state = p->state;
		r.merged_procs = p->merged_procs;
		r.time_wait = ld->c.time_wait;
		r.open_at_exit = ld->c.open_at_exit;
		r.connects = ld->c.connects;
		r.eaddrnotavail = ld->c.connect_errors[TW_ERR_EADDRNOTAVAIL];
		r.errors = ld->c.connect_errors_total;
		r.connect_p50_us = tw_hist_quantile(ld->c.connect_us_hist, 0.5);
		r.actions_total = ld->c.actions_total;
		r.ledger = s->name;
		x->ledger_tw += r.time_wait;
		x->open_at_exit += r.open_at_exit;
		x->eaddrnotavail += r.eaddrnotavail;
		if (p->alive || p->exit_ms >= now_ms - RECENT_MS)
			x->eaddrnotavail_recent += r.eaddrnotavail;
		x->connects += r.connects;
		x->late += ld->c.actions[TW_ACT_LATE];
		if (!r.time_wait && !r.eaddrnotavail && !r.connects && !r.open_at_exit)
			continue;
		add_cmd(x, p, &r);
		if (x->nprocs < DR_MAX_PROCS) {
			x->procs[x->nprocs++] = r;
		} else {
			qsort(x->procs, (size_t)x->nprocs, sizeof(x->procs[0]), by_tw);
			if (by_tw(&r, &x->procs[DR_MAX_PROCS - 1]) < 0)
				x->procs[DR_MAX_PROCS - 1] = r;
			x->more_procs++;
		}
	}
}

int dr_narrowed(const struct doctor *d)
{
	return d->pid || d->comm;
}

static int proc_selected(const struct doctor *d, const struct tw_snap_proc *p)
{
	return (!d->pid || (p->pid == d->pid && !p->aggregate)) &&
	       (!d->comm || tw_comm_is(d->comm, p->comm));
}

/* A wildcard listener's row becomes the kernel's incoming groups on its
 * port (rows of their own, for --pid): not one "0.0.0.0:8080" row with no
 * TIME_WAIT beside them. Returns how many groups it covers. */
static int wildcard_groups(struct doctor *d, const struct tw_snap_dest *ld)
{
	int n = 0;

	for (size_t i = 0; i < d->kv.ngroups; i++) {
		const struct tw_tw_group *g = &d->kv.groups[i];
		if (wildcard_covers(ld, g->incoming, g->family, g->port)) {
			dest_for(d, g, 1);
			n++;
		}
	}
	return n;
}

/* Destinations a ledger knows of with pressure but the kernel shows none
 * (exhaustion past, or another namespace): still worth naming. */
static void ledger_only(struct doctor *d, const struct tw_snap_proc *p)
{
	for (int i = 0; i < p->ndests && d->ndests < DR_MAX_DESTS; i++) {
		const struct tw_snap_dest *ld = &p->dests[i];
		struct tw_tw_group g;
		if (ld->kind == TW_DEST_REST || (!ld->c.time_wait && !ld->c.connect_errors_total))
			continue;
		if (wildcard_groups(d, ld))
			continue;
		memset(&g, 0, sizeof(g));
		g.incoming = ld->kind == TW_DEST_IN;
		g.family = ld->family;
		g.port = ld->port;
		memcpy(g.incoming ? g.local : g.remote, ld->ip, 16);
		dest_for(d, &g, 1);
	}
}

void dr_join(struct doctor *d)
{
	/* The destinations with the most TIME_WAIT in the kernel, over sources. */
	for (size_t i = 0; i < d->kv.ngroups; i++)
		dest_for(d, &d->kv.groups[i], !dr_narrowed(d));
	for (int s = 0; s < d->nsnaps; s++)
		for (int p = 0; p < d->snaps[s]->nprocs; p++)
			if (proc_selected(d, &d->snaps[s]->procs[p]))
				ledger_only(d, &d->snaps[s]->procs[p]);
	for (size_t i = 0; i < d->kv.ngroups; i++) {
		struct dr_dest *x = dest_for(d, &d->kv.groups[i], 0);
		if (x)
			x->kernel_tw += d->kv.groups[i].count;
	}
	for (size_t i = 0; i < d->ndests; i++) {
		struct dr_dest *x = &d->dests[i];
		for (int s = 0; s < d->nsnaps; s++)
			for (int p = 0; p < d->snaps[s]->nprocs; p++)
				if (proc_selected(d, &d->snaps[s]->procs[p]))
					attribute(x, d->snaps[s], &d->snaps[s]->procs[p], d->now_ms);
		qsort(x->procs, (size_t)x->nprocs, sizeof(x->procs[0]), by_tw);
		qsort(x->cmds, (size_t)x->ncmds, sizeof(x->cmds[0]), by_cmd_tw);
	}
}
