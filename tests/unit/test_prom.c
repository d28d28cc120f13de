// SPDX-License-Identifier: MIT
/*
 * The Prometheus text format writer (cli/prom.c): what a scraper would
 * reject must be refused or escaped here, since node_exporter skips a
 * whole file for one bad line.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

static struct tw_prom p;
static FILE *out;
static char *text;
static size_t text_len;

static void setup(void)
{
	text = NULL;
	out = open_memstream(&text, &text_len);
	cr_assert(out);
	tw_prom_init(&p, out);
}

static void teardown(void)
{
	if (out)
		fclose(out);
	free(text);
}

/* What was written so far. */
static const char *written(void)
{
	fflush(out);
	return text;
}

Test(prom, family_header_and_samples, .init = setup, .fini = teardown)
{
	struct tw_prom_label l[] = {{"comm", "curl"}, {"errno", "EADDRNOTAVAIL"}};

	cr_assert_eq(tw_prom_family(&p, "tw_errors_total", TW_PROM_COUNTER, "Failures."), 0);
	cr_assert_eq(tw_prom_sample_u64(&p, "", l, 2, 18446744073709551615u), 0);
	cr_assert_eq(tw_prom_family(&p, "tw_open", TW_PROM_GAUGE, "Open."), 0);
	cr_assert_eq(tw_prom_sample_i64(&p, "", NULL, 0, -3), 0);
	cr_assert_eq(tw_prom_sample_f64(&p, NULL, l, 1, 0.25), 0);
	cr_assert_eq(tw_prom_finish(&p), 0, "%s", tw_prom_error(&p));
	cr_expect_str_eq(written(), "# HELP tw_errors_total Failures.\n"
				    "# TYPE tw_errors_total counter\n"
				    "tw_errors_total{comm=\"curl\",errno=\"EADDRNOTAVAIL\"} "
				    "18446744073709551615\n"
				    "# HELP tw_open Open.\n"
				    "# TYPE tw_open gauge\n"
				    "tw_open -3\n"
				    "tw_open{comm=\"curl\"} 0.25\n");
}

Test(prom, label_values_escaped, .init = setup, .fini = teardown)
{
	struct tw_prom_label l[] = {{"comm", "a\\b\"c\nd"}};

	tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "g");
	tw_prom_sample(&p, "", l, 1, "1");
	cr_assert_eq(tw_prom_finish(&p), 0, "%s", tw_prom_error(&p));
	cr_expect(strstr(written(), "tw_g{comm=\"a\\\\b\\\"c\\nd\"} 1\n"), "%s", written());
}

/* HELP escapes backslash and newline only: a quote stays as it is. */
Test(prom, help_escaped, .init = setup, .fini = teardown)
{
	tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "a \\ \"b\"\nc");
	cr_assert_eq(tw_prom_finish(&p), 0);
	cr_expect_str_eq(written(), "# HELP tw_g a \\\\ \"b\"\\nc\n# TYPE tw_g gauge\n");
}

/* Prometheus refuses a label value that is not UTF-8 (and node_exporter
 * then drops the whole file): each byte that does not start a valid
 * sequence becomes U+FFFD; valid sequences pass untouched. */
Test(prom, invalid_utf8_replaced, .init = setup, .fini = teardown)
{
	struct tw_prom_label l[] = {
	    {"v", "\xc3\xa9|\xff|\xc0\xaf|\xed\xa0\x80|\xf0\x9f\x98\x80|\xe2\x82"}};

	tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "g");
	tw_prom_sample(&p, "", l, 1, "1");
	cr_assert_eq(tw_prom_finish(&p), 0);
	cr_expect(strstr(written(), "tw_g{v=\"\xc3\xa9|\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
				    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xf0\x9f\x98\x80|"
				    "\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"),
		  "%s", written());
}

