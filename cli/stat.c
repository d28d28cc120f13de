// SPDX-License-Identifier: MIT
/* twshim stat: the ledger, one row per process, with its destinations. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "format.h"
#include "filter.h"
#include "ledger_read.h"
#include "stat.h"

static const char stat_usage[] =
	"Usage: twshim stat [--json | --prometheus] [--all | --by-command] [--no-header]\n"
	"                   [--comm NAME] [--dest CIDR[:PORT]] [--shm NAME] [PID...]\n"
	"\n"
	"Shows what programs running under twshim did with TCP, read from the\n"
	"ledger in shared memory: per process, and per destination (ip:port) within\n"
	"it, the connections made and accepted, connect() failures by errno, who\n"
	"closed first, and TIME_WAIT now.\n"
	"\n"
	"  TIME_WAIT  the process's active closes in the last 60 s: the entries it\n"
	"             holds in the kernel right now (they last 60 s, whatever\n"
	"             tcp_fin_timeout says, and hold no fd, so no kernel tool can\n"
	"             name their process).\n"
	"  ACTIVE     closes where this side sent the first FIN (TIME_WAIT here);\n"
	"  PASSIVE    the peer closed first (TIME_WAIT on the peer);\n"
	"  RESET      closed with RST (SO_LINGER 0, unread data): no TIME_WAIT.\n"
	"  OTHER      closes not classified as any of those: a connect that never\n"
	"             completed, a connection already reset, a socket closed\n"
	"             behind the shim's back; whether they left TIME_WAIT is unknown.\n"
	"  CONNECT    p50 time spent in connect(); it rises from microseconds to\n"
	"             milliseconds as a destination's ports fill.\n"
	"  OPEN       connections open now; \"(3)\" for a vanished process: open when\n"
	"             it ended.\n"
	"  STATE      alive; exited (what it left open counted as the kernel\n"
	"             closes it); vanished (it ended unseen with connections open:\n"
	"             killed by a signal, crashed, _exit(), exec'd; those are not\n"
	"             in the counts); aggregate.\n"
	"\n"
	"Lists running processes, exited ones while they still hold TIME_WAIT, and\n"
	"those that failed to connect in the last 10 minutes (the victims of\n"
	"exhaustion hold no TIME_WAIT); says how many older failures it leaves out.\n"
	"A '*' after the command marks an aggregate: processes of one command\n"
	"folded together when slots ran short (the count is shown).\n"
	"\n"
	"Options:\n"
	"  --json        machine-readable output (a \"processes\" array)\n"
	"  --prometheus  Prometheus text format (0.0.4), for node_exporter's textfile\n"
	"                collector: every slot, summed per command and destination\n"
	"                (no pid label, no PID... selection); see `man twshim`\n"
	"  --all         also exited processes that no longer hold TIME_WAIT\n"
	"  --by-command  one row per command (every process of it summed: a shell\n"
	"                loop of 250 curl runs is one row), then per destination\n"
	"  --no-header   the table without its title line (for scripts: awk, sort)\n"
	"  --dest CIDR[:PORT]  only these destinations (10.0.0.0/8, *:5432,\n"
	"                [::1]:80); each process's totals are then theirs\n"
	"  --comm NAME   only the processes of this command (its name as ps -o comm\n"
	"                shows it)\n"
	"  --shm NAME    read the ledger NAME (default: $TWSHIM_SHM, else /twshim.UID)\n"
	"  --owner USER  also read a ledger that USER owns (default: only yours and\n"
	"                root's: see SECURITY in `man twshim`); repeatable\n"
	"  -h, --help    this text\n"
	"  PID...        only these processes\n"
	"\n"
	"Exit status: 0 shown; 1 the ledger cannot be read; 2 usage error.\n";

/* Past this many processes of one command listed, say that --by-command
 * sums them (a shell loop of one-shot clients). */
#define STAT_MANY_OF_ONE 20

struct stat_opts {
	int json, prometheus, all, by_command;
	const char *shm[16];      /* --shm: one, or for --prometheus several */
	int nshm;
	struct tw_filter filter; /* --comm */
	int npids;
	int pids[64];
	int64_t now_ms;
};

int tw_stat_listed(const struct tw_snap_proc *p, int64_t now_ms)
{
	if (p->alive || p->c.time_wait > 0 || p->c.open_now > 0)
		return 1;
	return p->c.connect_errors_total > 0 &&
	       (p->aggregate || p->exit_ms >= now_ms - STAT_FAILED_RECENT_MS);
}

static int selected(const struct stat_opts *o, const struct tw_snap_proc *p)
{
	if (o->npids) {
		for (int i = 0; i < o->npids; i++)
			if (o->pids[i] == p->pid)
				return 1;
		return 0;
	}
	return o->all || tw_stat_listed(p, o->now_ms);
}

static int by_pressure(const void *a, const void *b)
{
	const struct tw_snap_proc *x = a, *y = b;
	int c = tw_pressure_cmp(&x->c, &y->c);

	return c ? c : x->slot - y->slot;
}

