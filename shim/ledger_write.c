// SPDX-License-Identifier: MIT
/*
 * Mapping the ledger and counting into it.
 *
 * Every update after a slot is published is a relaxed atomic add: the
 * counters are independent, readers tolerate a snapshot that is a few
 * events apart between fields, and no lock is ever taken, so counting is
 * safe from close() and from signal handlers.
 *
 * HAZARD: the segment lives in tmpfs, which backs a page only when it is
 * first touched. A touch that tmpfs cannot back (/dev/shm full, or smaller
 * than the segment: Docker's is 64 MB) raises SIGBUS in the host, and a
 * truncated segment does the same beyond its end. Hence every page is
 * reserved before the mapping is used (reserve()), and a segment shorter
 * than the layout is never mapped. What no check here can prevent: the
 * segment truncated by another process while this one has it mapped. Only
 * its owner (this user, the segment being 0600) or root can do that.
 */
#include "ledger_write.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "real.h"
#include "twshim/proc.h"

struct tw_ledger *tw_ledger;

uint64_t tw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t tw_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void header_init(struct tw_ledger_header *h)
{
	h->version = TW_LEDGER_VERSION;
	h->header_size = sizeof(struct tw_ledger_header);
	h->slot_size = sizeof(struct tw_slot);
	h->slots = TW_SLOTS;
	h->agg_slots = TW_AGG_SLOTS;
	h->dests = TW_DESTS;
	h->win_buckets = TW_WIN_BUCKETS;
	h->win_quantum_ms = TW_WIN_QUANTUM_MS;
	h->hist_buckets = TW_HIST_BUCKETS;
	h->err_count = TW_ERR_COUNT;
	h->total_size = sizeof(struct tw_ledger);
	h->created_realtime_ms = tw_realtime_ms();
	/* Publish: a reader or writer that sees the magic sees all of the above. */
	atomic_store_explicit((_Atomic uint64_t *)&h->magic, TW_LEDGER_MAGIC, memory_order_release);
}

static int header_check(const struct tw_ledger_header *h, const char *name, char *err,
                        size_t errlen)
{
	if (h->version != TW_LEDGER_VERSION || h->total_size != sizeof(struct tw_ledger) ||
	    h->slot_size != sizeof(struct tw_slot) || h->slots != TW_SLOTS ||
	    h->dests != TW_DESTS || h->win_buckets != TW_WIN_BUCKETS ||
	    h->hist_buckets != TW_HIST_BUCKETS || h->err_count != TW_ERR_COUNT ||
	    h->agg_slots != TW_AGG_SLOTS || h->win_quantum_ms != TW_WIN_QUANTUM_MS) {
		snprintf(err, errlen,
		         "ledger %s has layout version %u (%llu bytes), this libtwshim.so "
		         "writes version %u (%zu bytes): remove it (rm /dev/shm%s) or set "
		         "TWSHIM_SHM to another name",
		         name, h->version, (unsigned long long)h->total_size,
		         TW_LEDGER_VERSION, sizeof(struct tw_ledger), name);
		return -1;
	}
	return 0;
}

/* Backs every page of the segment now: on tmpfs fallocate allocates them
 * all or fails (ENOSPC) having allocated none; where it is not supported
 * posix_fallocate writes each block instead. Pages already backed (a
 * segment another process reserved) cost a lookup each. Never extends the
 * segment: size is its size. Returns 0 or an errno. */
static int reserve(int fd, size_t size)
{
	int rc;

	/* tmpfs gives up on a pending signal; the program's own signals
	 * must not cost it its ledger. */
	do
		rc = posix_fallocate(fd, 0, (off_t)size);
	while (rc == EINTR);
	return rc;
}

