// SPDX-License-Identifier: MIT
/* twshim doctor's output: text for people, JSON with the same content. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "doctor.h"
#include "json.h"

static const char *const sev_names[] = { "", "note", "warning", "critical" };

static void iso(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

/* Word-wraps text to 78 columns after lead, indented by ind spaces. */
static void wrap(const char *lead, int ind, const char *text)
{
	int start = ind + (int)strlen(lead), col = printf("%*s%s", ind, "", lead), first = 1;

	for (const char *p = text; *p;) {
		size_t w;
		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (!w)
			break;
		if (!first && col + 1 + (int)w > 78)
			col = printf("\n%*s", start, "") - 1;
		else if (!first)
			col += printf(" ");
		col += printf("%.*s", (int)w, p);
		p += w;
		first = 0;
	}
	putchar('\n');
}

static void eta_text(char *buf, size_t len, const struct dr_capacity *c)
{
	if (!c->usable)
		snprintf(buf, len, "?");
	else if (c->eta_s == 0)
		snprintf(buf, len, c->soft ? "capped" : "now");
	else if (c->eta_s > 0 && c->eta_s < 1)
		snprintf(buf, len, "<1 s");
	else if (c->eta_s > 0)
		snprintf(buf, len, "%.0f s", c->eta_s);
	else
		snprintf(buf, len, "-");
}

static void made_by_short(char *buf, size_t len, const struct dr_dest *x)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!x || !x->nprocs) {
		snprintf(buf, len, "(not under twshim)");
		return;
	}
	/* More processes than fit, of fewer commands (a shell loop of one-shot
	 * clients): per command, with its failures, which hold no TIME_WAIT
	 * and would otherwise sink into "+N" ("curl(250) 200, 50 failed"). */
	if (x->nprocs + (int)x->more_procs > 2 && x->ncmds < x->nprocs + (int)x->more_procs) {
		for (int i = 0; i < x->ncmds && i < 2 && used < len; i++) {
			const struct dr_cmd *c = &x->cmds[i];
			used += (size_t)snprintf(buf + used, len - used, "%s%s(%llu) %llu", i ? ", " : "",
			                         c->comm, (unsigned long long)c->procs,
			                         (unsigned long long)c->time_wait);
			if (c->eaddrnotavail && used < len)
				used += (size_t)snprintf(buf + used, len - used, ", %llu failed",
				                         (unsigned long long)c->eaddrnotavail);
		}
		if (used < len && x->ncmds > 2)
			snprintf(buf + used, len - used, ", +%d commands", x->ncmds - 2);
		return;
	}
	for (int i = 0; i < x->nprocs && i < 2 && used < len; i++) {
		const struct dr_proc *p = &x->procs[i];
		char open[32] = ""; /* a vanished process's: ",12 open" */

		if (p->open_at_exit > 0)
			snprintf(open, sizeof(open), ",%lld open", (long long)p->open_at_exit);
		if (p->merged_procs)
			used += (size_t)snprintf(buf + used, len - used, "%s%s*(%llu) %llu", i ? ", " : "",
			                         p->comm, (unsigned long long)p->merged_procs,
			                         (unsigned long long)p->time_wait);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%s[%d%s%s%s] %llu",
			                         i ? ", " : "", p->comm, p->pid,
			                         strcmp(p->state, "alive") ? "," : "",
			                         strcmp(p->state, "alive") ? p->state : "",
			                         open,
			                         (unsigned long long)p->time_wait);
	}
	if (used < len && x->nprocs + (int)x->more_procs > 2)
		snprintf(buf + used, len - used, ", +%llu",
		         (unsigned long long)(x->nprocs - 2 + x->more_procs));
}

