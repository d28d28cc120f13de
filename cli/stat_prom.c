// SPDX-License-Identifier: MIT
/*
 * twshim stat --prometheus: the ledger mapped onto Prometheus families
 * (docs/prometheus.md lists each).
 *
 * Series are per command and destination, never per pid: a shell loop of
 * 1,000 curl runs is one series, not 1,000, and its counters keep growing
 * as its processes exit and their slots are folded into the command's
 * aggregate (per_command.c sums them). The ledger's fixed size bounds the
 * series: at most TW_SLOTS commands times TW_DESTS destinations. Every
 * series carries the ledger's name, so that the files of two ledgers
 * (two services) in one textfile directory never collide.
 */
#include "stat_prom.h"

#include <stdlib.h>
#include <string.h>

#include "per_command.h"
#include "prom.h"

static const char *const directions[] = {
    [TW_DEST_OUT] = "out", [TW_DEST_IN] = "in", [TW_DEST_REST] = "other"};

/* connect() durations: bucket 0 holds calls under 1 us, bucket i those in
 * [2^(i-1), 2^i) us, the last the rest. Durations are whole microseconds,
 * truncated, so every call in bucket i took less than 2^i us: le = 2^i us,
 * exact in decimal seconds. The last bucket is +Inf's alone. */
#define CONNECT_LE (TW_HIST_BUCKETS - 1)

struct out {
	struct tw_prom p;
	const struct tw_prom_ledger *ls; /* every ledger, read or not */
	size_t n;
	struct tw_per_command **pcs;     /* per ledger read, NULL for one not read */
	/* The ledger each family's loop is at (each_ledger). */
	const struct tw_snapshot *s;
	const struct tw_per_command *pc;
	char le[CONNECT_LE][24];
	const char *le_ptr[CONNECT_LE];
};

/* Steps o through the ledgers that were read: for (size_t k = 0;
 * each_ledger(o, &k);) { ... o->s, o->pc ... }. Every family holds every
 * ledger's series, each under its own ledger label. */
static int each_ledger(struct out *o, size_t *k)
{
	while (*k < o->n && !o->pcs[*k])
		++*k;
	if (*k >= o->n)
		return 0;
	o->s = o->ls[*k].snap;
	o->pc = o->pcs[*k];
	++*k;
	return 1;
}

/* The labels of a (command, destination) row, with room for one more. */
static size_t dest_labels(struct tw_prom_label *l, const struct out *o, const struct tw_cmd *c,
			  const struct tw_cmd_dest *d)
{
	l[0] = (struct tw_prom_label){"ledger", o->s->name};
	l[1] = (struct tw_prom_label){"comm", c->comm};
	l[2] = (struct tw_prom_label){"direction", directions[d->kind]};
	l[3] = (struct tw_prom_label){"destination", d->addr};
	return 4;
}

enum rows { OUT_ROWS = 1, IN_ROWS = 2, ALL_ROWS = 3 };

static int wanted(const struct tw_cmd_dest *d, enum rows rows)
{
	if (d->kind == TW_DEST_OUT)
		return rows & OUT_ROWS;
	if (d->kind == TW_DEST_IN)
		return rows & IN_ROWS;
	return 1; /* the overflow row mixes both */
}

/* One family, over the (command, destination) rows that rows selects:
 * one sample of pick(counters, 0) each; or, with key, one per i < n that
 * names(i) names, labelled key=names(i), of pick(counters, i). */
typedef uint64_t (*pick_fn)(const struct tw_snap_counters *c, unsigned i);

static void per_dest(struct out *o, const char *name, enum tw_prom_type type, const char *help,
		     enum rows rows, const char *key, const char *(*names)(unsigned), unsigned n,
		     pick_fn pick)
{
	struct tw_prom_label l[5];

	tw_prom_family(&o->p, name, type, help);
	for (size_t k = 0; each_ledger(o, &k);) {
		for (size_t ci = 0; ci < o->pc->ncmds; ci++) {
			const struct tw_cmd *c = &o->pc->cmds[ci];
			for (size_t di = c->first; di < c->first + c->ndests; di++) {
				const struct tw_cmd_dest *d = &o->pc->dests[di];
				size_t nl = dest_labels(l, o, c, d);

				if (!wanted(d, rows))
					continue;
				if (!key) {
					tw_prom_sample_u64(&o->p, "", l, nl, pick(&d->c, 0));
					continue;
				}
				for (unsigned i = 0; i < n; i++) {
					if (!names(i))
						continue;
					l[nl] = (struct tw_prom_label){key, names(i)};
					tw_prom_sample_u64(&o->p, "", l, nl + 1, pick(&d->c, i));
				}
			}
		}
	}
}

