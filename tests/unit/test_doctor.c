// SPDX-License-Identifier: MIT
/* twshim doctor's arithmetic: the usable range, and what a TIME_WAIT group
 * means for its destination (share used, half range, time to exhaustion,
 * the reuse cap), and the findings ranked most severe first. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor/diagnosis.h"

Test(doctor_ports, range_minus_reserved)
{
	struct tw_ports p;
	char err[160] = "";

	cr_assert_eq(tw_ports_parse(&p, "32768\t60999", "", err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(p.usable, 28232);
	cr_assert_eq(tw_ports_parse(&p, "40000 40199", "22,40000-40009,40100, 50000-50010", err,
	                            sizeof(err)),
	             0, "%s", err);
	cr_expect_eq(p.nreserved, 11, "reserved inside the range: 40000-40009 and 40100");
	cr_expect_eq(p.usable, 189);
	cr_expect(p.reserved[22 / 8] & (1u << (22 % 8)), "port 22 marked even if out of range");
}

Test(doctor_ports, bad_values_named)
{
	struct tw_ports p;
	char err[160] = "";

	cr_expect_eq(tw_ports_parse(&p, "60999 32768", "", err, sizeof(err)), -1);
	cr_expect(strstr(err, "'60999 32768'"), "%s", err);
	cr_expect_eq(tw_ports_parse(&p, "1024 65535", "80-x", err, sizeof(err)), -1);
	cr_expect(strstr(err, "ip_local_reserved_ports '80-x'"), "%s", err);
}

static struct doctor *doc(int lo, int hi, int reuse, int timestamps)
{
	struct doctor *d = calloc(1, sizeof(*d));
	char range[32], err[160];

	cr_assert(d);
	snprintf(range, sizeof(range), "%d %d", lo, hi);
	cr_assert_eq(tw_ports_parse(&d->host.ports, range, "", err, sizeof(err)), 0, "%s", err);
	d->host.tw_reuse = (struct tw_knob){ .present = 1, .v = reuse };
	d->host.timestamps = (struct tw_knob){ .present = 1, .v = timestamps };
	d->host.tw_reuse_delay = (struct tw_knob){ .present = 1, .v = 1000 };
	return d;
}

static struct tw_tw_group group(uint8_t dst0, uint32_t in_range, uint32_t last10s,
                                uint32_t next10s)
{
	struct tw_tw_group g = { .family = 4, .port = 80, .local = { 10, 0, 0, 2 },
		                 .remote = { dst0, 0, 0, 1 } };
	g.count = g.in_range = in_range;
	g.last10s = last10s;
	g.next10s = next10s;
	return g;
}

Test(doctor_capacity, full_half_and_projection)
{
	struct doctor *d = doc(40000, 40199, 0, 1);
	struct tw_tw_group g = group(10, 200, 200, 0);
	struct dr_capacity c;

	dr_capacity(d, &g, &c);
	cr_expect_eq(c.usable, 200);
	cr_expect_float_eq(c.used, 1.0, 1e-9);
	cr_expect_eq(c.eta_s, 0, "full: exhausted now");
	cr_expect_not(c.soft, "tcp_tw_reuse=0: a hard stop");

	g = group(10, 100, 40, 0); /* 4/s, 60 s of it is 240 > 200: it will fill */
	dr_capacity(d, &g, &c);
	cr_expect(c.past_half);
	cr_expect_float_eq(c.eta_s, 25.0, 1e-9, "100 ports left at 4/s: %f", c.eta_s);

	g = group(10, 99, 30, 30); /* 3/s: at most 180 of 200, never full */
	dr_capacity(d, &g, &c);
	cr_expect_not(c.past_half);
	cr_expect(c.eta_s < 0, "steady below the range: no projection (%f)", c.eta_s);
	free(d);
}

Test(doctor_capacity, reuse_makes_a_rate_cap)
{
	struct doctor *d = doc(40000, 40199, 2, 1);
	struct tw_tw_group lo = group(127, 200, 200, 0), far = group(10, 200, 200, 0);
	struct dr_capacity c;

	dr_capacity(d, &lo, &c);
	cr_expect(c.soft, "tcp_tw_reuse=2 applies to loopback");
	cr_expect_float_eq(c.soft_cap_per_s, 200.0, 1e-9, "200 ports each reusable after 1 s");
	dr_capacity(d, &far, &c);
	cr_expect_not(c.soft, "tcp_tw_reuse=2 does not apply to 10.0.0.1");
	d->host.timestamps.v = 0;
	dr_capacity(d, &lo, &c);
	cr_expect_not(c.soft, "no timestamps, no reuse");
	free(d);
}

