// SPDX-License-Identifier: MIT
/*
 * twshim stat --by-command: the ledger summed per command and destination.
 * A shell loop running curl 250 times is 250 processes, 500 rows of the
 * per-process table; here it is one row for curl and one per destination,
 * its failures (the processes that got EADDRNOTAVAIL and made no TIME_WAIT)
 * added in with the rest. The sums are tw_per_command's, the ones the
 * Prometheus export writes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "per_command.h"
#include "stat.h"

/* "3 alive", or how the command's processes ended. */
static void cmd_state(char *buf, size_t len, const struct tw_cmd *c)
{
	if (c->alive)
		snprintf(buf, len, "%llu alive", (unsigned long long)c->alive);
	else if (c->vanished)
		snprintf(buf, len, "vanished");
	else
		snprintf(buf, len, "exited");
}

static uint64_t cmd_procs(const struct tw_cmd *c)
{
	return c->alive + c->exited + c->vanished + c->folded;
}

static struct tw_per_command *sum(const struct tw_snapshot *s)
{
	struct tw_per_command *pc = malloc(sizeof(*pc));

	if (pc)
		tw_per_command(pc, s);
	else
		tw_cli_error("stat --by-command: out of memory");
	return pc;
}

/* A command's row, and its JSON object's members up to its destinations. */
static void cmd_row(struct tw_emit *e, const struct tw_cmd *c)
{
	char procs[24], state[32];

	snprintf(procs, sizeof(procs), "%llu", (unsigned long long)cmd_procs(c));
	cmd_state(state, sizeof(state), c);
	tw_emit_row(e, "");
	tw_emit_str(e, TW_STAT_COL_FIRST("PROCS"), procs);
	tw_emit_str(e, TW_STAT_COL_COMMAND("comm"), c->comm);
	tw_emit_u64(e, TW_KEY("processes"), cmd_procs(c));
	tw_emit_u64(e, TW_KEY("alive"), c->alive);
	tw_emit_u64(e, TW_KEY("exited"), c->exited);
	tw_emit_u64(e, TW_KEY("vanished"), c->vanished);
	tw_emit_u64(e, TW_KEY("folded"), c->folded);
	tw_emit_str(e, TW_STAT_COL_STATE(NULL), state);
	tw_emit_u64(e, TW_KEY("binds"), c->c.binds);
	tw_stat_counters(e, &c->c);
	tw_emit_row_end(e);
}

void tw_stat_by_command(struct tw_emit *e, const struct tw_snapshot *s)
{
	static const struct tw_cmd none;
	struct tw_per_command *pc = sum(s);

	if (!pc)
		return;
	tw_stat_head(e, s);
	if (!tw_stat_no_header) {
		tw_emit_titles(e, 1);
		cmd_row(e, &none);
		tw_emit_titles(e, 0);
	}
	tw_emit_open(e, "commands", '[');
	for (size_t i = 0; i < pc->ncmds; i++) {
		const struct tw_cmd *c = &pc->cmds[i];

		tw_emit_open(e, NULL, '{');
		cmd_row(e, c);
		tw_emit_open(e, "destinations", '[');
		for (size_t d = c->first; d < c->first + c->ndests; d++) {
			const struct tw_cmd_dest *x = &pc->dests[d];
			char shown[80];

			snprintf(shown, sizeof(shown), "%s %s", x->kind == TW_DEST_IN ? "<-" : "->",
			         x->addr);
			tw_emit_open(e, NULL, '{');
			tw_stat_dest_row(e, "PROCS", shown, x->addr, x->kind, &x->c);
			tw_emit_close(e, '}');
		}
		tw_emit_close(e, ']');
		tw_emit_close(e, '}');
	}
	tw_emit_close(e, ']');
	tw_emit_close(e, '}');
	if (!pc->ncmds)
		tw_emit_text(e, "(no command in %s)\n", s->name);
	free(pc);
}
