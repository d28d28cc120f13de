// SPDX-License-Identifier: MIT
/*
 * twshim top's rows: rates from two reads of a real ledger, written by the
 * shim's own counting code. A rate compares a process only with itself
 * (slot, pid and start time); a reused slot or a fold into an aggregate
 * must never show up as a negative or a borrowed rate.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "count.h"
#include "segment.h"
#include "slot.h"
#include "top/view.h"
#include "twshim/proc.h"

#define PLAIN (TW_SLOTS - TW_AGG_SLOTS)

static char name[64];
static struct tw_snapshot before, now;
static struct top_view v;

static void setup(void)
{
	char err[512];

	snprintf(name, sizeof(name), "/twshim-unit-top-%d", (int)getpid());
	shm_unlink(name);
	cr_assert_eq(tw_ledger_open(name, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	munmap(tw_ledger, sizeof(*tw_ledger));
	tw_ledger = NULL;
	shm_unlink(name);
}

static void snap(struct tw_snapshot *s)
{
	char err[512];
	int missing;

	cr_assert_eq(tw_snapshot_read(name, s, &missing, err, sizeof(err)), 0, "%s", err);
}

static uint32_t now_q(void)
{
	return tw_quantum(tw_now_ns() / 1000000);
}

static int claim(int pid, uint64_t ticks, const char *comm, int64_t start_ms)
{
	int i = tw_slot_claim(tw_ledger, pid, 1, ticks, comm, start_ms, now_q());

	cr_assert_geq(i, 0);
	return i;
}

static int dest(int slot, uint8_t last, uint16_t port)
{
	struct tw_addr key = {.family = 4, .port = port, .addr = {10, 0, 0, last}};

	return tw_dest_find(&tw_ledger->slots[slot], TW_DEST_OUT, &key);
}

static void connects(int slot, int d, int n)
{
	for (int i = 0; i < n; i++)
		tw_count_connect(&tw_ledger->slots[slot], d, 0, 20);
}

static void refused(int slot, int d, int n)
{
	for (int i = 0; i < n; i++)
		tw_count_connect(&tw_ledger->slots[slot], d, ECONNREFUSED, 20);
}

static void connects_us(int slot, int d, int n, uint64_t us)
{
	for (int i = 0; i < n; i++)
		tw_count_connect(&tw_ledger->slots[slot], d, 0, us);
}

static void active_closes(int slot, int d, int n)
{
	for (int i = 0; i < n; i++)
		tw_count_close_class(&tw_ledger->slots[slot], d, TW_CLOSE_ACTIVE, 1,
			       tw_now_ns() / 1000000);
}

/* The process row of pid (or of the aggregate of comm when pid is 0). */
static const struct top_row *row_of(int pid, const char *comm)
{
	for (int i = 0; i < v.nrows; i++)
		if (v.rows[i].kind == TOP_PROC && v.rows[i].p->pid == pid &&
		    (pid || strcmp(v.rows[i].p->comm, comm) == 0))
			return &v.rows[i];
	return NULL;
}

static const struct top_row *dest_row(int pid, const char *addr)
{
	for (int i = 0; i < v.nrows; i++)
		if (v.rows[i].kind == TOP_DEST && v.rows[i].p->pid == pid &&
		    strcmp(v.rows[i].d->addr, addr) == 0)
			return &v.rows[i];
	return NULL;
}

static double rate_in_ledger(const struct tw_snapshot *s, const char *comm, int aggregate)
{
	for (int i = 0; i < s->nprocs; i++)
		if (s->procs[i].aggregate == aggregate && strcmp(s->procs[i].comm, comm) == 0)
			return v.proc_rate[i];
	cr_assert_fail("no %s in the snapshot", comm);
	return 0;
}

static uint64_t self_ticks(void)
{
	uint64_t ticks = 0;

	cr_assert_eq(tw_read_stat(0, NULL, 1, NULL, &ticks, close), 0);
	return ticks;
}

