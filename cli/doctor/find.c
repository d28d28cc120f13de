// SPDX-License-Identifier: MIT
/*
 * twshim doctor's judgement: what the numbers gathered mean, as findings
 * an operator can act on, each with its evidence and its fix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnosis.h"
#include "escape.h"

static struct dr_finding *add(struct doctor *d, enum dr_severity sev, uint64_t weight,
                              const char *id)
{
	struct dr_finding *f;

	if (d->nfindings == DR_MAX_FINDINGS)
		return NULL;
	f = &d->findings[d->nfindings++];
	memset(f, 0, sizeof(*f));
	f->sev = sev;
	f->weight = weight;
	snprintf(f->id, sizeof(f->id), "%s", id);
	return f;
}

__attribute__((format(printf, 3, 4))) static void put(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* "Made by: legacy_client (pid 42, exited) 200, curl (31 processes) 12;
 * the ledger explains 212 of the kernel's 222 (...)." */
static void made_by(char *buf, size_t len, const struct dr_dest *x)
{
	if (!x || x->nprocs == 0) {
		put(buf, len, " No twshim ledger names a process for it: run the program under "
		              "`twshim run` to have it named.");
		return;
	}
	put(buf, len, " Made by (TIME_WAIT now, per the ledger):");
	for (int i = 0; i < x->ncmds && i < 4; i++) {
		const struct dr_cmd *c = &x->cmds[i];
		const struct dr_proc *p = NULL;
		for (int k = 0; k < x->nprocs && !p; k++)
			if (strcmp(x->procs[k].comm, c->comm) == 0)
				p = &x->procs[k];
		if (c->procs == 1 && p && !p->merged_procs)
			put(buf, len, "%s %s (pid %d, %s) %llu", i ? "," : "", c->comm, p->pid, p->state,
			    (unsigned long long)c->time_wait);
		else
			put(buf, len, "%s %s (%llu processes, %llu alive) %llu", i ? "," : "", c->comm,
			    (unsigned long long)c->procs, (unsigned long long)c->alive,
			    (unsigned long long)c->time_wait);
		if (c->open_at_exit > 0)
			put(buf, len, " and %lld open when it vanished", (long long)c->open_at_exit);
	}
	if (x->ncmds > 4)
		put(buf, len, " and %d more commands", x->ncmds - 4);
	if (x->kernel_tw) {
		uint64_t expl = x->ledger_tw < x->kernel_tw ? x->ledger_tw : x->kernel_tw;
		uint64_t rest = x->kernel_tw - expl, vanished = 0;

		/* A vanished process's open connections were closed by the
		 * kernel unseen: most likely TIME_WAIT here, never counted. */
		if (x->open_at_exit > 0)
			vanished = (uint64_t)x->open_at_exit < rest ? (uint64_t)x->open_at_exit : rest;
		put(buf, len, "; the ledger explains %llu of the kernel's %llu", (unsigned long long)expl,
		    (unsigned long long)x->kernel_tw);
		if (vanished)
			put(buf, len, ", and up to %llu more were open in processes that vanished (killed, "
			              "crashed, _exit()): the kernel closed those unseen",
			    (unsigned long long)vanished);
		put(buf, len, "%s.", expl + vanished + (expl + vanished) / 10 < x->kernel_tw
		                             ? " (the rest: programs not run under twshim)" : "");
	} else {
		put(buf, len, ".");
	}
}

