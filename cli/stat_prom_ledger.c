// SPDX-License-Identifier: MIT
/* twshim stat --prometheus: the families about each ledger as a whole and
 * per command (stat_prom.c writes those per destination). */
#include <stdio.h>

#include "per_command.h"
#include "prom.h"
#include "stat_prom_out.h"

/* One sample per ledger read, of a family about the ledger as a whole. */
static void per_ledger_u64(struct sp_out *o, const char *name, enum tw_prom_type type,
			   const char *help, uint64_t (*pick)(const struct tw_snapshot *s))
{
	tw_prom_family(&o->p, name, type, help);
	for (size_t k = 0; sp_each_ledger(o, &k);) {
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
void sp_ledger_families(struct sp_out *o)
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
	for (size_t k = 0; sp_each_ledger(o, &k);) {
		l[0] = (struct tw_prom_label){"ledger", o->s->name};
		l[1] = (struct tw_prom_label){"version", TW_VERSION};
		l[2] = (struct tw_prom_label){"layout_version", lv};
		tw_prom_sample(&o->p, "", l, 3, "1");
	}

	tw_prom_family(&o->p, "twshim_ledger_start_time_seconds", TW_PROM_GAUGE,
		       "When the ledger was created, in seconds since the Unix epoch: its "
		       "counters count from then.");
	for (size_t k = 0; sp_each_ledger(o, &k);) {
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
	for (size_t k = 0; sp_each_ledger(o, &k);) {
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
void sp_policy_actions(struct sp_out *o)
{
	struct tw_prom_label l[3];

	tw_prom_family(&o->p, "twshim_policy_actions_total", TW_PROM_COUNTER,
		       "What the twshim policies did instead of what the program asked, per "
		       "command (man 7 twshim, POLICIES).");
	for (size_t k = 0; sp_each_ledger(o, &k);) {
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
