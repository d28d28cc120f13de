// SPDX-License-Identifier: MIT
/* Policy variables: good values taken, bad ones named; the scope's CIDR
 * lists matched as documented. */
#include <criterion/criterion.h>
#include <string.h>

#include "closer.h"
#include "policy.h"

#include "fake_env.h"

static struct tw_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct tw_addr x = { .family = 4, .port = port, .addr = { a, b, c, d } };
	return x;
}

Test(scope, only_and_except)
{
	char err[512] = "";

	set1("TWSHIM_ONLY", "10.0.0.0/8, 192.168.1.5:5432 *:8080");
	cr_assert_eq(tw_scope_configure(fake_env, err, sizeof(err)), 0, "%s", err);
	cr_expect(tw_scope_applies(&(struct tw_addr){ 0 }) == 0);
	struct tw_addr a = v4(10, 1, 2, 3, 80), b = v4(192, 168, 1, 5, 5432),
	               c = v4(192, 168, 1, 5, 80), d = v4(127, 0, 0, 1, 8080);
	cr_expect(tw_scope_applies(&a));
	cr_expect(tw_scope_applies(&b));
	cr_expect_not(tw_scope_applies(&c));
	cr_expect(tw_scope_applies(&d));

	set1("TWSHIM_EXCEPT", "[::1]:80 fd00::/8 10.9.0.0/16");
	cr_assert_eq(tw_scope_configure(fake_env, err, sizeof(err)), 0, "%s", err);
	struct tw_addr l6 = { .family = 6, .port = 80, .addr = { [15] = 1 } };
	struct tw_addr f6 = { .family = 6, .port = 1, .addr = { 0xfd, 0x12 } };
	struct tw_addr e = v4(10, 9, 200, 1, 1), g = v4(10, 10, 0, 1, 1);
	cr_expect_not(tw_scope_applies(&l6));
	cr_expect_not(tw_scope_applies(&f6));
	cr_expect_not(tw_scope_applies(&e));
	cr_expect(tw_scope_applies(&g));
}

Test(scope, bad_entries_named)
{
	static const char *const bad[] = { "10.0.0.0/33", "10.0.0.1:0", "host.example:80", "*",
	                                   "[::1", "1.2.3.4:99999" };
	char err[512];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set1("TWSHIM_ONLY", bad[i]);
		err[0] = '\0';
		cr_expect_eq(tw_scope_configure(fake_env, err, sizeof(err)), -1, "'%s' accepted",
		             bad[i]);
		cr_expect(strstr(err, "TWSHIM_ONLY") && strstr(err, "CIDR[:PORT]"), "%s", err);
	}
}

Test(close_policy, values)
{
	char err[512] = "";

	set1("TWSHIM_CLOSE", "peer-first");
	cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), 1, "%s", err);
	cr_expect(tw_closer_wanted);
	set1("TWSHIM_CLOSE", "rst");
	cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_CLOSE='rst'") && strstr(err, "'peer-first'"), "%s", err);
	set1("TWSHIM_CLOSE_WAIT_MS", "0");
	cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "1 to 600000"), "%s", err);
	set1("TWSHIM_CLOSE_FALLBACK", "peer-first");
	cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_CLOSE_FALLBACK"), "%s", err);
	set1("TWSHIM_CLOSE_WAIT_MS", "250");
	cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), 0,
	             "a wait alone turns nothing on: %s", err);
	cr_expect_not(tw_closer_wanted);
	cr_expect_eq(tw_closer_cfg.wait_ns, 250000000ull);
}

Test(reuseaddr_policy, values)
{
	char err[512] = "";

	set1("TWSHIM_REUSEADDR", "yes");
	cr_expect_eq(tw_policy_reuseaddr.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_REUSEADDR='yes'") && strstr(err, "'1'"), "%s", err);
	set1("TWSHIM_REUSEADDR", "1");
	cr_expect_eq(tw_policy_reuseaddr.configure(fake_env, err, sizeof(err)), 1, "%s", err);
	set1("TWSHIM_REUSEADDR", "0");
	cr_expect_eq(tw_policy_reuseaddr.configure(fake_env, err, sizeof(err)), 0, "%s", err);
}

Test(sources_policy, values)
{
	char err[512] = "";

	set1("TWSHIM_SOURCE_ADDRS", "10.0.0.2-10.0.0.11, fd00::2 192.168.0.254-192.168.1.3");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), 1, "%s", err);
	set1("TWSHIM_SOURCE_ADDRS", "10.0.0.2-10.0.1.250");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "more than 64"), "%s", err);
	set1("TWSHIM_SOURCE_ADDRS", "10.0.0.9-10.0.0.2");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "'10.0.0.9-10.0.0.2'"), "%s", err);
	set1("TWSHIM_SOURCE_ADDRS", "10.1.0.2-10.2.0.2");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1);
	set1("TWSHIM_SOURCE_PORTS", "40000-40099");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), 1, "%s", err);
	set1("TWSHIM_SOURCE_PORTS", "50000-40000");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_SOURCE_PORTS='50000-40000'") && strstr(err, "LO-HI"), "%s",
	          err);
}

Test(retry_policy, values)
{
	char err[512] = "";

	set1("TWSHIM_RETRY_MS", "1500");
	cr_expect_eq(tw_policy_retry.configure(fake_env, err, sizeof(err)), 1, "%s", err);
	set1("TWSHIM_RETRY_MS", "0");
	cr_expect_eq(tw_policy_retry.configure(fake_env, err, sizeof(err)), 0, "%s", err);
	set1("TWSHIM_RETRY_MS", "soon");
	cr_expect_eq(tw_policy_retry.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_RETRY_MS='soon'") && strstr(err, "milliseconds"), "%s", err);
}

Test(sources_policy, spread_needs_ports)
{
	char err[512] = "";

	set1("TWSHIM_SPREAD", "reuse");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "needs TWSHIM_SOURCE_PORTS"), "%s", err);
	set1("TWSHIM_SPREAD", "fast");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_SPREAD='fast'"), "%s", err);
}

Test(hints_policy, values)
{
	char err[512] = "";

	set1("TWSHIM_HINTS", "0");
	cr_expect_eq(tw_policy_hints.configure(fake_env, err, sizeof(err)), 0, "%s", err);
	set1("TWSHIM_HINTS", NULL);
	cr_expect_eq(tw_policy_hints.configure(fake_env, err, sizeof(err)), 1, "on by default: %s",
	             err);
	set1("TWSHIM_HINTS", "verbose");
	cr_expect_eq(tw_policy_hints.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_HINTS='verbose'"), "%s", err);
}
