// SPDX-License-Identifier: MIT
/* Narrowing a report to some processes: see filter.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "escape.h"
#include "filter.h"
#include "per_command.h"

int tw_filter_add_pid(struct tw_filter *f, const char *verb, const char *arg)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] < '0' || arg[0] > '9' || pid <= 0 ||
	    pid > 0x7fffffff) {
		tw_cli_error("%s: '%s' is not a process id (a positive number)", verb, arg);
		return -1;
	}
	if (f->npids == TW_FILTER_MAX_PIDS) {
		tw_cli_error("%s: at most %d process ids", verb, TW_FILTER_MAX_PIDS);
		return -1;
	}
	f->pids[f->npids++] = (int)pid;
	return 0;
}

int tw_filter_set_comm(struct tw_filter *f, const char *verb, const char *arg)
{
	/* The kernel keeps 15 bytes of a command's name (TASK_COMM_LEN): a
	 * longer one would match nothing, silently. */
	if (!*arg || strlen(arg) > TW_COMM_LEN - 1) {
		tw_cli_error("%s: --comm '%s': a command's name as the kernel has it, 1 to %d bytes "
		             "(ps -o comm shows it)",
		             verb, arg, (int)TW_COMM_LEN - 1);
		return -1;
	}
	f->comm = arg;
	return 0;
}

int tw_comm_is(const char *given, const char *shown)
{
	char esc[TW_SNAP_COMM_LEN];

	tw_esc_name(esc, sizeof(esc), given);
	return strcmp(esc, shown) == 0;
}

int tw_filter_set_dest(struct tw_filter *f, const char *verb, const char *arg)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s", arg);
	if (strlen(arg) >= sizeof(buf) || tw_dest_pattern_parse(buf, &f->dest) < 0) {
		tw_cli_error("%s: --dest '%s' is not a destination: expected CIDR[:PORT] such as "
		             "10.0.0.0/8, 10.1.2.3:5432, *:8080, fd00::/8 or [::1]:80",
		             verb, arg);
		return -1;
	}
	f->has_dest = 1;
	return 0;
}

int tw_filter_active(const struct tw_filter *f)
{
	return f && (f->npids > 0 || f->comm != NULL || f->has_dest);
}

/* Keeps p's destinations that match f's pattern; its totals become theirs.
 * Returns how many are kept. */
static int keep_dests(struct tw_snap_proc *p, const struct tw_filter *f)
{
	int n = 0;

	memset(&p->c, 0, sizeof(p->c));
	for (int d = 0; d < p->ndests; d++) {
		const struct tw_snap_dest *x = &p->dests[d];
		if (x->kind == TW_DEST_REST ||
		    !tw_dest_pattern_match(&f->dest, x->family, x->ip, x->port))
			continue;
		if (n != d)
			p->dests[n] = *x;
		tw_counters_add(&p->c, &p->dests[n].c);
		n++;
	}
	p->ndests = n;
	p->dest_overflow = 0;
	return n;
}

void tw_filter_kview(struct tw_kview *kv, const struct tw_filter *f)
{
	size_t n = 0;

	if (!f || !f->has_dest)
		return;
	for (size_t i = 0; i < kv->ngroups; i++) {
		const struct tw_tw_group *g = &kv->groups[i];
		if (!tw_dest_pattern_match(&f->dest, g->family, g->incoming ? g->local : g->remote,
		                           g->port))
			continue;
		if (n != i)
			kv->groups[n] = *g;
		n++;
	}
	kv->ngroups = n;
}

int tw_filter_keeps(const struct tw_filter *f, const struct tw_snap_proc *p)
{
	int pid_ok = f->npids == 0;

	for (int i = 0; i < f->npids && !pid_ok; i++)
		pid_ok = f->pids[i] == p->pid && !p->aggregate;
	return pid_ok && (!f->comm || tw_comm_is(f->comm, p->comm));
}

void tw_filter_snapshot(struct tw_snapshot *s, const struct tw_filter *f)
{
	int n = 0;

	if (!tw_filter_active(f))
		return;
	for (int i = 0; i < s->nprocs; i++)
		if (tw_filter_keeps(f, &s->procs[i]) && (!f->has_dest || keep_dests(&s->procs[i], f))) {
			if (n != i)
				s->procs[n] = s->procs[i];
			n++;
		}
	s->nprocs = n;
}
