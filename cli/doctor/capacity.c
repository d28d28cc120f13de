// SPDX-License-Identifier: MIT
/*
 * What the TIME_WAIT toward each outgoing (source, destination) group
 * means for its ports: how much of the usable range it holds, how fast it
 * grows, when it runs out. Assessed once per run (dr_assess), after the
 * ledgers are joined; the findings and every report read the result.
 */
#include <stdlib.h>
#include <string.h>

#include "diagnosis.h"

#define TW_LEN_S 60.0

static int reuse_applies(const struct tw_host *h, int loopback)
{
	if (!h->tw_reuse.present || !h->timestamps.present || h->timestamps.v == 0)
		return 0;
	return h->tw_reuse.v == 1 || (h->tw_reuse.v == 2 && loopback);
}

static double reuse_delay_s(const struct tw_host *h)
{
	/* Before tcp_tw_reuse_delay existed the wait was a fixed second. */
	return h->tw_reuse_delay.present && h->tw_reuse_delay.v > 0 ? h->tw_reuse_delay.v / 1000.0
	                                                            : 1.0;
}

/* The ledger explains every entry and their processes have all exited:
 * a burst that is over, not a rate to project. */
static int all_exited(const struct doctor *d, const struct tw_tw_group *g)
{
	const struct dr_dest *x = dr_dest_of(d, g);

	if (!x || !x->ncmds || x->ledger_tw < x->kernel_tw)
		return 0;
	for (int i = 0; i < x->ncmds; i++)
		if (x->cmds[i].alive)
			return 0;
	return 1;
}

void dr_capacity(const struct doctor *d, const struct tw_tw_group *g, struct dr_capacity *c)
{
	memset(c, 0, sizeof(*c));
	c->usable = d->host.ports.usable;
	c->rate = g->last10s / 10.0;
	c->growth = ((double)g->last10s - (double)g->next10s) / 10.0;
	c->eta_s = -1;
	if (g->incoming || c->usable <= 0)
		return;
	c->used = (double)g->in_range / c->usable;
	c->past_half = g->in_range * 2u >= (unsigned)c->usable;
	c->soft = reuse_applies(&d->host, tw_kaddr_loopback(g->family, g->remote));
	if (c->soft)
		c->soft_cap_per_s = c->usable / reuse_delay_s(&d->host);
	if (g->in_range >= (unsigned)c->usable)
		c->eta_s = 0;
	else if (c->growth > 0 && c->rate * TW_LEN_S >= c->usable && !all_exited(d, g))
		c->eta_s = (c->usable - (double)g->in_range) / c->growth;
}

int dr_assess(struct doctor *d)
{
	free(d->caps);
	d->caps = calloc(d->kv.ngroups ? d->kv.ngroups : 1, sizeof(*d->caps));
	if (!d->caps)
		return -1;
	for (size_t i = 0; i < d->kv.ngroups; i++)
		dr_capacity(d, &d->kv.groups[i], &d->caps[i]);
	d->nsettings = dr_settings(d, d->settings);
	return 0;
}

const struct dr_capacity *dr_capacity_of(const struct doctor *d, const struct tw_tw_group *g)
{
	return &d->caps[g - d->kv.groups];
}
