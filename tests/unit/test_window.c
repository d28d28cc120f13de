// SPDX-License-Identifier: MIT
/* The TIME_WAIT window: active closes in the last 60 s, without a lock. */
#include <criterion/criterion.h>
#include <string.h>

#include "twshim/ledger.h"

static _Atomic uint64_t win[TW_WIN_BUCKETS];

static void clear(void)
{
	memset(win, 0, sizeof(win));
}

Test(window, counts_within_sixty_seconds, .init = clear)
{
	uint32_t q0 = 1000000;

	tw_window_add(win, q0, 1);
	tw_window_add(win, q0, 2);
	tw_window_add(win, q0 + 10, 5);
	cr_expect_eq(tw_window_sum(win, q0 + 10), 8);
	/* 60 s = TW_WIN_SPAN quanta after q0, q0's closes have left TIME_WAIT. */
	cr_expect_eq(tw_window_sum(win, q0 + TW_WIN_SPAN - 1), 8);
	cr_expect_eq(tw_window_sum(win, q0 + TW_WIN_SPAN), 5);
	cr_expect_eq(tw_window_sum(win, q0 + 10 + TW_WIN_SPAN), 0);
}

Test(window, bucket_reused_after_wrap, .init = clear)
{
	uint32_t q0 = 5000;

	tw_window_add(win, q0, 7);
	tw_window_add(win, q0 + TW_WIN_BUCKETS, 1); /* same bucket, 64 s later */
	cr_expect_eq(tw_window_sum(win, q0 + TW_WIN_BUCKETS), 1);
}

Test(window, late_writer_of_expired_close_is_dropped, .init = clear)
{
	uint32_t q0 = 5000;

	tw_window_add(win, q0 + TW_WIN_BUCKETS, 3);
	/* A thread that read the clock 64 s ago writes now: that close has
	 * already left TIME_WAIT and must not wipe the newer bucket. */
	tw_window_add(win, q0, 1);
	cr_expect_eq(tw_window_sum(win, q0 + TW_WIN_BUCKETS), 3);
}

Test(window, future_buckets_not_counted, .init = clear)
{
	tw_window_add(win, 9000, 4);
	cr_expect_eq(tw_window_sum(win, 8999), 0);
}

Test(window, histogram_buckets)
{
	cr_expect_eq(tw_hist_bucket(0), 0);
	cr_expect_eq(tw_hist_bucket(1), 1);
	cr_expect_eq(tw_hist_bucket(2), 2);
	cr_expect_eq(tw_hist_bucket(3), 2);
	cr_expect_eq(tw_hist_bucket(4), 3);
	cr_expect_eq(tw_hist_bucket(1023), 10);
	cr_expect_eq(tw_hist_bucket(UINT64_MAX), TW_HIST_BUCKETS - 1);
}
