// SPDX-License-Identifier: MIT
/* When the hints policy looks at a destination: at most ten times a second,
 * unless 64 connect() calls came sooner. A client that runs through its
 * ports in less than 100 ms, and then only fails, must still get its hint. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "log.h"
#include "policy.h"
#include "twshim/ledger.h"
#include "fake_env.h"

static struct tw_slot *slot;

static void setup(void)
{
	char err[256] = "";

	tw_log_cfg.sink = TW_SINK_OFF;
	set1("TWSHIM_HINTS", NULL);
	cr_assert_eq(tw_policy_hints.configure(fake_env, err, sizeof(err)), 1, "%s", err);
	slot = calloc(1, sizeof(*slot));
	cr_assert_not_null(slot);
}

static void teardown(void)
{
	free(slot);
}

/* Destination 0 churns from now_ms on: more TIME_WAIT than any port range
 * has ports, all closed by this side, each connection a few ms long. */
static void churn(uint64_t now_ms)
{
	struct tw_dest *d = &slot->dests[0];

	d->family = 4;
	d->port = 8080;
	tw_window_add(d->c.tw_window, tw_quantum(now_ms), 70000);
	atomic_store(&d->c.active_closes, 70000);
	atomic_store(&d->c.lifetime_ms_hist[tw_hist_bucket(3)], 70000);
}

static int64_t hinted(void)
{
	return atomic_load(&slot->dests[0].hint.at_ms);
}

/* A connect() to destination 0 that took a port, as the registry calls
 * the hook. */
static void call_at(uint64_t ms)
{
	struct tw_connect_ctx c = { .slot = slot, .dest = 0, .done_ns = ms * 1000000u };

	tw_policy_hints.after_connect(&c);
}

Test(hints_look, after_64_calls_within_100_ms, .init = setup, .fini = teardown)
{
	call_at(1000); /* the first look: nothing to say yet */
	churn(1000);
	for (int i = 0; i < 63; i++)
		call_at(1010);
	cr_expect_eq(hinted(), 0, "looked before 100 ms or 64 calls");
	call_at(1010);
	cr_expect_neq(hinted(), 0, "no look at the 64th call");
	cr_expect_eq(atomic_load(&slot->dests[0].hint.advice), TW_ADVICE_URGENT);
}

Test(hints_look, after_100_ms, .init = setup, .fini = teardown)
{
	call_at(1000);
	churn(1000);
	call_at(1099);
	cr_expect_eq(hinted(), 0, "looked again within 100 ms after 2 calls");
	call_at(1100);
	cr_expect_neq(hinted(), 0, "no look 100 ms after the last");
}
