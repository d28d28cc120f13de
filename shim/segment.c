// SPDX-License-Identifier: MIT
/*
 * Mapping the ledger: this process's view of the shared segment that the
 * CLI reads (include/twshim/ledger.h), and the tables in it that processes
 * share (the spread cursors).
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
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "real.h"

struct tw_ledger *tw_ledger;

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
	 * under TWSHIM_STRICT=1 it must not stop the program (activate.c). */
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
