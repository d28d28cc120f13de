// SPDX-License-Identifier: MIT
/* twshim top's reads of the ledger: each one kept with the one before, and
 * the clocks that say when each was made. */
#include <stdint.h>
#include <time.h>

#include "filter.h"
#include "view.h"

double tw_top_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tw_top_read(struct top_feed *f)
{
	struct tw_snapshot *spare = f->before;
	double t = tw_top_clock();
	int missing;

	/* Clocks first: whatever claims a slot after them is new since this read. */
	f->tried_ms = wall_ms();
	if (tw_snapshot_read(f->shm, spare, &missing, f->err, sizeof(f->err)) < 0) {
		/* The spare buffer is spoilt; the last good read stays the one
		 * the next is compared with. */
		f->have_before = 0;
		return missing ? 1 : -1;
	}
	if (f->filter)
		tw_filter_snapshot(spare, f->filter);
	f->before = f->now;
	f->before_s = f->now_s;
	f->before_ms = f->now_ms;
	f->have_before = f->have_now;
	f->now = spare;
	f->now_s = t;
	f->now_ms = f->tried_ms;
	f->have_now = 1;
	return 0;
}