static uint64_t pick_connects(const struct tw_snap_counters *c, unsigned i)
{
	(void)i;
	return c->connects;
}

static uint64_t pick_errors(const struct tw_snap_counters *c, unsigned i)
{
	return c->connect_errors[i];
}

static uint64_t pick_accepts(const struct tw_snap_counters *c, unsigned i)
{
	(void)i;
	return c->accepts;
}

static const char *side_name(unsigned i)
{
	static const char *const sides[] = {"active", "passive", "reset", "other"};
	return i < 4 ? sides[i] : NULL;
}

static uint64_t pick_closes(const struct tw_snap_counters *c, unsigned i)
{
	const uint64_t v[] = {c->active_closes, c->passive_closes, c->reset_closes,
			      c->other_closes};
	return v[i];
}

static uint64_t pick_time_wait(const struct tw_snap_counters *c, unsigned i)
{
	(void)i;
	return c->time_wait;
}

static const char *err_name(unsigned i)
{
	return tw_err_name(i);
}

static void connect_duration(struct out *o)
{
	struct tw_prom_label l[5];
	char sum[32];

	tw_prom_family(&o->p, "twshim_connect_duration_seconds", TW_PROM_HISTOGRAM,
		       "Time spent in each connect() call, failed and non-blocking ones "
		       "included. It rises from microseconds to milliseconds once about half "
		       "the ports to a destination are in TIME_WAIT.");
	for (size_t k = 0; each_ledger(o, &k);) {
		for (size_t ci = 0; ci < o->pc->ncmds; ci++) {
			const struct tw_cmd *c = &o->pc->cmds[ci];
			for (size_t di = c->first; di < c->first + c->ndests; di++) {
				const struct tw_cmd_dest *d = &o->pc->dests[di];
				size_t nl = dest_labels(l, o, c, d);

				if (!wanted(d, OUT_ROWS))
					continue;
				tw_prom_fmt_fixed(sum, sizeof(sum), d->c.connect_us_sum, 6);
				tw_prom_histogram(&o->p, l, nl, o->le_ptr, d->c.connect_us_hist, CONNECT_LE,
						  sum);
			}
		}
	}
}

/* A signed gauge per (command, destination), as the ledger keeps open_now. */
static void signed_per_dest(struct out *o, const char *name, const char *help,
			    int64_t (*pick)(const struct tw_snap_counters *c))
{
	struct tw_prom_label l[5];

	tw_prom_family(&o->p, name, TW_PROM_GAUGE, help);
	for (size_t k = 0; each_ledger(o, &k);) {
		for (size_t ci = 0; ci < o->pc->ncmds; ci++) {
			const struct tw_cmd *c = &o->pc->cmds[ci];
			for (size_t di = c->first; di < c->first + c->ndests; di++) {
				const struct tw_cmd_dest *d = &o->pc->dests[di];
				tw_prom_sample_i64(&o->p, "", l, dest_labels(l, o, c, d), pick(&d->c));
			}
		}
	}
}

static int64_t pick_open(const struct tw_snap_counters *c)
{
	return c->open_now;
}

static int64_t pick_open_at_exit(const struct tw_snap_counters *c)
{
	return c->open_at_exit;
}

static void open_connections(struct out *o)
{
	signed_per_dest(o, "twshim_open_connections", "Connections open now.", pick_open);
	signed_per_dest(o, "twshim_open_at_exit",
			"Connections the command's vanished processes (killed, crashed, _exit()) "
			"still had when they ended: the kernel closed them unseen, most likely "
			"into TIME_WAIT here, not in twshim_time_wait.",
			pick_open_at_exit);
}

/* One sample per ledger read, of a family about the ledger as a whole. */
static void per_ledger_u64(struct out *o, const char *name, enum tw_prom_type type,
			   const char *help, uint64_t (*pick)(const struct tw_snapshot *s))
{
	tw_prom_family(&o->p, name, type, help);
	for (size_t k = 0; each_ledger(o, &k);) {
		struct tw_prom_label l = {"ledger", o->s->name};
		tw_prom_sample_u64(&o->p, "", &l, 1, pick(o->s));
	}
}

