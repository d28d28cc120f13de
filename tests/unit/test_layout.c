// SPDX-License-Identifier: MIT
/*
 * The ledger layout is a contract between libtwshim.so builds and twshim
 * CLI builds that may differ. These numbers pin it: if one changes, the
 * layout changed, and TW_LEDGER_VERSION must be bumped with it.
 */
#include <criterion/criterion.h>
#include <stddef.h>

#include "twshim/ledger.h"

Test(layout, version_3_sizes)
{
	cr_expect_eq(TW_LEDGER_VERSION, 3);
	cr_expect_eq(sizeof(struct tw_counters), 1672);
	cr_expect_eq(sizeof(struct tw_dest), 1744);
	cr_expect_eq(sizeof(struct tw_slot), 29648);
	cr_expect_eq(sizeof(struct tw_ledger_header), 128);
	cr_expect_eq(sizeof(struct tw_ledger), 128 + 256 * 29648 + 1024 * 8 + 16 * 8);
}

Test(layout, version_3_offsets)
{
	cr_expect_eq(offsetof(struct tw_counters, connect_errors), 8);
	cr_expect_eq(offsetof(struct tw_counters, active_closes), 88);
	cr_expect_eq(offsetof(struct tw_counters, open_now), 120);
	cr_expect_eq(offsetof(struct tw_counters, lifetime_ms_hist), 136);
	cr_expect_eq(offsetof(struct tw_counters, connect_us_hist), 328);
	cr_expect_eq(offsetof(struct tw_counters, tw_window), 520);
	cr_expect_eq(offsetof(struct tw_counters, actions), 1544);
	cr_expect_eq(offsetof(struct tw_dest, port), 6);
	cr_expect_eq(offsetof(struct tw_dest, addr), 8);
	cr_expect_eq(offsetof(struct tw_dest, c), 32);
	cr_expect_eq(offsetof(struct tw_dest, hint), 1704);
	cr_expect_eq(offsetof(struct tw_slot, pid), 8);
	cr_expect_eq(offsetof(struct tw_slot, start_ticks), 16);
	cr_expect_eq(offsetof(struct tw_slot, comm), 56);
	cr_expect_eq(offsetof(struct tw_slot, total), 72);
	cr_expect_eq(offsetof(struct tw_slot, dests), 1744);
	cr_expect_eq(offsetof(struct tw_ledger_header, total_size), 48);
	cr_expect_eq(offsetof(struct tw_ledger_header, slot_claims), 64);
	cr_expect_eq(offsetof(struct tw_ledger, slots), 128);
	cr_expect_eq(offsetof(struct tw_ledger, counted_cookies), 128 + 256 * 29648);
	cr_expect_eq(offsetof(struct tw_ledger, spread), 128 + 256 * 29648 + 1024 * 8);
	cr_expect_eq(sizeof(struct tw_spread_cursor), 8);
}

Test(layout, constants_agree)
{
	/* The window must span at least TIME_WAIT's 60 s. */
	cr_expect_geq(TW_WIN_BUCKETS * TW_WIN_QUANTUM_MS, TW_TIME_WAIT_MS);
	cr_expect_lt(TW_AGG_SLOTS, TW_SLOTS);
	cr_expect_eq(TW_ERR_COUNT, 8);
	/* Lock-free atomics: the segment is shared between processes. */
	cr_expect(atomic_is_lock_free((_Atomic uint64_t *)0));
}
