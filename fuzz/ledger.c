// SPDX-License-Identifier: MIT
/*
 * The ledger reader (cli/ledger_read.c) on arbitrary segment bytes, and
 * what `twshim stat` and `twshim doctor` make of whatever it accepts: the
 * segment is written by other processes, an older build or a hostile user.
 *
 * Input: one byte of flags, then the segment's bytes from offset 0.
 *   0x01  keep the header as given; else its magic, version and sizes are
 *         made this build's, so that the slots behind it get read
 *   0x02  the segment is the bytes given; else zeros follow them up to the
 *         ledger's size (a real segment is mostly zeros)
 *   0x04  doctor reads it; else stat (each read costs a copy of the whole
 *         segment: one reader per input keeps the runs fast)
 *   0x18  the output: 0 text, 0x08 stat --by-command or doctor --check,
 *         0x10 --json, 0x18 --prometheus
 *   0x20  stat --all (but with --by-command, which refuses it); doctor
 *         --pid of the first process read
 *   0x40  --comm, the command name slot 0 holds
 *   0x80  stat --no-header; doctor --limit 1
 * Whatever the segment holds, what stat and doctor print holds no control
 * character but the newline: a name from the segment must not reach the
 * terminal raw (an escape sequence), nor split a line of the output.
 * doctor's kernel view is made from the ledger's own destinations (each a
 * TIME_WAIT group of its count), so that the join has something to match;
 * the host settings are this machine's, read once.
 */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "doctor/diagnosis.h"
#include "fuzz.h"

#define FZ_GROUPS 64

static char name[64];
static struct tw_host host;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int out = memfd_create("fuzz-ledger-stdout", MFD_CLOEXEC);

	(void)argc;
	(void)argv;
	/* Not a twshim* name: doctor, in a test beside this, would read it. */
	snprintf(name, sizeof(name), "/fuzz-ledger.%d", (int)getpid());
	/* What stat and doctor print goes to a file in memory, read back after
	 * each input (output_checked) and emptied. */
	if (out < 0 || dup2(out, STDOUT_FILENO) < 0)
		abort();
	close(out);
	tw_host_read(&host);
	return 0;
}

