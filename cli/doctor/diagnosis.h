// SPDX-License-Identifier: MIT
/*
 * One run of twshim doctor: what it gathered, joined and found, and the
 * stages that fill it in, shared by the files of cli/doctor/ (the rest of
 * the command calls doctor.h). doctor.c: options, namespace, the run;
 * sockdiag.h and hostcfg.h: the kernel; join.c: the ledgers; capacity.c,
 * find.c and settings.c: the judgement; report.c and words.c (text, JSON),
 * prom.c (Prometheus) and check.c (--check): the output.
 */
#ifndef TW_DOCTOR_DIAGNOSIS_H
#define TW_DOCTOR_DIAGNOSIS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emit.h"
#include "filter.h"
#include "hostcfg.h"
#include "ledger_read.h"
#include "sockdiag.h"

#define DR_MAX_LEDGERS  16
#define DR_MAX_LEDGER_ERRS 32 /* notes kept; past that only counted */
#define DR_MAX_DESTS    64   /* destinations examined: the most loaded */
#define DR_MAX_PROCS    8    /* processes named per destination */
#define DR_MAX_FINDINGS 48

/* One process's part in a destination's TIME_WAIT, from a ledger. */
struct dr_proc {
	int pid;
	char comm[TW_SNAP_COMM_LEN];
	const char *state;        /* "alive", "exited", "vanished", "aggregate" */
	uint64_t merged_procs;    /* aggregates: how many processes */
	uint64_t time_wait;       /* the ledger's estimate: active closes, last 60 s */
	int64_t open_at_exit;     /* vanished: open when it ended, closed by the kernel unseen */
	uint64_t connects, eaddrnotavail, errors;
	uint64_t connect_p50_us;  /* upper bound of the p50 bucket */
	uint64_t actions_total;
	const char *ledger;       /* the snapshot's name */
};

/* The processes of one command, toward one destination. */
struct dr_cmd {
	char comm[TW_SNAP_COMM_LEN];
	uint64_t procs, alive;
	uint64_t time_wait, eaddrnotavail;
	int64_t open_at_exit;
};

/* A destination (outgoing) or a local service (incoming), over all sources. */
struct dr_dest {
	char endpoint[64];        /* "10.0.0.1:80", "[::1]:80", as the ledger writes it */
	uint8_t family, incoming, loopback;
	uint8_t addr[16];
	uint16_t port;
	uint64_t kernel_tw;       /* TIME_WAIT entries in the kernel */
	uint64_t ledger_tw;       /* what the ledgers' processes account for */
	int64_t open_at_exit;     /* connections vanished processes left open */
	uint64_t eaddrnotavail;   /* connect() failures the ledgers saw */
	uint64_t eaddrnotavail_recent; /* by processes alive or exited < 10 min ago */
	uint64_t connects;
	uint64_t late;            /* active closes a close policy came too late for */
	int capacity_found;       /* a group toward it has a capacity finding */
	int nprocs;
	uint64_t more_procs;      /* processes past DR_MAX_PROCS */
	struct dr_proc procs[DR_MAX_PROCS];
	int ncmds;
	struct dr_cmd cmds[DR_MAX_PROCS]; /* most TIME_WAIT first */
};

enum dr_severity { DR_INFO = 1, DR_WARNING = 2, DR_CRITICAL = 3 };

struct dr_finding {
	enum dr_severity sev;
	uint64_t weight;          /* ranks findings of one severity */
	char id[32];              /* stable, for --json and scripts */
	char title[256];
	char evidence[1024];
	char fix[1024];
};

/* What one outgoing (source, destination) group means for its ports. */
struct dr_capacity {
	int usable;               /* usable ephemeral ports, 0: unknown */
	double used;              /* in_range / usable, 0..1 */
	int past_half;
	double rate;              /* new TIME_WAIT per second, last 10 s */
	double growth;            /* net growth per second, last/next 10 s */
	double eta_s;             /* seconds to exhaustion; 0 now; <0 never at this rate */
	int soft;                 /* tcp_tw_reuse applies: a rate cap, not a hard stop */
	double soft_cap_per_s;    /* the cap, when soft */
};