Test(doctor_find, ranked_with_evidence_and_fix)
{
	struct doctor *d = doc(40000, 40199, 0, 1);
	struct tw_tw_group g[2] = { group(10, 200, 200, 0), group(11, 120, 20, 0) };

	d->kv.groups = g;
	d->kv.ngroups = 2;
	d->kv.time_wait = 320;
	d->host.fin_timeout = (struct tw_knob){ .present = 1, .v = 30 };
	cr_assert_eq(dr_assess(d), 0);
	dr_find(d);
	cr_assert_geq(d->nfindings, 3);
	cr_expect_eq(d->findings[0].sev, DR_CRITICAL);
	cr_expect_str_eq(d->findings[0].id, "ports-exhausted");
	cr_expect(strstr(d->findings[0].title, "10.0.0.2 -> 10.0.0.1:80"), "%s",
	          d->findings[0].title);
	cr_expect(strstr(d->findings[0].evidence, "200 of the 200 usable"), "%s",
	          d->findings[0].evidence);
	cr_expect(strstr(d->findings[0].fix, "--close fin-reset"), "%s", d->findings[0].fix);
	cr_expect_eq(d->findings[1].sev, DR_WARNING);
	cr_expect(strstr(d->findings[1].title, "11.0.0.1:80"), "%s", d->findings[1].title);
	int fin = -1, none = -1;
	for (int i = 0; i < d->nfindings; i++) {
		if (!strcmp(d->findings[i].id, "fin-timeout-changed"))
			fin = i;
		if (!strcmp(d->findings[i].id, "no-ledger"))
			none = i;
	}
	cr_expect_gt(fin, 1, "tcp_fin_timeout=30 noted, after the warnings");
	cr_expect_eq(d->findings[fin].sev, DR_INFO);
	cr_expect_gt(none, 1, "no ledger noted, after the warnings");
	free(d->caps);
	free(d);
}

/* A destination whose port's digits begin another's (:80 and :8080): the
 * EADDRNOTAVAIL the ledger saw toward :80 is still reported when :8080 has
 * a finding of its own. */
Test(doctor_find, earlier_failures_not_hidden_by_a_longer_port)
{
	struct doctor *d = doc(40000, 40199, 0, 1);
	struct tw_tw_group g = group(10, 200, 200, 0);
	int earlier = 0;

	g.port = 8080;
	d->kv.groups = &g;
	d->kv.ngroups = 1;
	d->kv.time_wait = 200;
	d->ndests = 1;
	d->dests[0] = (struct dr_dest){ .family = 4, .port = 80, .addr = { 10, 0, 0, 1 },
		                        .endpoint = "10.0.0.1:80", .eaddrnotavail = 7,
		                        .eaddrnotavail_recent = 7 };
	cr_assert_eq(dr_assess(d), 0);
	dr_find(d);
	for (int i = 0; i < d->nfindings; i++)
		if (!strcmp(d->findings[i].id, "ports-exhausted-earlier") &&
		    strstr(d->findings[i].title, "10.0.0.1:80:"))
			earlier = 1;
	cr_expect(earlier, "the 7 failures toward 10.0.0.1:80 are reported");
	free(d->caps);
	free(d);
}

/* A destination whose closes came too late for the close policy in force
 * (a program that half-closes first): the fix says a close policy cannot
 * help those, and what can. */
Test(doctor_find, late_closes_point_past_close_policies)
{
	struct doctor *d = doc(40000, 40199, 0, 1);
	struct tw_tw_group g = group(10, 200, 200, 0);
	struct dr_dest *x = &d->dests[0];

	d->kv.groups = &g;
	d->kv.ngroups = 1;
	d->kv.time_wait = 200;
	d->ndests = 1;
	x->family = 4;
	x->port = 80;
	memcpy(x->addr, g.remote, sizeof(x->addr));
	x->late = 190;
	cr_assert_eq(dr_assess(d), 0);
	dr_find(d);
	cr_assert_geq(d->nfindings, 1);
	cr_expect_str_eq(d->findings[0].id, "ports-exhausted");
	cr_expect(strstr(d->findings[0].fix, "190 of its closes here came too late"), "%s",
	          d->findings[0].fix);
	cr_expect(strstr(d->findings[0].fix, "--source-addrs"), "%s", d->findings[0].fix);
	free(d->caps);
	free(d);
}
