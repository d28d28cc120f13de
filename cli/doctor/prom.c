// SPDX-License-Identifier: MIT
/*
 * twshim doctor --prometheus: the kernel's figures doctor reads, and its
 * findings, as Prometheus families (docs/prometheus.md lists them).
 *
 * Every series carries the network namespace it was read in ("netns",
 * e.g. "net:[4026531840]"), so that files written for two namespaces sit
 * side by side in one textfile directory. Per-destination series are the
 * --limit (default 10) groups with the most TIME_WAIT: bounded, whatever
 * the host does. Names differ from stat's families (twshim_kernel_*,
 * twshim_doctor_*): both files can be collected together.
 */
#include <stdio.h>
#include <unistd.h>

#include "diagnosis.h"
#include "prom.h"

struct out {
	struct tw_prom p;
	const struct doctor *d;
};

static void gauge(struct out *o, const char *name, const char *help, double v)
{
	struct tw_prom_label l = { "netns", o->d->netns_id };

	tw_prom_family(&o->p, name, TW_PROM_GAUGE, help);
	tw_prom_sample_f64(&o->p, "", &l, 1, v);
}

static void knob_gauge(struct out *o, const char *name, const char *help, const struct tw_knob *k)
{
	if (k->present)
		gauge(o, name, help, (double)k->v);
}

static void states(struct out *o)
{
	tw_prom_family(&o->p, "twshim_kernel_tcp_sockets", TW_PROM_GAUGE,
	               "TCP sockets in the namespace, per state (NETLINK_SOCK_DIAG).");
	for (int s = 1; s < TW_TCP_STATES; s++) {
		struct tw_prom_label l[] = { { "netns", o->d->netns_id },
			                     { "state", tw_tcp_state_names[s] } };
		tw_prom_sample_u64(&o->p, "", l, 2, o->d->kv.states[s]);
	}
}

/* One family over the first --limit groups of one direction. */
static void groups(struct out *o, const char *name, const char *help, int incoming,
                   double (*value)(const struct doctor *, const struct tw_tw_group *))
{
	const struct doctor *d = o->d;
	int shown = 0;

	tw_prom_family(&o->p, name, TW_PROM_GAUGE, help);
	for (size_t i = 0; i < d->kv.ngroups && shown < d->limit; i++) {
		const struct tw_tw_group *g = &d->kv.groups[i];
		char a[64], b[64];
		if (g->incoming != incoming)
			continue;
		shown++;
		tw_group_ends(g, a, sizeof(a), b, sizeof(b));
		struct tw_prom_label l[] = { { "netns", d->netns_id },
			                     { incoming ? "service" : "source", a },
			                     { incoming ? "client" : "destination", b } };
		tw_prom_sample_f64(&o->p, "", l, 3, value(d, g));
	}
}

static double v_count(const struct doctor *d, const struct tw_tw_group *g)
{
	(void)d;
	return g->count;
}

static double v_used(const struct doctor *d, const struct tw_tw_group *g)
{
	return dr_capacity_of(d, g)->used;
}

static double v_rate(const struct doctor *d, const struct tw_tw_group *g)
{
	(void)d;
	return g->last10s / 10.0;
}

static void attribution(struct out *o)
{
	const struct doctor *d = o->d;
	int shown = 0;

	tw_prom_family(&o->p, "twshim_doctor_destination_time_wait_explained", TW_PROM_GAUGE,
	               "Of the kernel's TIME_WAIT toward the destination, how many the twshim "
	               "ledgers account for (the rest: programs not run under twshim).");
	for (size_t i = 0; i < d->ndests && shown < d->limit; i++) {
		const struct dr_dest *x = &d->dests[i];
		if (x->incoming || !x->kernel_tw)
			continue;
		shown++;
		struct tw_prom_label l[] = { { "netns", d->netns_id }, { "destination", x->endpoint } };
		tw_prom_sample_u64(&o->p, "", l, 2, x->ledger_tw < x->kernel_tw ? x->ledger_tw
		                                                                 : x->kernel_tw);
	}
}