int tw_ledger_open(const char *name, char *err, size_t errlen)
{
	const size_t size = sizeof(struct tw_ledger);
	struct tw_ledger *l = MAP_FAILED;
	int created = 0, rc = TW_LEDGER_UNAVAILABLE, ret;
	struct stat st;
	int fd;

	/* O_NOFOLLOW (glibc adds it too) and O_NONBLOCK: the name is in a
	 * directory every user may write, and another user may have put a
	 * symbolic link or a FIFO there first. */
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd >= 0) {
		created = 1;
		if (ftruncate(fd, (off_t)size) < 0) {
			snprintf(err, errlen, "ledger %s: cannot size it to %zu bytes: %s", name,
			         size, strerror(errno));
			shm_unlink(name);
			goto done;
		}
	} else if (errno == EEXIST) {
		fd = shm_open(name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
	}
	if (fd < 0) {
		snprintf(err, errlen, "ledger %s: cannot open it: %s%s", name, strerror(errno),
		         errno == EACCES || errno == ELOOP ?
		         " (another user's? set TWSHIM_SHM to another name)" : "");
		goto done;
	}
	if (tw_fstat(fd, &st) < 0) {
		snprintf(err, errlen, "ledger %s: fstat: %s", name, strerror(errno));
		goto done;
	}
	/* Someone else's segment, or not a segment at all: never count into
	 * it. What another user can plant is "unavailable", not "unusable":
	 * under TWSHIM_STRICT=1 it must not stop the program (init.c). */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen,
		         "ledger %s is %s of uid %u, not a segment of this user's (uid %u): "
		         "set TWSHIM_SHM to another name, or remove it",
		         name, S_ISREG(st.st_mode) ? "a file" : "no regular file",
		         (unsigned)st.st_uid, (unsigned)geteuid());
		goto done;
	}
	/* From here on the segment is this user's: only this user or root can
	 * have made it wrong. */
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		         "ledger %s belongs to uid %u with mode %03o; it must be ours (uid %u) "
		         "and private (0600): remove it or set TWSHIM_SHM to another name",
		         name, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777),
		         (unsigned)geteuid());
		rc = TW_LEDGER_UNUSABLE;
		goto done;
	}
	/* A creator may be between shm_open and ftruncate: give it a moment. */
	for (int i = 0; !created && (size_t)st.st_size < size && i < 100; i++) {
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
		if (tw_fstat(fd, &st) < 0)
			break;
	}
	/* Shorter (truncated): mapping it whole would fault beyond its end. */
	if ((size_t)st.st_size != size) {
		snprintf(err, errlen,
		         "ledger %s is %lld bytes, this libtwshim.so expects %zu: remove it "
		         "(rm /dev/shm%s) or set TWSHIM_SHM to another name",
		         name, (long long)st.st_size, size, name);
		rc = TW_LEDGER_UNUSABLE;
		goto done;
	}
	/* Made by us: reserved here. Made by another process: it reserved
	 * it, unless it is an older libtwshim.so (sparse segments) or is
	 * reserving it right now; st_blocks, tmpfs's count of backed pages,
	 * tells, at no cost (reserving again costs as much as the first time,
	 * about 1 ms: a lookup per page). */
	if ((created || (uint64_t)st.st_blocks * 512 < size) && (ret = reserve(fd, size)) != 0) {
		snprintf(err, errlen,
		         "ledger %s: cannot reserve its %zu bytes in /dev/shm: %s (/dev/shm is "
		         "full or smaller than that: see df /dev/shm)",
		         name, size, strerror(ret));
		if (created) /* what a next process would find, it could not use either */
			shm_unlink(name);
		goto done;
	}
	l = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (l == MAP_FAILED) {
		snprintf(err, errlen, "ledger %s: mmap of %zu bytes: %s", name, size,
		         strerror(errno));
		goto done;
	}
	if (created) {
		header_init(&l->h);
	} else {
		for (int i = 0; i < 1000; i++) {
			if (atomic_load_explicit((_Atomic uint64_t *)&l->h.magic,
			                         memory_order_acquire) == TW_LEDGER_MAGIC)
				break;
			sched_yield();
		}
		rc = TW_LEDGER_UNUSABLE;
		if (l->h.magic != TW_LEDGER_MAGIC) {
			snprintf(err, errlen, "ledger %s is not a twshim ledger (bad magic): "
			         "remove it or set TWSHIM_SHM to another name", name);
			goto done;
		}
		if (header_check(&l->h, name, err, errlen) < 0)
			goto done;
	}
	tw_ledger = l;
	rc = 0;
