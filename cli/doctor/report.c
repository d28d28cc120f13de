// SPDX-License-Identifier: MIT
/* twshim doctor's report: text for people, JSON with the same content,
 * each section written once for both through one emitter (emit.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "diagnosis.h"
#include "emit.h"

static const char *const sev_names[] = { "", "note", "warning", "critical" };

static void iso(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

/* A group's row in its direction's table, and its JSON object. c: its
 * capacity (none for the titles). */
static void group(struct tw_emit *e, const struct doctor *d, const struct tw_tw_group *g,
                  const struct dr_capacity *c)
{
	const int in = g->incoming;
	char a[64], b[64], eta[16], by[96], timers[48];

	tw_group_ends(g, a, sizeof(a), b, sizeof(b));
	tw_emit_open(e, NULL, '{');
	tw_emit_row(e, "  ");
	tw_emit_str(e, TW_KEY("direction"), in ? "incoming" : "outgoing");
	tw_emit_str(e, TW_F(in ? "service" : "source", in ? "SERVICE" : "SOURCE", in ? -24 : -16),
	            a);
	tw_emit_str(e, TW_F(in ? "client" : "destination", in ? "CLIENT" : "DESTINATION",
	                    in ? -22 : -24),
	            b);
	tw_emit_u64(e, TW_F("time_wait", "TW", in ? 7 : 6), g->count);
	tw_emit_u64(e, TW_KEY("timer_min_ms"), g->min_ms);
	tw_emit_u64(e, TW_KEY("timer_max_ms"), g->max_ms);
	tw_emit_f64(e, TW_FIELD(.title = in ? NULL : "USED", .width = 5, .unit = "%"),
	            100.0 * c->used);
	tw_emit_f64(e, TW_FIELD(.key = "new_per_s", .title = in ? NULL : "RATE/s", .width = 7,
	                        .prec = 1),
	            c->rate);
	if (in) {
		snprintf(timers, sizeof(timers), "%.1f-%.1f s left", g->min_ms / 1e3, g->max_ms / 1e3);
		tw_emit_str(e, TW_FIELD(.title = "TIMERS", .gap = 2), timers);
	} else {
		dr_eta_text(eta, sizeof(eta), c);
		tw_emit_str(e, TW_COL("FULL IN", 8), eta);
		dr_made_by_short(by, sizeof(by), e->titles ? NULL : dr_dest_of(d, g));
		tw_emit_str(e, TW_FIELD(.title = "MADE BY (ledger)", .gap = 2), by);
		tw_emit_u64(e, TW_KEY("ports_in_time_wait"), g->in_range);
		tw_emit_i64(e, TW_KEY("ports_usable"), c->usable);
		tw_emit_f64(e, TW_KEY("used_percent"), 100.0 * c->used);
		tw_emit_bool(e, TW_KEY("past_half"), c->past_half);
		tw_emit_f64(e, TW_KEY("growth_per_s"), c->growth);
		if (c->eta_s >= 0)
			tw_emit_f64(e, TW_KEY("exhausted_in_s"), c->eta_s);
		else
			tw_emit_null(e, TW_KEY("exhausted_in_s"));
		tw_emit_bool(e, TW_KEY("tw_reuse_applies"), c->soft);
		if (c->soft)
			tw_emit_f64(e, TW_KEY("tw_reuse_cap_per_s"), c->soft_cap_per_s);
	}
	tw_emit_row_end(e);
	tw_emit_close(e, '}');
}

/* Text: a table per direction, --limit rows each. */
static void group_table(struct tw_emit *e, const struct doctor *d, int incoming)
{
	const struct tw_tw_group titles = { .incoming = (uint8_t)incoming };
	const struct dr_capacity none = { 0 };
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < d->kv.ngroups; i++)
		total += d->kv.groups[i].incoming == incoming;
	if (!total)
		return;
	if (incoming)
		tw_emit_text(e, "\nIncoming TIME_WAIT: this host's services closed first (%zu "
		                "groups)\n", total);
	else
		tw_emit_text(e, "\nOutgoing TIME_WAIT by source -> destination (%zu groups)\n",
		             total);
	tw_emit_titles(e, 1);
	group(e, d, &titles, &none);
	tw_emit_titles(e, 0);
	for (size_t i = 0; i < d->kv.ngroups && shown < (size_t)d->limit; i++) {
		const struct tw_tw_group *g = &d->kv.groups[i];
		if (g->incoming != incoming)
			continue;
		shown++;
		group(e, d, g, dr_capacity_of(d, g));
	}
	if (shown < total)
		tw_emit_text(e, "  ... %zu more (--limit N)\n", total - shown);
}

