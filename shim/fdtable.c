// SPDX-License-Identifier: MIT
/*
 * Chunks are mapped with mmap, not malloc: the table is touched from
 * wrappers that may run inside malloc's own callers, and before the host's
 * allocator is ready. They are never unmapped; a process that once had
 * 100,000 sockets keeps 100,000 small entries.
 */
#include "fdtable.h"

#include <string.h>
#include <sys/mman.h>

_Atomic(struct tw_fd *) tw_fd_dir[TW_FD_DIR];

/* One past the highest chunk ever mapped: walks stop there, not at the end of
 * a directory covering 2^31 fds (fork() walks the table twice). */
static _Atomic unsigned dir_end;

struct tw_fd *tw_fd_get_alloc(int fd)
{
	struct tw_fd *e = tw_fd_get(fd), *chunk, *expected = NULL;
	unsigned di;

	if (e || fd < 0)
		return e;
	di = (unsigned)fd >> TW_FD_CHUNK_SHIFT;
	chunk = mmap(NULL, TW_FD_CHUNK * sizeof(*chunk), PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (chunk == MAP_FAILED)
		return NULL;
	/* Two threads may race for the same chunk: the loser gives its back. */
	if (!atomic_compare_exchange_strong_explicit(&tw_fd_dir[di], &expected, chunk,
	                                             memory_order_acq_rel,
	                                             memory_order_acquire)) {
		munmap(chunk, TW_FD_CHUNK * sizeof(*chunk));
		chunk = expected;
	}
	for (unsigned end = atomic_load(&dir_end); end < di + 1;)
		if (atomic_compare_exchange_weak(&dir_end, &end, di + 1))
			break;
	return &chunk[(unsigned)fd & (TW_FD_CHUNK - 1)];
}

void tw_fd_foreach(unsigned lo, unsigned hi, void (*fn)(int fd, struct tw_fd *e, void *arg),
                   void *arg)
{
	unsigned end = atomic_load_explicit(&dir_end, memory_order_acquire);

	if (hi > TW_FD_DIR * TW_FD_CHUNK - 1)
		hi = TW_FD_DIR * TW_FD_CHUNK - 1;
	if (end > (hi >> TW_FD_CHUNK_SHIFT) + 1)
		end = (hi >> TW_FD_CHUNK_SHIFT) + 1;
	for (unsigned di = lo >> TW_FD_CHUNK_SHIFT; di < end; di++) {
		struct tw_fd *chunk = atomic_load_explicit(&tw_fd_dir[di], memory_order_acquire);
		if (!chunk)
			continue;
		for (unsigned i = 0; i < TW_FD_CHUNK; i++) {
			unsigned fd = (di << TW_FD_CHUNK_SHIFT) | i;
			if (fd < lo || fd > hi)
				continue;
			if (atomic_load_explicit(&chunk[i].kind, memory_order_acquire) != TW_FD_NONE)
				fn((int)fd, &chunk[i], arg);
		}
	}
}

unsigned tw_fd_span(void)
{
	return atomic_load(&dir_end) * TW_FD_CHUNK;
}

void tw_fd_publish(struct tw_fd *e, const struct tw_fd *v)
{
	uint32_t kind = atomic_load_explicit(&v->kind, memory_order_relaxed);

	atomic_store_explicit(&e->kind, TW_FD_NONE, memory_order_relaxed);
	atomic_fetch_add_explicit(&e->seq, 1, memory_order_relaxed);
	e->state = v->state;
	e->flags = v->flags;
	e->dest = v->dest;
	e->slot = v->slot;
	e->family = v->family;
	e->src = v->src;
	e->slot_gen = v->slot_gen;
	e->open_ns = v->open_ns;
	e->cookie = v->cookie;
	e->local = v->local;
	e->remote = v->remote;
	atomic_store_explicit(&e->kind, kind, memory_order_release);
}