static uint64_t pick_claims(const struct tw_snapshot *s)
{
	return s->slot_claims;
}

static uint64_t pick_folded(const struct tw_snapshot *s)
{
	return s->slots_folded;
}

static uint64_t pick_joins(const struct tw_snapshot *s)
{
	return s->attach_overflow;
}

/* Gauges and counters about each ledger itself, and per command. */
static void ledger_families(struct out *o)
{
	struct tw_prom_label l[3];
	char v[32], lv[16];

	/* Every ledger asked for or found, read or not: a missing or refused
	 * one is a 0 here, and the file is still whole (an alert on it, not a
	 * failed collector, says so). */
	tw_prom_family(&o->p, "twshim_ledger_up", TW_PROM_GAUGE,
		       "1 when the ledger was read; 0 when it is missing, unreadable or "
		       "refused (twshim stat names the reason on stderr).");
	for (size_t k = 0; k < o->n; k++) {
		l[0] = (struct tw_prom_label){"ledger", o->ls[k].name};
		tw_prom_sample(&o->p, "", l, 1, o->pcs[k] ? "1" : "0");
	}

	tw_prom_family(&o->p, "twshim_ledger_info", TW_PROM_GAUGE,
		       "The ledger read, the twshim version that read it and the ledger "
		       "layout version; always 1.");
	snprintf(lv, sizeof(lv), "%u", TW_LEDGER_VERSION);
	for (size_t k = 0; each_ledger(o, &k);) {
		l[0] = (struct tw_prom_label){"ledger", o->s->name};
		l[1] = (struct tw_prom_label){"version", TW_VERSION};
		l[2] = (struct tw_prom_label){"layout_version", lv};
		tw_prom_sample(&o->p, "", l, 3, "1");
	}

	tw_prom_family(&o->p, "twshim_ledger_start_time_seconds", TW_PROM_GAUGE,
		       "When the ledger was created, in seconds since the Unix epoch: its "
		       "counters count from then.");
	for (size_t k = 0; each_ledger(o, &k);) {
		l[0] = (struct tw_prom_label){"ledger", o->s->name};
		tw_prom_sample(&o->p, "", l, 1,
			       tw_prom_fmt_fixed(v, sizeof(v),
						 o->s->created_ms > 0 ? (uint64_t)o->s->created_ms : 0,
						 3));
	}

	per_ledger_u64(o, "twshim_slot_claims_total", TW_PROM_COUNTER,
		       "Processes that took a slot in the ledger.", pick_claims);
	per_ledger_u64(o, "twshim_slots_folded_total", TW_PROM_COUNTER,
		       "Slots of exited processes folded into their command's aggregate to "
		       "make room; what they counted stays, under the same command.",
		       pick_folded);
	per_ledger_u64(o, "twshim_aggregate_joins_total", TW_PROM_COUNTER,
		       "Processes that joined their command's aggregate at once, every slot "
		       "being held by a running process.",
		       pick_joins);

	tw_prom_family(&o->p, "twshim_processes", TW_PROM_GAUGE,
		       "Processes of the command in the ledger: alive (running), exited (its "
		       "slot kept), vanished (ended unseen with connections open: killed, "
		       "crashed, _exit()), aggregate (exited, folded into the command's "
		       "aggregate).");
	for (size_t k = 0; each_ledger(o, &k);) {
		for (size_t ci = 0; ci < o->pc->ncmds; ci++) {
			const struct tw_cmd *c = &o->pc->cmds[ci];
			const char *const states[] = {"alive", "exited", "vanished", "aggregate"};
			const uint64_t n[] = {c->alive, c->exited, c->vanished, c->folded};

			l[0] = (struct tw_prom_label){"ledger", o->s->name};
			l[1] = (struct tw_prom_label){"comm", c->comm};
			for (unsigned i = 0; i < 4; i++) {
				l[2] = (struct tw_prom_label){"state", states[i]};
				tw_prom_sample_u64(&o->p, "", l, 3, n[i]);
			}
		}
	}
}