static void findings(struct out *o)
{
	static const char *const names[] = { "", "note", "warning", "critical" };
	uint64_t n[4] = { 0 };

	for (int i = 0; i < o->d->nfindings; i++)
		n[o->d->findings[i].sev]++;
	tw_prom_family(&o->p, "twshim_doctor_findings", TW_PROM_GAUGE,
	               "Findings of twshim doctor, per severity (run twshim doctor to read them).");
	for (int s = DR_INFO; s <= DR_CRITICAL; s++) {
		struct tw_prom_label l[] = { { "netns", o->d->netns_id }, { "severity", names[s] } };
		tw_prom_sample_u64(&o->p, "", l, 2, n[s]);
	}
}

int dr_report_prometheus(const struct doctor *d, FILE *out)
{
	const struct tw_host *h = &d->host;
	struct out o = { .d = d };
	long page = sysconf(_SC_PAGESIZE);

	if (d->kv_err[0]) {
		fprintf(stderr, "twshim: doctor: %s: no metrics written\n", d->kv_err);
		return -1;
	}
	tw_prom_init(&o.p, out);
	states(&o);
	gauge(&o, "twshim_kernel_time_wait", "TIME_WAIT entries in the namespace.",
	      (double)d->kv.time_wait);
	knob_gauge(&o, "twshim_kernel_time_wait_max",
	           "net.ipv4.tcp_max_tw_buckets: past it, new TIME_WAIT entries are dropped.",
	           &h->max_tw_buckets);
	if (h->tw_overflow.present) {
		struct tw_prom_label l = { "netns", d->netns_id };
		tw_prom_family(&o.p, "twshim_kernel_time_wait_overflows_total", TW_PROM_COUNTER,
		               "TIME_WAIT entries dropped at tcp_max_tw_buckets "
		               "(TcpExtTCPTimeWaitOverflow).");
		tw_prom_sample_i64(&o.p, "", &l, 1, h->tw_overflow.v);
	}
	if (!h->range_err[0])
		gauge(&o, "twshim_kernel_ephemeral_ports",
		      "Usable ephemeral ports: ip_local_port_range minus ip_local_reserved_ports, "
		      "per source address and destination.",
		      h->ports.usable);
	groups(&o, "twshim_kernel_destination_time_wait",
	       "TIME_WAIT entries from a local address toward a destination (the groups with the "
	       "most, up to --limit).",
	       0, v_count);
	groups(&o, "twshim_kernel_destination_ports_used_ratio",
	       "Share of the usable ephemeral ports in TIME_WAIT toward the destination: past 0.5 "
	       "connect() slows, at 1 it fails with EADDRNOTAVAIL.",
	       0, v_used);
	groups(&o, "twshim_kernel_destination_time_wait_created_per_second",
	       "New TIME_WAIT entries per second toward the destination over the last 10 s, read "
	       "from their timers.",
	       0, v_rate);
	groups(&o, "twshim_kernel_service_time_wait",
	       "TIME_WAIT entries on a port this host listens on (its service closed first), per "
	       "client address.",
	       1, v_count);
	attribution(&o);
	if (h->ct_count.present && h->ct_max.present) {
		gauge(&o, "twshim_kernel_conntrack_entries", "nf_conntrack_count.",
		      (double)h->ct_count.v);
		gauge(&o, "twshim_kernel_conntrack_entries_max", "nf_conntrack_max.",
		      (double)h->ct_max.v);
	}
	if (h->sockstat_mem.present && page > 0)
		gauge(&o, "twshim_kernel_tcp_memory_bytes",
		      "Memory of TCP buffers (/proc/net/sockstat mem, in bytes; host-wide).",
		      (double)h->sockstat_mem.v * (double)page);
	findings(&o);
	if (tw_prom_finish(&o.p) < 0) {
		fprintf(stderr, "twshim: doctor --prometheus: %s\n", tw_prom_error(&o.p));
		return -1;
	}
	return 0;
}
