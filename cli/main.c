// SPDX-License-Identifier: MIT
/* twshim: the command-line reader of the TIME_WAIT ledger. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "doctor/doctor.h"
#include "top/top.h"
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
	"  doctor --prometheus | --check       the same for Prometheus, or as one line\n"
	"                                      for Nagios and Icinga\n"
	"  top [-d SECS] [-n N]                the same, refreshed like top(1), with\n"
	"                                      connects/s; plain snapshots when piped\n"
	"  export [--listen ADDR:PORT]         serve stat's and doctor's Prometheus\n"
	"                                      metrics over HTTP at /metrics\n"
	"  help [VERB]                         this text, or a verb's\n"
	"\n"
	"  twshim VERB --help tells more. -V, --version prints the version.\n"
	"\n"
	"Environment: TWSHIM_SHM names the ledger (default /twshim.UID) for the\n"
	"shim and for this command alike; `man 7 twshim` lists every TWSHIM_*\n"
	"variable and policy, `man twshim` every verb.\n"
	"\n"
	"Exit status: 0 done; 1 failed (e.g. the ledger cannot be read); 2 usage\n"
	"error; `run` exits with COMMAND's status; `doctor` exits 3 when it has a\n"
	"warning or critical finding.\n";

/* The verbs, in the order --help lists them. */
static const struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
} verbs[] = {
	{ "run", tw_cmd_run },
	{ "stat", tw_cmd_stat },
	{ "doctor", tw_cmd_doctor },
	{ "top", tw_cmd_top },
	{ "export", tw_cmd_export },
};

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

static int is_one_of(const char *s, const char *a, const char *b, const char *c)
{
	return strcmp(s, a) == 0 || strcmp(s, b) == 0 || strcmp(s, c) == 0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	const struct verb *v;

	if (!name) {
		fputs(usage, stderr);
		return TW_EXIT_USAGE;
	}
	if ((v = find_verb(name)))
		return v->fn(argc - 1, argv + 1);
	if (is_one_of(name, "--version", "-V", "version")) {
		printf("twshim %s (ledger layout %u)\n", TW_VERSION, TW_LEDGER_VERSION);
		return TW_EXIT_OK;
	}
	if (is_one_of(name, "help", "--help", "-h")) {
		char *help[] = { argc > 2 ? argv[2] : NULL, (char *)"--help", NULL };
		if (argc <= 2) {
			fputs(usage, stdout);
			return TW_EXIT_OK;
		}
		if ((v = find_verb(argv[2])))
			return v->fn(2, help);
		tw_cli_error("help: '%s' is not a verb (run, stat, doctor, top, export); try "
		             "'twshim --help'",
		             argv[2]);
		return TW_EXIT_USAGE;
	}
	tw_cli_error("'%s' is not a verb (run, stat, doctor, top, export); try 'twshim --help'",
	             name);
	return TW_EXIT_USAGE;
}