done:
	if (rc < 0 && l != MAP_FAILED)
		munmap(l, size);
	if (fd >= 0)
		tw_real.close(fd);
	return rc;
}

/* This process's slot. state: 0 none, 1 being claimed, 2 ready, 3 none to be had. */
static _Atomic int slot_state;
static struct tw_slot *my_slot;

/* The first event of a process: read /proc, claim a slot. Kept out of
 * tw_slot_acquire, which every connect() and close() calls, so that its
 * buffers and calls weigh nothing on the path that finds the slot ready. */
static __attribute__((noinline, cold)) struct tw_slot *slot_claim_first(int st, int mode)
{
	char comm[TW_COMM_LEN] = "?";
	uint64_t ticks = 0;
	int ppid = 0, idx, expected = 0, cancel;

	if (st == 3 || tw_ledger == NULL || mode == TW_SLOT_EXISTING)
		return NULL;
	if (st == 0 && atomic_compare_exchange_strong(&slot_state, &expected, 1)) {
		/* Reading /proc passes cancellation points: a thread cancelled
		 * there would leave the claim half made, and every other thread
		 * waiting on it for good. */
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
		/* /proc unreadable (no fd left: RLIMIT_NOFILE reached; /proc not
		 * mounted): the name and parent come without an fd, and the start
		 * time stays 0, "unknown", which the liveness rule (twshim/proc.h)
		 * answers with the pid alone. Regression: the process was recorded
		 * as "?", started at 0, read as exited, and its slot given away. */
		if (tw_read_stat(0, comm, sizeof(comm), &ppid, &ticks, tw_real.close) < 0) {
			ticks = 0;
			ppid = (int)getppid();
			if (prctl(PR_GET_NAME, comm, 0, 0, 0) < 0)
				strcpy(comm, "?");
		}
		idx = tw_slot_claim(tw_ledger, (int)getpid(), ppid, ticks, comm, tw_realtime_ms(),
		                    tw_quantum(tw_now_ns() / 1000000u));
		if (idx >= 0)
			my_slot = &tw_ledger->slots[idx];
		atomic_store_explicit(&slot_state, idx >= 0 ? 2 : 3, memory_order_release);
		/* Only now: with asynchronous cancellation, enabling it again
		 * acts on a pending cancel at once. */
		pthread_setcancelstate(cancel, NULL);
		return idx >= 0 ? my_slot : NULL;
	}
	/* Another thread is claiming: the claim takes microseconds. */
	for (int i = 0; i < 100000; i++) {
		st = atomic_load_explicit(&slot_state, memory_order_acquire);
		if (st != 1)
			return st == 2 ? my_slot : NULL;
		sched_yield();
	}
	return NULL;
}

struct tw_slot *tw_slot_acquire(int mode)
{
	int st = atomic_load_explicit(&slot_state, memory_order_acquire);

	return st == 2 ? my_slot : slot_claim_first(st, mode);
}

int tw_cookie_first(uint64_t cookie)
{
	_Atomic uint64_t *c;
	uint64_t old;

	/* Fibonacci hashing: the product's top 10 bits index the table. */
	_Static_assert(TW_COOKIES == 1u << 10, "the hash below takes 10 bits");
	if (!tw_ledger || cookie == 0)
		return 1;
	c = &tw_ledger->counted_cookies[(cookie * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - 10)];
	old = atomic_load(c);
	do {
		if (old == cookie)
			return 0;
	} while (!atomic_compare_exchange_weak(c, &old, cookie));
	return 1;
}

_Atomic uint32_t *tw_spread_cursor(unsigned lo, unsigned hi)
{
	uint32_t range = (uint32_t)hi << 16 | lo;

	if (!tw_ledger || range == 0)
		return NULL;
	for (unsigned i = 0; i < TW_SPREADS; i++) {
		struct tw_spread_cursor *c = &tw_ledger->spread[i];
		uint32_t seen = atomic_load(&c->range), none = 0;

		if (seen == range)
			return &c->next;
		/* Claimed by one compare-and-swap: a process that loses the race
		 * finds the winner's range at once. */
		if (seen == 0 && (atomic_compare_exchange_strong(&c->range, &none, range) ||
		                  none == range))
			return &c->next;
	}
	return NULL;
}

