// SPDX-License-Identifier: MIT
/*
 * Which processes a report is about: --comm NAME (and top's -p PID), kept
 * in a ledger snapshot before any row or sum is made of it, so that stat,
 * top and doctor narrow the same way and every total is over what is shown.
 */
#ifndef TW_FILTER_H
#define TW_FILTER_H

#include "sockdiag.h"
#include "ledger_read.h"
#include "parse.h"

#define TW_FILTER_MAX_PIDS 64

struct tw_filter {
	int npids;
	int pids[TW_FILTER_MAX_PIDS];
	const char *comm; /* the command's name as the kernel has it (15 bytes); NULL: any */
	int has_dest;     /* --dest CIDR[:PORT] */
	struct tw_dest_pattern dest;
};

/* Adds PID arg to f; -1 with one line naming verb and arg if it is no pid. */
int tw_filter_add_pid(struct tw_filter *f, const char *verb, const char *arg);
/* --dest CIDR[:PORT]: only those destinations (a process's other rows
 * are dropped, its totals made of what is kept). -1 with one line if arg
 * is no pattern. */
int tw_filter_set_dest(struct tw_filter *f, const char *verb, const char *arg);
/* Drops from the kernel's view every group toward (or, incoming, at) a
 * destination f does not keep. */
void tw_filter_kview(struct tw_kview *kv, const struct tw_filter *f);
/* Sets the command; -1 with one line if it cannot be a command's name. */
int tw_filter_set_comm(struct tw_filter *f, const char *verb, const char *arg);
int tw_filter_active(const struct tw_filter *f);
/* Whether p is kept: every pid given (one of them), the command given. */
int tw_filter_keeps(const struct tw_filter *f, const struct tw_snap_proc *p);
/* Whether the command name given (raw, as ps -o comm shows it) is the one
 * a snapshot shows (escaped: escape.h). */
int tw_comm_is(const char *given, const char *shown);
/* Drops from s every process f does not keep. */
void tw_filter_snapshot(struct tw_snapshot *s, const struct tw_filter *f);

#endif