Test(prom, floats_shortest_round_trip)
{
	char b[32];

	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 0), "0");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 0.1), "0.1");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 0.1 + 0.2), "0.30000000000000004");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 1.5), "1.5");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 123456789), "123456789");
	/* Whole numbers as integers: 200 came out as "2e+02" (issue 14). */
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 200), "200");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 1e6), "1000000");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), -0.0), "0");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 1e300), "1e+300");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), 1e-6), "1e-06");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), -2.5e20), "-2.5e+20");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), NAN), "NaN");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), INFINITY), "+Inf");
	cr_expect_str_eq(tw_prom_fmt_f64(b, sizeof(b), -INFINITY), "-Inf");
	cr_expect_eq(strtod(tw_prom_fmt_f64(b, sizeof(b), DBL_MAX), NULL), DBL_MAX);
	cr_expect_eq(strtod(tw_prom_fmt_f64(b, sizeof(b), DBL_MIN / 3), NULL), DBL_MIN / 3);
}

/* Microseconds and milliseconds shown in seconds, exactly. */
Test(prom, fixed_point_seconds)
{
	char b[32];

	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), 0, 6), "0");
	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), 1, 6), "0.000001");
	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), 4194304, 6), "4.194304");
	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), 1500000, 6), "1.5");
	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), 2000000, 6), "2");
	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), 1795313543061, 3), "1795313543.061");
	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), 7, 0), "7");
	cr_expect_str_eq(tw_prom_fmt_fixed(b, sizeof(b), UINT64_MAX, 6), "18446744073709.551615");
}

/* Buckets given one by one come out cumulative, +Inf last, equal to
 * _count; _sum as given. */
Test(prom, histogram_cumulative, .init = setup, .fini = teardown)
{
	static const char *const le[] = {"0.1", "0.2", "0.4"};
	static const uint64_t counts[] = {1, 0, 2, 5};
	struct tw_prom_label l[] = {{"comm", "x"}};

	tw_prom_family(&p, "tw_seconds", TW_PROM_HISTOGRAM, "h");
	cr_assert_eq(tw_prom_histogram(&p, l, 1, le, counts, 3, "3.5"), 0, "%s", tw_prom_error(&p));
	cr_assert_eq(tw_prom_histogram(&p, NULL, 0, le, (const uint64_t[]){0, 0, 0, 0}, 3, "0"), 0);
	cr_assert_eq(tw_prom_finish(&p), 0);
	cr_expect_str_eq(written(), "# HELP tw_seconds h\n"
				    "# TYPE tw_seconds histogram\n"
				    "tw_seconds_bucket{comm=\"x\",le=\"0.1\"} 1\n"
				    "tw_seconds_bucket{comm=\"x\",le=\"0.2\"} 1\n"
				    "tw_seconds_bucket{comm=\"x\",le=\"0.4\"} 3\n"
				    "tw_seconds_bucket{comm=\"x\",le=\"+Inf\"} 8\n"
				    "tw_seconds_sum{comm=\"x\"} 3.5\n"
				    "tw_seconds_count{comm=\"x\"} 8\n"
				    "tw_seconds_bucket{le=\"0.1\"} 0\n"
				    "tw_seconds_bucket{le=\"0.2\"} 0\n"
				    "tw_seconds_bucket{le=\"0.4\"} 0\n"
				    "tw_seconds_bucket{le=\"+Inf\"} 0\n"
				    "tw_seconds_sum 0\n"
				    "tw_seconds_count 0\n");
}

Test(prom, histogram_bounds_must_rise, .init = setup, .fini = teardown)
{
	static const char *const le[] = {"0.2", "0.1"};

	tw_prom_family(&p, "tw_seconds", TW_PROM_HISTOGRAM, "h");
	cr_expect_eq(tw_prom_histogram(&p, NULL, 0, le, (const uint64_t[]){1, 1, 1}, 2, "1"), -1);
	cr_expect(strstr(tw_prom_error(&p), "does not rise"), "%s", tw_prom_error(&p));
}

