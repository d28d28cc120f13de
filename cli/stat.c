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
#include "json.h"
#include "ledger_read.h"
#include "escape.h"
#include "filter.h"
#include "ledger_list.h"
#include "stat.h"
#include "stat_prom.h"

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

static void json_hist(struct tw_json *j, const char *key, const uint64_t *h)
{
	tw_json_key(j, key);
	tw_json_begin(j, '[');
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++)
		tw_json_u64(j, NULL, h[i]);
	tw_json_end(j, ']');
}

void tw_stat_json_counters(struct tw_json *j, const struct tw_snap_counters *c)
{
	tw_json_u64(j, "connects", c->connects);
	tw_json_key(j, "connect_errors");
	tw_json_begin(j, '{');
	for (unsigned i = 0; i < TW_ERR_COUNT; i++)
		tw_json_u64(j, tw_err_name(i), c->connect_errors[i]);
	tw_json_end(j, '}');
	tw_json_u64(j, "accepts", c->accepts);
	tw_json_u64(j, "active_closes", c->active_closes);
	tw_json_u64(j, "passive_closes", c->passive_closes);
	tw_json_u64(j, "reset_closes", c->reset_closes);
	tw_json_u64(j, "other_closes", c->other_closes);
	tw_json_i64(j, "open", c->open_now);
	tw_json_i64(j, "open_at_exit", c->open_at_exit);
	tw_json_u64(j, "time_wait_estimate", c->time_wait);
	tw_json_key(j, "policy_actions");
	tw_json_begin(j, '{');
	for (unsigned i = 0; i < TW_ACT_COUNT; i++)
		if (tw_act_name(i))
			tw_json_u64(j, tw_act_name(i), c->actions[i]);
	tw_json_end(j, '}');
	tw_json_key(j, "connect_us");
	tw_json_begin(j, '{');
	tw_json_u64(j, "calls", c->connect_samples);
	tw_json_u64(j, "mean", c->connect_samples ? c->connect_us_sum / c->connect_samples : 0);
	tw_json_u64(j, "p50_le", tw_hist_quantile(c->connect_us_hist, 0.5));
	tw_json_u64(j, "p99_le", tw_hist_quantile(c->connect_us_hist, 0.99));
	json_hist(j, "histogram_log2", c->connect_us_hist);
	tw_json_end(j, '}');
	tw_json_key(j, "lifetime_ms");
	tw_json_begin(j, '{');
	tw_json_u64(j, "p50_le", tw_hist_quantile(c->lifetime_ms_hist, 0.5));
	tw_json_u64(j, "p99_le", tw_hist_quantile(c->lifetime_ms_hist, 0.99));
	json_hist(j, "histogram_log2", c->lifetime_ms_hist);
	tw_json_end(j, '}');
}

void tw_stat_json_head(struct tw_json *j, const struct tw_snapshot *s)
{
	tw_json_init(j, stdout);
	tw_json_begin(j, '{');
	tw_json_str(j, "ledger", s->name);
	tw_json_u64(j, "layout_version", TW_LEDGER_VERSION);
	tw_json_u64(j, "time_wait_seconds", TW_TIME_WAIT_MS / 1000);
	tw_json_u64(j, "slots_folded", s->slots_folded);
}

void tw_stat_json_hint(struct tw_json *j, const struct tw_snap_hint *h)
{
	char t[32];

	if (h->at_ms <= 0) {
		tw_json_null(j, "hint");
		return;
	}
	tw_json_key(j, "hint");
	tw_json_begin(j, '{');
	tw_fmt_time(t, sizeof(t), h->at_ms);
	tw_json_str(j, "at", t);
	tw_json_str(j, "advice", h->advice == TW_ADVICE_URGENT ? "urgent" : "pool");
	tw_json_bool(j, "out_of_ports_now", (h->flags & TW_HINT_OUT_NOW) != 0);
	tw_json_bool(j, "close_policy_on", (h->flags & TW_HINT_CLOSE_ON) != 0);
	tw_json_bool(j, "source_addrs_on", (h->flags & TW_HINT_SOURCES_ON) != 0);
	tw_json_u64(j, "closed_here_per_min", h->per_min);
	tw_json_u64(j, "time_wait", h->time_wait);
	tw_json_u64(j, "ports", h->ports);
	tw_json_u64(j, "seconds_to_exhaustion", h->eta_s);
	tw_json_u64(j, "lifetime_p50_ms_le", h->lifetime_p50_ms);
	tw_json_u64(j, "connect_p50_us_le", h->connect_p50_us);
	tw_json_u64(j, "connect_p50_us_le_before", h->connect_p50_us_before);
	tw_json_end(j, '}');
}