/* The kernel's TIME_WAIT by group: in text, outgoing then incoming; in
 * JSON, the first --limit of them. */
static void groups(struct tw_emit *e, const struct doctor *d)
{
	if (e->to == TW_EMIT_TEXT) {
		group_table(e, d, 0);
		group_table(e, d, 1);
		return;
	}
	tw_emit_u64(e, TW_KEY("time_wait_groups_total"), d->kv.ngroups);
	tw_emit_open(e, "time_wait_groups", '[');
	for (size_t i = 0; i < d->kv.ngroups && i < (size_t)d->limit; i++)
		group(e, d, &d->kv.groups[i], dr_capacity_of(d, &d->kv.groups[i]));
	tw_emit_close(e, ']');
}

static void proc(struct tw_emit *e, const struct dr_proc *p)
{
	tw_emit_open(e, NULL, '{');
	tw_emit_i64(e, TW_KEY("pid"), p->pid);
	tw_emit_str(e, TW_KEY("comm"), p->comm);
	tw_emit_str(e, TW_KEY("state"), p->state);
	tw_emit_u64(e, TW_KEY("merged_processes"), p->merged_procs);
	tw_emit_u64(e, TW_KEY("time_wait"), p->time_wait);
	tw_emit_i64(e, TW_KEY("open_at_exit"), p->open_at_exit);
	tw_emit_u64(e, TW_KEY("connects"), p->connects);
	tw_emit_u64(e, TW_KEY("eaddrnotavail"), p->eaddrnotavail);
	tw_emit_u64(e, TW_KEY("connect_errors"), p->errors);
	tw_emit_u64(e, TW_KEY("connect_p50_us_le"), p->connect_p50_us);
	tw_emit_u64(e, TW_KEY("policy_actions"), p->actions_total);
	tw_emit_str(e, TW_KEY("ledger"), p->ledger);
	tw_emit_close(e, '}');
}

/* A destination of the ledgers: its row in the text's table of those
 * with no TIME_WAIT in the kernel now, and its JSON object. */
static void dest(struct tw_emit *e, const struct dr_dest *x)
{
	char by[96];

	tw_emit_open(e, NULL, '{');
	tw_emit_row(e, "  ");
	tw_emit_str(e, TW_F("endpoint", "DESTINATION", -26), x->endpoint);
	tw_emit_str(e, TW_KEY("direction"), x->incoming ? "incoming" : "outgoing");
	tw_emit_u64(e, TW_KEY("kernel_time_wait"), x->kernel_tw);
	tw_emit_u64(e, TW_F("ledger_time_wait", "TW(est)", 8), x->ledger_tw);
	tw_emit_i64(e, TW_KEY("open_at_exit"), x->open_at_exit);
	tw_emit_f64(e, TW_KEY("explained_percent"),
	            x->kernel_tw ? 100.0 * (double)(x->ledger_tw < x->kernel_tw ? x->ledger_tw
	                                                                       : x->kernel_tw) /
	                                   (double)x->kernel_tw
	                         : 0.0 / 0.0);
	tw_emit_u64(e, TW_F("eaddrnotavail", "EADDRNOTAVAIL", 13), x->eaddrnotavail);
	dr_made_by_short(by, sizeof(by), e->titles ? NULL : x);
	tw_emit_str(e, TW_FIELD(.title = "MADE BY", .gap = 2), by);
	tw_emit_row_end(e);
	tw_emit_u64(e, TW_KEY("connects"), x->connects);
	tw_emit_u64(e, TW_KEY("late"), x->late);
	tw_emit_open(e, "processes", '[');
	for (int i = 0; i < x->nprocs; i++)
		proc(e, &x->procs[i]);
	tw_emit_close(e, ']');
	tw_emit_u64(e, TW_KEY("more_processes"), x->more_procs);
	tw_emit_close(e, '}');
}