static void client_fix(char *buf, size_t len, const struct doctor *d, const struct dr_dest *x,
                       int loopback)
{
	const char *comm = x && x->nprocs ? x->procs[0].comm : "PROGRAM";
	const struct tw_host *h = &d->host;
	char word[TW_SNAP_COMM_LEN * 4 + 3];

	/* A command to copy: the name as one inert shell word. A ledger's
	 * name is whatever a process called itself (`$(id>/tmp/p)`). */
	tw_esc_shell(word, sizeof(word), comm);

	put(buf, len,
	    "Run %s under `twshim run --close fin-reset -- %s ARGS...` (TWSHIM_CLOSE=fin-reset "
	    "in its service's environment): each connection it closes sends its FIN after all "
	    "its data, and ends with RST once the server has acknowledged it, leaving no "
	    "TIME_WAIT on either side; the server reads everything, then end of file. If the "
	    "program half-closes with shutdown() and waits for the server's FIN, no close "
	    "policy can help (stat counts those as `late`): more source addresses "
	    "(`--source-addrs`) can. For good: make the program keep connections open and "
	    "reuse them (keep-alive, a pool).",
	    comm, word[0] ? word : "PROGRAM");
	if (x && x->late)
		put(buf, len, " Already under a close policy, %llu of its closes here came too late "
		              "for it (stat: late): the program half-closes with shutdown() and the "
		              "server's FIN is back before its close(), so the TIME_WAIT exists "
		              "before any policy can act. For those, more source addresses "
		              "(`--source-addrs`) or a pool.",
		    (unsigned long long)x->late);
	if (!loopback && !(h->tw_reuse.present && h->tw_reuse.v == 1) && h->timestamps.present &&
	    h->timestamps.v)
		put(buf, len, " Host-wide: sysctl net.ipv4.tcp_tw_reuse=1 lets connect() reuse a "
		              "TIME_WAIT port after tcp_tw_reuse_delay (outgoing only).");
	if (h->ports.usable && h->ports.usable < TW_DEFAULT_RANGE_PORTS)
		put(buf, len, " The range is narrow: net.ipv4.ip_local_port_range could be widened.");
}

static void group_findings(struct doctor *d, const struct tw_tw_group *g)
{
	struct dr_dest *x = dr_dest_of(d, g);
	const struct dr_capacity *c = dr_capacity_of(d, g);
	struct dr_finding *f;
	char src[48], dst[64];

	tw_group_ends(g, src, sizeof(src), dst, sizeof(dst));
	if (!c->usable)
		return;
	if (c->eta_s == 0 || (c->past_half) || (c->eta_s > 0 && c->eta_s < 600)) {
		enum dr_severity sev = c->eta_s == 0 && !c->soft ? DR_CRITICAL : DR_WARNING;
		f = add(d, sev, g->in_range, c->eta_s == 0 ? "ports-exhausted" : "ports-filling");
		if (!f)
			return;
		if (x)
			x->capacity_found = 1;
		if (c->eta_s == 0 && c->soft)
			snprintf(f->title, sizeof(f->title),
			         "%s -> %s: every port in TIME_WAIT; tcp_tw_reuse caps it at ~%.0f "
			         "new connections/s",
			         src, dst, c->soft_cap_per_s);
		else if (c->eta_s == 0)
			snprintf(f->title, sizeof(f->title),
			         "%s -> %s is out of ports: connect() fails with EADDRNOTAVAIL", src, dst);
		else if (c->eta_s > 0)
			snprintf(f->title, sizeof(f->title),
			         "%s -> %s runs out of ports in %s%.0f s at the current rate", src, dst,
			         c->eta_s < 1 ? "under " : "~", c->eta_s < 1 ? 1.0 : c->eta_s);
		else
			snprintf(f->title, sizeof(f->title),
			         "%s -> %s is past half its ports: connect() slows", src, dst);
		put(f->evidence, sizeof(f->evidence),
		    "%u TIME_WAIT entries hold %u of the %d usable local ports (%.0f%%); %.1f new "
		    "per second over the last 10 s.",
		    g->count, g->in_range, c->usable, 100.0 * c->used, c->rate);
		if (c->past_half && c->eta_s != 0)
			put(f->evidence, sizeof(f->evidence),
			    " Past half the range the kernel's port search gets long (it tries one "
			    "parity first): connect() takes milliseconds instead of microseconds.");
		if (x && x->eaddrnotavail)
			put(f->evidence, sizeof(f->evidence), " The ledger saw %llu EADDRNOTAVAIL.",
			    (unsigned long long)x->eaddrnotavail);
		made_by(f->evidence, sizeof(f->evidence), x);
		client_fix(f->fix, sizeof(f->fix), d, x, tw_kaddr_loopback(g->family, g->remote));
	}
}

