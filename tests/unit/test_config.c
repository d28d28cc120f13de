// SPDX-License-Identifier: MIT
/* TWSHIM_* parsing: good values taken, bad ones named with what is valid. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "fake_env.h"

Test(config, defaults)
{
	struct tw_config c;
	char err[512] = "", want[64];

	vars[0][0] = NULL;
	cr_assert_eq(tw_config_load(&c, fake_env, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "/twshim.%u", (unsigned)geteuid());
	cr_expect_str_eq(c.shm_name, want);
	cr_expect_eq(c.log.sink, TW_SINK_STDERR);
	cr_expect_eq(c.log.level, TW_LOG_WARN);
}

Test(config, good_values)
{
	struct tw_config c;
	char err[512] = "";

	set(0, "TWSHIM_SHM", "/svc-a");
	set(1, "TWSHIM_LOG", "file:/var/log/tw.log");
	set(2, "TWSHIM_LOG_LEVEL", "debug");
	cr_assert_eq(tw_config_load(&c, fake_env, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(c.shm_name, "/svc-a");
	cr_expect_eq(c.log.sink, TW_SINK_FILE);
	cr_expect_str_eq(c.log.path, "/var/log/tw.log");
	cr_expect_eq(c.log.level, TW_LOG_DEBUG);

	set(0, "TWSHIM_SHM", "off");
	set(1, "TWSHIM_LOG", "syslog");
	cr_assert_eq(tw_config_load(&c, fake_env, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(c.shm_name, "");
	cr_expect_eq(c.log.sink, TW_SINK_SYSLOG);
}

static void expect_bad(const char *name, const char *value, const char *hint)
{
	struct tw_config c;
	char err[512] = "";

	set(0, name, value);
	cr_assert_eq(tw_config_load(&c, fake_env, err, sizeof(err)), -1, "%s=%s accepted", name,
	             value);
	/* The message names the variable, the value, and what is valid. */
	cr_expect(strstr(err, name) != NULL, "%s", err);
	cr_expect(strstr(err, value) != NULL, "%s", err);
	cr_expect(strstr(err, hint) != NULL, "%s", err);
}

Test(config, bad_values_named)
{
	expect_bad("TWSHIM_SHM", "twshim", "'/NAME'");
	expect_bad("TWSHIM_SHM", "/a/b", "'/NAME'");
	expect_bad("TWSHIM_SHM", "/", "'/NAME'");
	expect_bad("TWSHIM_LOG", "journal", "'syslog'");
	expect_bad("TWSHIM_LOG", "file:relative.log", "file:/ABSOLUTE/PATH");
	expect_bad("TWSHIM_LOG_LEVEL", "verbose", "'debug'");
}

Test(config, log_settings_kept_when_another_is_bad)
{
	struct tw_config c;
	char err[512] = "";

	/* TWSHIM_LOG=off must silence the complaint about TWSHIM_SHM too. */
	set(0, "TWSHIM_SHM", "bad");
	set(1, "TWSHIM_LOG", "off");
	cr_expect_eq(tw_config_load(&c, fake_env, err, sizeof(err)), -1);
	cr_expect_eq(c.log.sink, TW_SINK_OFF);
	cr_expect(strstr(err, "TWSHIM_SHM='bad'") != NULL, "%s", err);
}

/* Issue 13: numbers were read with strtol/strtoul, which take a sign,
 * leading blanks and, for strtoul, a minus sign that wraps: "-1" is
 * ULONG_MAX, and "-18446744073709551615" is 1. */
Test(config, numbers_digits_only_and_range_checked)
{
	static const char *const bad[] = { "", "+5", " 5", "5 ", "-1", "-18446744073709551615",
	                                   "0x10", "\t7", "18446744073709551616",
	                                   "99999999999999999999999", "65536" };
	unsigned long v = 1234;
	const char *end;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = tw_parse_uint(bad[i], &end, 65535, &v);
		cr_expect(rc < 0 || *end != '\0', "'%s' taken as %lu", bad[i], v);
	}
	cr_assert_eq(tw_parse_uint("65535", &end, 65535, &v), 0);
	cr_expect_eq(v, 65535);
	cr_expect_eq(*end, '\0');
	cr_assert_eq(tw_parse_uint("007-9", &end, 10, &v), 0);
	cr_expect_eq(v, 7);
	cr_expect_str_eq(end, "-9");
	cr_expect_eq(tw_parse_uint("9", &end, 5, &v), -1, "a digit above max");
	cr_assert_eq(tw_parse_uint("18446744073709551615", &end, ~0ul, &v), 0);
	cr_expect_eq(v, ~0ul);
}

Test(config, blank_lists)
{
	cr_expect(tw_list_blank(","));
	cr_expect(tw_list_blank(" "));
	cr_expect(tw_list_blank(" ,\t, "));
	cr_expect_not(tw_list_blank(" 10.0.0.1 "));
}