Test(top_rows, rate_over_the_interval, .init = setup, .fini = teardown)
{
	int s = claim(getpid(), self_ticks(), "client", 1000);
	int a = dest(s, 1, 80);
	char line[512];

	connects(s, a, 100);
	active_closes(s, a, 100);
	refused(s, a, 4);
	snap(&before);
	connects(s, a, 50);
	int b = dest(s, 2, 443); /* a destination new since the earlier read */
	connects(s, b, 5);
	refused(s, b, 6);
	snap(&now);
	tw_top_compare(&v, &now, &before, 0.5, 2000, TOP_BY_PRESSURE, 1);

	const struct top_row *p = row_of(getpid(), NULL);
	cr_assert_not_null(p);
	cr_expect_float_eq(p->rate, 110.0, 1e-9);
	cr_expect_float_eq(dest_row(getpid(), "10.0.0.1:80")->rate, 100.0, 1e-9);
	cr_expect_float_eq(dest_row(getpid(), "10.0.0.2:443")->rate, 10.0, 1e-9);
	cr_expect_float_eq(v.rate, 110.0, 1e-9);
	/* Failures likewise: the 4 before the earlier read are not in it. */
	cr_expect_float_eq(p->err_rate, 12.0, 1e-9);
	cr_expect_float_eq(dest_row(getpid(), "10.0.0.1:80")->err_rate, 0.0, 1e-9);
	cr_expect_float_eq(dest_row(getpid(), "10.0.0.2:443")->err_rate, 12.0, 1e-9);
	cr_expect_float_eq(v.err_rate, 12.0, 1e-9);
	cr_expect_eq(v.time_wait, 100);
	cr_expect_eq(v.alive, 1);
	/* Pressure: the destination holding the TIME_WAIT first. */
	cr_expect_eq(p[1].kind, TOP_DEST);
	cr_expect_str_eq(p[1].d->addr, "10.0.0.1:80");
	tw_top_line(line, sizeof(line), p);
	cr_expect(strstr(line, " 110.0 ") && strstr(line, " 100 ") && strstr(line, " 10    12.0 "),
		  "%s", line);

	/* The first read has nothing to compare with: no rate, shown '-'. */
	tw_top_compare(&v, &now, NULL, 0, 0, TOP_BY_PRESSURE, 1);
	p = row_of(getpid(), NULL);
	cr_expect_lt(p->rate, 0);
	cr_expect_lt(p->err_rate, 0);
	tw_top_line(line, sizeof(line), p);
	cr_expect(strstr(line, "alive             - "), "%s", line);
}

/* Every plain slot taken by a process that exited; a new process then
 * takes slot 0 after its content is folded into the aggregate "old". */
static int fill_then_reuse(int64_t new_start_ms)
{
	/* Our pid with start times that are not ours: processes gone. */
	uint64_t gone = self_ticks() + 1;

	for (unsigned i = 0; i < PLAIN; i++) {
		cr_assert_eq(claim(getpid(), gone + i, "old", 1000), (int)i);
		connects((int)i, dest((int)i, 1, 80), 10);
	}
	snap(&before);
	int s = claim(4242, 7, "new", new_start_ms);
	cr_assert_eq(s, 0, "the first exited slot is reused");
	cr_assert_eq(atomic_load(&tw_ledger->h.slots_folded), 1);
	connects(s, dest(s, 9, 80), 5);
	snap(&now);
	return s;
}

Test(top_rows, reused_slot_is_a_new_process, .init = setup, .fini = teardown)
{
	/* Claimed after the earlier read began (2000): all 5 connects are new. */
	fill_then_reuse(3000);
	tw_top_compare(&v, &now, &before, 1.0, 2000, TOP_BY_PRESSURE, 1);
	const struct top_row *p = row_of(4242, NULL);
	cr_assert_not_null(p);
	cr_expect_float_eq(p->rate, 5.0, 1e-9, "not 5 - 10 (the slot's earlier process)");
	/* The 10 connects folded into the aggregate were moved, not made. */
	cr_expect_float_eq(rate_in_ledger(&now, "old", 1), 0.0, 1e-9);
	cr_expect_float_eq(v.rate, 5.0, 1e-9);

	/* The same, said to have started before the earlier read: it cannot be
	 * placed, so it has no rate rather than a wrong one. */
	tw_top_compare(&v, &now, &before, 1.0, 4000, TOP_BY_PRESSURE, 1);
	cr_expect_lt(rate_in_ledger(&now, "new", 0), 0);
	cr_expect_null(row_of(4242, NULL), "exited, no TIME_WAIT, no known rate: not listed");
}

