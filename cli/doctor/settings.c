// SPDX-License-Identifier: MIT
/*
 * The host's settings, each with what it really does on this kernel and a
 * verdict: "ok", "note" (worth knowing), "warn" (hurts here), "absent".
 * The folklore they are known for is often wrong; the meaning says so.
 */
#include <stdio.h>
#include <string.h>

#include "diagnosis.h"

static struct dr_setting *row(struct dr_setting *out, int *n, const char *name,
                              const struct tw_knob *k)
{
	struct dr_setting *s = &out[(*n)++];

	memset(s, 0, sizeof(*s));
	s->name = name;
	if (k && k->present)
		snprintf(s->value, sizeof(s->value), "%lld", k->v);
	s->verdict = !k || k->present ? "ok" : "absent";
	return s;
}

int dr_settings(const struct doctor *d, struct dr_setting *out)
{
	const struct tw_host *h = &d->host;
	struct dr_setting *s;
	int n = 0;

	s = row(out, &n, "ip_local_port_range", NULL);
	if (h->range_err[0]) {
		s->verdict = "absent";
		snprintf(s->meaning, sizeof(s->meaning), "%s", h->range_err);
	} else {
		snprintf(s->value, sizeof(s->value), "%d %d", h->ports.lo, h->ports.hi);
		snprintf(s->meaning, sizeof(s->meaning),
		         "%d usable ports per (source address, destination ip:port); each stays in "
		         "TIME_WAIT 60 s after an active close, so one destination sustains about "
		         "%d new connections/s from one source address.",
		         h->ports.usable, h->ports.usable / 60);
		if (h->ports.usable < TW_DEFAULT_RANGE_PORTS)
			s->verdict = "note";
	}
	s = row(out, &n, "ip_local_reserved_ports", NULL);
	snprintf(s->value, sizeof(s->value), "%.60s%s", h->reserved_text[0] ? h->reserved_text : "(none)",
	         strlen(h->reserved_text) > 60 ? "..." : "");
	snprintf(s->meaning, sizeof(s->meaning),
	         "%d of the range's ports are kept out of automatic choice (connect(), bind to "
	         "port 0); a dedicated range for explicit binds belongs here.",
	         h->ports.nreserved);

	s = row(out, &n, "tcp_tw_reuse", &h->tw_reuse);
	if (h->tw_reuse.present) {
		const char *what[] = {
			"off: a port in TIME_WAIT is never reused by connect().",
			"on: connect() may reuse a port in TIME_WAIT once tcp_tw_reuse_delay has passed "
			"(timestamps needed); outgoing connections only.",
			"loopback only (the default): on real interfaces TIME_WAIT holds each port 60 s; "
			"on 127.0.0.1 exhaustion shows as a cap on connections per second instead.",
		};
		snprintf(s->meaning, sizeof(s->meaning), "%s",
		         h->tw_reuse.v >= 0 && h->tw_reuse.v <= 2 ? what[h->tw_reuse.v] : "unknown value");
		if (h->tw_reuse.v != 1)
			s->verdict = "note";
	}
	s = row(out, &n, "tcp_tw_reuse_delay", &h->tw_reuse_delay);
	snprintf(s->meaning, sizeof(s->meaning), "%s",
	         h->tw_reuse_delay.present
	                 ? "ms a TIME_WAIT port must wait before tcp_tw_reuse hands it out again."
	                 : "not on this kernel (added in Linux 6.14): reuse waits about 1 s, counted in whole seconds.");
	s = row(out, &n, "tcp_timestamps", &h->timestamps);
	if (h->timestamps.present && h->timestamps.v == 0) {
		s->verdict = "warn";
		snprintf(s->meaning, sizeof(s->meaning),
		         "off: tcp_tw_reuse and reuse of a TIME_WAIT tuple (SO_REUSEADDR bind) "
		         "cannot work.");
	} else {
		snprintf(s->meaning, sizeof(s->meaning),
		         "on: TIME_WAIT reuse can tell old segments from new ones.");
	}
	s = row(out, &n, "tcp_max_tw_buckets", &h->max_tw_buckets);
	snprintf(s->meaning, sizeof(s->meaning),
	         "the most TIME_WAIT entries kept (%llu now); past it new ones are dropped at "
	         "once and only TcpExtTCPTimeWaitOverflow counts them (%s%lld).",
	         (unsigned long long)d->kv.time_wait, h->tw_overflow.present ? "" : "unread: ",
	         h->tw_overflow.v);
	if (h->tw_overflow.present && h->tw_overflow.v > 0)
		s->verdict = "warn";
	s = row(out, &n, "tcp_fin_timeout", &h->fin_timeout);
	snprintf(s->meaning, sizeof(s->meaning),
	         "seconds an orphaned connection waits in FIN_WAIT2. It is NOT the length of "
	         "TIME_WAIT, which is 60 s, compiled in.");
	if (h->fin_timeout.present && h->fin_timeout.v != 60)
		s->verdict = "note";
	s = row(out, &n, "tcp_tw_recycle", &h->tw_recycle);
	if (h->tw_recycle.present) {
		snprintf(s->meaning, sizeof(s->meaning),
		         "drops clients behind NAT when on; removed from Linux 4.12.");
		if (h->tw_recycle.v)
			s->verdict = "warn";
	} else {
		s->verdict = "ok";
		snprintf(s->value, sizeof(s->value), "(removed)");
		snprintf(s->meaning, sizeof(s->meaning),
		         "gone since Linux 4.12 (it broke clients behind NAT): advice to set it is "
		         "out of date.");
	}
	s = row(out, &n, "nf_conntrack", &h->ct_count);
	if (h->ct_count.present && h->ct_max.present) {
		snprintf(s->value, sizeof(s->value), "%lld/%lld", h->ct_count.v, h->ct_max.v);
		snprintf(s->meaning, sizeof(s->meaning),
		         "connection tracking keeps its own TIME_WAIT entries 120 s and drops packets "
		         "when full.");
		if (h->ct_max.v > 0 && h->ct_count.v * 10 >= h->ct_max.v * 7)
			s->verdict = "warn";
	} else {
		snprintf(s->meaning, sizeof(s->meaning), "conntrack is not loaded here: no second table "
		                                         "to fill.");
	}
	s = row(out, &n, "sockstat TCP", &h->sockstat_tw);
	if (h->sockstat_tw.present) {
		snprintf(s->value, sizeof(s->value), "tw %lld mem %lld", h->sockstat_tw.v,
		         h->sockstat_mem.v);
		snprintf(s->meaning, sizeof(s->meaning),
		         "/proc/net/sockstat: TIME_WAIT %lld (~%lld KiB at ~256 bytes each), in use "
		         "%lld, orphans %lld; buffers %lld pages (tcp_mem pressure at %lld).",
		         h->sockstat_tw.v, h->sockstat_tw.v / 4, h->sockstat_inuse.v,
		         h->sockstat_orphan.v, h->sockstat_mem.v, h->tcp_mem_pressure.v);
		if (h->tcp_mem_pressure.present && h->sockstat_mem.v >= h->tcp_mem_pressure.v)
			s->verdict = "warn";
	}
	return n;
}
