// SPDX-License-Identifier: MIT
/*
 * Names the CLI did not make, escaped for every output (cli/escape.c).
 * What broke (issue 13, items 5 and 13): a command name or a segment name
 * with escape sequences reached the terminal raw; a name with bytes >= 0x80
 * that are not UTF-8 made `--json` invalid UTF-8; a name like $(id>/tmp/p)
 * was printed into doctor's Fix line as part of a command to run.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "filter.h"
#include "json.h"

static const char *esc(const char *s)
{
	static char out[256];

	tw_esc_name(out, sizeof(out), s);
	return out;
}

/* ESC, BEL, DEL and the other C0 controls reached the terminal: a name
 * could recolour, retitle or rewrite the screen around it. */
Test(escape, terminal_controls_become_hex)
{
	cr_expect_str_eq(esc("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
	cr_expect_str_eq(esc("a\tb\nc\rd\x07\x7f"), "a\\x09b\\x0ac\\x0dd\\x07\\x7f");
	cr_expect_str_eq(esc("curl"), "curl");
	cr_expect_str_eq(esc(""), "");
}

/* 0xC2 0x9B is U+009B, CSI for a terminal that takes 8-bit controls; a
 * lone 0x9B is CSI for one that is not in UTF-8 mode. */
Test(escape, c1_controls_and_format_characters_become_hex)
{
	cr_expect_str_eq(esc("a\xc2\x9b"
	                     "2J"),
	                 "a\\xc2\\x9b2J");
	cr_expect_str_eq(esc("a\x9b"
	                     "2J"),
	                 "a\\x9b2J");
	/* U+202E RIGHT-TO-LEFT OVERRIDE: "Trojan Source" reordering. */
	cr_expect_str_eq(esc("x\xe2\x80\xaey"), "x\\xe2\\x80\\xaey");
}

/* Bytes that are not UTF-8 made --json invalid: now \xNN; valid UTF-8
 * stays as it is. */
Test(escape, invalid_utf8_becomes_hex_valid_utf8_kept)
{
	cr_expect_str_eq(esc("caf\xe9"), "caf\\xe9");
	cr_expect_str_eq(esc("caf\xc3\xa9"), "caf\xc3\xa9");
	cr_expect_str_eq(esc("\xe2\x82"), "\\xe2\\x82");          /* cut short */
	cr_expect_str_eq(esc("\xc0\xaf"), "\\xc0\\xaf");          /* overlong '/' */
	cr_expect_str_eq(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* a surrogate */
	cr_expect_str_eq(esc("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
}

/* A backslash doubled: the form is reversible, so two names never print
 * alike (a literal "\x1b" is not ESC; two Prometheus series never collide). */
Test(escape, backslash_doubled_so_names_never_collide)
{
	char a[64], b[64];

	tw_esc_name(a, sizeof(a), "\\x1b");
	tw_esc_name(b, sizeof(b), "\x1b");
	cr_expect_str_eq(a, "\\\\x1b");
	cr_expect_str_neq(a, b);
}

/* Cut to the room there is, never inside an escape or a character. */
Test(escape, cut_short_only_between_units)
{
	char out[8];

	tw_esc_name(out, sizeof(out), "ab\x1b\x1b");
	cr_expect_str_eq(out, "ab\\x1b");
	tw_esc_name(out, 5, "abc\xc3\xa9"); /* room for 4 bytes: not half of é */
	cr_expect_str_eq(out, "abc");
	tw_esc_name(out, 1, "abc");
	cr_expect_str_eq(out, "");
}

/* doctor printed `twshim run ... -- $(id>/tmp/p) ARGS...`: pasted into a
 * shell, the name ran. Quoted, it is one inert word. */
Test(escape, shell_word_quotes_anything_not_plain)
{
	char out[64];

	tw_esc_shell(out, sizeof(out), "legacy_client");
	cr_expect_str_eq(out, "legacy_client");
	tw_esc_shell(out, sizeof(out), "$(id>/tmp/p)");
	cr_expect_str_eq(out, "'$(id>/tmp/p)'");
	tw_esc_shell(out, sizeof(out), "a'b;c`d`");
	cr_expect_str_eq(out, "'a'\\''b;c`d`'");
	tw_esc_shell(out, sizeof(out), "");
	cr_expect_str_eq(out, "''");
	tw_esc_shell(out, 6, "$(id)x");
	cr_expect_str_eq(out, "", "a quote cut short is no quote: %s", out);
}

/* The shell word, run by a shell, is the name itself, whatever it holds. */
Test(escape, shell_word_round_trips_through_sh)
{
	const char *names[] = { "$(id>/tmp/p)", "a'b", "`x`;y", "a b\tc", "-n", "*" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char word[64], cmd[160], got[64] = "";
		FILE *p;

		tw_esc_shell(word, sizeof(word), names[i]);
		snprintf(cmd, sizeof(cmd), "printf '%%s' %s", word);
		p = popen(cmd, "r");
		cr_assert(p);
		cr_expect(fgets(got, sizeof(got), p) != NULL || names[i][0] == '\0');
		pclose(p);
		cr_expect_str_eq(got, names[i], "%s came back as %s", word, got);
	}
}

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tw_json j;

	tw_json_init(&j, f);
	tw_json_begin(&j, '{');
	tw_json_str(&j, "s", s);
	tw_json_end(&j, '}');
	fclose(f);
	return buf;
}

static int valid_utf8(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = tw_utf8_len(p);
		if (!n)
			return 0;
		p += n;
	}
	return 1;
}

/* `--json` was invalid UTF-8 for a command name with bytes >= 0x80: the
 * writer now gives U+FFFD for a byte that starts no valid sequence, and
 * \u escapes for controls (C1 too), whatever string it is handed. */
Test(escape, json_always_valid_utf8)
{
	char *out = json_of("caf\xe9 \xc3\xa9 \xc2\x9b \x1b\x7f \"\\");

	cr_expect(valid_utf8(out), "%s", out);
	cr_expect(strstr(out, "\"caf\xef\xbf\xbd \xc3\xa9 \\u009b \\u001b\\u007f \\\"\\\\\"") !=
	              NULL,
	          "%s", out);
	free(out);
}

/* --comm NAME is given raw (as ps -o comm shows it) and matched against
 * the escaped name a snapshot holds: a name with an ESC still matches,
 * and a literal backslash-x does not pass for it. */
Test(escape, comm_given_raw_matches_its_escaped_form)
{
	cr_expect(tw_comm_is("curl", "curl"));
	cr_expect(tw_comm_is("a\x1b[1m", "a\\x1b[1m"));
	cr_expect(!tw_comm_is("a\\x1b[1m", "a\\x1b[1m"));
	cr_expect(!tw_comm_is("cur", "curl"));
}