int tw_slot_index(const struct tw_slot *s)
{
	return s && tw_ledger ? (int)(s - tw_ledger->slots) : -1;
}

void tw_slot_forget(void)
{
	my_slot = NULL;
	atomic_store_explicit(&slot_state, 0, memory_order_release);
}

void tw_slot_exit(void)
{
	uint32_t live = TW_SLOT_LIVE;

	if (atomic_load_explicit(&slot_state, memory_order_acquire) != 2 || !my_slot)
		return;
	atomic_store_explicit(&my_slot->exit_realtime_ms, tw_realtime_ms(), memory_order_relaxed);
	atomic_compare_exchange_strong(&my_slot->state, &live, TW_SLOT_EXITED);
}

void tw_dest_key(struct tw_addr *key, const struct tw_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(key, 0, sizeof(*key));
	key->port = a->port;
	if (a->family == 6 && memcmp(a->addr, mapped, 12) == 0) {
		key->family = 4;
		memcpy(key->addr, a->addr + 12, 4);
	} else {
		key->family = a->family;
		memcpy(key->addr, a->addr, a->family == 4 ? 4 : 16);
	}
}

static int dest_matches(const struct tw_dest *d, uint8_t kind, const struct tw_addr *key)
{
	return d->kind == kind && d->family == key->family && d->port == key->port &&
	       memcmp(d->addr, key->addr, 16) == 0;
}

int tw_dest_find(struct tw_slot *s, uint8_t kind, const struct tw_addr *key)
{
	for (unsigned i = 0; i < TW_DESTS - 1; i++) {
		struct tw_dest *d = &s->dests[i];
		uint32_t st = atomic_load_explicit(&d->state, memory_order_acquire);

		if (st == TW_DEST_FREE) {
			uint32_t expected = TW_DEST_FREE;
			if (atomic_compare_exchange_strong(&d->state, &expected, TW_DEST_CLAIMING)) {
				d->kind = kind;
				d->family = key->family;
				d->port = key->port;
				memcpy(d->addr, key->addr, 16);
				atomic_store_explicit(&d->state, TW_DEST_READY, memory_order_release);
				return (int)i;
			}
			st = expected;
		}
		/* Another thread is filling this entry in: a few stores. Bounded,
		 * because that thread may be the one this signal handler interrupted. */
		for (int spin = 0; st == TW_DEST_CLAIMING && spin < 1000; spin++)
			st = atomic_load_explicit(&d->state, memory_order_acquire);
		if (st == TW_DEST_READY && dest_matches(d, kind, key))
			return (int)i;
	}
	atomic_fetch_add_explicit(&s->dest_overflow, 1, memory_order_relaxed);
	return TW_DESTS - 1;
}

#define ADD(field, n) atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)

static enum tw_err err_index(int err)
{
	switch (err) {
	case EADDRNOTAVAIL: return TW_ERR_EADDRNOTAVAIL;
	case EADDRINUSE: return TW_ERR_EADDRINUSE;
	case ECONNREFUSED: return TW_ERR_ECONNREFUSED;
	case ETIMEDOUT: return TW_ERR_ETIMEDOUT;
	case ENETUNREACH: return TW_ERR_ENETUNREACH;
	case EHOSTUNREACH: return TW_ERR_EHOSTUNREACH;
	case ECONNRESET: return TW_ERR_ECONNRESET;
	default: return TW_ERR_OTHER;
	}
}

static void count_connect(struct tw_counters *c, int err, uint64_t call_us)
{
	if (err == 0)
		ADD(c->connects, 1);
	else if (err > 0)
		ADD(c->connect_errors[err_index(err)], 1);
	if (call_us != UINT64_MAX) {
		ADD(c->connect_us_sum, call_us);
		ADD(c->connect_us_hist[tw_hist_bucket(call_us)], 1);
	}
}