/* Per command, not per destination: SO_REUSEADDR and SO_REUSEPORT are set
 * before bind(), when there is no destination yet. */
static void policy_actions(struct out *o)
{
	struct tw_prom_label l[3];

	tw_prom_family(&o->p, "twshim_policy_actions_total", TW_PROM_COUNTER,
		       "What the twshim policies did instead of what the program asked, per "
		       "command (man 7 twshim, POLICIES).");
	for (size_t k = 0; each_ledger(o, &k);) {
		for (size_t ci = 0; ci < o->pc->ncmds; ci++) {
			const struct tw_cmd *c = &o->pc->cmds[ci];

			l[0] = (struct tw_prom_label){"ledger", o->s->name};
			l[1] = (struct tw_prom_label){"comm", c->comm};
			for (unsigned i = 0; i < TW_ACT_COUNT; i++) {
				if (!tw_act_name(i))
					continue;
				l[2] = (struct tw_prom_label){"action", tw_act_name(i)};
				tw_prom_sample_u64(&o->p, "", l, 3, c->c.actions[i]);
			}
		}
	}
}

int tw_stat_prometheus(FILE *f, const struct tw_snapshot *s, char *err, size_t errlen)
{
	struct tw_prom_ledger l = {.name = s->name, .snap = s};

	return tw_stat_prometheus_ledgers(f, &l, 1, err, errlen);
}

int tw_stat_prometheus_ledgers(FILE *f, const struct tw_prom_ledger *ls, size_t n, char *err,
			       size_t errlen)
{
	struct out *o = calloc(1, sizeof(*o));
	struct tw_per_command **pcs = calloc(n ? n : 1, sizeof(*pcs));
	int rc = -1;

	if (!o || !pcs) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (size_t k = 0; k < n; k++) {
		if (!ls[k].snap)
			continue;
		pcs[k] = malloc(sizeof(*pcs[k]));
		if (!pcs[k]) {
			snprintf(err, errlen, "no memory for %zu bytes", sizeof(*pcs[k]));
			goto done;
		}
		tw_per_command(pcs[k], ls[k].snap);
	}
	tw_prom_init(&o->p, f);
	o->ls = ls;
	o->n = n;
	o->pcs = pcs;
	for (unsigned i = 0; i < CONNECT_LE; i++)
		o->le_ptr[i] = tw_prom_fmt_fixed(o->le[i], sizeof(o->le[i]), UINT64_C(1) << i, 6);

	ledger_families(o);
	per_dest(o, "twshim_connects_total", TW_PROM_COUNTER,
		 "connect() calls that succeeded (a non-blocking one when its outcome was "
		 "seen).",
		 OUT_ROWS, NULL, NULL, 0, pick_connects);
	per_dest(o, "twshim_connect_errors_total", TW_PROM_COUNTER,
		 "connect() failures by errno. EADDRNOTAVAIL: no local port left for the "
		 "destination, most of them in TIME_WAIT.",
		 OUT_ROWS, "errno", err_name, TW_ERR_COUNT, pick_errors);
	connect_duration(o);
	per_dest(o, "twshim_accepts_total", TW_PROM_COUNTER,
		 "Connections accepted; the destination is the local listening address.", IN_ROWS,
		 NULL, NULL, 0, pick_accepts);
	per_dest(o, "twshim_closes_total", TW_PROM_COUNTER,
		 "Connections ended, by who closed first: active (this side: the TIME_WAIT is "
		 "here), passive (the peer: it is there), reset (RST: none), other (never "
		 "established, or closed unseen).",
		 ALL_ROWS, "side", side_name, 4, pick_closes);
	per_dest(o, "twshim_time_wait", TW_PROM_GAUGE,
		 "TIME_WAIT entries the command holds in the kernel now: its active closes "
		 "of the last 60 s (an estimate: see man 7 twshim, LIMITS).",
		 ALL_ROWS, NULL, NULL, 0, pick_time_wait);
	open_connections(o);
	policy_actions(o);
	if (tw_prom_finish(&o->p) < 0) {
		snprintf(err, errlen, "stat --prometheus: %s", tw_prom_error(&o->p));
		goto done;
	}
	rc = 0;
done:
	for (size_t k = 0; pcs && k < n; k++)
		free(pcs[k]);
	free(pcs);
	free(o);
	return rc;
}
