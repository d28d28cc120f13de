// SPDX-License-Identifier: MIT
/*
 * The fields every stat report shares, each named once for its text
 * column and its JSON member (emit.h): a row's counters, a destination's
 * row and its pooling hint, the document's head. stat's per-process and
 * per-command reports use them, and top's JSON its counters and hints.
 */
#include <stdio.h>

#include "format.h"
#include "stat.h"

int tw_stat_no_header;

static void histogram(struct tw_emit *e, const uint64_t *h)
{
	tw_emit_open(e, "histogram_log2", '[');
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++)
		tw_emit_u64(e, TW_ITEM, h[i]);
	tw_emit_close(e, ']');
}

/* The errors by errno, then what the policies did: "reset=150 ...". */
static void errors_text(char *buf, size_t len, const struct tw_snap_counters *c)
{
	char errs[256], acts[256];

	tw_fmt_errors(errs, sizeof(errs), c);
	tw_fmt_actions(acts, sizeof(acts), c);
	snprintf(buf, len, "%s%s%s", errs, *errs && *acts ? " " : "", acts);
}

void tw_stat_counters(struct tw_emit *e, const struct tw_snap_counters *c)
{
	char open[24], lat[32], notes[512];

	tw_emit_u64(e, TW_F("connects", "CONNECTS", 8), c->connects);
	tw_emit_u64(e, TW_COL("ERRORS", 7), c->connect_errors_total);
	tw_emit_open(e, "connect_errors", '{');
	for (unsigned i = 0; i < TW_ERR_COUNT; i++)
		tw_emit_u64(e, TW_KEY(tw_err_name(i)), c->connect_errors[i]);
	tw_emit_close(e, '}');
	tw_emit_u64(e, TW_F("accepts", "ACCEPTS", 8), c->accepts);
	tw_emit_u64(e, TW_F("active_closes", "ACTIVE", 8), c->active_closes);
	tw_emit_u64(e, TW_F("passive_closes", "PASSIVE", 8), c->passive_closes);
	tw_emit_u64(e, TW_F("reset_closes", "RESET", 6), c->reset_closes);
	tw_emit_u64(e, TW_F("other_closes", "OTHER", 6), c->other_closes);
	/* A vanished process's connections, open when it ended: "(3)". */
	if (c->open_at_exit > 0)
		snprintf(open, sizeof(open), "(%lld)", (long long)c->open_at_exit);
	else
		snprintf(open, sizeof(open), "%lld", (long long)c->open_now);
	tw_emit_str(e, TW_COL("OPEN", 5), open);
	tw_emit_i64(e, TW_KEY("open"), c->open_now);
	tw_emit_i64(e, TW_KEY("open_at_exit"), c->open_at_exit);
	tw_emit_u64(e, TW_F("time_wait_estimate", "TIME_WAIT", 9), c->time_wait);
	tw_emit_open(e, "policy_actions", '{');
	for (unsigned i = 0; i < TW_ACT_COUNT; i++)
		if (tw_act_name(i))
			tw_emit_u64(e, TW_KEY(tw_act_name(i)), c->actions[i]);
	tw_emit_close(e, '}');
	tw_fmt_connect_p50(lat, sizeof(lat), c);
	tw_emit_str(e, TW_COL("CONNECT", 10), lat);
	tw_emit_open(e, "connect_us", '{');
	tw_emit_u64(e, TW_KEY("calls"), c->connect_samples);
	tw_emit_u64(e, TW_KEY("mean"), c->connect_samples ? c->connect_us_sum / c->connect_samples : 0);
	tw_emit_u64(e, TW_KEY("p50_le"), tw_hist_quantile(c->connect_us_hist, 0.5));
	tw_emit_u64(e, TW_KEY("p99_le"), tw_hist_quantile(c->connect_us_hist, 0.99));
	histogram(e, c->connect_us_hist);
	tw_emit_close(e, '}');
	tw_emit_open(e, "lifetime_ms", '{');
	tw_emit_u64(e, TW_KEY("p50_le"), tw_hist_quantile(c->lifetime_ms_hist, 0.5));
	tw_emit_u64(e, TW_KEY("p99_le"), tw_hist_quantile(c->lifetime_ms_hist, 0.99));
	histogram(e, c->lifetime_ms_hist);
	tw_emit_close(e, '}');
	errors_text(notes, sizeof(notes), c);
	tw_emit_str(e, TW_FIELD(.title = "ERRORS BY ERRNO, POLICY ACTIONS", .gap = 2), notes);
}