Test(prom, histogram_le_is_its_own, .init = setup, .fini = teardown)
{
	static const char *const le[] = {"1"};
	struct tw_prom_label l[] = {{"le", "2"}};

	tw_prom_family(&p, "tw_seconds", TW_PROM_HISTOGRAM, "h");
	cr_expect_eq(tw_prom_histogram(&p, l, 1, le, (const uint64_t[]){1, 1}, 1, "1"), -1);
}

/* One header per family; once a call failed, every later one fails. */
Test(prom, family_once, .init = setup, .fini = teardown)
{
	cr_assert_eq(tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "g"), 0);
	cr_assert_eq(tw_prom_family(&p, "tw_h", TW_PROM_GAUGE, "h"), 0);
	cr_expect_eq(tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "g"), -1);
	cr_expect(strstr(tw_prom_error(&p), "tw_g written twice"), "%s", tw_prom_error(&p));
	cr_expect_eq(tw_prom_sample(&p, "", NULL, 0, "1"), -1);
	cr_expect_eq(tw_prom_finish(&p), -1);
}

Test(prom, counters_and_only_counters_end_in_total, .init = setup, .fini = teardown)
{
	cr_expect_eq(tw_prom_family(&p, "tw_errors", TW_PROM_COUNTER, "c"), -1);
	tw_prom_init(&p, out);
	cr_expect_eq(tw_prom_family(&p, "tw_open_total", TW_PROM_GAUGE, "g"), -1);
	tw_prom_init(&p, out);
	cr_expect_eq(tw_prom_family(&p, "tw_errors_total", TW_PROM_COUNTER, "c"), 0);
}

Test(prom, samples_belong_to_their_family, .init = setup, .fini = teardown)
{
	cr_expect_eq(tw_prom_sample(&p, "", NULL, 0, "1"), -1); /* no family yet */
	tw_prom_init(&p, out);
	tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "g");
	cr_expect_eq(tw_prom_sample(&p, "_bucket", NULL, 0, "1"), -1);
	tw_prom_init(&p, out);
	tw_prom_family(&p, "tw_seconds", TW_PROM_HISTOGRAM, "h");
	cr_expect_eq(tw_prom_sample(&p, "", NULL, 0, "1"),
		     -1); /* a histogram has no plain sample */
	tw_prom_init(&p, out);
	tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "g");
	cr_expect_eq(tw_prom_sample(&p, "", NULL, 0, ""), -1); /* no value */
}

Test(prom, names_checked, .init = setup, .fini = teardown)
{
	struct tw_prom_label l[1];

	cr_expect(tw_prom_metric_name_ok("twshim_connects_total"));
	cr_expect(tw_prom_metric_name_ok("a:b_c9"));
	cr_expect(!tw_prom_metric_name_ok("9a"));
	cr_expect(!tw_prom_metric_name_ok("a-b"));
	cr_expect(!tw_prom_metric_name_ok(""));
	cr_expect(tw_prom_label_name_ok("destination"));
	cr_expect(!tw_prom_label_name_ok("__name__"));
	cr_expect(!tw_prom_label_name_ok("a:b"));
	cr_expect_eq(tw_prom_family(&p, "bad name", TW_PROM_GAUGE, "g"), -1);
	tw_prom_init(&p, out);
	tw_prom_family(&p, "tw_g", TW_PROM_GAUGE, "g");
	l[0] = (struct tw_prom_label){"1x", "v"};
	cr_expect_eq(tw_prom_sample(&p, "", l, 1, "1"), -1);
}

Test(prom, write_error_reported)
{
	FILE *f = fopen("/dev/null", "r"); /* every write fails */
	struct tw_prom w;

	cr_assert(f);
	tw_prom_init(&w, f);
	tw_prom_family(&w, "tw_g", TW_PROM_GAUGE, "g");
	cr_expect_eq(tw_prom_finish(&w), -1);
	cr_expect(strstr(tw_prom_error(&w), "write error"), "%s", tw_prom_error(&w));
	fclose(f);
}
