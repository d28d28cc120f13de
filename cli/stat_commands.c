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

static const char *const kinds[] = { "out", "in", "other" };

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

void tw_stat_by_command_text(const struct tw_snapshot *s)
{
	struct tw_per_command *pc = sum(s);

	if (!pc)
		return;
	tw_stat_header("PROCS");
	for (size_t i = 0; i < pc->ncmds; i++) {
		const struct tw_cmd *c = &pc->cmds[i];
		char procs[24], state[32];

		snprintf(procs, sizeof(procs), "%llu", (unsigned long long)cmd_procs(c));
		cmd_state(state, sizeof(state), c);
		tw_stat_row(procs, c->comm, state, &c->c);
		for (size_t d = c->first; d < c->first + c->ndests; d++) {
			const struct tw_cmd_dest *x = &pc->dests[d];
			char dn[80];
			snprintf(dn, sizeof(dn), "%s %s", x->kind == TW_DEST_IN ? "<-" : "->", x->addr);
			printf("  ");
			tw_stat_row("", dn, "", &x->c);
		}
	}
	if (!pc->ncmds)
		printf("(no command in %s)\n", s->name);
	free(pc);
}

void tw_stat_by_command_json(const struct tw_snapshot *s)
{
	struct tw_per_command *pc = sum(s);
	struct tw_json j;

	if (!pc)
		return;
	tw_stat_json_head(&j, s);
	tw_json_key(&j, "commands");
	tw_json_begin(&j, '[');
	for (size_t i = 0; i < pc->ncmds; i++) {
		const struct tw_cmd *c = &pc->cmds[i];
		tw_json_key(&j, NULL);
		tw_json_begin(&j, '{');
		tw_json_str(&j, "comm", c->comm);
		tw_json_u64(&j, "processes", cmd_procs(c));
		tw_json_u64(&j, "alive", c->alive);
		tw_json_u64(&j, "exited", c->exited);
		tw_json_u64(&j, "vanished", c->vanished);
		tw_json_u64(&j, "folded", c->folded);
		tw_json_u64(&j, "binds", c->c.binds);
		tw_stat_json_counters(&j, &c->c);
		tw_json_key(&j, "destinations");
		tw_json_begin(&j, '[');
		for (size_t d = c->first; d < c->first + c->ndests; d++) {
			const struct tw_cmd_dest *x = &pc->dests[d];
			tw_json_key(&j, NULL);
			tw_json_begin(&j, '{');
			tw_json_str(&j, "addr", x->addr);
			tw_json_str(&j, "direction", kinds[x->kind]);
			tw_stat_json_counters(&j, &x->c);
			tw_json_end(&j, '}');
		}
		tw_json_end(&j, ']');
		tw_json_end(&j, '}');
	}
	tw_json_end(&j, ']');
	tw_json_end(&j, '}');
	free(pc);
}