static void dest_findings(struct doctor *d)
{
	for (size_t i = 0; i < d->ndests; i++) {
		const struct dr_dest *x = &d->dests[i];
		struct dr_finding *f;
		/* Failures the ledger saw where the kernel is not full now: past trouble. */
		if (x->incoming || x->capacity_found || !x->eaddrnotavail)
			continue;
		f = add(d, x->eaddrnotavail_recent ? DR_WARNING : DR_INFO, x->eaddrnotavail,
		        "ports-exhausted-earlier");
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title),
		         "%s: connect() failed with EADDRNOTAVAIL %llu times", x->endpoint,
		         (unsigned long long)x->eaddrnotavail);
		put(f->evidence, sizeof(f->evidence),
		    "The ledger counted the failures (%llu by processes alive or ended in the last "
		    "10 minutes); the kernel holds %llu TIME_WAIT toward it now.",
		    (unsigned long long)x->eaddrnotavail_recent, (unsigned long long)x->kernel_tw);
		made_by(f->evidence, sizeof(f->evidence), x);
		client_fix(f->fix, sizeof(f->fix), d, x, x->loopback);
	}
}

static void incoming_findings(struct doctor *d)
{
	for (size_t i = 0; i < d->ndests; i++) {
		const struct dr_dest *x = &d->dests[i];
		struct dr_finding *f;
		if (!x->incoming || x->kernel_tw < 1000)
			continue;
		f = add(d, DR_INFO, x->kernel_tw, "service-closes-first");
		if (!f)
			return;
		snprintf(f->title, sizeof(f->title),
		         "the service on %s closes first: %llu TIME_WAIT here", x->endpoint,
		         (unsigned long long)x->kernel_tw);
		put(f->evidence, sizeof(f->evidence),
		    "They hold no ports (the service's port is shared by all its connections) and "
		    "~%llu KiB of kernel memory.",
		    (unsigned long long)(x->kernel_tw * 256 / 1024));
		made_by(f->evidence, sizeof(f->evidence), x);
		put(f->fix, sizeof(f->fix),
		    "Usually harmless. To have none on either side, run the service with "
		    "`twshim run --close-accepted fin-reset` (each client reads the whole "
		    "response, then end of file); `--close-accepted peer-first` moves them to the "
		    "clients instead.");
	}
}

