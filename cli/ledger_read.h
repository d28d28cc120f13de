// SPDX-License-Identifier: MIT
/* The CLI's side of the ledger: a checked, plain-data snapshot of it. */
#ifndef TW_LEDGER_READ_H
#define TW_LEDGER_READ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "twshim/ledger.h"

struct tw_snap_counters {
	uint64_t connects;
	uint64_t connect_errors[TW_ERR_COUNT];
	uint64_t connect_errors_total;
	uint64_t accepts, binds;
	uint64_t active_closes, passive_closes, reset_closes, other_closes;
	int64_t open_now;
	int64_t open_at_exit; /* a vanished process's open_now as it ended: what the kernel closed unseen */
	uint64_t connect_us_sum;
	uint64_t connect_samples;
	uint64_t lifetime_ms_hist[TW_HIST_BUCKETS];
	uint64_t connect_us_hist[TW_HIST_BUCKETS];
	uint64_t time_wait;  /* active closes in the last 60 s */
	uint64_t actions[TW_ACT_COUNT];
	uint64_t actions_total;
};

struct tw_snap_hint {
	int64_t at_ms;       /* 0: none */
	uint32_t advice;     /* enum tw_advice */
	uint32_t flags;      /* TW_HINT_* */
	uint32_t per_min, time_wait, ports, eta_s, lifetime_p50_ms;
	uint32_t connect_p50_us, connect_p50_us_before;
};

struct tw_snap_dest {
	int kind;            /* enum tw_dest_kind */
	char addr[64];       /* "10.0.0.1:80", "[::1]:80", "(other destinations)" */
	uint8_t family;      /* 4 or 6, and the address and port addr shows */
	uint8_t ip[16];      /* (not for TW_DEST_REST) */
	uint16_t port;
	struct tw_snap_counters c;
	struct tw_snap_hint hint;
};

/* A command name as the ledger holds it (at most TW_COMM_LEN - 1 bytes),
 * escaped (escape.h): what every output prints. */
#define TW_SNAP_COMM_LEN ((TW_COMM_LEN - 1) * 4 + 1)

struct tw_snap_proc {
	int slot;
	int pid, ppid;
	char comm[TW_SNAP_COMM_LEN];
	int aggregate;
	int alive;
	int vanished;        /* ended unseen (killed, crashed, _exit(), exec'd) with connections open */
	const char *state;   /* "alive", "exited", "vanished", "aggregate" */
	uint64_t merged_procs;
	int64_t start_ms, exit_ms;
	uint64_t dest_overflow;
	struct tw_snap_counters c;
	int ndests;
	struct tw_snap_dest dests[TW_DESTS];
};

struct tw_snapshot {
	char name[1024];     /* the segment's name, escaped (escape.h) */
	int64_t created_ms;
	uint64_t slot_claims, slots_folded, attach_overflow;
	int nprocs;
	struct tw_snap_proc procs[TW_SLOTS];
};

/* Whether a reader of euid me may trust a segment with this fstat: a
 * regular file, its owner me, root or one named by tw_ledger_trust_owner(),
 * writable by its owner only. 0; or -1 with one line in err naming the
 * segment as shown (escaped). */
int tw_ledger_trusted(const struct stat *st, uid_t me, const char *shown, char *err,
                      size_t errlen);

/* --owner USER: trusts segments of USER (a name or a uid) too. 0; or -1
 * with one line in err. */
#define TW_LEDGER_OWNERS 16u
int tw_ledger_trust_owner(const char *user, char *err, size_t errlen);

/* Opens the ledger segment name read-only, without waiting or following a
 * link, and checks it (tw_ledger_trusted, then its size, magic and layout,
 * its header read into *h). Returns the fd; or -1 with one line in err, and
 * *missing set when the segment does not exist at all. */
int tw_ledger_open_ro(const char *name, struct tw_ledger_header *h, int *missing, char *err,
                      size_t errlen);

/* Reads the ledger segment name into *snap (tw_ledger_open_ro's checks). Returns 0; or -1 with one line
 * in err (no such ledger, not a ledger, another layout version), and
 * *missing set when the segment does not exist at all. */
int tw_snapshot_read(const char *name, struct tw_snapshot *snap, int *missing, char *err,
                     size_t errlen);

/* 1 when a slot of the segment at fd was claimed or folded since copy was
 * read from it (the copy may count a folded process twice); 0 otherwise. */
int tw_ledger_moved(int fd, const struct tw_ledger *copy);

/* The ledger name the shim would use with this environment. */
const char *tw_default_shm(char *buf, size_t len);

const char *tw_err_name(unsigned i);

#endif
