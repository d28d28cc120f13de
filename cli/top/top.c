// SPDX-License-Identifier: MIT
/* twshim top: the ledger, refreshed; live on a terminal (screen.c),
 * plain snapshots otherwise. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "format.h"
#include "json.h"
#include "top.h"
#include "view.h"

static const char top_usage[] =
    "Usage: twshim top [-d SECS] [-n N] [--once] [-s ORDER] [-b] [--json | --no-header]\n"
    "                  [--by-command] [-p PID]... [--comm NAME] [--dest CIDR[:PORT]]\n"
    "                  [--shm NAME]\n"
    "\n"
    "The ledger, refreshed like top(1): per process, and per destination\n"
    "(ip:port) under it, how fast it connects, the TIME_WAIT it holds now, its\n"
    "connect() failures and latency, and what the policies did. On a terminal\n"
    "the view refreshes in place; piped (or with -b) it prints plain-text\n"
    "snapshots, each under a timestamped header line. The live view loads\n"
    "ncurses (libncursesw.so.6, Debian package libncursesw6); where there is\n"
    "none, top says so in one line and prints the snapshots instead.\n"
    "\n"
    "  CONN/S     successful connect() calls per second over the last interval,\n"
    "             from two reads of the ledger that both hold the process (same\n"
    "             slot, pid and start time); '-' when there is no earlier read of\n"
    "             it (the live view's first screen).\n"
    "  TIME_WAIT  active closes in the last 60 s: the entries the process holds\n"
    "             in the kernel now (they last 60 s and hold no fd).\n"
    "  ERRORS     connect() failures, all told; ERRNO the most frequent of them\n"
    "             (EADDRNOTAVAIL: no local port left for that destination).\n"
    "  ERR/S      connect() failures per second over the last interval, as\n"
    "             CONN/S: whether the failing goes on now.\n"
    "  CONNECT    p50 time spent in connect() (bucket upper bound) by the calls\n"
    "             made in the last interval, or since the start for a row with\n"
    "             none in it (and on the first screen); it rises from\n"
    "             microseconds to milliseconds as a destination's ports fill.\n"
    "  HINT       'pool' or 'urgent' when the shim left a pooling hint for a\n"
    "             destination; its figures are on the line under it, and\n"
    "             `twshim stat` says what to do.\n"
    "  POLICY ACTIONS  what the policies did instead: reset=150 retry=3 ...\n"
    "\n"
    "The header line: the ledger, the time (UTC), processes alive, exited (of\n"
    "which vanished: ended unseen with connections open, see `twshim stat\n"
    "--help`) and aggregated (folded per command when slots ran short), and\n"
    "totals over the whole ledger. Listed: running processes, exited ones\n"
    "while they hold TIME_WAIT or connected (or failed to) in the interval;\n"
    "most pressure first (most TIME_WAIT, then most connects), as in\n"
    "`twshim stat`.\n"
    "\n"
    "Keys in the live view:\n"
    "  P pressure  t TIME_WAIT  r rate  e errors  l latency  c command  p pid\n"
    "  d destinations on/off   f one row per command on/off\n"
    "  Up Down PgUp PgDn Home End scroll\n"
    "  q quit   space (or any other key) refresh now\n"
    "\n"
    "Options:\n"
    "  -d, --delay SECS     between refreshes (default 2; 0.1 to 3600, e.g. 0.5)\n"
    "  -n, --iterations N   stop after N snapshots (N screens in the live view)\n"
    "      --once           the same as -n 1\n"
    "  -s, --sort ORDER     pressure (default), time_wait, rate, errors, latency,\n"
    "                       command or pid\n"
    "  -b, --batch          plain snapshots even on a terminal\n"
    "      --no-header      plain snapshots without their header and title lines:\n"
    "                       rows only, for scripts\n"
    "      --json           plain snapshots as JSON, one object per line (JSON\n"
    "                       Lines); a rate not known yet is null\n"
    "  -p, --pid PID        only this process (repeatable)\n"
    "      --comm NAME      only the processes of this command (as ps -o comm)\n"
    "      --dest CIDR[:PORT]  only these destinations (10.0.0.0/8, *:5432)\n"
    "      --by-command     one row per command, every process of it summed (a\n"
    "                       shell loop of one-shot clients is one row with its\n"
    "                       connects/s), then per destination\n"
    "      --shm NAME       read the ledger NAME (default: $TWSHIM_SHM, else\n"
    "                       /twshim.UID)\n"
    "      --owner USER     also read a ledger that USER owns (default: only\n"
    "                       yours and root's: see SECURITY in `man twshim`)\n"
    "  -h, --help           this text\n"
    "\n"
    "Plain snapshots come one interval apart, the first one interval after the\n"
    "start, so that each has its rates. While the ledger does not exist, each\n"
    "snapshot (or the live view) says so and top keeps reading.\n"
    "\n"
    "Exit status: 0 shown; 1 the ledger cannot be read, or did not exist for\n"
    "any of the N snapshots; 2 usage error.\n";

static int parse_delay(const char *arg, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(d) || d < 0.1 || d > 3600) {
		tw_cli_error("top: '%s' is not a delay in seconds (a number from 0.1 to 3600, "
			     "e.g. 0.5)",
			     arg);
		return -1;
	}
	*out = d;
	return 0;
}

static int parse_iterations(const char *arg, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1) {
		tw_cli_error("top: '%s' is not a number of snapshots (a whole number from 1)", arg);
		return -1;
	}
	*out = n;
	return 0;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void print_view(const struct top_feed *f, const struct top_view *v, enum top_sort sort,
		       int header)
{
	char line[1024], totals[256];

	if (header) {
		tw_top_summary(line, sizeof(line), f->shm, f->now_ms, sort);
		tw_top_totals(totals, sizeof(totals), v);
		printf("%s  %s\n", line, totals);
		tw_top_titles(line, sizeof(line));
		puts(line);
	}
	for (int i = 0; i < v->nrows; i++) {
		tw_top_line(line, sizeof(line), &v->rows[i]);
		puts(line);
	}
	if (!v->listed)
		puts("(no process to show: none running, none holding TIME_WAIT)");
}

/* A snapshot of a ledger that is not there (yet), as a JSON line. */
static void no_ledger_json(const char *shm, int64_t at_ms, const char *err)
{
	struct tw_json j;
	char t[32];

	tw_json_init_line(&j, stdout);
	tw_json_begin(&j, '{');
	tw_json_str(&j, "ledger", shm);
	tw_fmt_time(t, sizeof(t), at_ms);
	tw_json_str(&j, "time", t);
	tw_json_str(&j, "no_ledger", err);
	tw_json_end(&j, '}');
}

