// SPDX-License-Identifier: MIT
/*
 * This process's slot in the ledger: claimed on the first event that needs
 * it (slot_claim.c does the claiming), found with one load after that,
 * forgotten in a fork child, marked exited at exit.
 */
#include "slot.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clock.h"
#include "real.h"
#include "segment.h"
#include "twshim/proc.h"

/* This process's slot: none yet, being claimed (by one thread; the others
 * wait), ready in my_slot, or none to be had (no ledger, no slot free). */
enum slot_phase { SLOT_NONE = 0, SLOT_CLAIMING, SLOT_READY, SLOT_UNAVAILABLE };
static _Atomic int slot_state; /* enum slot_phase */
static struct tw_slot *my_slot;

/* The first event of a process: read /proc, claim a slot. Kept out of
 * tw_slot_acquire, which every connect() and close() calls, so that its
 * buffers and calls weigh nothing on the path that finds the slot ready. */
static __attribute__((noinline, cold)) struct tw_slot *slot_claim_first(int st,
                                                                       enum tw_slot_mode mode)
{
	char comm[TW_COMM_LEN] = "?";
	uint64_t ticks = 0;
	int ppid = 0, idx, expected = SLOT_NONE, cancel;

	if (st == SLOT_UNAVAILABLE || tw_ledger == NULL || mode == TW_SLOT_EXISTING)
		return NULL;
	if (st == SLOT_NONE &&
	    atomic_compare_exchange_strong(&slot_state, &expected, SLOT_CLAIMING)) {
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
		atomic_store_explicit(&slot_state, idx >= 0 ? SLOT_READY : SLOT_UNAVAILABLE,
		                      memory_order_release);
		/* Only now: with asynchronous cancellation, enabling it again
		 * acts on a pending cancel at once. */
		pthread_setcancelstate(cancel, NULL);
		return idx >= 0 ? my_slot : NULL;
	}
	/* Another thread is claiming: the claim takes microseconds. */
	for (int i = 0; i < 100000; i++) {
		st = atomic_load_explicit(&slot_state, memory_order_acquire);
		if (st != SLOT_CLAIMING)
			return st == SLOT_READY ? my_slot : NULL;
		sched_yield();
	}
	return NULL;
}

struct tw_slot *tw_slot_acquire(enum tw_slot_mode mode)
{
	int st = atomic_load_explicit(&slot_state, memory_order_acquire);

	return st == SLOT_READY ? my_slot : slot_claim_first(st, mode);
}

int tw_slot_index(const struct tw_slot *s)
{
	return s && tw_ledger ? (int)(s - tw_ledger->slots) : -1;
}

void tw_slot_forget(void)
{
	my_slot = NULL;
	atomic_store_explicit(&slot_state, SLOT_NONE, memory_order_release);
}

void tw_slot_exit(void)
{
	uint32_t live = TW_SLOT_LIVE;

	if (atomic_load_explicit(&slot_state, memory_order_acquire) != SLOT_READY || !my_slot)
		return;
	atomic_store_explicit(&my_slot->exit_realtime_ms, tw_realtime_ms(), memory_order_relaxed);
	atomic_compare_exchange_strong(&my_slot->state, &live, TW_SLOT_EXITED);
}