/* What was printed: only text, one line per newline. */
static void output_checked(void)
{
	static char buf[1 << 16];
	off_t at = 0;
	ssize_t n;

	fflush(stdout);
	while ((n = pread(STDOUT_FILENO, buf, sizeof(buf), at)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			FZ_CHECK(buf[i] == '\n' ||
			         ((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f));
		at += n;
	}
	if (ftruncate(STDOUT_FILENO, 0) < 0 || lseek(STDOUT_FILENO, 0, SEEK_SET) < 0)
		abort();
}

static void write_segment(const uint8_t *data, size_t size, unsigned flags)
{
	struct tw_ledger_header h;
	size_t hn = size < sizeof(h) ? size : sizeof(h);
	int fd;

	shm_unlink(name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	memset(&h, 0, sizeof(h));
	memcpy(&h, data, hn);
	if (!(flags & 0x01)) {
		h.magic = TW_LEDGER_MAGIC;
		h.version = TW_LEDGER_VERSION;
		h.header_size = sizeof(h);
		h.slot_size = sizeof(struct tw_slot);
		h.slots = TW_SLOTS;
		h.agg_slots = TW_AGG_SLOTS;
		h.dests = TW_DESTS;
		h.win_buckets = TW_WIN_BUCKETS;
		h.win_quantum_ms = TW_WIN_QUANTUM_MS;
		h.hist_buckets = TW_HIST_BUCKETS;
		h.err_count = TW_ERR_COUNT;
		h.total_size = sizeof(struct tw_ledger);
		hn = sizeof(h);
	}
	if (pwrite(fd, &h, hn, 0) != (ssize_t)hn ||
	    (size > sizeof(h) && pwrite(fd, data + sizeof(h), size - sizeof(h), sizeof(h)) !=
	                             (ssize_t)(size - sizeof(h))) ||
	    (!(flags & 0x02) && size < sizeof(struct tw_ledger) &&
	     ftruncate(fd, sizeof(struct tw_ledger)) < 0))
		abort();
	close(fd);
}

/* The command name in slot 0 of the input, cut at its size: what --comm
 * names, as a user would who read it in stat's output. */
static const char *slot0_comm(const uint8_t *seg, size_t size, char *buf)
{
	const size_t at = offsetof(struct tw_ledger, slots) + offsetof(struct tw_slot, comm);

	memset(buf, 0, TW_COMM_LEN);
	if (size > at)
		memcpy(buf, seg + at, size - at < TW_COMM_LEN - 1 ? size - at : TW_COMM_LEN - 1);
	return buf[0] ? buf : "x";
}

static void run_stat(unsigned flags, const char *comm)
{
	static const char *const formats[] = { NULL, "--by-command", "--json", "--prometheus" };
	char *argv[10] = { "stat", "--shm", name };
	int argc = 3;

	if (formats[(flags >> 3) & 3])
		argv[argc++] = (char *)formats[(flags >> 3) & 3];
	if ((flags & 0x20) && ((flags >> 3) & 3) != 1)
		argv[argc++] = "--all";
	if (flags & 0x40) {
		argv[argc++] = "--comm";
		argv[argc++] = (char *)comm;
	}
	if (flags & 0x80)
		argv[argc++] = "--no-header";
	argv[argc] = NULL;
	FZ_CHECK(tw_cmd_stat(argc, argv) != TW_EXIT_USAGE);
}

static int by_count(const void *a, const void *b)
{
	const struct tw_tw_group *x = a, *y = b;

	return (x->count < y->count) - (x->count > y->count);
}

/* The kernel's TIME_WAIT as doctor would read it, toward what the ledger names. */
static void kernel_view(struct doctor *d)
{
	static struct tw_tw_group groups[FZ_GROUPS];
	size_t n = 0;

	memset(&d->kv, 0, sizeof(d->kv));
	for (int s = 0; s < d->nsnaps; s++)
		for (int p = 0; p < d->snaps[s]->nprocs; p++) {
			const struct tw_snap_proc *sp = &d->snaps[s]->procs[p];
			for (int i = 0; i < sp->ndests && n < FZ_GROUPS; i++) {
				const struct tw_snap_dest *ld = &sp->dests[i];
				struct tw_tw_group *g = &groups[n];
				if (ld->kind == TW_DEST_REST)
					continue;
				memset(g, 0, sizeof(*g));
				g->family = ld->family;
				g->incoming = ld->kind == TW_DEST_IN;
				g->port = ld->port;
				memcpy(g->incoming ? g->local : g->remote, ld->ip, 16);
				g->count = (uint32_t)(ld->c.connects % 100000);
				g->in_range = g->incoming ? 0 : g->count;
				g->last10s = g->in_range / 2;
				g->next10s = g->in_range / 3;
				g->min_ms = 1000;
				g->max_ms = 59000;
				d->kv.time_wait += g->count;
				n++;
			}
		}
	qsort(groups, n, sizeof(groups[0]), by_count);
	d->kv.groups = n ? groups : NULL;
	d->kv.ngroups = n;
	d->kv.states[TCP_TIME_WAIT] = d->kv.time_wait;
	d->kv.total = d->kv.time_wait;
	d->kv.tw_min_ms = n ? 1000 : 0;
	d->kv.tw_max_ms = n ? 59000 : 0;
}

static void run_doctor(unsigned flags, const char *comm)
{
	struct doctor *d = calloc(1, sizeof(*d));

	if (!d)
		abort();
	d->limit = flags & 0x80 ? 1 : 10;
	d->check = (flags & 0x18) == 0x08;
	d->json = (flags & 0x18) == 0x10;
	d->prometheus = (flags & 0x18) == 0x18;
	d->nshm = 1;
	d->shm[0] = name;
	snprintf(d->netns_id, sizeof(d->netns_id), "net:[4026531840]");
	d->now_ms = INT64_C(1767225600000); /* 2026-01-01, whatever the clock says */
	d->host = host;
	dr_read_ledgers(d);
	if ((flags & 0x20) && d->nsnaps && d->snaps[0]->nprocs && d->snaps[0]->procs[0].pid > 0)
		d->pid = d->snaps[0]->procs[0].pid;
	if (flags & 0x40)
		d->comm = comm;
	kernel_view(d);
	dr_join(d);
	if (dr_assess(d) < 0)
		abort();
	dr_find(d);
	if (d->check)
		dr_report_check(d);
	else if (d->prometheus)
		dr_report_prometheus(d, stdout);
	else
		dr_report(d, d->json ? TW_EMIT_JSON : TW_EMIT_TEXT);
	FZ_CHECK(d->ndests <= DR_MAX_DESTS && d->nfindings <= DR_MAX_FINDINGS);
	for (int i = 0; i < d->nsnaps; i++)
		free(d->snaps[i]);
	free(d->caps);
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char comm[TW_COMM_LEN];
	unsigned flags;

	if (size < 1 || size - 1 > sizeof(struct tw_ledger))
		return 0;
	flags = data[0];
	write_segment(data + 1, size - 1, flags);
	if (flags & 0x04)
		run_doctor(flags, slot0_comm(data + 1, size - 1, comm));
	else
		run_stat(flags, slot0_comm(data + 1, size - 1, comm));
	output_checked();
	shm_unlink(name);
	return 0;
}
