// SPDX-License-Identifier: MIT
/* The ends of tracked connections (ends.h). */
#include "ends.h"

#include "clock.h"
#include "registry.h"
#include "segment.h"

struct tw_slot *tw_conn_owner(const struct tw_fd *v)
{
	struct tw_slot *s;

	if (!tw_ledger || v->slot < 0 || (unsigned)v->slot >= TW_SLOTS)
		return NULL;
	s = &tw_ledger->slots[v->slot];
	return atomic_load_explicit(&s->generation, memory_order_relaxed) == v->slot_gen ? s : NULL;
}

void tw_conn_end(struct tw_slot *s, int dest, const struct tw_fd *v, enum tw_close_class cls)
{
	uint64_t now = tw_now_ns();

	tw_count_close_class(s, dest, cls, (now - v->open_ns) / 1000000u, now / 1000000u);
	tw_policies_closed(v, cls);
}

void tw_conn_end_held(const struct tw_fd *v, enum tw_close_class cls, int act)
{
	struct tw_slot *s = tw_conn_owner(v);

	if (!s)
		return;
	tw_conn_end(s, v->dest, v, cls);
	if (act >= 0)
		tw_count_action(s, v->dest, (enum tw_act)act);
}

void tw_conn_end_unseen(const struct tw_fd *v)
{
	struct tw_slot *s;

	if (v->state == TW_CS_NEW || v->state == TW_CS_LISTENING)
		return;
	s = tw_conn_owner(v);
	if (s) {
		tw_count_open(s, v->dest, -1);
		tw_count_close_class(s, v->dest, TW_CLOSE_OTHER, 0, 0);
	}
}

/* The number came back from socket(), accept() or dup(): an entry still
 * there is one whose fd was closed behind our back (fclose's internal
 * close, a raw system call, closefrom before glibc 2.34). How it closed
 * cannot be known now. */
void tw_conn_drop_stale(struct tw_fd *e)
{
	uint32_t kind;

	/* The usual case, the number's last close seen: no locked instruction.
	 * Acquire: that close (another thread's, maybe) claimed the entry by
	 * exchange after its last writes to it, and the caller writes next. */
	if (atomic_load_explicit(&e->kind, memory_order_acquire) == TW_FD_NONE)
		return;
	kind = atomic_exchange(&e->kind, TW_FD_NONE);
	if (kind == TW_FD_TCP)
		tw_conn_end_unseen(e);
}