/* A setting of the host, what it does here, and a verdict. */
struct dr_setting {
	const char *name;
	char value[72];           /* "" when absent */
	const char *verdict;      /* "ok", "note", "warn", "absent" */
	char meaning[400];
};

#define DR_MAX_SETTINGS 12

struct doctor {
	/* options */
	int json, prometheus, check, pid, limit;
	const char *comm;         /* --comm: only its destinations, like --pid */
	struct tw_filter dest;    /* --dest: only these destinations, kernel's and ledgers' */
	const char *netns;
	int nshm;
	const char *shm[DR_MAX_LEDGERS];
	/* the namespace looked at */
	char netns_id[48];
	char pid_note[128];       /* why --pid did not change namespace, or "" */
	int64_t now_ms;
	/* kernel */
	struct tw_host host;
	struct tw_kview kv;
	char kv_err[160];
	/* ledgers */
	int nsnaps;
	struct tw_snapshot *snaps[DR_MAX_LEDGERS];
	char ledger_errs[DR_MAX_LEDGER_ERRS][400]; /* refused, unreadable, not read */
	int nledger_errs;         /* kept in ledger_errs */
	int ledger_errs_total;    /* kept or not */
	/* joined */
	size_t ndests;
	struct dr_dest dests[DR_MAX_DESTS];
	/* assessed once, after the join (dr_assess) */
	struct dr_capacity *caps;  /* caps[i]: kv.groups[i]'s */
	int nsettings;
	struct dr_setting settings[DR_MAX_SETTINGS];
	int nfindings;
	struct dr_finding findings[DR_MAX_FINDINGS];
};


/* join.c: reads the ledgers (--shm, $TWSHIM_SHM, or /dev/shm/twshim*),
 * then builds d->dests: the most loaded destinations, with their processes. */
void dr_read_ledgers(struct doctor *d);
/* Whether the report is narrowed to some processes (--pid, --comm): then
 * only their destinations are listed and looked at. */
int dr_narrowed(const struct doctor *d);
void dr_join(struct doctor *d);
/* The destination row a group belongs to, or NULL. */
struct dr_dest *dr_dest_of(const struct doctor *d, const struct tw_tw_group *g);
int dr_settings(const struct doctor *d, struct dr_setting *out);
/* capacity.c: what one group's TIME_WAIT means for its ports. */
void dr_capacity(const struct doctor *d, const struct tw_tw_group *g, struct dr_capacity *c);
/* Every group's capacity and the host's settings, once per run, after
 * dr_join and before dr_find and the reports, which read them. 0, or -1
 * out of memory. */
int dr_assess(struct doctor *d);
/* g's capacity, as dr_assess found it (g: one of d->kv.groups). */
const struct dr_capacity *dr_capacity_of(const struct doctor *d, const struct tw_tw_group *g);
void dr_find(struct doctor *d);
/* words.c: the text's words. A paragraph: text word-wrapped to 78
 * columns after lead, indented by ind spaces; in JSON, the member key. */
void dr_para(struct tw_emit *e, const char *key, const char *lead, int ind, const char *text);
/* FULL IN: "now", "capped", "<1 s", "12 s", "-" (never), "?" (unknown). */
void dr_eta_text(char *buf, size_t len, const struct dr_capacity *c);
/* MADE BY: the first processes or commands and their TIME_WAIT. */
void dr_made_by_short(char *buf, size_t len, const struct dr_dest *x);
/* report.c: the report, as text or JSON, on stdout. */
void dr_report(const struct doctor *d, enum tw_emit_to to);
/* Returns 0, or -1 with one line on stderr (nothing fit to collect). */
int dr_report_prometheus(const struct doctor *d, FILE *out);
/* check.c: --check, one line and a plugin's exit status. */
enum { DR_CHECK_OK = 0, DR_CHECK_WARNING = 1, DR_CHECK_CRITICAL = 2, DR_CHECK_UNKNOWN = 3 };
int dr_report_check(const struct doctor *d);
int dr_report_check_unknown(const char *why);

#endif