/* The ledgers' destinations: in JSON all, in text those the kernel's
 * tables did not show (no TIME_WAIT in this namespace now). */
static void dests(struct tw_emit *e, const struct doctor *d)
{
	static const struct dr_dest titles;
	int header = 0;

	tw_emit_open(e, "destinations", '[');
	for (size_t i = 0; i < d->ndests; i++) {
		const struct dr_dest *x = &d->dests[i];
		if (x->kernel_tw && e->to == TW_EMIT_TEXT)
			continue;
		if (!header++ && e->to == TW_EMIT_TEXT) {
			tw_emit_text(e, "\nIn the ledger, with no TIME_WAIT in this namespace now\n");
			tw_emit_titles(e, 1);
			dest(e, &titles);
			tw_emit_titles(e, 0);
		}
		dest(e, x);
	}
	tw_emit_close(e, ']');
}

static void findings(struct tw_emit *e, const struct doctor *d)
{
	tw_emit_text(e, "\nFindings, most severe first: %d\n", d->nfindings);
	tw_emit_open(e, "findings", '[');
	for (int i = 0; i < d->nfindings; i++) {
		const struct dr_finding *f = &d->findings[i];
		char lead[32];

		snprintf(lead, sizeof(lead), "%d. %s: ", i + 1, sev_names[f->sev]);
		tw_emit_open(e, NULL, '{');
		tw_emit_str(e, TW_KEY("severity"), sev_names[f->sev]);
		tw_emit_str(e, TW_KEY("id"), f->id);
		dr_para(e, "title", lead, 2, f->title);
		dr_para(e, "evidence", "Evidence: ", 5, f->evidence);
		dr_para(e, "fix", "Fix: ", 5, f->fix);
		tw_emit_close(e, '}');
	}
	tw_emit_close(e, ']');
	if (!d->nfindings)
		tw_emit_text(e, "  none: no destination is short of ports.\n");
}

static void settings(struct tw_emit *e, const struct doctor *d)
{
	tw_emit_text(e, "\nHost settings (this network namespace)\n");
	tw_emit_open(e, "settings", '[');
	for (int i = 0; i < d->nsettings; i++) {
		const struct dr_setting *s = &d->settings[i];
		char lead[64];

		snprintf(lead, sizeof(lead), "%-24s %-14s ", s->name, s->value[0] ? s->value : "-");
		tw_emit_open(e, NULL, '{');
		tw_emit_str(e, TW_KEY("name"), s->name);
		if (s->value[0])
			tw_emit_str(e, TW_KEY("value"), s->value);
		else
			tw_emit_null(e, TW_KEY("value"));
		tw_emit_str(e, TW_KEY("verdict"), s->verdict);
		dr_para(e, "meaning", lead, 2, s->meaning);
		tw_emit_close(e, '}');
	}
	tw_emit_close(e, ']');
}

static void ledgers(struct tw_emit *e, const struct doctor *d)
{
	tw_emit_text(e, "\nLedgers read:");
	tw_emit_open(e, "ledgers", '[');
	for (int i = 0; i < d->nsnaps; i++) {
		tw_emit_text(e, "%s %s (%d processes)", i ? "," : "", d->snaps[i]->name,
		             d->snaps[i]->nprocs);
		tw_emit_open(e, NULL, '{');
		tw_emit_str(e, TW_KEY("name"), d->snaps[i]->name);
		tw_emit_i64(e, TW_KEY("processes"), d->snaps[i]->nprocs);
		tw_emit_close(e, '}');
	}
	tw_emit_close(e, ']');
	tw_emit_text(e, "%s\n", d->nsnaps ? "" : " none");
	tw_emit_open(e, "ledger_errors", '[');
	for (int i = 0; i < d->nledger_errs; i++)
		tw_emit_str(e, TW_ITEM, d->ledger_errs[i]);
	tw_emit_close(e, ']');
	/* More than ledger_errors holds: the rest were only counted. */
	tw_emit_i64(e, TW_KEY("ledger_errors_total"), d->ledger_errs_total);
}

