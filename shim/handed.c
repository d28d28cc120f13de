// SPDX-License-Identifier: MIT
/*
 * Connections handed on to other processes (handed.h).
 *
 * A fixed table, no allocation, entries claimed by compare-and-swap: adding
 * one happens in close(), which must stay async-signal-safe. Polling takes
 * each ready entry by another compare-and-swap, so two threads never count
 * one connection.
 */
#include "handed.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <string.h>

#include "count.h"
#include "diag.h"
#include "ends.h"

#define HANDED_MAX 256
#define POLL_EVERY_NS (50 * 1000000ull)

enum handed_state { H_FREE = 0, H_FILLING, H_READY, H_ASKING };

struct handed {
	_Atomic uint32_t state;  /* enum handed_state */
	int act;
	uint64_t cookie;
	struct tw_fd v;
};

static struct handed table[HANDED_MAX];
static _Atomic int pending;          /* entries not free */
static _Atomic uint64_t last_poll_ns;

int tw_handed_add(const struct tw_fd *v, uint64_t cookie, int act)
{
	for (int i = 0; i < HANDED_MAX; i++) {
		uint32_t free_state = H_FREE;

		if (!atomic_compare_exchange_strong(&table[i].state, &free_state, H_FILLING))
			continue;
		memcpy(&table[i].v, v, sizeof(*v));
		table[i].cookie = cookie;
		table[i].act = act;
		atomic_fetch_add(&pending, 1);
		atomic_store_explicit(&table[i].state, H_READY, memory_order_release);
		return 0;
	}
	return -1;
}

/*
 * How a connection that no fd holds any more ended, from the kernel's
 * entry at its 4-tuple: TIME_WAIT, or an orphan still sending its FIN,
 * means this side's FIN was first; LAST_ACK, the peer's was. No entry: the
 * peer's FIN was first and the exchange is done (the TIME_WAIT is the
 * peer's), or it ended in a reset, which fin-reset makes on purpose.
 * Returns -1 while a process still holds it, or the kernel cannot say.
 */
static int ended_as(const struct handed *h, enum tw_close_class *cls)
{
	uint64_t inode = 0;
	int st = 0, rc = tw_diag_lookup(h->v.family, &h->v.local, &h->v.remote, &st, &inode);

	if (rc < 0 || (rc == 1 && inode != 0))
		return -1;
	if (rc == 0)
		*cls = h->act >= 0 ? TW_CLOSE_RESET : TW_CLOSE_PASSIVE;
	else if (st == TCP_TIME_WAIT)
		*cls = TW_CLOSE_ACTIVE;
	else if (st == TCP_LAST_ACK || st == TCP_CLOSE_WAIT)
		*cls = TW_CLOSE_PASSIVE;
	else if (h->act == TW_ACT_FIN_RESET)
		*cls = TW_CLOSE_RESET; /* the orphan resets at the peer's acknowledgement */
	else
		*cls = TW_CLOSE_ACTIVE; /* FIN_WAIT1, FIN_WAIT2, CLOSING: TIME_WAIT next */
	return 0;
}

static void settle(struct handed *h)
{
	enum tw_close_class cls;
	struct tw_slot *s;

	if (ended_as(h, &cls) < 0)
		return;
	s = tw_conn_owner(&h->v);
	/* A holder's own close() may have counted it already. */
	if (s && tw_cookie_first(h->cookie)) {
		tw_conn_end(s, h->v.dest, &h->v, cls);
		if (h->act >= 0)
			tw_count_action(s, h->v.dest,
			                (enum tw_act)(cls == TW_CLOSE_ACTIVE ? TW_ACT_LATE : h->act));
		tw_count_open(s, h->v.dest, -1);
	}
	atomic_fetch_sub(&pending, 1);
	atomic_store_explicit(&h->state, H_FREE, memory_order_release);
}

void tw_handed_after_fork_child(void)
{
	memset(table, 0, sizeof(table));
	atomic_store(&pending, 0);
}

void tw_handed_poll(uint64_t now_ns, int force)
{
	uint64_t last;

	if (atomic_load_explicit(&pending, memory_order_relaxed) == 0)
		return;
	last = atomic_load_explicit(&last_poll_ns, memory_order_relaxed);
	if (!force && (now_ns - last < POLL_EVERY_NS ||
	               !atomic_compare_exchange_strong(&last_poll_ns, &last, now_ns)))
		return;
	for (int i = 0; i < HANDED_MAX; i++) {
		uint32_t ready = H_READY;

		if (!atomic_compare_exchange_strong(&table[i].state, &ready, H_ASKING))
			continue;
		settle(&table[i]);
		if (atomic_load(&table[i].state) == H_ASKING)
			atomic_store_explicit(&table[i].state, H_READY, memory_order_release);
	}
}
