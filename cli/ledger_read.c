// SPDX-License-Identifier: MIT
/*
 * Reading the ledger. The segment is written by other processes, possibly
 * an older or a hostile build: nothing in it is trusted. The header must
 * match this build's layout exactly, every enum is range-checked, strings
 * are cut at their size, and all of it is copied out before use.
 */
#include "ledger_read.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "twshim/proc.h"

static const char *const err_names[TW_ERR_COUNT] = {
	"EADDRNOTAVAIL", "EADDRINUSE", "ECONNREFUSED", "ETIMEDOUT",
	"ENETUNREACH", "EHOSTUNREACH", "ECONNRESET", "other",
};

const char *tw_err_name(unsigned i)
{
	return i < TW_ERR_COUNT ? err_names[i] : "?";
}

const char *tw_default_shm(char *buf, size_t len)
{
	const char *v = getenv("TWSHIM_SHM");

	if (v && *v)
		snprintf(buf, len, "%s", v);
	else
		snprintf(buf, len, "/twshim.%u", (unsigned)geteuid());
	return buf;
}

static uint32_t now_quantum(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return tw_quantum((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void snap_counters(struct tw_snap_counters *o, const struct tw_counters *c, uint32_t q)
{
	memset(o, 0, sizeof(*o));
	o->connects = atomic_load(&c->connects);
	for (unsigned i = 0; i < TW_ERR_COUNT; i++) {
		o->connect_errors[i] = atomic_load(&c->connect_errors[i]);
		o->connect_errors_total += o->connect_errors[i];
	}
	o->accepts = atomic_load(&c->accepts);
	o->binds = atomic_load(&c->binds);
	o->active_closes = atomic_load(&c->active_closes);
	o->passive_closes = atomic_load(&c->passive_closes);
	o->reset_closes = atomic_load(&c->reset_closes);
	o->other_closes = atomic_load(&c->other_closes);
	o->open_now = atomic_load(&c->open_now);
	o->connect_us_sum = atomic_load(&c->connect_us_sum);
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++) {
		o->lifetime_ms_hist[i] = atomic_load(&c->lifetime_ms_hist[i]);
		o->connect_us_hist[i] = atomic_load(&c->connect_us_hist[i]);
		o->connect_samples += o->connect_us_hist[i];
	}
	o->time_wait = tw_window_sum(c->tw_window, q);
	for (unsigned i = 0; i < TW_ACT_COUNT; i++) {
		o->actions[i] = atomic_load(&c->actions[i]);
		o->actions_total += o->actions[i];
	}
}

static void format_addr(char *out, size_t len, const struct tw_dest *d)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (d->kind == TW_DEST_REST) {
		snprintf(out, len, "(other destinations)");
	} else if (d->family == 4) {
		inet_ntop(AF_INET, d->addr, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, d->port);
	} else {
		inet_ntop(AF_INET6, d->addr, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, d->port);
	}
}

/* The counters of a process that has ended hold nothing open now. */
static void gone(struct tw_snap_counters *c, int vanished)
{
	if (vanished && c->open_now > 0)
		c->open_at_exit = c->open_now;
	c->open_now = 0;
}

static void snap_proc(struct tw_snap_proc *p, const struct tw_slot *s, uint32_t st, int idx,
                      uint32_t q)
{
	char comm[TW_COMM_LEN];

	memset(p, 0, sizeof(*p));
	p->slot = idx;
	p->pid = s->pid;
	p->ppid = s->ppid;
	memcpy(comm, s->comm, TW_COMM_LEN);
	comm[TW_COMM_LEN - 1] = '\0';
	/* Any bytes at all (a process names itself; a planted segment says
	 * anything): escaped once here, so that no output prints them raw. */
	tw_esc_name(p->comm, sizeof(p->comm), comm);
	p->aggregate = st == TW_SLOT_AGGREGATE;
	p->alive = st == TW_SLOT_LIVE && tw_proc_alive(s->pid, s->start_ticks, close);
	p->merged_procs = atomic_load(&s->merged_procs);
	p->start_ms = s->start_realtime_ms;
	p->exit_ms = atomic_load(&s->exit_realtime_ms);
	p->dest_overflow = atomic_load(&s->dest_overflow);
	snap_counters(&p->c, &s->total, q);
	/* Still LIVE, yet the process is gone, with connections open: the
	 * shim never saw it end (a signal killed it, it crashed, called
	 * _exit(), or exec'd a program the shim is not in). Those the kernel
	 * closed, out of the shim's sight: kept apart, as open_at_exit. Gone
	 * unseen with nothing open (a worker ending in _exit()), it missed
	 * nothing: exited. */
	p->vanished = st == TW_SLOT_LIVE && !p->alive && p->c.open_now > 0;
	p->state = p->aggregate ? "aggregate" : p->alive ? "alive" : p->vanished ? "vanished" : "exited";
	/* A process that is gone holds nothing open: whatever it left, the
	 * kernel closed (counted by the shim at exit where it could be). */
	if (!p->alive && !p->aggregate)
		gone(&p->c, p->vanished);
	for (unsigned i = 0; i < TW_DESTS; i++) {
		const struct tw_dest *d = &s->dests[i];
		struct tw_snap_dest *o = &p->dests[p->ndests];

		if (atomic_load(&d->state) != TW_DEST_READY || d->kind > TW_DEST_REST ||
		    (d->kind != TW_DEST_REST && d->family != 4 && d->family != 6))
			continue;
		o->kind = d->kind;
		format_addr(o->addr, sizeof(o->addr), d);
		o->family = d->family;
		memcpy(o->ip, d->addr, sizeof(o->ip));
		o->port = d->port;
		snap_counters(&o->c, &d->c, q);
		if (!p->alive && !p->aggregate)
			gone(&o->c, p->vanished);
		o->hint.at_ms = atomic_load(&d->hint.at_ms);
		o->hint.advice = atomic_load(&d->hint.advice);
		o->hint.flags = o->hint.advice & ~TW_ADVICE_MASK &
		                (TW_HINT_OUT_NOW | TW_HINT_CLOSE_ON | TW_HINT_SOURCES_ON);
		o->hint.advice &= TW_ADVICE_MASK;
		if (o->hint.at_ms > 0 && o->hint.advice <= TW_ADVICE_URGENT) {
			o->hint.per_min = atomic_load(&d->hint.per_min);
			o->hint.time_wait = atomic_load(&d->hint.time_wait);
			o->hint.ports = atomic_load(&d->hint.ports);
			o->hint.eta_s = atomic_load(&d->hint.eta_s);
			o->hint.lifetime_p50_ms = atomic_load(&d->hint.lifetime_p50_ms);
			o->hint.connect_p50_us = atomic_load(&d->hint.connect_p50_us);
			o->hint.connect_p50_us_before = atomic_load(&d->hint.connect_p50_us_before);
		} else {
			o->hint.at_ms = 0;
		}
		/* The catch-all entry is listed only once it holds something. */
		if (d->kind == TW_DEST_REST && o->c.connects + o->c.connect_errors_total +
		                                   o->c.accepts + o->c.active_closes == 0)
			continue;
		p->ndests++;
	}
}

static int copy(int fd, const struct tw_ledger *l, size_t size, const char *name, char *err,
                size_t errlen)
{
	for (size_t got = 0; got < size;) {
		ssize_t n = pread(fd, (char *)l + got, size - got, (off_t)got);
		if (n <= 0) {
			snprintf(err, errlen, "ledger %s: read: %s", name,
			         n < 0 ? strerror(errno) : "it shrank while being read");
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/*
 * A fold moves an exited slot's counts into its command's aggregate (after
 * it in the segment), then gives the slot to a new process. A copy taken
 * meanwhile may hold those counts twice (the slot copied before the fold,
 * the aggregate after) or not at all; summed per command (stat
 * --prometheus) that is a counter going down, which Prometheus takes for a
 * reset. The fold holds the slot CLAIMING from before its first addition
 * until it bumps the slot's generation: a slot CLAIMING in the copy, or
 * CLAIMING or of another generation now, says the copy may be torn.
 */
int tw_ledger_moved(int fd, const struct tw_ledger *copy)
{
	_Static_assert(offsetof(struct tw_slot, state) == 0 &&
	                       offsetof(struct tw_slot, generation) == 4,
	               "a slot begins with its state and generation");

	for (unsigned i = 0; i < TW_SLOTS; i++) {
		const struct tw_slot *s = &copy->slots[i];
		off_t at = (off_t)(offsetof(struct tw_ledger, slots) + i * sizeof(struct tw_slot));
		uint32_t now[2], was = atomic_load(&s->state);

		if (pread(fd, now, sizeof(now), at) != (ssize_t)sizeof(now))
			return 1;
		if (was == TW_SLOT_CLAIMING || now[0] == TW_SLOT_CLAIMING ||
		    now[1] != atomic_load(&s->generation))
			return 1;
	}
	return 0;
}

int tw_snapshot_read(const char *name, struct tw_snapshot *snap, int *missing, char *err,
                     size_t errlen)
{
	const size_t size = sizeof(struct tw_ledger);
	struct tw_ledger_header h;
	const struct tw_ledger *l;
	uint32_t q;
	int fd;

	memset(snap, 0, offsetof(struct tw_snapshot, procs));
	tw_esc_name(snap->name, sizeof(snap->name), name);
	fd = tw_ledger_open_ro(name, &h, missing, err, errlen);
	if (fd < 0)
		return -1;
	/* A copy, not a mapping: a segment truncated under us would fault a
	 * mapping (SIGBUS); a short read is just an error. */
	l = malloc(size);
	if (!l) {
		snprintf(err, errlen, "ledger %s: no memory for %zu bytes", snap->name, size);
		close(fd);
		return -1;
	}
	/* Copied again while slots moved under the copy (tw_ledger_moved);
	 * a few times at most: past that, this copy is as good as the next. */
	for (int tries = 0;; tries++) {
		if (copy(fd, l, size, snap->name, err, errlen) < 0) {
			free((void *)l);
			close(fd);
			return -1;
		}
		if (tries == 3 || !tw_ledger_moved(fd, l))
			break;
	}
	close(fd);
	snap->created_ms = l->h.created_realtime_ms;
	snap->slot_claims = atomic_load(&l->h.slot_claims);
	snap->slots_folded = atomic_load(&l->h.slots_folded);
	snap->attach_overflow = atomic_load(&l->h.attach_overflow);
	q = now_quantum();
	for (unsigned i = 0; i < TW_SLOTS; i++) {
		uint32_t s = atomic_load_explicit(&l->slots[i].state, memory_order_acquire);
		if (s == TW_SLOT_LIVE || s == TW_SLOT_EXITED || s == TW_SLOT_AGGREGATE)
			snap_proc(&snap->procs[snap->nprocs++], &l->slots[i], s, (int)i, q);
	}
	free((void *)l);
	return 0;
}
