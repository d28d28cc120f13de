// SPDX-License-Identifier: MIT
/*
 * twshim doctor --check: the report as one line for Nagios, Icinga and the
 * monitoring systems that run a plugin and read its exit status (Monitoring
 * Plugins Development Guidelines): "TWSHIM STATUS - text | perfdata", and
 * 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 *
 * The status is the worst finding's severity, the text the most severe
 * finding's title (the full report is one `twshim doctor` away); the
 * performance data are the kernel's figures a graph wants: TIME_WAIT against
 * tcp_max_tw_buckets, the most loaded destination's share of the ports
 * (with doctor's own thresholds, half and full), the new entries per second
 * toward it, and the findings per severity.
 */
#include <stdio.h>
#include <string.h>

#include "diagnosis.h"

static const char *const status_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

/* Plugin output is one line, and '|' starts the performance data. */
static void put_text(const char *s)
{
	for (; *s; s++)
		putchar(*s == '|' ? '/' : (*s == '\n' || *s == '\r') ? ' ' : *s);
}

int dr_report_check_unknown(const char *why)
{
	printf("TWSHIM UNKNOWN - ");
	put_text(why);
	putchar('\n');
	fflush(stdout);
	return DR_CHECK_UNKNOWN;
}

int dr_report_check(const struct doctor *d)
{
	const struct dr_finding *worst = d->nfindings ? &d->findings[0] : NULL;
	const struct tw_tw_group *top = NULL;
	struct dr_capacity none = { 0 };
	const struct dr_capacity *cap = &none;
	int n[4] = { 0 }, status;

	if (d->kv_err[0])
		return dr_report_check_unknown(d->kv_err);
	for (int i = 0; i < d->nfindings; i++)
		n[d->findings[i].sev]++;
	status = n[DR_CRITICAL] ? DR_CHECK_CRITICAL : n[DR_WARNING] ? DR_CHECK_WARNING : DR_CHECK_OK;
	/* The most loaded outgoing group: groups are sorted most entries first,
	 * and all share one range of usable ports. */
	for (size_t i = 0; i < d->kv.ngroups && !top; i++)
		if (!d->kv.groups[i].incoming)
			top = &d->kv.groups[i];
	if (top)
		cap = dr_capacity_of(d, top);

	printf("TWSHIM %s - ", status_names[status]);
	if (worst && worst->sev >= DR_WARNING) {
		put_text(worst->title);
		if (n[DR_CRITICAL] + n[DR_WARNING] > 1)
			printf(" (and %d more: run twshim doctor)", n[DR_CRITICAL] + n[DR_WARNING] - 1);
	} else {
		printf("%llu TIME_WAIT", (unsigned long long)d->kv.time_wait);
		if (top) {
			char a[64], b[64];
			tw_group_ends(top, a, sizeof(a), b, sizeof(b));
			printf(", at most %.0f%% of the ports toward one destination (%s -> %s)",
			       cap->used * 100.0, a, b);
		}
		printf(": no port exhaustion");
	}
	printf(" | time_wait=%llu;;;0", (unsigned long long)d->kv.time_wait);
	if (d->host.max_tw_buckets.present)
		printf(";%lld", d->host.max_tw_buckets.v);
	printf(" ports_used=%.1f%%;50;100;0;100", cap->used * 100.0);
	printf(" time_wait_new_per_s=%.1f;;;0", top ? top->last10s / 10.0 : 0.0);
	printf(" findings_critical=%d;;;0 findings_warning=%d;;;0 findings_note=%d;;;0\n",
	       n[DR_CRITICAL], n[DR_WARNING], n[DR_INFO]);
	fflush(stdout);
	return status;
}