/* A process's row, and its JSON object's members up to its destinations. */
static void proc_row(struct tw_emit *e, const struct tw_snap_proc *p)
{
	char pid[16], name[96], t[32];

	tw_fmt_proc(pid, sizeof(pid), name, sizeof(name), p);
	tw_emit_row(e, "");
	tw_emit_str(e, TW_STAT_COL_FIRST("PID"), pid);
	tw_emit_i64(e, TW_KEY("pid"), p->pid);
	tw_emit_i64(e, TW_KEY("ppid"), p->ppid);
	tw_emit_str(e, TW_STAT_COL_COMMAND(NULL), name);
	tw_emit_str(e, TW_KEY("comm"), p->comm);
	tw_emit_bool(e, TW_KEY("alive"), p->alive);
	tw_emit_str(e, TW_STAT_COL_STATE("state"), p->state);
	tw_emit_bool(e, TW_KEY("aggregate"), p->aggregate);
	tw_emit_u64(e, TW_KEY("merged_processes"), p->merged_procs);
	tw_fmt_time(t, sizeof(t), p->start_ms);
	tw_emit_str(e, TW_KEY("started"), t);
	if (p->exit_ms > 0) {
		tw_fmt_time(t, sizeof(t), p->exit_ms);
		tw_emit_str(e, TW_KEY("exited"), t);
	} else {
		tw_emit_null(e, TW_KEY("exited"));
	}
	tw_emit_u64(e, TW_KEY("binds"), p->c.binds);
	tw_stat_counters(e, &p->c);
	tw_emit_row_end(e);
}

static void proc(struct tw_emit *e, const struct tw_snap_proc *p)
{
	tw_emit_open(e, NULL, '{');
	proc_row(e, p);
	tw_emit_u64(e, TW_KEY("destinations_overflow"), p->dest_overflow);
	tw_emit_open(e, "destinations", '[');
	for (int d = 0; d < p->ndests; d++) {
		char shown[80];

		tw_fmt_dest(shown, sizeof(shown), &p->dests[d]);
		tw_emit_open(e, NULL, '{');
		tw_stat_dest_row(e, "PID", shown, p->dests[d].addr, p->dests[d].kind,
		                 &p->dests[d].c);
		tw_stat_hint(e, &p->dests[d].hint);
		tw_emit_close(e, '}');
	}
	tw_emit_close(e, ']');
	tw_emit_close(e, '}');
}

/* What the table leaves out, said under it: failures are never hidden
 * silently (the processes that failed long ago are counted here, those of
 * the last minutes listed above). */
struct stat_hidden {
	int shown, left_open, vanished, failed, nmany;
	uint64_t errors;
	const char *many;
};

static void notes(struct tw_emit *e, const struct tw_snapshot *s, const struct stat_opts *o,
                  const struct stat_hidden *h)
{
	/* Rows only: the notes below are for people. */
	if (tw_stat_no_header)
		return;
	if (!h->shown)
		tw_emit_text(e, "(no process to show in %s%s)\n", s->name,
		             o->all ? "" : "; --all includes exited processes without TIME_WAIT");
	if (h->left_open)
		tw_emit_text(e, "\n(N) under OPEN: connections a vanished process still had when it "
		             "ended (killed, crashed,\n_exit(), exec). The kernel closed them, unseen "
		             "by twshim: each is an active close\n(TIME_WAIT here, not in the "
		             "TIME_WAIT column) unless the peer had closed first or data\nwas left "
		             "unread (`man 7 twshim`, LIMITS).\n");
	if (h->failed && !o->npids)
		tw_emit_text(e, "\n%d exited process%s with connect errors (%llu in all) not shown, "
		             "older than %d minutes: --all lists %s, --by-command sums %s.\n",
		             h->failed, h->failed == 1 ? "" : "es", (unsigned long long)h->errors,
		             STAT_FAILED_RECENT_MS / 60000, h->failed == 1 ? "it" : "them",
		             h->failed == 1 ? "it" : "them");
	if (h->many)
		tw_emit_text(e, "\n%d processes of %s listed: --by-command sums them into one row "
		             "per destination.\n", h->nmany, h->many);
	/* When a vanished process ended is unknown: it is listed while its own
	 * closes hold TIME_WAIT, and said to be there after that. */
	if (h->vanished && !o->npids)
		tw_emit_text(e, "\n%d vanished process%s (ended unseen with connections open) not "
		             "shown: --all lists %s.\n",
		             h->vanished, h->vanished == 1 ? "" : "es",
		             h->vanished == 1 ? "it" : "them");
}

