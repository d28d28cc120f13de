// SPDX-License-Identifier: MIT
/*
 * twshim doctor: what an operator runs when a service "hangs" on ports.
 *
 * The kernel knows how many TIME_WAIT entries there are and toward where,
 * but not who made them (they hold no fd: sock_diag reports inode 0). The
 * ledger knows who, per destination. Joined on the destination ip:port they
 * answer: how many, where, caused by which process (alive or exited), how
 * close each destination is to running out, and what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diagnosis.h"
#include "doctor.h"
#include "escape.h"
#include "filter.h"


static const char doctor_usage[] =
	"Usage: twshim doctor [--json|--prometheus|--check] [--pid PID] [--comm NAME]\n"
	"                     [--dest CIDR[:PORT]] [--netns NAME|PATH] [--shm NAME]...\n"
	"                     [--limit N]\n"
	"\n"
	"Diagnoses port exhaustion: reads the kernel's TCP sockets (NETLINK_SOCK_DIAG,\n"
	"IPv4 and IPv6) and the host's settings, joins TIME_WAIT toward each\n"
	"destination with the twshim ledgers to name the processes that made it\n"
	"(also after they exited), and lists findings, most severe first, each with\n"
	"its evidence and a fix.\n"
	"\n"
	"  TIME_WAIT by source -> destination: entries per local address and remote\n"
	"             ip:port; each holds one local port toward that destination for\n"
	"             60 s. USED is the share of the usable ephemeral ports\n"
	"             (ip_local_port_range minus ip_local_reserved_ports); past half\n"
	"             connect() slows, at 100% it fails with EADDRNOTAVAIL.\n"
	"             RATE is new entries per second over the last 10 s (read from\n"
	"             their timers); FULL IN the time to exhaustion at that rate.\n"
	"  Incoming:  entries on a port this host listens on: its service closed\n"
	"             first. They cost memory, not ports.\n"
	"  MADE BY:   processes that ran under twshim, from the ledger; the rest of\n"
	"             the kernel's count came from programs not run under twshim.\n"
	"\n"
	"Options:\n"
	"  --json             machine-readable output, the same content\n"
	"  --prometheus       the kernel's figures and the findings per severity in the\n"
	"                     Prometheus text format (node_exporter's textfile\n"
	"                     collector); exits 0 when written, whatever was found\n"
	"  --check            one line for Nagios or Icinga: the worst finding and\n"
	"                     performance data; exit 0 OK, 1 warning, 2 critical,\n"
	"                     3 unknown (the kernel or the namespace unreadable, or\n"
	"                     a usage error)\n"
	"  --pid PID          only PID's destinations, in PID's network namespace\n"
	"                     (an exited PID: its ledger rows, in this namespace)\n"
	"  --dest CIDR[:PORT] only these destinations (10.0.0.0/8, *:5432, [::1]:80):\n"
	"                     the kernel's entries toward them and the ledgers' rows\n"
	"  --comm NAME        only the destinations of this command's processes (its\n"
	"                     name as ps -o comm shows it), as --pid does for one\n"
	"  --netns NAME|PATH  look into another network namespace: a name from\n"
	"                     `ip netns` (/run/netns/NAME) or a path such as\n"
	"                     /proc/PID/ns/net (needs CAP_SYS_ADMIN)\n"
	"  --shm NAME         read this ledger (repeatable; default: $TWSHIM_SHM if\n"
	"                     set, else every /dev/shm/twshim* one: 16 read at\n"
	"                     most, the rest named as not read)\n"
	"  --owner USER       also read ledgers that USER owns (default: only yours\n"
	"                     and root's: see SECURITY in `man twshim`); repeatable\n"
	"  --limit N          rows per table (default 10)\n"
	"  -h, --help         this text\n"
	"\n"
	"Runs as an ordinary user: what it may not read is named in the report.\n"
	"Everything it reads is per network namespace, like the kernel's counters.\n"
	"\n"
	"Exit status: 0 nothing worse than a note; 1 the kernel's sockets could not be\n"
	"read; 2 usage error; 3 a warning or a critical finding (the report is whole).\n";

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < lo || n > hi) {
		tw_cli_error("%s '%s' is not a number from %d to %d", opt, v, lo, hi);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int parse_opts(struct doctor *d, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },      { "prometheus", no_argument, NULL, 'P' },
		{ "check", no_argument, NULL, 'c' },
		{ "comm", required_argument, NULL, 'C' },
		{ "dest", required_argument, NULL, 'D' },
		{ "pid", required_argument, NULL, 'p' }, { "netns", required_argument, NULL, 'n' },
		{ "shm", required_argument, NULL, 's' }, { "limit", required_argument, NULL, 'l' },
		{ "owner", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tw_filter filter = { 0 };
	char err[200];
	int c;

	d->limit = 10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': d->json = 1; break;
		case 'P': d->prometheus = 1; break;
		case 'c': d->check = 1; break;
		case 'C':
			if (tw_filter_set_comm(&filter, "doctor", optarg) < 0)
				return -1;
			d->comm = filter.comm;
			break;
		case 'D':
			if (tw_filter_set_dest(&d->dest, "doctor", optarg) < 0)
				return -1;
			break;
		case 'p':
			if (parse_int("--pid", optarg, 1, 1 << 30, &d->pid) < 0)
				return -1;
			break;
		case 'n': d->netns = optarg; break;
		case 'l':
			if (parse_int("--limit", optarg, 1, DR_MAX_DESTS, &d->limit) < 0)
				return -1;
			break;
		case 's':
			if (d->nshm == DR_MAX_LEDGERS) {
				tw_cli_error("--shm: at most %d ledgers", DR_MAX_LEDGERS);
				return -1;
			}
			d->shm[d->nshm++] = optarg;
			break;
		case 'o':
			if (tw_ledger_trust_owner(optarg, err, sizeof(err)) < 0) {
				tw_cli_error("doctor: %s", err);
				return -1;
			}
			break;
		case 'h': fputs(doctor_usage, stdout); return 1;
		default: tw_cli_bad_option("doctor", c, argv); return -1;
		}
	}
	if (optind < argc) {
		tw_cli_error("doctor: unexpected argument '%s'; try 'twshim doctor --help'",
		             argv[optind]);
		return -1;
	}
	if (d->json + d->prometheus + d->check > 1) {
		tw_cli_error("doctor: --json, --prometheus and --check are output formats: choose one");
		return -1;
	}
	if (d->pid && d->netns) {
		tw_cli_error("doctor: --pid already chooses PID's network namespace: drop --netns");
		return -1;
	}
	return 0;
}

static int same_netns(int fd)
{
	struct stat want, have;

	return tw_fstat(fd, &want) == 0 && tw_stat("/proc/self/ns/net", &have) == 0 &&
	       want.st_ino == have.st_ino && want.st_dev == have.st_dev;
}

/* Enters the namespace asked for, unless it is already ours. An exited
 * --pid stays here: the ledger still knows what it did. */
