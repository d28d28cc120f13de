// SPDX-License-Identifier: MIT
/* The fd table: any fd number Linux can hand out, lookups without allocation. */
#include <criterion/criterion.h>
#include <string.h>

#include "fdtable.h"

Test(fdtable, unknown_fd_costs_no_allocation)
{
	cr_expect_null(tw_fd_get(-1));
	cr_expect_null(tw_fd_get(123456789));
	cr_expect_eq(tw_fd_kind(tw_fd_get(123456789)), TW_FD_NONE);
}

Test(fdtable, fds_beyond_any_fixed_table)
{
	/* fs.nr_open can be raised to 2^30 and beyond: no fixed table. */
	static const int fds[] = { 0, 4095, 4096, 1048576 + 7, (1 << 30) + 3, 0x7fffffff };

	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct tw_fd *e = tw_fd_get_alloc(fds[i]), v = { 0 };
		cr_assert_not_null(e, "fd %d", fds[i]);
		atomic_init(&v.kind, TW_FD_TCP);
		v.dest = (int16_t)i;
		tw_fd_publish(e, &v);
		cr_expect_eq(tw_fd_get(fds[i]), e);
	}
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		cr_expect_eq(tw_fd_kind(tw_fd_get(fds[i])), TW_FD_TCP);
		cr_expect_eq(tw_fd_get(fds[i])->dest, (int16_t)i);
	}
}

/* Regression (issue 13 item 7's fix): publishing an entry (accept, dup)
 * dropped the socket's cookie, and close then took every accepted or
 * copied connection for one closed unseen. Every field is carried. */
Test(fdtable, publish_carries_every_field)
{
	struct tw_fd v, *e = tw_fd_get_alloc(77);

	cr_assert_not_null(e);
	memset(&v, 0xa5, sizeof(v));
	atomic_init(&v.kind, TW_FD_TCP);
	atomic_init(&v.seq, e->seq + 1); /* publish bumps the entry's own */
	v.pad2 = e->pad2;
	tw_fd_publish(e, &v);
	cr_expect_eq(memcmp(e, &v, sizeof(v)), 0);
	cr_expect_eq(e->cookie, v.cookie);
}

static int seen[16], nseen;

static void collect(int fd, struct tw_fd *e, void *arg)
{
	(void)e;
	(void)arg;
	if (nseen < 16)
		seen[nseen++] = fd;
}

Test(fdtable, foreach_visits_only_known_fds_in_range)
{
	struct tw_fd v = { 0 };

	atomic_init(&v.kind, TW_FD_OTHER);
	tw_fd_publish(tw_fd_get_alloc(10), &v);
	tw_fd_publish(tw_fd_get_alloc(20), &v);
	tw_fd_publish(tw_fd_get_alloc(9000), &v);
	nseen = 0;
	tw_fd_foreach(11, ~0u, collect, NULL);
	cr_assert_eq(nseen, 2);
	cr_expect_eq(seen[0], 20);
	cr_expect_eq(seen[1], 9000);
}

/* Regression: walks (two per fork()) went over the whole 2^19-entry
 * directory, a million loads per fork in every shimmed shell. They stop at
 * the highest chunk ever mapped. */
Test(fdtable, walks_end_at_highest_chunk)
{
	cr_expect_eq(tw_fd_span(), 0);
	tw_fd_get_alloc(5);
	cr_expect_eq(tw_fd_span(), TW_FD_CHUNK);
	tw_fd_get_alloc(3 * TW_FD_CHUNK + 1);
	cr_expect_eq(tw_fd_span(), 4 * TW_FD_CHUNK);
	tw_fd_get_alloc(7);
	cr_expect_eq(tw_fd_span(), 4 * TW_FD_CHUNK);
}
