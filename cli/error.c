// SPDX-License-Identifier: MIT
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