static void text_groups(const struct doctor *d, int incoming)
{
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < d->kv.ngroups; i++)
		total += d->kv.groups[i].incoming == incoming;
	if (!total)
		return;
	if (incoming)
		printf("\nIncoming TIME_WAIT: this host's services closed first (%zu groups)\n"
		       "  %-24s %-22s %7s  %s\n", total, "SERVICE", "CLIENT", "TW", "TIMERS");
	else
		printf("\nOutgoing TIME_WAIT by source -> destination (%zu groups)\n"
		       "  %-16s %-24s %6s %5s %7s %8s  %s\n", total, "SOURCE", "DESTINATION", "TW",
		       "USED", "RATE/s", "FULL IN", "MADE BY (ledger)");
	for (size_t i = 0; i < d->kv.ngroups && shown < (size_t)d->limit; i++) {
		const struct tw_tw_group *g = &d->kv.groups[i];
		char a[64], b[64], eta[16], by[96];
		const struct dr_capacity *c;
		if (g->incoming != incoming)
			continue;
		shown++;
		tw_group_ends(g, a, sizeof(a), b, sizeof(b));
		if (incoming) {
			printf("  %-24s %-22s %7u  %.1f-%.1f s left\n", a, b, g->count, g->min_ms / 1e3,
			       g->max_ms / 1e3);
			continue;
		}
		c = dr_capacity_of(d, g);
		eta_text(eta, sizeof(eta), c);
		made_by_short(by, sizeof(by), dr_dest_of(d, g));
		printf("  %-16s %-24s %6u %4.0f%% %7.1f %8s  %s\n", a, b, g->count, 100.0 * c->used,
		       c->rate, eta, by);
	}
	if (shown < total)
		printf("  ... %zu more (--limit N)\n", total - shown);
}

static void text_ledger_only(const struct doctor *d)
{
	int header = 0;

	for (size_t i = 0; i < d->ndests; i++) {
		const struct dr_dest *x = &d->dests[i];
		char by[96];
		if (x->kernel_tw)
			continue;
		if (!header++)
			printf("\nIn the ledger, with no TIME_WAIT in this namespace now\n"
			       "  %-26s %8s %13s  %s\n", "DESTINATION", "TW(est)", "EADDRNOTAVAIL",
			       "MADE BY");
		made_by_short(by, sizeof(by), x);
		printf("  %-26s %8llu %13llu  %s\n", x->endpoint, (unsigned long long)x->ledger_tw,
		       (unsigned long long)x->eaddrnotavail, by);
	}
}

void dr_report_text(const struct doctor *d)
{
	const struct dr_setting *set = d->settings;
	int nset = d->nsettings;
	char when[32];
	int first = 1;

	iso(when, sizeof(when), d->now_ms);
	printf("twshim doctor: network namespace %s, %s\n", d->netns_id, when);
	if (d->pid_note[0])
		printf("Note: %s\n", d->pid_note);
	putchar('\n');
	if (d->kv_err[0]) {
		printf("Kernel: %s\n", d->kv_err);
	} else {
		printf("TCP sockets: %llu", (unsigned long long)d->kv.total);
		for (int s = 1; s < TW_TCP_STATES; s++)
			if (d->kv.states[s]) {
				printf("%s%s %llu", first ? " (" : ", ", tw_tcp_state_names[s],
				       (unsigned long long)d->kv.states[s]);
				first = 0;
			}
		printf("%s\nTIME_WAIT: %llu", first ? "" : ")", (unsigned long long)d->kv.time_wait);
		if (d->kv.time_wait)
			printf(", expiring in %.1f to %.1f s", d->kv.tw_min_ms / 1e3, d->kv.tw_max_ms / 1e3);
		if (d->host.max_tw_buckets.present)
			printf("; tcp_max_tw_buckets %lld", d->host.max_tw_buckets.v);
		if (!d->host.range_err[0])
			printf("\nUsable ephemeral ports: %d (%d-%d, %d reserved)", d->host.ports.usable,
			       d->host.ports.lo, d->host.ports.hi, d->host.ports.nreserved);
		putchar('\n');
	}
	text_groups(d, 0);
	text_groups(d, 1);
	text_ledger_only(d);

	printf("\nFindings, most severe first: %d\n", d->nfindings);
	for (int i = 0; i < d->nfindings; i++) {
		const struct dr_finding *f = &d->findings[i];
		char lead[32];
		snprintf(lead, sizeof(lead), "%d. %s: ", i + 1, sev_names[f->sev]);
		wrap(lead, 2, f->title);
		wrap("Evidence: ", 5, f->evidence);
		wrap("Fix: ", 5, f->fix);
	}
	if (!d->nfindings)
		printf("  none: no destination is short of ports.\n");

	printf("\nHost settings (this network namespace)\n");
	for (int i = 0; i < nset; i++) {
		char lead[64];
		snprintf(lead, sizeof(lead), "%-24s %-14s ", set[i].name,
		         set[i].value[0] ? set[i].value : "-");
		wrap(lead, 2, set[i].meaning);
	}
	printf("\nLedgers read:");
	for (int i = 0; i < d->nsnaps; i++)
		printf("%s %s (%d processes)", i ? "," : "", d->snaps[i]->name, d->snaps[i]->nprocs);
	printf("%s\n", d->nsnaps ? "" : " none");
}

