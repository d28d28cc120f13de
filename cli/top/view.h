// SPDX-License-Identifier: MIT
/* twshim top: what one refresh shows, for the live view (screen.c) and the
 * plain snapshots (top.c) alike; shared by the files of cli/top/ (the rest
 * of the command calls top.h). */
#ifndef TW_TOP_VIEW_H
#define TW_TOP_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "filter.h"
#include "ledger_read.h"

enum top_sort {
	TOP_BY_PRESSURE, /* stat's order: most TIME_WAIT, then most connects */
	TOP_BY_TIME_WAIT,
	TOP_BY_RATE,
	TOP_BY_ERRORS,
	TOP_BY_LATENCY,
	TOP_BY_COMMAND,
	TOP_BY_PID,
	TOP_SORTS
};

struct top_opts {
	const char *shm;
	double delay_s;
	long iterations; /* 0: until quit */
	enum top_sort sort;
	int batch;
	int by_command;
	int json;                 /* plain snapshots as JSON Lines */
	int no_header;            /* plain snapshots: rows only */
	struct tw_filter filter;  /* -p PID, --comm NAME */
};

enum top_kind { TOP_PROC, TOP_DEST, TOP_HINT };

struct top_row {
	enum top_kind kind;
	const struct tw_snap_proc *p;
	const struct tw_snap_dest *d;	  /* TOP_DEST, TOP_HINT */
	const struct tw_snap_counters *c; /* p's or d's */
	double rate;			  /* connects/s over the last interval; < 0: not known */
	double err_rate;		  /* connect() failures/s, likewise */
	uint64_t connect_p50;		  /* us, a bucket's bound: see tw_top_compare; 0: none */
};

#define TOP_MAX_ROWS (TW_SLOTS * (1 + 2 * TW_DESTS))

struct top_view {
	/* Over the whole ledger, listed or not. */
	int alive, exited, aggregates;
	int vanished;             /* of the exited: ended unseen, connections open */
	uint64_t time_wait, errors;
	double rate;	 /* the sum of the known rates; < 0: none known yet */
	double err_rate; /* likewise, of the failures' */
	int listed;  /* processes listed */
	int nrows;
	struct top_row rows[TOP_MAX_ROWS];
	/* Scratch, by index in the snapshot: rates, and the connects (and
	 * failures) that reached an aggregate by folding rather than by
	 * connecting. */
	double proc_rate[TW_SLOTS];
	double dest_rate[TW_SLOTS][TW_DESTS];
	double proc_err_rate[TW_SLOTS];
	double dest_err_rate[TW_SLOTS][TW_DESTS];
	uint64_t proc_p50[TW_SLOTS]; /* over the interval; 0: none made in it, or not known */
	uint64_t dest_p50[TW_SLOTS][TW_DESTS];
	uint64_t folded[TW_SLOTS];
	uint64_t folded_dest[TW_SLOTS][TW_DESTS];
	uint64_t folded_err[TW_SLOTS];
	uint64_t folded_dest_err[TW_SLOTS][TW_DESTS];
};

/* The ledger read after read: each one is compared with the one before. */
struct top_feed {
	const char *shm;
	const struct tw_filter *filter; /* applied to each read; NULL: none */
	struct tw_snapshot *now, *before; /* two buffers, swapped at each read */
	int have_now, have_before;
	double now_s, before_s;	   /* CLOCK_MONOTONIC when each read began */
	int64_t now_ms, before_ms; /* CLOCK_REALTIME likewise */
	int64_t tried_ms;	   /* CLOCK_REALTIME of the last read, failed or not */
	char err[512];		   /* why the last read failed */
};

/* Reads the ledger anew. 0: read; 1: there is no ledger (yet); -1: it
 * cannot be read. Both failures say why in f->err. */
int tw_top_read(struct top_feed *f);

/* The rows of the last read, sorted, with their rates against the read
 * before; dests: list destinations (and hints) under their process;
 * by_command: one row per command, every process of it summed. */
void tw_top_build(struct top_view *v, const struct top_feed *f, enum top_sort sort, int dests,
		  int by_command);

/* fold.c: the reads now and before (NULL: none) folded into one row per
 * command each, into fnow and fbefore, so that tw_top_compare finds a
 * command in the same slot in both. 0, or -1 out of memory. */
int tw_top_fold(struct tw_snapshot *fnow, struct tw_snapshot *fbefore,
		const struct tw_snapshot *now, const struct tw_snapshot *before);

/* The same from two snapshots: before (NULL if none) was read dt_s seconds
 * before now, and began at wall-clock before_ms. A row's connect_p50 is the
 * median time of the connect() calls it made in the interval, the early
 * warning of ports filling, which a median since the process started would
 * hide under hours of fast calls; for a row with none in the interval (or no
 * interval: the first read, an aggregate), the median since it started. */
void tw_top_compare(struct top_view *v, const struct tw_snapshot *now,
		    const struct tw_snapshot *before, double dt_s, int64_t before_ms,
		    enum top_sort sort, int dests);

/* Lines of text: the header (the ledger, the time, the sort order; then
 * the processes and the totals), the column titles, a row. */
void tw_top_summary(char *buf, size_t len, const char *shm, int64_t at_ms, enum top_sort sort);
void tw_top_totals(char *buf, size_t len, const struct top_view *v);
void tw_top_titles(char *buf, size_t len);
void tw_top_line(char *buf, size_t len, const struct top_row *r);

/* json.c: the view as one JSON object on one line. */
void tw_top_json(FILE *out, const struct top_feed *f, const struct top_view *v,
		 enum top_sort sort, int by_command);

/* CLOCK_MONOTONIC in seconds: when reads are due. */
double tw_top_clock(void);

const char *tw_top_sort_name(enum top_sort s);
int tw_top_sort_key(enum top_sort s);	   /* the key that selects it */
int tw_top_sort_by_key(int key);	   /* the order a key selects; -1: none */
int tw_top_sort_by_name(const char *name); /* -1: none */

/* The live view (screen.c): the exit status, or TOP_NO_TERMINAL when
 * nothing was drawn, with why in why: no ncurses to load (curses_dl.h), or
 * a terminal it cannot drive. */
#define TOP_NO_TERMINAL (-1)
int tw_top_live(const struct top_opts *o, char *why, size_t len);

#endif
