// SPDX-License-Identifier: MIT
/* twshim: the command-line reader of the TIME_WAIT ledger. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "twshim/ledger.h"

static const char usage[] =
	"Usage: twshim VERB [OPTIONS]\n"
	"\n"
	"twshim finds the programs that run a host out of ports. Preloaded into an\n"
	"unmodified program (libtwshim.so), it counts every TCP connection, who\n"
	"closed it first, and so where each TIME_WAIT lands, in a ledger in shared\n"
	"memory. This command reads the ledger.\n"
	"\n"
	"Verbs:\n"
	"  run [OPTIONS] -- COMMAND [ARGS...]  run COMMAND with the shim preloaded\n"
	"  stat [--json] [--all] [PID...]      per process and destination: connects,\n"
	"                                      errors, closes, TIME_WAIT now\n"
	"  stat --prometheus                   the same per command, for Prometheus\n"
	"  doctor [--json] [--pid PID]         the kernel's TIME_WAIT joined with the\n"
	"                                      ledger: who, toward where, how close to\n"
	"                                      running out, and what to do\n"
	"  top [-d SECS] [-n N]                the same, refreshed like top(1), with\n"
	"                                      connects/s; plain snapshots when piped\n"
	"  help [VERB]                         this text, or a verb's\n"
	"\n"
	"  twshim VERB --help tells more. --version prints the version.\n"
	"\n"
	"Environment: TWSHIM_SHM names the ledger (default /twshim.UID) for the\n"
	"shim and for this command alike; `man 7 twshim` lists every TWSHIM_*\n"
	"variable and policy, `man twshim` every verb.\n"
	"\n"
	"Exit status: 0 done; 1 failed (e.g. the ledger cannot be read); 2 usage\n"
	"error; `run` exits with COMMAND's status; `doctor` exits 3 when it has a\n"
	"warning or critical finding.\n";

int main(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;

	if (!verb) {
		fputs(usage, stderr);
		return TW_EXIT_USAGE;
	}
	if (strcmp(verb, "run") == 0)
		return tw_cmd_run(argc - 1, argv + 1);
	if (strcmp(verb, "stat") == 0)
		return tw_cmd_stat(argc - 1, argv + 1);
	if (strcmp(verb, "doctor") == 0)
		return tw_cmd_doctor(argc - 1, argv + 1);
	if (strcmp(verb, "top") == 0)
		return tw_cmd_top(argc - 1, argv + 1);
	if (strcmp(verb, "--version") == 0 || strcmp(verb, "version") == 0) {
		printf("twshim %s (ledger layout %u)\n", TW_VERSION, TW_LEDGER_VERSION);
		return TW_EXIT_OK;
	}
	if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		char *help[] = { argc > 2 ? argv[2] : NULL, (char *)"--help", NULL };
		if (argc > 2 && strcmp(argv[2], "run") == 0)
			return tw_cmd_run(2, help);
		if (argc > 2 && strcmp(argv[2], "stat") == 0)
			return tw_cmd_stat(2, help);
		if (argc > 2 && strcmp(argv[2], "doctor") == 0)
			return tw_cmd_doctor(2, help);
		if (argc > 2 && strcmp(argv[2], "top") == 0)
			return tw_cmd_top(2, help);
		fputs(usage, stdout);
		return TW_EXIT_OK;
	}
	tw_cli_error("'%s' is not a verb; try 'twshim --help'", verb);
	return TW_EXIT_USAGE;
}