/* The hint in words, under its destination. */
static void print_hint(const struct tw_snap_hint *h)
{
	char figures[512];

	if (h->at_ms <= 0)
		return;
	tw_fmt_hint(figures, sizeof(figures), h);
	printf("             %s\n", figures);
	printf("             -> keep connections alive or pool them in the program; without "
	       "changing it:\n");
	/* Never what was on already in the process (the hint says). */
	if (!(h->flags & TW_HINT_CLOSE_ON))
		printf("                --close fin-reset (no TIME_WAIT on either side; the peer "
		       "reads all, then EOF),\n                --close peer-first (servers that close "
		       "after each response),\n");
	else
		printf("                (a close policy is on: these closes came too late for it, "
		       "the peer's FIN first)\n");
	if (!(h->flags & TW_HINT_SOURCES_ON))
		printf("                --source-addrs (more addresses, more ports).");
	else
		printf("                (--source-addrs is on: add addresses, or widen "
		       "ip_local_port_range).");
	printf(" `man 7 twshim`, POLICIES.\n");
}

static void print_json(const struct tw_snapshot *s, const struct stat_opts *o)
{
	static const char *const kinds[] = { "out", "in", "other" };
	struct tw_json j;
	char t[32];

	tw_stat_json_head(&j, s);
	tw_json_key(&j, "processes");
	tw_json_begin(&j, '[');
	for (int i = 0; i < s->nprocs; i++) {
		const struct tw_snap_proc *p = &s->procs[i];
		if (!selected(o, p))
			continue;
		tw_json_key(&j, NULL);
		tw_json_begin(&j, '{');
		tw_json_i64(&j, "pid", p->pid);
		tw_json_i64(&j, "ppid", p->ppid);
		tw_json_str(&j, "comm", p->comm);
		tw_json_bool(&j, "alive", p->alive);
		tw_json_str(&j, "state", p->state);
		tw_json_bool(&j, "aggregate", p->aggregate);
		tw_json_u64(&j, "merged_processes", p->merged_procs);
		tw_fmt_time(t, sizeof(t), p->start_ms);
		tw_json_str(&j, "started", t);
		if (p->exit_ms > 0) {
			tw_fmt_time(t, sizeof(t), p->exit_ms);
			tw_json_str(&j, "exited", t);
		} else {
			tw_json_null(&j, "exited");
		}
		tw_json_u64(&j, "binds", p->c.binds);
		tw_stat_json_counters(&j, &p->c);
		tw_json_u64(&j, "destinations_overflow", p->dest_overflow);
		tw_json_key(&j, "destinations");
		tw_json_begin(&j, '[');
		for (int d = 0; d < p->ndests; d++) {
			tw_json_key(&j, NULL);
			tw_json_begin(&j, '{');
			tw_json_str(&j, "addr", p->dests[d].addr);
			tw_json_str(&j, "direction", kinds[p->dests[d].kind]);
			tw_stat_json_counters(&j, &p->dests[d].c);
			tw_stat_json_hint(&j, &p->dests[d].hint);
			tw_json_end(&j, '}');
		}
		tw_json_end(&j, ']');
		tw_json_end(&j, '}');
	}
	tw_json_end(&j, ']');
	tw_json_end(&j, '}');
}

/* The errors by errno, then what the policies did: "reset=150 ...". */
static void errors_text(char *buf, size_t len, const struct tw_snap_counters *c)
{
	char errs[256], acts[256];

	tw_fmt_errors(errs, sizeof(errs), c);
	tw_fmt_actions(acts, sizeof(acts), c);
	snprintf(buf, len, "%s%s%s", errs, *errs && *acts ? " " : "", acts);
}