Test(top_rows, aggregate_rate_counts_what_it_made, .init = setup, .fini = teardown)
{
	fill_then_reuse(3000);
	/* Between two later reads, processes that join the aggregate
	 * directly make connects there: those count. */
	before = now;
	int agg = -1;
	for (unsigned i = PLAIN; i < TW_SLOTS; i++)
		if (atomic_load(&tw_ledger->slots[i].state) == TW_SLOT_AGGREGATE)
			agg = (int)i;
	cr_assert_geq(agg, 0);
	connects(agg, dest(agg, 1, 80), 30);
	snap(&now);
	tw_top_compare(&v, &now, &before, 2.0, 5000, TOP_BY_RATE, 1);
	cr_expect_float_eq(rate_in_ledger(&now, "old", 1), 15.0, 1e-9);
	const struct top_row *p = row_of(0, "old");
	cr_assert_not_null(p, "an aggregate that connected is listed");
	cr_expect_eq(v.rows[0].p, p->p, "sorted by rate, it comes first");
}

Test(top_rows, sort_orders_and_keys, .init = setup, .fini = teardown)
{
	uint64_t gone = self_ticks() + 1;
	/* Three processes gone (our pid, not our start time), listed while
	 * they hold TIME_WAIT. */
	int a = claim(getpid(), gone, "alpha", 1000);
	int b = claim(getpid(), gone + 1, "bravo", 1000);
	int c = claim(getpid(), gone + 2, "charlie", 1000);
	int da = dest(a, 1, 80), db = dest(b, 2, 80), dc = dest(c, 3, 80);

	active_closes(a, da, 30); /* most TIME_WAIT */
	active_closes(b, db, 2);
	active_closes(c, dc, 1);
	snap(&before);
	connects(b, db, 40);	    /* fastest */
	for (int i = 0; i < 7; i++) /* most errors */
		tw_count_connect(&tw_ledger->slots[c], dc, EPROTO, 20);
	tw_count_open(&tw_ledger->slots[c], dc, 2); /* gone with 2 open: vanished */
	snap(&now);
	static const struct {
		enum top_sort sort;
		const char *first;
	} want[] = {
	    {TOP_BY_PRESSURE, "alpha"}, {TOP_BY_TIME_WAIT, "alpha"}, {TOP_BY_RATE, "bravo"},
	    {TOP_BY_ERRORS, "charlie"}, {TOP_BY_COMMAND, "alpha"},
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		tw_top_compare(&v, &now, &before, 1.0, 2000, want[i].sort, 0);
		cr_expect_eq(v.nrows, 3, "no destination rows when they are off");
		cr_expect_str_eq(v.rows[0].p->comm, want[i].first, "sort %s",
				 tw_top_sort_name(want[i].sort));
	}
	cr_expect_eq(tw_top_sort_by_key('r'), TOP_BY_RATE);
	cr_expect_eq(tw_top_sort_by_key('x'), -1);
	cr_expect_eq(tw_top_sort_by_name("time_wait"), TOP_BY_TIME_WAIT);
	cr_expect_eq(tw_top_sort_key(TOP_BY_PRESSURE), 'P');

	char line[512];
	tw_top_compare(&v, &now, &before, 1.0, 2000, TOP_BY_ERRORS, 1);
	tw_top_line(line, sizeof(line), &v.rows[0]);
	cr_expect(strstr(line, " 7     7.0 other "), "the most frequent errno named: %s", line);
	tw_top_summary(line, sizeof(line), name, 0, TOP_BY_ERRORS);
	cr_expect(strstr(line, "sort: errors (e)"), "%s", line);
	tw_top_totals(line, sizeof(line), &v);
	cr_expect(strstr(line, "0 alive, 3 exited (1 vanished), 0 aggregates") &&
		  strstr(line, "33 TIME_WAIT, 7 errors"), "%s", line);
}

/* CONNECT follows the interval: a thousand fast calls before it do not
 * hide fifty slow ones in it (ports filling), and latency sorts on that. */