/* Plain snapshots: one interval apart, the first one interval after a
 * first read, so that every snapshot has its rates. */
static int top_plain(const struct top_opts *o)
{
	static struct tw_snapshot a, b;
	static struct top_view v;
	struct top_feed f = {.shm = o->shm, .filter = &o->filter, .now = &a, .before = &b};
	char line[1024];
	int seen = 0, rc;
	double next;

	if (tw_top_read(&f) < 0) {
		tw_cli_error("%s", f.err);
		return TW_EXIT_FAIL;
	}
	next = tw_top_clock();
	for (long i = 0; !o->iterations || i < o->iterations; i++) {
		next += o->delay_s;
		sleep_until(next);
		rc = tw_top_read(&f);
		if (rc < 0) {
			tw_cli_error("%s", f.err);
			return TW_EXIT_FAIL;
		}
		if (i && !o->json && !o->no_header)
			putchar('\n');
		if (rc == 0) {
			seen = 1;
			tw_top_build(&v, &f, o->sort, 1, o->by_command);
			if (o->json)
				tw_top_json(stdout, &f, &v, o->sort, o->by_command);
			else
				print_view(&f, &v, o->sort, !o->no_header);
		} else if (o->json) {
			no_ledger_json(o->shm, f.tried_ms, f.err);
		} else {
			tw_top_summary(line, sizeof(line), o->shm, f.tried_ms, o->sort);
			printf("%s  no ledger yet\n(%s)\n", line, f.err);
		}
		if (fflush(stdout) != 0)
			return TW_EXIT_FAIL;
	}
	if (!seen) {
		tw_cli_error("%s", f.err);
		return TW_EXIT_FAIL;
	}
	return TW_EXIT_OK;
}

int tw_cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"delay", required_argument, NULL, 'd'}, {"iterations", required_argument, NULL, 'n'},
	    {"once", no_argument, NULL, '1'},	     {"sort", required_argument, NULL, 's'},
	    {"batch", no_argument, NULL, 'b'},	     {"shm", required_argument, NULL, 'S'},
	    {"by-command", no_argument, NULL, 'c'},  {"help", no_argument, NULL, 'h'},
	    {"json", no_argument, NULL, 'j'},	     {"pid", required_argument, NULL, 'p'},
	    {"comm", required_argument, NULL, 'C'},  {"no-header", no_argument, NULL, 'H'},
	    {"dest", required_argument, NULL, 'D'},
	    {"owner", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct top_opts o = {.delay_s = 2, .sort = TOP_BY_PRESSURE};
	char name[256], err[200];
	int c, s;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:d:n:s:p:bh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_delay(optarg, &o.delay_s) < 0)
				return TW_EXIT_USAGE;
			break;
		case 'n':
			if (parse_iterations(optarg, &o.iterations) < 0)
				return TW_EXIT_USAGE;
			break;
		case '1': o.iterations = 1; break;
		case 's':
			s = tw_top_sort_by_name(optarg);
			if (s < 0) {
				tw_cli_error("top: '%s' is not a sort order (pressure, time_wait, "
					     "rate, errors, latency, command, pid)",
					     optarg);
				return TW_EXIT_USAGE;
			}
			o.sort = (enum top_sort)s;
			break;
		case 'b': o.batch = 1; break;
		case 'c': o.by_command = 1; break;
		case 'j': o.json = 1; break;
		case 'H': o.no_header = 1; break;
		case 'p':
			if (tw_filter_add_pid(&o.filter, "top", optarg) < 0)
				return TW_EXIT_USAGE;
			break;
		case 'C':
			if (tw_filter_set_comm(&o.filter, "top", optarg) < 0)
				return TW_EXIT_USAGE;
			break;
		case 'D':
			if (tw_filter_set_dest(&o.filter, "top", optarg) < 0)
				return TW_EXIT_USAGE;
			break;
		case 'S': o.shm = optarg; break;
		case 'o':
			if (tw_ledger_trust_owner(optarg, err, sizeof(err)) < 0) {
				tw_cli_error("top: %s", err);
				return TW_EXIT_USAGE;
			}
			break;
		case 'h': fputs(top_usage, stdout); return TW_EXIT_OK;
		default: return tw_cli_bad_option("top", c, argv);
		}
	}
	if (optind < argc) {
		tw_cli_error("top: unexpected argument '%s'; try 'twshim top --help'",
			     argv[optind]);
		return TW_EXIT_USAGE;
	}
	if (!o.shm)
		o.shm = tw_default_shm(name, sizeof(name));
	/* JSON is for programs: snapshots, never the screen. */
	if (!o.batch && !o.json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO)) {
		char why[512];
		int status = tw_top_live(&o, why, sizeof(why));
		if (status != TOP_NO_TERMINAL)
			return status;
		tw_cli_error("top: %s; plain snapshots instead", why);
	}
	return top_plain(&o);
}