static void json_group(struct tw_json *j, const struct doctor *d, const struct tw_tw_group *g)
{
	const struct dr_capacity *c = dr_capacity_of(d, g);
	char a[64], b[64];

	tw_json_key(j, NULL);
	tw_json_begin(j, '{');
	tw_json_str(j, "direction", g->incoming ? "incoming" : "outgoing");
	tw_group_ends(g, a, sizeof(a), b, sizeof(b));
	tw_json_str(j, g->incoming ? "service" : "source", a);
	tw_json_str(j, g->incoming ? "client" : "destination", b);
	tw_json_u64(j, "time_wait", g->count);
	tw_json_u64(j, "timer_min_ms", g->min_ms);
	tw_json_u64(j, "timer_max_ms", g->max_ms);
	tw_json_f64(j, "new_per_s", c->rate);
	if (!g->incoming) {
		tw_json_u64(j, "ports_in_time_wait", g->in_range);
		tw_json_i64(j, "ports_usable", c->usable);
		tw_json_f64(j, "used_percent", 100.0 * c->used);
		tw_json_bool(j, "past_half", c->past_half);
		tw_json_f64(j, "growth_per_s", c->growth);
		if (c->eta_s >= 0)
			tw_json_f64(j, "exhausted_in_s", c->eta_s);
		else
			tw_json_null(j, "exhausted_in_s");
		tw_json_bool(j, "tw_reuse_applies", c->soft);
		if (c->soft)
			tw_json_f64(j, "tw_reuse_cap_per_s", c->soft_cap_per_s);
	}
	tw_json_end(j, '}');
}

static void json_dest(struct tw_json *j, const struct dr_dest *x)
{
	tw_json_key(j, NULL);
	tw_json_begin(j, '{');
	tw_json_str(j, "endpoint", x->endpoint);
	tw_json_str(j, "direction", x->incoming ? "incoming" : "outgoing");
	tw_json_u64(j, "kernel_time_wait", x->kernel_tw);
	tw_json_u64(j, "ledger_time_wait", x->ledger_tw);
	tw_json_i64(j, "open_at_exit", x->open_at_exit);
	tw_json_f64(j, "explained_percent",
	            x->kernel_tw ? 100.0 * (double)(x->ledger_tw < x->kernel_tw ? x->ledger_tw
	                                                                       : x->kernel_tw) /
	                                   (double)x->kernel_tw
	                         : 0.0 / 0.0);
	tw_json_u64(j, "eaddrnotavail", x->eaddrnotavail);
	tw_json_u64(j, "connects", x->connects);
	tw_json_u64(j, "late", x->late);
	tw_json_key(j, "processes");
	tw_json_begin(j, '[');
	for (int i = 0; i < x->nprocs; i++) {
		const struct dr_proc *p = &x->procs[i];
		tw_json_key(j, NULL);
		tw_json_begin(j, '{');
		tw_json_i64(j, "pid", p->pid);
		tw_json_str(j, "comm", p->comm);
		tw_json_str(j, "state", p->state);
		tw_json_u64(j, "merged_processes", p->merged_procs);
		tw_json_u64(j, "time_wait", p->time_wait);
		tw_json_i64(j, "open_at_exit", p->open_at_exit);
		tw_json_u64(j, "connects", p->connects);
		tw_json_u64(j, "eaddrnotavail", p->eaddrnotavail);
		tw_json_u64(j, "connect_errors", p->errors);
		tw_json_u64(j, "connect_p50_us_le", p->connect_p50_us);
		tw_json_u64(j, "policy_actions", p->actions_total);
		tw_json_str(j, "ledger", p->ledger);
		tw_json_end(j, '}');
	}
	tw_json_end(j, ']');
	tw_json_u64(j, "more_processes", x->more_procs);
	tw_json_end(j, '}');
}

