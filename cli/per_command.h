// SPDX-License-Identifier: MIT
/*
 * The ledger summed per command, and per (command, destination): every
 * slot of one command (running, exited, and the aggregate its exited
 * processes were folded into) adds into one row. Unlike a pid, a command's
 * rows survive its processes and their folding: sums that only grow, which
 * is what counters read by Prometheus need, and bounded in number by the
 * ledger's size (TW_SLOTS commands, TW_DESTS destinations each).
 */
#ifndef TW_PER_COMMAND_H
#define TW_PER_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "ledger_read.h"

struct tw_cmd_dest {
	int kind;	  /* enum tw_dest_kind: out, in, or the overflow row */
	const char *addr; /* "10.0.0.1:80", "[::1]:80"; "other" for the overflow row */
	struct tw_snap_counters c;
};

struct tw_cmd {
	const char *comm;	/* "curl"; "*" for the ledger's catch-all aggregate */
	uint64_t alive, exited, vanished; /* its slots in each state */
	uint64_t folded;	/* processes folded into its aggregate */
	/* The sum of its slots' totals: also what no destination holds (binds,
	 * SO_REUSEADDR/SO_REUSEPORT set before bind()). */
	struct tw_snap_counters c;
	size_t first, ndests; /* its rows in tw_per_command.dests */
};

struct tw_per_command {
	size_t ncmds, ndests;
	struct tw_cmd cmds[TW_SLOTS];
	struct tw_cmd_dest dests[TW_SLOTS * TW_DESTS];
};

/* Sums s into *out (about 3 MB: allocate it). Commands in byte order of
 * their names; within one, destinations out, then in, then the overflow
 * row, each in byte order. out points into s: keep s while using it. */
void tw_per_command(struct tw_per_command *out, const struct tw_snapshot *s);

/* dst += src, counter by counter. */
void tw_counters_add(struct tw_snap_counters *dst, const struct tw_snap_counters *src);

#endif
