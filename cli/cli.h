// SPDX-License-Identifier: MIT
/* The twshim command's verbs (doctor's and top's: their folders' headers).
 * Each returns the process exit status. */
#ifndef TW_CLI_H
#define TW_CLI_H

/* Exit statuses, documented in `twshim --help` and twshim(1). */
enum {
	TW_EXIT_OK = 0,
	TW_EXIT_FAIL = 1,   /* the ledger could not be read, or what was asked failed */
	TW_EXIT_USAGE = 2,  /* a wrong option or argument */
	TW_EXIT_FINDINGS = 3, /* doctor: a warning or critical finding */
};

int tw_cmd_run(int argc, char **argv);
int tw_cmd_stat(int argc, char **argv);
int tw_cmd_export(int argc, char **argv);

/* "twshim: " + message on stderr. */
void tw_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tw_cli_bad_option(const char *verb, int c, char **argv);

#endif
