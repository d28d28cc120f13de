// SPDX-License-Identifier: MIT
/*
 * Who closed first, from the TCP state just before close() (DOMAIN facts
 * 2 and 8): the only basis for the TIME_WAIT estimate.
 */
#include <criterion/criterion.h>
#include <netinet/tcp.h>

#include "classify.h"

Test(classify, established_is_active_close)
{
	cr_expect_eq(tw_classify(TCP_ESTABLISHED, 0, 0), TW_CLOSE_ACTIVE);
}

Test(classify, close_wait_means_peer_closed_first)
{
	cr_expect_eq(tw_classify(TCP_CLOSE_WAIT, 0, 0), TW_CLOSE_PASSIVE);
	cr_expect_eq(tw_classify(TCP_LAST_ACK, 0, 0), TW_CLOSE_PASSIVE);
}

Test(classify, linger_zero_and_unread_data_reset)
{
	cr_expect_eq(tw_classify(TCP_ESTABLISHED, TW_F_LINGER0, 0), TW_CLOSE_RESET);
	cr_expect_eq(tw_classify(TCP_CLOSE_WAIT, TW_F_LINGER0, 0), TW_CLOSE_RESET);
	/* The kernel answers close() with RST when data was never read. */
	cr_expect_eq(tw_classify(TCP_ESTABLISHED, 0, 17), TW_CLOSE_RESET);
	cr_expect_eq(tw_classify(TCP_CLOSE_WAIT, 0, 1), TW_CLOSE_RESET);
}

Test(classify, after_shutdown)
{
	cr_expect_eq(tw_classify(TCP_FIN_WAIT1, TW_F_SHUT_ACTIVE, 0), TW_CLOSE_ACTIVE);
	cr_expect_eq(tw_classify(TCP_FIN_WAIT2, TW_F_SHUT_ACTIVE, 0), TW_CLOSE_ACTIVE);
	/* CLOSE after a shutdown(): a finished exchange or a reset, which the
	 * flags cannot tell (closing.c asks the kernel's table for a finished
	 * one). What is left to classify is a reset: no TIME_WAIT anywhere. */
	cr_expect_eq(tw_classify(TCP_CLOSE, TW_F_SHUT_ACTIVE, 0), TW_CLOSE_OTHER);
	cr_expect_eq(tw_classify(TCP_CLOSE, TW_F_SHUT_PASSIVE, 0), TW_CLOSE_OTHER);
}

Test(classify, never_established)
{
	cr_expect_eq(tw_classify(TCP_SYN_SENT, 0, 0), TW_CLOSE_OTHER);
	cr_expect_eq(tw_classify(TCP_CLOSE, 0, 0), TW_CLOSE_OTHER);
	cr_expect_eq(tw_classify(-1, 0, 0), TW_CLOSE_OTHER);
}

Test(classify, shutdown_decides_before_state)
{
	/* shutdown(SHUT_WR) while ESTABLISHED, then the peer's FIN: at close()
	 * a peek reads end of file, yet our FIN was first. */
	cr_expect_eq(tw_classify(TCP_CLOSE_WAIT, TW_F_SHUT_ACTIVE, 0), TW_CLOSE_ACTIVE);
	cr_expect_eq(tw_classify(TCP_ESTABLISHED, TW_F_SHUT_PASSIVE, 0), TW_CLOSE_PASSIVE);
	/* Unread data still means RST. */
	cr_expect_eq(tw_classify(TCP_FIN_WAIT2, TW_F_SHUT_ACTIVE, 5), TW_CLOSE_RESET);
}