/* The namespace and the time; the kernel's sockets; the port range. */
static void kernel(struct tw_emit *e, const struct doctor *d)
{
	const struct tw_kview *kv = &d->kv;
	const struct tw_host *h = &d->host;
	const int ok = !d->kv_err[0];
	char when[32];
	int first = 1;

	iso(when, sizeof(when), d->now_ms);
	tw_emit_text(e, "twshim doctor: network namespace %s, %s\n", d->netns_id, when);
	tw_emit_str(e, TW_KEY("netns"), d->netns_id);
	tw_emit_str(e, TW_KEY("time"), when);
	if (d->pid)
		tw_emit_i64(e, TW_KEY("pid"), d->pid);
	if (d->pid_note[0]) {
		tw_emit_text(e, "Note: %s\n", d->pid_note);
		tw_emit_str(e, TW_KEY("note"), d->pid_note);
	}
	tw_emit_text(e, "\n");
	tw_emit_open(e, "kernel", '{');
	if (ok) {
		tw_emit_null(e, TW_KEY("error"));
		tw_emit_text(e, "TCP sockets: %llu", (unsigned long long)kv->total);
	} else {
		tw_emit_str(e, TW_KEY("error"), d->kv_err);
		tw_emit_text(e, "Kernel: %s\n", d->kv_err);
	}
	tw_emit_u64(e, TW_KEY("sockets"), kv->total);
	tw_emit_open(e, "states", '{');
	for (int s = 1; s < TW_TCP_STATES; s++) {
		tw_emit_u64(e, TW_KEY(tw_tcp_state_names[s]), kv->states[s]);
		if (ok && kv->states[s]) {
			tw_emit_text(e, "%s%s %llu", first ? " (" : ", ", tw_tcp_state_names[s],
			             (unsigned long long)kv->states[s]);
			first = 0;
		}
	}
	tw_emit_close(e, '}');
	tw_emit_u64(e, TW_KEY("time_wait"), kv->time_wait);
	tw_emit_u64(e, TW_KEY("timer_min_ms"), kv->tw_min_ms);
	tw_emit_u64(e, TW_KEY("timer_max_ms"), kv->tw_max_ms);
	tw_emit_close(e, '}');
	if (ok) {
		tw_emit_text(e, "%s\nTIME_WAIT: %llu", first ? "" : ")",
		             (unsigned long long)kv->time_wait);
		if (kv->time_wait)
			tw_emit_text(e, ", expiring in %.1f to %.1f s", kv->tw_min_ms / 1e3,
			             kv->tw_max_ms / 1e3);
		if (h->max_tw_buckets.present)
			tw_emit_text(e, "; tcp_max_tw_buckets %lld", h->max_tw_buckets.v);
		if (!h->range_err[0])
			tw_emit_text(e, "\nUsable ephemeral ports: %d (%d-%d, %d reserved)",
			             h->ports.usable, h->ports.lo, h->ports.hi, h->ports.nreserved);
		tw_emit_text(e, "\n");
	}
	tw_emit_open(e, "ports", '{');
	tw_emit_i64(e, TW_KEY("low"), h->ports.lo);
	tw_emit_i64(e, TW_KEY("high"), h->ports.hi);
	tw_emit_i64(e, TW_KEY("reserved"), h->ports.nreserved);
	tw_emit_i64(e, TW_KEY("usable"), h->ports.usable);
	tw_emit_close(e, '}');
}

void dr_report(const struct doctor *d, enum tw_emit_to to)
{
	struct tw_emit e;

	tw_emit_init(&e, to, stdout);
	tw_emit_open(&e, NULL, '{');
	kernel(&e, d);
	groups(&e, d);
	dests(&e, d);
	findings(&e, d);
	settings(&e, d);
	ledgers(&e, d);
	tw_emit_close(&e, '}');
}
