// SPDX-License-Identifier: MIT
/* Which processes `twshim stat` lists without --all. Issue 14: the victims
 * of exhaustion (connect() failed with EADDRNOTAVAIL, no connection made,
 * so no TIME_WAIT) were hidden with every other exited process. */
#include <criterion/criterion.h>
#include <string.h>

#include "stat.h"

#define NOW_MS 1800000000000LL

static struct tw_snap_proc exited(int64_t ago_ms)
{
	struct tw_snap_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = 42;
	p.state = "exited";
	p.exit_ms = NOW_MS - ago_ms;
	return p;
}

Test(stat_listed, an_exited_process_without_pressure_is_not)
{
	struct tw_snap_proc p = exited(1000);

	cr_expect_not(tw_stat_listed(&p, NOW_MS));
}

Test(stat_listed, one_that_failed_to_connect_minutes_ago_is)
{
	struct tw_snap_proc p = exited(STAT_FAILED_RECENT_MS - 1000);

	p.c.connect_errors_total = 1;
	cr_expect(tw_stat_listed(&p, NOW_MS));
}

Test(stat_listed, one_that_failed_long_ago_is_not)
{
	struct tw_snap_proc p = exited(STAT_FAILED_RECENT_MS + 1000);

	p.c.connect_errors_total = 1;
	cr_expect_not(tw_stat_listed(&p, NOW_MS));
}

Test(stat_listed, alive_holding_time_wait_or_open_are)
{
	struct tw_snap_proc p = exited(STAT_FAILED_RECENT_MS * 10);

	p.c.time_wait = 1;
	cr_expect(tw_stat_listed(&p, NOW_MS));
	p.c.time_wait = 0;
	p.c.open_now = 1;
	cr_expect(tw_stat_listed(&p, NOW_MS));
	p.c.open_now = 0;
	p.alive = 1;
	cr_expect(tw_stat_listed(&p, NOW_MS));
}

Test(stat_listed, an_aggregate_with_failures_is_whatever_its_age)
{
	struct tw_snap_proc p = exited(STAT_FAILED_RECENT_MS * 10);

	p.aggregate = 1;
	p.c.connect_errors_total = 3;
	cr_expect(tw_stat_listed(&p, NOW_MS));
}
