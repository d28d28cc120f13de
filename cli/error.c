// SPDX-License-Identifier: MIT
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void tw_cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("twshim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* One line for a getopt_long failure (optstring with a leading "+:"), and
 * where to read more, as ss and systemctl do: a wrong flag is not worth a
 * screen of usage. Returns TW_EXIT_USAGE. */
int tw_cli_bad_option(const char *verb, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	char shortopt[3] = { '-', (char)optopt, '\0' };

	/* An unknown short option in a cluster (-xb): name the letter. */
	if (optopt > 0 && optopt < 128 && arg[0] == '-' && arg[1] != '-')
		arg = shortopt;
	if (c == ':')
		tw_cli_error("%s: option '%s' needs a value; try 'twshim %s --help'", verb, arg, verb);
	else
		tw_cli_error("%s: unknown option '%s'; try 'twshim %s --help'", verb, arg, verb);
	return TW_EXIT_USAGE;
}