/* The hint in words, under its destination's row. */
static void hint_text(struct tw_emit *e, const struct tw_snap_hint *h)
{
	char figures[512];

	tw_fmt_hint(figures, sizeof(figures), h);
	tw_emit_text(e, "             %s\n", figures);
	tw_emit_text(e, "             -> keep connections alive or pool them in the program; "
	                "without changing it:\n");
	/* Never what was on already in the process (the hint says). */
	if (!(h->flags & TW_HINT_CLOSE_ON))
		tw_emit_text(e, "                --close fin-reset (no TIME_WAIT on either side; the "
		                "peer reads all, then EOF),\n                --close peer-first "
		                "(servers that close after each response),\n");
	else
		tw_emit_text(e, "                (a close policy is on: these closes came too late "
		                "for it, the peer's FIN first)\n");
	if (!(h->flags & TW_HINT_SOURCES_ON))
		tw_emit_text(e, "                --source-addrs (more addresses, more ports).");
	else
		tw_emit_text(e, "                (--source-addrs is on: add addresses, or widen "
		                "ip_local_port_range).");
	tw_emit_text(e, " `man 7 twshim`, POLICIES.\n");
}

void tw_stat_hint(struct tw_emit *e, const struct tw_snap_hint *h)
{
	char t[32];

	if (h->at_ms <= 0) {
		tw_emit_null(e, TW_KEY("hint"));
		return;
	}
	hint_text(e, h);
	tw_emit_open(e, "hint", '{');
	tw_fmt_time(t, sizeof(t), h->at_ms);
	tw_emit_str(e, TW_KEY("at"), t);
	tw_emit_str(e, TW_KEY("advice"), h->advice == TW_ADVICE_URGENT ? "urgent" : "pool");
	tw_emit_bool(e, TW_KEY("out_of_ports_now"), (h->flags & TW_HINT_OUT_NOW) != 0);
	tw_emit_bool(e, TW_KEY("close_policy_on"), (h->flags & TW_HINT_CLOSE_ON) != 0);
	tw_emit_bool(e, TW_KEY("source_addrs_on"), (h->flags & TW_HINT_SOURCES_ON) != 0);
	tw_emit_u64(e, TW_KEY("closed_here_per_min"), h->per_min);
	tw_emit_u64(e, TW_KEY("time_wait"), h->time_wait);
	tw_emit_u64(e, TW_KEY("ports"), h->ports);
	tw_emit_u64(e, TW_KEY("seconds_to_exhaustion"), h->eta_s);
	tw_emit_u64(e, TW_KEY("lifetime_p50_ms_le"), h->lifetime_p50_ms);
	tw_emit_u64(e, TW_KEY("connect_p50_us_le"), h->connect_p50_us);
	tw_emit_u64(e, TW_KEY("connect_p50_us_le_before"), h->connect_p50_us_before);
	tw_emit_close(e, '}');
}

void tw_stat_dest_row(struct tw_emit *e, const char *first, const char *shown,
                      const char *addr, int kind, const struct tw_snap_counters *c)
{
	static const char *const kinds[] = { "out", "in", "other" };

	tw_emit_row(e, "  ");
	tw_emit_str(e, TW_STAT_COL_FIRST(first), "");
	tw_emit_str(e, TW_STAT_COL_COMMAND(NULL), shown);
	tw_emit_str(e, TW_KEY("addr"), addr);
	tw_emit_str(e, TW_KEY("direction"), kinds[kind]);
	tw_emit_str(e, TW_STAT_COL_STATE(NULL), "");
	tw_stat_counters(e, c);
	tw_emit_row_end(e);
}

void tw_stat_head(struct tw_emit *e, const struct tw_snapshot *s)
{
	tw_emit_open(e, NULL, '{');
	tw_emit_str(e, TW_KEY("ledger"), s->name);
	tw_emit_u64(e, TW_KEY("layout_version"), TW_LEDGER_VERSION);
	tw_emit_u64(e, TW_KEY("time_wait_seconds"), TW_TIME_WAIT_MS / 1000);
	tw_emit_u64(e, TW_KEY("slots_folded"), s->slots_folded);
}

void tw_stat_json_counters(struct tw_json *j, const struct tw_snap_counters *c)
{
	struct tw_emit e;

	tw_emit_into(&e, j);
	tw_stat_counters(&e, c);
}

void tw_stat_json_hint(struct tw_json *j, const struct tw_snap_hint *h)
{
	struct tw_emit e;

	tw_emit_into(&e, j);
	tw_stat_hint(&e, h);
}