static void host_findings(struct doctor *d)
{
	const struct tw_host *h = &d->host;
	struct dr_finding *f;

	if (h->tw_overflow.present && h->tw_overflow.v > 0 &&
	    (f = add(d, DR_WARNING, (uint64_t)h->tw_overflow.v, "tw-buckets-overflow"))) {
		snprintf(f->title, sizeof(f->title),
		         "tcp_max_tw_buckets was reached: TIME_WAIT entries were destroyed early");
		put(f->evidence, sizeof(f->evidence),
		    "TcpExtTCPTimeWaitOverflow is %lld (/proc/net/netstat); the cap is %lld, %llu "
		    "TIME_WAIT now. The kernel logs nothing when it happens.",
		    h->tw_overflow.v, h->max_tw_buckets.v, (unsigned long long)d->kv.time_wait);
		put(f->fix, sizeof(f->fix),
		    "Remove the source of the TIME_WAIT (the findings above), or raise "
		    "net.ipv4.tcp_max_tw_buckets (each entry costs ~256 bytes).");
	}
	if (h->max_tw_buckets.present && h->max_tw_buckets.v > 0 &&
	    d->kv.time_wait * 10 >= (uint64_t)h->max_tw_buckets.v * 8 &&
	    (f = add(d, DR_WARNING, d->kv.time_wait, "tw-buckets-near-cap"))) {
		snprintf(f->title, sizeof(f->title), "TIME_WAIT is at %.0f%% of tcp_max_tw_buckets",
		         100.0 * (double)d->kv.time_wait / (double)h->max_tw_buckets.v);
		put(f->evidence, sizeof(f->evidence), "%llu entries; the cap is %lld.",
		    (unsigned long long)d->kv.time_wait, h->max_tw_buckets.v);
		put(f->fix, sizeof(f->fix),
		    "Past the cap new TIME_WAIT entries are dropped at once (a late segment of an "
		    "old connection could then be taken for a new one's). Remove the source.");
	}
	if (h->timestamps.present && h->timestamps.v == 0 && h->tw_reuse.present &&
	    h->tw_reuse.v != 0 && (f = add(d, DR_WARNING, 1, "reuse-without-timestamps"))) {
		snprintf(f->title, sizeof(f->title),
		         "tcp_tw_reuse is set but tcp_timestamps is off: reuse never happens");
		put(f->evidence, sizeof(f->evidence), "tcp_tw_reuse=%lld, tcp_timestamps=0.",
		    h->tw_reuse.v);
		put(f->fix, sizeof(f->fix), "sysctl net.ipv4.tcp_timestamps=1");
	}
	if (h->tw_recycle.present && h->tw_recycle.v &&
	    (f = add(d, DR_WARNING, 1, "tw-recycle-on"))) {
		snprintf(f->title, sizeof(f->title), "tcp_tw_recycle is on");
		put(f->evidence, sizeof(f->evidence),
		    "It drops connections from clients behind NAT; Linux 4.12 removed it.");
		put(f->fix, sizeof(f->fix), "sysctl net.ipv4.tcp_tw_recycle=0");
	}
	if (h->fin_timeout.present && h->fin_timeout.v != 60 &&
	    (f = add(d, DR_INFO, 1, "fin-timeout-changed"))) {
		snprintf(f->title, sizeof(f->title),
		         "tcp_fin_timeout is %lld s: it does not shorten TIME_WAIT", h->fin_timeout.v);
		put(f->evidence, sizeof(f->evidence),
		    "tcp_fin_timeout bounds how long an orphaned connection waits in FIN_WAIT2. "
		    "TIME_WAIT is 60 s, compiled into the kernel (TCP_TIMEWAIT_LEN).");
		put(f->fix, sizeof(f->fix),
		    "Nothing to do for TIME_WAIT; see the findings above for what does help.");
	}
	if (h->ct_count.present && h->ct_max.present && h->ct_max.v > 0 &&
	    h->ct_count.v * 10 >= h->ct_max.v * 7 &&
	    (f = add(d, h->ct_count.v * 10 >= h->ct_max.v * 9 ? DR_CRITICAL : DR_WARNING,
	             (uint64_t)h->ct_count.v, "conntrack-full"))) {
		snprintf(f->title, sizeof(f->title), "the conntrack table is %.0f%% full",
		         100.0 * (double)h->ct_count.v / (double)h->ct_max.v);
		put(f->evidence, sizeof(f->evidence),
		    "nf_conntrack_count %lld of nf_conntrack_max %lld. Conntrack keeps its own "
		    "TIME_WAIT entries for 120 s and drops new packets when it is full.",
		    h->ct_count.v, h->ct_max.v);
		put(f->fix, sizeof(f->fix),
		    "Raise net.netfilter.nf_conntrack_max, or exempt the traffic (NOTRACK); fewer "
		    "short connections help both tables.");
	}
	if (h->sockstat_mem.present && h->tcp_mem_pressure.present && h->tcp_mem_pressure.v > 0 &&
	    h->sockstat_mem.v >= h->tcp_mem_pressure.v &&
	    (f = add(d, DR_WARNING, (uint64_t)h->sockstat_mem.v, "tcp-memory-pressure"))) {
		snprintf(f->title, sizeof(f->title), "TCP memory is under pressure");
		put(f->evidence, sizeof(f->evidence),
		    "/proc/net/sockstat: TCP mem %lld pages; tcp_mem pressure threshold %lld.",
		    h->sockstat_mem.v, h->tcp_mem_pressure.v);
		put(f->fix, sizeof(f->fix), "Find the connections holding buffers (ss -tm).");
	}
}