static int enter_netns(struct doctor *d)
{
	char path[256];
	int fd, err;

	path[0] = '\0';
	if (d->pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", d->pid);
	else if (d->netns)
		snprintf(path, sizeof(path), "%s%s", strchr(d->netns, '/') ? "" : "/run/netns/",
		         d->netns);
	fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (path[0] && fd < 0 && d->pid && errno == ENOENT) {
		snprintf(d->pid_note, sizeof(d->pid_note),
		         "process %d has exited: its ledger rows are shown against this network "
		         "namespace",
		         d->pid);
	} else if (path[0] && fd < 0) {
		tw_cli_error("cannot open the network namespace %s: %s", path, strerror(errno));
		return -1;
	} else if (fd >= 0 && !same_netns(fd) && setns(fd, CLONE_NEWNET) < 0) {
		err = errno;
		tw_cli_error("cannot enter the network namespace %s: %s%s", path, strerror(err),
		             err == EPERM ? " (entering another namespace needs CAP_SYS_ADMIN over "
		                            "it: run as root, or run doctor inside it)" : "");
		close(fd);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (readlink("/proc/self/ns/net", d->netns_id, sizeof(d->netns_id) - 1) < 0)
		snprintf(d->netns_id, sizeof(d->netns_id), "?");
	return 0;
}

/* Whether a ledger read holds PID (a process's own slot, not an aggregate
 * its exit was folded into: that one has no pid to find). */
static int pid_in_ledgers(const struct doctor *d)
{
	for (int s = 0; s < d->nsnaps; s++)
		for (int i = 0; i < d->snaps[s]->nprocs; i++)
			if (d->snaps[s]->procs[i].pid == d->pid && !d->snaps[s]->procs[i].aggregate)
				return 1;
	return 0;
}

static int comm_in_ledgers(const struct doctor *d)
{
	for (int s = 0; s < d->nsnaps; s++)
		for (int i = 0; i < d->snaps[s]->nprocs; i++)
			if (tw_comm_is(d->comm, d->snaps[s]->procs[i].comm))
				return 1;
	return 0;
}

static int wants_check(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--check") == 0)
			return 1;
	return 0;
}

/* What a run reads: the time, the host's settings, the kernel's sockets,
 * the ledgers. */
static int collect(struct doctor *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	d->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	tw_host_read(&d->host);
	return tw_kview_read(&d->kv, d->host.range_err[0] ? NULL : &d->host.ports, d->kv_err,
	                     sizeof(d->kv_err)) == 0;
}

static void release(struct doctor *d)
{
	tw_kview_free(&d->kv);
	free(d->caps);
	for (int i = 0; i < d->nsnaps; i++)
		free(d->snaps[i]);
	free(d);
}

int tw_doctor_export(FILE *out)
{
	struct doctor *d = calloc(1, sizeof(*d));
	int rc;

	if (!d) {
		tw_cli_error("export: doctor: out of memory");
		return -1;
	}
	d->limit = 10;
	if (readlink("/proc/self/ns/net", d->netns_id, sizeof(d->netns_id) - 1) < 0)
		snprintf(d->netns_id, sizeof(d->netns_id), "?");
	collect(d);
	dr_read_ledgers(d);
	dr_join(d);
	if (dr_assess(d) < 0) {
		tw_cli_error("export: doctor: out of memory");
		release(d);
		return -1;
	}
	dr_find(d);
	rc = dr_report_prometheus(d, out);
	release(d);
	return rc;
}

int tw_cmd_doctor(int argc, char **argv)
{
	struct doctor *d = calloc(1, sizeof(*d));
	int rc = TW_EXIT_OK, kernel_ok;

	if (!d) {
		tw_cli_error("doctor: out of memory");
		return TW_EXIT_FAIL;
	}
	switch (parse_opts(d, argc, argv)) {
	case 1: free(d); return TW_EXIT_OK;
	case -1:
		free(d);
		/* A plugin's usage error is UNKNOWN, said on stdout, which the
		 * monitoring system shows; the reason is on stderr as ever. */
		return wants_check(argc, argv) ? dr_report_check_unknown("usage error: see stderr, "
		                                                         "or twshim doctor --help")
		                               : TW_EXIT_USAGE;
	}
	if (enter_netns(d) < 0) {
		rc = d->check ? dr_report_check_unknown("the network namespace asked for cannot be "
		                                        "entered: see stderr")
		              : TW_EXIT_FAIL;
		free(d);
		return rc;
	}
	kernel_ok = collect(d);
	dr_read_ledgers(d);
	/* --dest: what is left of the kernel's groups and the ledgers' rows. */
	tw_filter_kview(&d->kv, &d->dest);
	for (int i = 0; i < d->nsnaps; i++)
		tw_filter_snapshot(d->snaps[i], &d->dest);
	if (d->pid && !pid_in_ledgers(d)) {
		/* Nothing of it to report: say so, rather than a report about
		 * everything else that reads as if it were about PID. */
		char why[256];
		snprintf(why, sizeof(why),
		         "doctor: process %d %s, and none of the %d twshim ledger%s read here has it: "
		         "it did not run under twshim, or its ledger is another (--shm NAME)%s",
		         d->pid, d->pid_note[0] ? "is not running" : "runs", d->nsnaps,
		         d->nsnaps == 1 ? "" : "s",
		         d->nledger_errs ? "; some ledgers could not be read" : "");
		rc = d->check ? dr_report_check_unknown(why) : TW_EXIT_FAIL;
		if (!d->check)
			tw_cli_error("%s", why);
		goto out;
	}
	if (d->comm && !comm_in_ledgers(d)) {
		char why[256], shown[TW_SNAP_COMM_LEN];

		tw_esc_name(shown, sizeof(shown), d->comm);
		snprintf(why, sizeof(why),
		         "doctor: no process of %s is in the %d twshim ledger%s read here: it did not "
		         "run under twshim, or its ledger is another (--shm NAME)",
		         shown, d->nsnaps, d->nsnaps == 1 ? "" : "s");
		rc = d->check ? dr_report_check_unknown(why) : TW_EXIT_FAIL;
		if (!d->check)
			tw_cli_error("%s", why);
		goto out;
	}
	dr_join(d);
	if (dr_assess(d) < 0) {
		tw_cli_error("doctor: out of memory");
		rc = d->check ? dr_report_check_unknown("out of memory") : TW_EXIT_FAIL;
		goto out;
	}
	dr_find(d);
	if (d->check) {
		rc = dr_report_check(d);
	} else if (d->prometheus) {
		/* For collectors (`doctor --prometheus > f.tmp && mv f.tmp f`):
		 * findings are in the metrics, the status says written or not. */
		rc = dr_report_prometheus(d, stdout) == 0 ? TW_EXIT_OK : TW_EXIT_FAIL;
	} else {
		dr_report(d, d->json ? TW_EMIT_JSON : TW_EMIT_TEXT);
		for (int i = 0; i < d->nfindings; i++)
			if (d->findings[i].sev >= DR_WARNING)
				rc = TW_EXIT_FINDINGS;
		if (!kernel_ok)
			rc = TW_EXIT_FAIL;
	}
out:
	release(d);
	return rc;
}
