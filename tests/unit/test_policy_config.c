// SPDX-License-Identifier: MIT
/* Policy variables: good values taken, bad ones named; the scope's CIDR
 * lists matched as documented. */
#include <criterion/criterion.h>
#include <string.h>

#include "closer.h"
#include "scope.h"
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
	/* Issue 13: "+80", " 8" and "-0" went through strtol. */
	static const char *const bad[] = { "10.0.0.0/33", "10.0.0.1:0", "host.example:80", "*",
	                                   "[::1", "1.2.3.4:99999", "10.0.0.1:+80",
	                                   "10.0.0.0/+8", "10.0.0.0/-0", "[::1]:\v80",
	                                   "10.0.0.0/\f8", "1.2.3.4:18446744073709551617",
	                                   "::ffff:10.0.0.0/129" };
	char err[512];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set1("TWSHIM_ONLY", bad[i]);
		err[0] = '\0';
		cr_expect_eq(tw_scope_configure(fake_env, err, sizeof(err)), -1, "'%s' accepted",
		             bad[i]);
		cr_expect(strstr(err, "TWSHIM_ONLY") && strstr(err, "CIDR[:PORT]"), "%s", err);
	}
}

/* Issue 13 item 11: "," and " " were taken as unset, and the policies
 * applied everywhere; an operator who meant to scope them is told. */
Test(scope, separators_only_is_an_error)
{
	static const char *const blank[] = { ",", " ", " , ", "\t" };
	char err[512];

	for (unsigned i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		set1("TWSHIM_EXCEPT", blank[i]);
		err[0] = '\0';
		cr_expect_eq(tw_scope_configure(fake_env, err, sizeof(err)), -1, "'%s' accepted",
		             blank[i]);
		cr_expect(strstr(err, "TWSHIM_EXCEPT") && strstr(err, "lists no destination"), "%s",
		          err);
	}
	set1("TWSHIM_ONLY", "");
	cr_expect_eq(tw_scope_configure(fake_env, err, sizeof(err)), 0, "empty is unset: %s", err);
}

/* Issue 13 item 11: entries written IPv4-mapped never matched, since
 * destinations are keyed IPv4; and an IPv4 entry must match an AF_INET6
 * socket's IPv4-mapped destination however it is handed in. */
Test(scope, ipv4_mapped_entries_and_destinations)
{
	char err[512] = "";
	struct tw_addr a = v4(10, 0, 0, 1, 80), b = v4(10, 0, 1, 1, 80), c = v4(11, 0, 0, 1, 80);
	struct tw_addr m = { .family = 6, .port = 80,
	                     .addr = { [10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1 } };
	struct tw_addr m2 = m;

	set1("TWSHIM_EXCEPT", "::ffff:10.0.0.1");
	cr_assert_eq(tw_scope_configure(fake_env, err, sizeof(err)), 0, "%s", err);
	cr_expect_not(tw_scope_applies(&a));
	cr_expect_not(tw_scope_applies(&m));
	cr_expect(tw_scope_applies(&b));

	set1("TWSHIM_EXCEPT", "::ffff:10.0.0.0/104, [::ffff:11.0.0.1]:443");
	cr_assert_eq(tw_scope_configure(fake_env, err, sizeof(err)), 0, "%s", err);
	cr_expect_not(tw_scope_applies(&a));
	cr_expect_not(tw_scope_applies(&b));
	cr_expect(tw_scope_applies(&c), "port 80, not 443");
	c.port = 443;
	cr_expect_not(tw_scope_applies(&c));

	set1("TWSHIM_ONLY", "10.0.0.0/24");
	cr_assert_eq(tw_scope_configure(fake_env, err, sizeof(err)), 0, "%s", err);
	cr_expect(tw_scope_applies(&m), "an IPv4 entry, an IPv4-mapped destination");
	m2.addr[13] = 1; /* ::ffff:10.1.0.1 */
	cr_expect_not(tw_scope_applies(&m2));
	/* ::ffff:0:0/95 is not all in the mapped range: an IPv6 entry. */
	set1("TWSHIM_ONLY", "::ffff:0:0/95");
	cr_assert_eq(tw_scope_configure(fake_env, err, sizeof(err)), 0, "%s", err);
	cr_expect_not(tw_scope_applies(&a));
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

/* Issue 13: strtol took "+250", " 250" and "\n250" as 250. */
Test(close_policy, numbers_digits_only)
{
	static const char *const bad[] = { "+250", " 250", "\n250", "250 ", "-0", "0x10" };
	char err[512];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set1("TWSHIM_CLOSE_WAIT_MS", bad[i]);
		cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), -1,
		             "TWSHIM_CLOSE_WAIT_MS='%s' accepted", bad[i]);
		set1("TWSHIM_CLOSE_HOLD_MAX", bad[i]);
		cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), -1,
		             "TWSHIM_CLOSE_HOLD_MAX='%s' accepted", bad[i]);
		set1("TWSHIM_RETRY_MS", bad[i]);
		cr_expect_eq(tw_policy_retry.configure(fake_env, err, sizeof(err)), -1,
		             "TWSHIM_RETRY_MS='%s' accepted", bad[i]);
	}
	set1("TWSHIM_CLOSE_HOLD_MAX", "4097");
	cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), -1);
	set1("TWSHIM_CLOSE_HOLD_MAX", "0");
	cr_expect_eq(tw_policy_close.configure(fake_env, err, sizeof(err)), 0, "%s", err);
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

/* Issue 13: strtoul read "-18446744073709551615" as 1 (the negation wraps),
 * so the value was taken as the range 1-5; a sign or blanks passed too; and
 * a list of separators only was "unset". */
Test(sources_policy, ports_strict_and_blank_lists)
{
	static const char *const bad[] = { "-18446744073709551615-5", "+1-5", " 1-5", "1- 5",
	                                   "1-+5", "1-5 ", "0-5", "1-65536", "40000",
	                                   "18446744073709551617-5", "1--5", "-" };
	char err[512];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set1("TWSHIM_SOURCE_PORTS", bad[i]);
		err[0] = '\0';
		cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1,
		             "TWSHIM_SOURCE_PORTS='%s' accepted", bad[i]);
		cr_expect(strstr(err, "TWSHIM_SOURCE_PORTS") && strstr(err, "LO-HI"), "%s", err);
	}
	set1("TWSHIM_SOURCE_PORTS", "1-65535");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), 1, "%s", err);
	set1("TWSHIM_SOURCE_ADDRS", " , ");
	cr_expect_eq(tw_policy_sources.configure(fake_env, err, sizeof(err)), -1);
	cr_expect(strstr(err, "TWSHIM_SOURCE_ADDRS") && strstr(err, "lists no address"), "%s", err);
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
