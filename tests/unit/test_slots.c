// SPDX-License-Identifier: MIT
/*
 * Slots: one per process; exited processes keep theirs while they hold
 * TIME_WAIT; when slots run out, nothing counted is lost (folded into a
 * per-command aggregate).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "count.h"
#include "segment.h"
#include "slot.h"
#include "twshim/proc.h"

#define PLAIN (TW_SLOTS - TW_AGG_SLOTS)
static const uint32_t Q = 100000;
static struct tw_ledger *l;

static void setup(void)
{
	l = calloc(1, sizeof(*l));
	cr_assert_not_null(l);
}

static void teardown(void)
{
	free(l);
}

/* A pid that no longer runs. */
static int dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

Test(slots, each_process_its_own, .init = setup, .fini = teardown)
{
	int a = tw_slot_claim(l, 100, 1, 5, "curl", 0, Q);
	int b = tw_slot_claim(l, 101, 1, 6, "wget", 0, Q);

	cr_assert_geq(a, 0);
	cr_assert_geq(b, 0);
	cr_expect_neq(a, b);
	cr_expect_eq(l->slots[a].pid, 100);
	cr_expect_str_eq(l->slots[b].comm, "wget");
	cr_expect_eq(atomic_load(&l->slots[a].state), TW_SLOT_LIVE);
	cr_expect_eq(l->slots[a].dests[TW_DESTS - 1].kind, TW_DEST_REST);
}

Test(slots, exec_ends_the_previous_image, .init = setup, .fini = teardown)
{
	int a = tw_slot_claim(l, 100, 1, 5, "sh", 0, Q);
	int b = tw_slot_claim(l, 100, 1, 5, "curl", 0, Q);

	cr_expect_neq(a, b);
	cr_expect_eq(atomic_load(&l->slots[a].state), TW_SLOT_EXITED);
	cr_expect_eq(atomic_load(&l->slots[b].state), TW_SLOT_LIVE);
}

/* Regression: a slot without TIME_WAIT was reused without folding, and
 * what it counted (resets under --close reset leave no TIME_WAIT) was lost. */
Test(slots, exited_without_time_wait_folded_then_reused, .init = setup, .fini = teardown)
{
	int pid = dead_pid();

	for (unsigned i = 0; i < PLAIN; i++) {
		cr_assert_eq(tw_slot_claim(l, pid, 1, 1000 + i, "old", 0, Q), (int)i);
		tw_count_connect(&l->slots[i], -1, 0, 10);
	}
	int s = tw_slot_claim(l, 4242, 1, 7, "new", 0, Q);
	cr_assert_geq(s, 0);
	cr_expect_lt(s, (int)PLAIN);
	cr_expect_eq(atomic_load(&l->h.slots_folded), 1);
	cr_expect_str_eq(l->slots[s].comm, "new");
	uint64_t total = 0;
	for (unsigned i = 0; i < TW_SLOTS; i++)
		total += atomic_load(&l->slots[i].total.connects);
	cr_expect_eq(total, PLAIN);
}