int tw_stat_no_header;

void tw_stat_header(const char *first)
{
	if (tw_stat_no_header)
		return;
	printf("%-8s %-22s %-9s %8s %7s %8s %8s %8s %6s %6s %5s %9s %10s  %s\n", first,
	       "COMMAND", "STATE", "CONNECTS", "ERRORS", "ACCEPTS", "ACTIVE", "PASSIVE", "RESET",
	       "OTHER", "OPEN", "TIME_WAIT", "CONNECT", "ERRORS BY ERRNO, POLICY ACTIONS");
}

void tw_stat_row(const char *pid, const char *name, const char *state,
                 const struct tw_snap_counters *c)
{
	char lat[32], errs[512], open[24];

	tw_fmt_connect_p50(lat, sizeof(lat), c);
	errors_text(errs, sizeof(errs), c);
	/* A vanished process's connections, open when it ended: "(3)". */
	if (c->open_at_exit > 0)
		snprintf(open, sizeof(open), "(%lld)", (long long)c->open_at_exit);
	else
		snprintf(open, sizeof(open), "%lld", (long long)c->open_now);
	printf("%-8s %-22s %-9s %8llu %7llu %8llu %8llu %8llu %6llu %6llu %5s %9llu %10s  %s\n",
	       pid, name, state, (unsigned long long)c->connects,
	       (unsigned long long)c->connect_errors_total, (unsigned long long)c->accepts,
	       (unsigned long long)c->active_closes, (unsigned long long)c->passive_closes,
	       (unsigned long long)c->reset_closes, (unsigned long long)c->other_closes, open,
	       (unsigned long long)c->time_wait, lat, errs);
}

static void print_text(const struct tw_snapshot *s, const struct stat_opts *o)
{
	int shown = 0, left_open = 0, hidden_vanished = 0, hidden_failed = 0;
	uint64_t hidden_errors = 0;
	const char *many = NULL;
	int nmany = 0;

	tw_stat_header("PID");
	for (int i = 0; i < s->nprocs; i++) {
		const struct tw_snap_proc *p = &s->procs[i];
		char pid[16], name[96];

		if (!selected(o, p)) {
			hidden_vanished += p->vanished;
			hidden_failed += p->c.connect_errors_total > 0;
			hidden_errors += p->c.connect_errors_total;
			continue;
		}
		shown++;
		if (!many) {
			int n = 0;
			for (int k = i; k < s->nprocs; k++)
				n += strcmp(s->procs[k].comm, p->comm) == 0 && selected(o, &s->procs[k]);
			if (n > STAT_MANY_OF_ONE)
				many = p->comm, nmany = n;
		}
		left_open |= p->c.open_at_exit > 0;
		tw_fmt_proc(pid, sizeof(pid), name, sizeof(name), p);
		tw_stat_row(pid, name, p->state, &p->c);
		for (int d = 0; d < p->ndests; d++) {
			char dn[80];
			tw_fmt_dest(dn, sizeof(dn), &p->dests[d]);
			printf("  ");
			tw_stat_row("", dn, "", &p->dests[d].c);
			print_hint(&p->dests[d].hint);
		}
	}
	/* Rows only: the notes below are for people. */
	if (tw_stat_no_header)
		return;
	if (!shown)
		printf("(no process to show in %s%s)\n", s->name,
		       o->all ? "" : "; --all includes exited processes without TIME_WAIT");
	if (left_open)
		printf("\n(N) under OPEN: connections a vanished process still had when it ended "
		       "(killed, crashed,\n_exit(), exec). The kernel closed them, unseen by twshim: "
		       "each is an active close\n(TIME_WAIT here, not in the TIME_WAIT column) unless "
		       "the peer had closed first or data\nwas left unread (`man 7 twshim`, LIMITS).\n");
	/* Failures are never hidden silently: the processes that failed long
	 * ago are counted here, those of the last minutes listed above. */
	if (hidden_failed && !o->npids)
		printf("\n%d exited process%s with connect errors (%llu in all) not shown, older than "
		       "%d minutes: --all lists %s, --by-command sums %s.\n",
		       hidden_failed, hidden_failed == 1 ? "" : "es",
		       (unsigned long long)hidden_errors, STAT_FAILED_RECENT_MS / 60000,
		       hidden_failed == 1 ? "it" : "them", hidden_failed == 1 ? "it" : "them");
	if (many)
		printf("\n%d processes of %s listed: --by-command sums them into one row per "
		       "destination.\n", nmany, many);
	/* When a vanished process ended is unknown: it is listed while its own
	 * closes hold TIME_WAIT, and said to be there after that. */
	if (hidden_vanished && !o->npids)
		printf("\n%d vanished process%s (ended unseen with connections open) not shown: "
		       "--all lists %s.\n",
		       hidden_vanished, hidden_vanished == 1 ? "" : "es",
		       hidden_vanished == 1 ? "it" : "them");
}