Test(top_rows, connect_median_over_the_interval, .init = setup, .fini = teardown)
{
	int s = claim(getpid(), self_ticks(), "client", 1000);
	int a = dest(s, 1, 80), b = dest(s, 2, 80);
	int o = claim(4243, 9, "other", 1000);
	int oa = dest(o, 3, 80);
	const struct top_row *p;
	char line[512];

	connects_us(s, a, 1000, 20); /* bucket (16, 32] us */
	connects_us(s, b, 10, 20);
	connects_us(o, oa, 100, 2000); /* (1024, 2048] */
	active_closes(o, oa, 5); /* listed while it holds TIME_WAIT, though pid 4243 is gone */
	snap(&before);
	connects_us(s, a, 50, 3000); /* (2048, 4096] */
	connects_us(o, oa, 10, 20);
	snap(&now);
	tw_top_compare(&v, &now, &before, 1.0, 2000, TOP_BY_LATENCY, 1);

	p = row_of(getpid(), NULL);
	cr_assert_not_null(p);
	cr_expect_eq(p->connect_p50, 4096, "the interval's median, not the lifetime's 32");
	cr_expect_eq(dest_row(getpid(), "10.0.0.1:80")->connect_p50, 4096);
	/* No call to .2 in the interval: its median since the start. */
	cr_expect_eq(dest_row(getpid(), "10.0.0.2:80")->connect_p50, 32);
	cr_expect_eq(row_of(4243, NULL)->connect_p50, 32);
	tw_top_line(line, sizeof(line), p);
	cr_expect(strstr(line, " <=4096us "), "%s", line);
	/* By latency: ours (4096 now) before the other (2048 since its start, 32 now). */
	cr_expect_eq(v.rows[0].kind, TOP_PROC);
	cr_expect_eq(v.rows[0].p->pid, getpid());

	/* No earlier read: the medians since the start, and the order flips. */
	tw_top_compare(&v, &now, NULL, 0, 0, TOP_BY_LATENCY, 1);
	cr_expect_eq(row_of(getpid(), NULL)->connect_p50, 32);
	cr_expect_eq(row_of(4243, NULL)->connect_p50, 2048);
	cr_expect_eq(v.rows[0].p->pid, 4243);
}

/* top --by-command: the reads are folded per command, and a command's rate
 * is what all of its processes did in the interval. */
static void build_by_command(double dt_s, int64_t before_ms)
{
	struct top_feed f = {.now = &now, .before = &before, .have_now = 1, .have_before = 1,
			     .now_s = 10.0 + dt_s, .before_s = 10.0, .before_ms = before_ms};

	tw_top_build(&v, &f, TOP_BY_PRESSURE, 1, 1);
}

Test(top_rows, by_command_sums_a_loop_of_processes, .init = setup, .fini = teardown)
{
	uint64_t gone = self_ticks() + 1;
	int s[5];

	/* Three one-shot runs before the earlier read, two after it, and one
	 * of the first still connecting. */
	for (int i = 0; i < 3; i++) {
		s[i] = claim(getpid(), gone + (uint64_t)i, "curl", 1000);
		connects(s[i], dest(s[i], 1, 80), 10);
	}
	snap(&before);
	for (int i = 3; i < 5; i++) {
		s[i] = claim(getpid(), gone + (uint64_t)i, "curl", 3000);
		connects(s[i], dest(s[i], 1, 80), 10);
	}
	connects(s[0], dest(s[0], 1, 80), 5);
	int w = claim(4343, 9, "wget", 3000); /* a command new since the read */
	connects(w, dest(w, 2, 80), 4);
	snap(&now);
	build_by_command(0.5, 2000);

	const struct top_row *c = row_of(0, "curl"), *g = row_of(0, "wget");
	cr_assert_not_null(c);
	cr_assert_not_null(g);
	cr_expect_eq(c->p->merged_procs, 5);
	cr_expect_eq(c->c->connects, 55);
	cr_expect_float_eq(c->rate, 50.0, 1e-9); /* 25 connects in 0.5 s */
	cr_expect_float_eq(g->rate, 8.0, 1e-9);
	cr_expect_float_eq(dest_row(0, "10.0.0.1:80")->rate, 50.0, 1e-9);
	cr_expect_float_eq(v.rate, 58.0, 1e-9);
	/* The header still counts processes, not commands. */
	cr_expect_eq(v.exited + v.alive, 6);
	char line[512];
	tw_top_line(line, sizeof(line), c);
	cr_expect(strstr(line, "curl (5 procs)") && strstr(line, " 50.0 "), "%s", line);
}

Test(top_rows, by_command_a_fold_is_no_rate, .init = setup, .fini = teardown)
{
	/* Every slot's "old" process folded into the aggregate as "new"
	 * claims one: old's sum is unchanged, and new's 5 are its own. */
	fill_then_reuse(3000);
	build_by_command(1.0, 2000);
	cr_expect_float_eq(row_of(0, "new")->rate, 5.0, 1e-9);
	const struct top_row *o = row_of(0, "old");
	if (o) /* listed only with a rate or pressure */
		cr_expect_float_eq(o->rate, 0.0, 1e-9);
	cr_expect_float_eq(v.rate, 5.0, 1e-9);
}