static void reach_findings(struct doctor *d)
{
	struct dr_finding *f;

	if (d->kv_err[0] && (f = add(d, DR_CRITICAL, 1, "kernel-unreadable"))) {
		snprintf(f->title, sizeof(f->title), "the kernel's sockets could not be read");
		put(f->evidence, sizeof(f->evidence), "%s", d->kv_err);
		put(f->fix, sizeof(f->fix), "Check that NETLINK_SOCK_DIAG is available "
		                            "(CONFIG_INET_DIAG) and not blocked by a seccomp filter.");
	}
	if (d->ledger_errs_total && (f = add(d, DR_INFO, 0, "ledger-unreadable"))) {
		int shown = 0;

		snprintf(f->title, sizeof(f->title), "%d ledger%s could not be read: %s",
		         d->ledger_errs_total, d->ledger_errs_total > 1 ? "s" : "",
		         "the processes they name are missing here");
		/* Each note whole or not at all; what does not fit is counted. */
		for (int i = 0; i < d->nledger_errs; i++) {
			size_t used = strlen(f->evidence), need = strlen(d->ledger_errs[i]) + 2;
			if (used + need + 40 >= sizeof(f->evidence))
				break;
			put(f->evidence, sizeof(f->evidence), "%s%s.", i ? " " : "", d->ledger_errs[i]);
			shown++;
		}
		if (shown < d->ledger_errs_total)
			put(f->evidence, sizeof(f->evidence), " And %d more (--json lists %d).",
			    d->ledger_errs_total - shown, d->nledger_errs);
		put(f->fix, sizeof(f->fix),
		    "Ledgers are private to their user (mode 0600), and doctor reads only those of "
		    "the user running it and of root, whoever runs it (another user's could say "
		    "anything): run doctor as that user, or name that user with --owner USER, to "
		    "name its processes. Files that are not ledgers can be removed from /dev/shm.");
	}
	if (d->nsnaps == 0 && d->ledger_errs_total == 0 && d->kv.time_wait &&
	    (f = add(d, DR_INFO, 0, "no-ledger"))) {
		snprintf(f->title, sizeof(f->title),
		         "no twshim ledger: the kernel cannot say which process made TIME_WAIT");
		put(f->evidence, sizeof(f->evidence),
		    "TIME_WAIT entries hold no file descriptor (inode 0), so no kernel tool can name "
		    "their process.");
		put(f->fix, sizeof(f->fix),
		    "Run the suspected programs under `twshim run -- PROGRAM` (or LD_PRELOAD="
		    "libtwshim.so) and run doctor again.");
	}
}

static int by_rank(const void *a, const void *b)
{
	const struct dr_finding *x = a, *y = b;

	if (x->sev != y->sev)
		return x->sev < y->sev ? 1 : -1;
	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return strcmp(x->title, y->title);
}

void dr_find(struct doctor *d)
{
	d->nfindings = 0;
	reach_findings(d);
	for (size_t i = 0; i < d->kv.ngroups && i < DR_MAX_DESTS; i++) {
		const struct tw_tw_group *g = &d->kv.groups[i];
		if (!g->incoming && (!dr_narrowed(d) || dr_dest_of(d, g)))
			group_findings(d, g);
	}
	dest_findings(d);
	incoming_findings(d);
	host_findings(d);
	qsort(d->findings, (size_t)d->nfindings, sizeof(d->findings[0]), by_rank);
}