/*
 * --prometheus: every ledger of the host in one file, for one collector per
 * host: the ones --shm names, else $TWSHIM_SHM's, else every twshim* ledger
 * in /dev/shm. One that is missing or cannot be read is said on stderr and
 * exported as twshim_ledger_up 0: the file is whole all the same, and the
 * status is 0 once it is written (1 only when writing failed).
 */
int tw_stat_export(FILE *out, const char *const *shm, int nshm, const struct tw_filter *filter)
{
	const char *env = getenv("TWSHIM_SHM");
	char **found = NULL, err[512];
	const char **names;
	size_t n = 0, nfound = 0;
	struct tw_prom_ledger *ls;
	int rc = TW_EXIT_FAIL, missing;

	if (nshm) {
		names = calloc((size_t)nshm, sizeof(*names));
		for (int i = 0; names && i < nshm; i++)
			names[n++] = shm[i];
	} else if (env && *env && strcmp(env, "off") != 0) {
		names = calloc(1, sizeof(*names));
		if (names)
			names[n++] = env;
	} else {
		nfound = tw_ledger_list(&found);
		names = calloc(nfound ? nfound : 1, sizeof(*names));
		for (size_t i = 0; names && i < nfound; i++)
			names[n++] = found[i];
	}
	ls = calloc(n ? n : 1, sizeof(*ls));
	if (!names || !ls) {
		tw_cli_error("stat --prometheus: out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		struct tw_snapshot *s = malloc(sizeof(*s));
		char *shown = malloc(TW_ESC_LEN(256));

		if (!s || !shown) {
			free(s);
			free(shown);
			tw_cli_error("stat --prometheus: out of memory");
			goto done;
		}
		tw_esc_name(shown, TW_ESC_LEN(256), names[i]);
		ls[i].name = shown;
		if (tw_snapshot_read(names[i], s, &missing, err, sizeof(err)) < 0) {
			tw_cli_error("stat --prometheus: %s: twshim_ledger_up 0", err);
			free(s);
			continue;
		}
		tw_filter_snapshot(s, filter);
		ls[i].snap = s;
		ls[i].name = s->name;
		free(shown);
	}
	if (tw_stat_prometheus_ledgers(out, ls, n, err, sizeof(err)) < 0)
		tw_cli_error("stat --prometheus: %s", err);
	else
		rc = TW_EXIT_OK;
done:
	for (size_t i = 0; ls && i < n; i++) {
		if (ls[i].snap)
			free((void *)ls[i].snap);
		else
			free((void *)ls[i].name);
	}
	free(ls);
	free(names);
	tw_ledger_list_free(found, nfound);
	return rc;
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
	if (o.by_command) {
		if (o.json)
			tw_stat_by_command_json(&snap);
		else
			tw_stat_by_command_text(&snap);
		return fflush(stdout) == 0 ? TW_EXIT_OK : TW_EXIT_FAIL;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	o.now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	qsort(snap.procs, (size_t)snap.nprocs, sizeof(snap.procs[0]), by_pressure);
	if (o.json)
		print_json(&snap, &o);
	else
		print_text(&snap, &o);
	return fflush(stdout) == 0 ? TW_EXIT_OK : TW_EXIT_FAIL;
}