Test(slots, full_ledger_folds_exited_time_wait_into_aggregate, .init = setup,
     .fini = teardown)
{
	int pid = dead_pid();
	struct tw_addr key = { .family = 4, .port = 8080, .addr = { 10, 77, 0, 1 } };

	for (unsigned i = 0; i < PLAIN; i++) {
		struct tw_slot *s = &l->slots[tw_slot_claim(l, pid, 1, 1000 + i, "curl", 0, Q)];
		int d = tw_dest_find(s, TW_DEST_OUT, &key);
		tw_count_connect(s, d, 0, 30);
		tw_count_close_class(s, d, TW_CLOSE_ACTIVE, 1, (uint64_t)Q * TW_WIN_QUANTUM_MS);
	}
	int n = tw_slot_claim(l, 4242, 1, 7, "curl", 0, Q + 1);
	cr_assert_geq(n, 0);
	cr_expect_lt(n, (int)PLAIN);
	cr_expect_eq(l->slots[n].pid, 4242);
	cr_expect_eq(atomic_load(&l->slots[n].total.connects), 0);
	cr_expect_eq(atomic_load(&l->h.slots_folded), 1);

	/* The folded process's counts live on in the aggregate "curl". */
	struct tw_slot *agg = NULL;
	for (unsigned i = PLAIN; i < TW_SLOTS; i++)
		if (atomic_load(&l->slots[i].state) == TW_SLOT_AGGREGATE)
			agg = &l->slots[i];
	cr_assert_not_null(agg);
	cr_expect_str_eq(agg->comm, "curl");
	cr_expect_eq(atomic_load(&agg->merged_procs), 1);
	cr_expect_eq(atomic_load(&agg->total.connects), 1);
	cr_expect_eq(tw_window_sum(agg->total.tw_window, Q + 1), 1);
	cr_expect_eq(atomic_load(&agg->dests[0].c.active_closes), 1);
	cr_expect_eq(agg->dests[0].port, 8080);

	/* Everything counted is still there: 224 connections in all. */
	uint64_t total = 0;
	for (unsigned i = 0; i < TW_SLOTS; i++)
		total += atomic_load(&l->slots[i].total.connects);
	cr_expect_eq(total, PLAIN);
}

Test(slots, all_running_join_aggregate, .init = setup, .fini = teardown)
{
	uint64_t ticks = 0;

	cr_assert_eq(tw_read_stat(0, NULL, 1, NULL, &ticks, close), 0);
	for (unsigned i = 0; i < PLAIN; i++) {
		atomic_store(&l->slots[i].state, TW_SLOT_LIVE);
		l->slots[i].pid = getpid();
		l->slots[i].start_ticks = ticks;
	}
	int a = tw_slot_claim(l, 1, 0, 1, "worker", 0, Q);
	int b = tw_slot_claim(l, 2, 0, 1, "worker", 0, Q);
	cr_assert_geq(a, (int)PLAIN);
	cr_expect_eq(a, b);
	cr_expect_eq(atomic_load(&l->slots[a].state), TW_SLOT_AGGREGATE);
	cr_expect_eq(atomic_load(&l->slots[a].merged_procs), 2);
	cr_expect_eq(atomic_load(&l->h.attach_overflow), 2);
}

Test(slots, destinations_bounded_with_catch_all, .init = setup, .fini = teardown)
{
	struct tw_slot *s = &l->slots[tw_slot_claim(l, 1, 0, 1, "x", 0, Q)];
	struct tw_addr key = { .family = 4, .addr = { 127, 0, 0, 1 } };
	int d;

	for (unsigned i = 0; i < TW_DESTS - 1; i++) {
		key.port = (uint16_t)(1000 + i);
		cr_expect_eq(tw_dest_find(s, TW_DEST_OUT, &key), (int)i);
	}
	key.port = 1000;
	cr_expect_eq(tw_dest_find(s, TW_DEST_OUT, &key), 0);
	cr_expect_eq(tw_dest_find(s, TW_DEST_IN, &key), TW_DESTS - 1); /* kind is part of the key */
	key.port = 9999;
	d = tw_dest_find(s, TW_DEST_OUT, &key);
	cr_expect_eq(d, TW_DESTS - 1);
	cr_expect_eq(atomic_load(&s->dest_overflow), 2);
}

Test(slots, mapped_ipv4_keyed_as_ipv4)
{
	struct tw_addr a = { .family = 6, .port = 80,
	                     .addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9 } };
	struct tw_addr k;

	tw_dest_key(&k, &a);
	cr_expect_eq(k.family, 4);
	cr_expect_eq(k.addr[0], 10);
	cr_expect_eq(k.addr[3], 9);
	cr_expect_eq(k.addr[4], 0);
	cr_expect_eq(k.port, 80);
}