/* err 0: connected; > 0: failed with that errno; < 0: in progress (only
 * the call's duration counts now). call_us UINT64_MAX: no duration to
 * record (a non-blocking connect whose outcome was seen later). */
void tw_count_connect(struct tw_slot *s, int dest, int err, uint64_t call_us)
{
	count_connect(&s->total, err, call_us);
	if (dest >= 0)
		count_connect(&s->dests[dest].c, err, call_us);
}

void tw_count_accept(struct tw_slot *s, int dest)
{
	ADD(s->total.accepts, 1);
	if (dest >= 0)
		ADD(s->dests[dest].c.accepts, 1);
}

void tw_count_action(struct tw_slot *s, int dest, enum tw_act act)
{
	ADD(s->total.actions[act], 1);
	if (dest >= 0)
		ADD(s->dests[dest].c.actions[act], 1);
}

void tw_count_bind(struct tw_slot *s)
{
	ADD(s->total.binds, 1);
}

void tw_count_open(struct tw_slot *s, int dest, int delta)
{
	ADD(s->total.open_now, delta);
	if (dest >= 0)
		ADD(s->dests[dest].c.open_now, delta);
}

static void count_close(struct tw_counters *c, enum tw_close_class cls, uint64_t lifetime_ms,
                        uint32_t q)
{
	switch (cls) {
	case TW_CLOSE_ACTIVE:
		ADD(c->active_closes, 1);
		tw_window_add(c->tw_window, q, 1);
		break;
	case TW_CLOSE_PASSIVE:
		ADD(c->passive_closes, 1);
		break;
	case TW_CLOSE_RESET:
		ADD(c->reset_closes, 1);
		break;
	case TW_CLOSE_OTHER:
		ADD(c->other_closes, 1);
		return;
	}
	ADD(c->lifetime_ms_hist[tw_hist_bucket(lifetime_ms)], 1);
}

void tw_count_close(struct tw_slot *s, int dest, enum tw_close_class cls, uint64_t lifetime_ms,
                    uint64_t now_ms)
{
	uint32_t q = tw_quantum(now_ms);

	count_close(&s->total, cls, lifetime_ms, q);
	if (dest >= 0)
		count_close(&s->dests[dest].c, cls, lifetime_ms, q);
}

/* Adds src into dst; open_now is not carried (src's process is gone, and
 * the kernel closed whatever it held). */
void tw_counters_fold(struct tw_counters *dst, const struct tw_counters *src, uint32_t now_q)
{
	ADD(dst->connects, atomic_load(&src->connects));
	for (unsigned i = 0; i < TW_ERR_COUNT; i++)
		ADD(dst->connect_errors[i], atomic_load(&src->connect_errors[i]));
	ADD(dst->accepts, atomic_load(&src->accepts));
	ADD(dst->binds, atomic_load(&src->binds));
	ADD(dst->active_closes, atomic_load(&src->active_closes));
	ADD(dst->passive_closes, atomic_load(&src->passive_closes));
	ADD(dst->reset_closes, atomic_load(&src->reset_closes));
	ADD(dst->other_closes, atomic_load(&src->other_closes));
	ADD(dst->connect_us_sum, atomic_load(&src->connect_us_sum));
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++) {
		ADD(dst->lifetime_ms_hist[i], atomic_load(&src->lifetime_ms_hist[i]));
		ADD(dst->connect_us_hist[i], atomic_load(&src->connect_us_hist[i]));
	}
	for (unsigned i = 0; i < TW_ACT_COUNT; i++)
		ADD(dst->actions[i], atomic_load(&src->actions[i]));
	for (unsigned i = 0; i < TW_WIN_BUCKETS; i++) {
		uint64_t v = atomic_load(&src->tw_window[i]);
		uint32_t bq = (uint32_t)(v >> 32);
		if ((uint32_t)v && bq <= now_q && now_q - bq < TW_WIN_SPAN)
			tw_window_add(dst->tw_window, bq, (uint32_t)v);
	}
}