static void report(struct tw_emit *e, const struct tw_snapshot *s, const struct stat_opts *o)
{
	static const struct tw_snap_proc none;
	struct stat_hidden h = { 0 };

	tw_stat_head(e, s);
	if (!tw_stat_no_header) {
		tw_emit_titles(e, 1);
		proc_row(e, &none);
		tw_emit_titles(e, 0);
	}
	tw_emit_open(e, "processes", '[');
	for (int i = 0; i < s->nprocs; i++) {
		const struct tw_snap_proc *p = &s->procs[i];

		if (!selected(o, p)) {
			h.vanished += p->vanished;
			h.failed += p->c.connect_errors_total > 0;
			h.errors += p->c.connect_errors_total;
			continue;
		}
		h.shown++;
		if (!h.many) {
			int n = 0;
			for (int k = i; k < s->nprocs; k++)
				n += strcmp(s->procs[k].comm, p->comm) == 0 && selected(o, &s->procs[k]);
			if (n > STAT_MANY_OF_ONE)
				h.many = p->comm, h.nmany = n;
		}
		h.left_open |= p->c.open_at_exit > 0;
		proc(e, p);
	}
	tw_emit_close(e, ']');
	tw_emit_close(e, '}');
	notes(e, s, o, &h);
}

int tw_cmd_stat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "by-command", no_argument, NULL, 'c' },
		{ "comm", required_argument, NULL, 'C' },
		{ "dest", required_argument, NULL, 'D' },
		{ "no-header", no_argument, NULL, 'H' },
		{ "shm", required_argument, NULL, 's' },
		{ "owner", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat_opts o = { 0 };
	static struct tw_snapshot snap;
	struct tw_emit e;
	char name[256], err[512];
	struct timespec now;
	int c, missing;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = 1; break;
		case 'p': o.prometheus = 1; break;
		case 'a': o.all = 1; break;
		case 'c': o.by_command = 1; break;
		case 'H': tw_stat_no_header = 1; break;
		case 'C':
			if (tw_filter_set_comm(&o.filter, "stat", optarg) < 0)
				return TW_EXIT_USAGE;
			break;
		case 'D':
			if (tw_filter_set_dest(&o.filter, "stat", optarg) < 0)
				return TW_EXIT_USAGE;
			break;
		case 's':
			if (o.nshm == (int)(sizeof(o.shm) / sizeof(o.shm[0]))) {
				tw_cli_error("stat: --shm: at most %d ledgers", o.nshm);
				return TW_EXIT_USAGE;
			}
			o.shm[o.nshm++] = optarg;
			break;
		case 'o':
			if (tw_ledger_trust_owner(optarg, err, sizeof(err)) < 0) {
				tw_cli_error("stat: %s", err);
				return TW_EXIT_USAGE;
			}
			break;
		case 'h': fputs(stat_usage, stdout); return TW_EXIT_OK;
		default: return tw_cli_bad_option("stat", c, argv);
		}
	}
	if (o.json && o.prometheus) {
		tw_cli_error("stat: --json and --prometheus are two output formats: choose one");
		return TW_EXIT_USAGE;
	}
	if (o.by_command && (o.prometheus || o.all || optind < argc)) {
		tw_cli_error("stat: --by-command sums every process of each command: it takes no "
		             "--prometheus (already per command), --all or PID");
		return TW_EXIT_USAGE;
	}
	/* Series per pid would grow without bound as processes come and go. */
	if (o.prometheus && optind < argc) {
		tw_cli_error("stat: --prometheus sums every process per command; it takes no "
		             "PID ('%s')", argv[optind]);
		return TW_EXIT_USAGE;
	}
	for (; optind < argc; optind++) {
		char *end;
		long pid;

		errno = 0;
		pid = strtol(argv[optind], &end, 10);
		if (errno || *end || end == argv[optind] || pid <= 0 || pid > 0x7fffffff) {
			tw_cli_error("stat: '%s' is not a process id (a positive number)", argv[optind]);
			return TW_EXIT_USAGE;
		}
		if (o.npids == (int)(sizeof(o.pids) / sizeof(o.pids[0]))) {
			tw_cli_error("stat: at most %d process ids", o.npids);
			return TW_EXIT_USAGE;
		}
		o.pids[o.npids++] = (int)pid;
	}
	if (o.prometheus)
		return tw_stat_export(stdout, o.shm, o.nshm, &o.filter);
	if (o.nshm > 1) {
		tw_cli_error("stat: one --shm, unless --prometheus (which reads several)");
		return TW_EXIT_USAGE;
	}
	if (tw_snapshot_read(o.nshm ? o.shm[0] : tw_default_shm(name, sizeof(name)), &snap,
	                     &missing, err, sizeof(err)) < 0) {
		tw_cli_error("%s", err);
		return TW_EXIT_FAIL;
	}
	tw_filter_snapshot(&snap, &o.filter);
	tw_emit_init(&e, o.json ? TW_EMIT_JSON : TW_EMIT_TEXT, stdout);
	if (o.by_command) {
		tw_stat_by_command(&e, &snap);
		return fflush(stdout) == 0 ? TW_EXIT_OK : TW_EXIT_FAIL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	o.now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	qsort(snap.procs, (size_t)snap.nprocs, sizeof(snap.procs[0]), by_pressure);
	report(&e, &snap, &o);
	return fflush(stdout) == 0 ? TW_EXIT_OK : TW_EXIT_FAIL;
}