void dr_report_json(const struct doctor *d)
{
	const struct dr_setting *set = d->settings;
	int nset = d->nsettings;
	struct tw_json j;
	char when[32];

	iso(when, sizeof(when), d->now_ms);
	tw_json_init(&j, stdout);
	tw_json_begin(&j, '{');
	tw_json_str(&j, "netns", d->netns_id);
	tw_json_str(&j, "time", when);
	if (d->pid)
		tw_json_i64(&j, "pid", d->pid);
	if (d->pid_note[0])
		tw_json_str(&j, "note", d->pid_note);
	tw_json_key(&j, "kernel");
	tw_json_begin(&j, '{');
	if (d->kv_err[0])
		tw_json_str(&j, "error", d->kv_err);
	else
		tw_json_null(&j, "error");
	tw_json_u64(&j, "sockets", d->kv.total);
	tw_json_key(&j, "states");
	tw_json_begin(&j, '{');
	for (int s = 1; s < TW_TCP_STATES; s++)
		tw_json_u64(&j, tw_tcp_state_names[s], d->kv.states[s]);
	tw_json_end(&j, '}');
	tw_json_u64(&j, "time_wait", d->kv.time_wait);
	tw_json_u64(&j, "timer_min_ms", d->kv.tw_min_ms);
	tw_json_u64(&j, "timer_max_ms", d->kv.tw_max_ms);
	tw_json_end(&j, '}');
	tw_json_key(&j, "ports");
	tw_json_begin(&j, '{');
	tw_json_i64(&j, "low", d->host.ports.lo);
	tw_json_i64(&j, "high", d->host.ports.hi);
	tw_json_i64(&j, "reserved", d->host.ports.nreserved);
	tw_json_i64(&j, "usable", d->host.ports.usable);
	tw_json_end(&j, '}');
	tw_json_u64(&j, "time_wait_groups_total", d->kv.ngroups);
	tw_json_key(&j, "time_wait_groups");
	tw_json_begin(&j, '[');
	for (size_t i = 0; i < d->kv.ngroups && i < (size_t)d->limit; i++)
		json_group(&j, d, &d->kv.groups[i]);
	tw_json_end(&j, ']');
	tw_json_key(&j, "destinations");
	tw_json_begin(&j, '[');
	for (size_t i = 0; i < d->ndests; i++)
		json_dest(&j, &d->dests[i]);
	tw_json_end(&j, ']');
	tw_json_key(&j, "findings");
	tw_json_begin(&j, '[');
	for (int i = 0; i < d->nfindings; i++) {
		const struct dr_finding *f = &d->findings[i];
		tw_json_key(&j, NULL);
		tw_json_begin(&j, '{');
		tw_json_str(&j, "severity", sev_names[f->sev]);
		tw_json_str(&j, "id", f->id);
		tw_json_str(&j, "title", f->title);
		tw_json_str(&j, "evidence", f->evidence);
		tw_json_str(&j, "fix", f->fix);
		tw_json_end(&j, '}');
	}
	tw_json_end(&j, ']');
	tw_json_key(&j, "settings");
	tw_json_begin(&j, '[');
	for (int i = 0; i < nset; i++) {
		tw_json_key(&j, NULL);
		tw_json_begin(&j, '{');
		tw_json_str(&j, "name", set[i].name);
		if (set[i].value[0])
			tw_json_str(&j, "value", set[i].value);
		else
			tw_json_null(&j, "value");
		tw_json_str(&j, "verdict", set[i].verdict);
		tw_json_str(&j, "meaning", set[i].meaning);
		tw_json_end(&j, '}');
	}
	tw_json_end(&j, ']');
	tw_json_key(&j, "ledgers");
	tw_json_begin(&j, '[');
	for (int i = 0; i < d->nsnaps; i++) {
		tw_json_key(&j, NULL);
		tw_json_begin(&j, '{');
		tw_json_str(&j, "name", d->snaps[i]->name);
		tw_json_i64(&j, "processes", d->snaps[i]->nprocs);
		tw_json_end(&j, '}');
	}
	tw_json_end(&j, ']');
	tw_json_key(&j, "ledger_errors");
	tw_json_begin(&j, '[');
	for (int i = 0; i < d->nledger_errs; i++)
		tw_json_str(&j, NULL, d->ledger_errs[i]);
	tw_json_end(&j, ']');
	/* More than ledger_errors holds: the rest were only counted. */
	tw_json_i64(&j, "ledger_errors_total", d->ledger_errs_total);
	tw_json_end(&j, '}');
}
