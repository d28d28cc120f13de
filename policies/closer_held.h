// SPDX-License-Identifier: MIT
/*
 * What the closer's files share (closer.c, closer_thread.c, closer_hold.c):
 * the table of held connections, and the thread's start.
 */
#ifndef TW_CLOSER_HELD_H
#define TW_CLOSER_HELD_H

#include <stdint.h>
#include <sys/types.h>

#include "closer.h"

#define TW_HOLD_MAX  4096
#define TW_TICK_MS   5
#define TW_WAKE_ID   UINT32_MAX /* a message that only wakes the thread */

/* FREE -> FILLING (close(), claimed) -> SENT (message on its way) ->
 * HELD (the thread has the socket) -> FREE (ended, counted). Past SENT
 * only the thread touches an entry. */
enum tw_held_state { TW_H_FREE = 0, TW_H_FILLING, TW_H_SENT, TW_H_HELD };

struct tw_held {
	_Atomic int state;      /* enum tw_held_state */
	int fd;                 /* in the thread's own table */
	enum tw_hold_mode mode;
	uint64_t deadline;      /* CLOCK_MONOTONIC ns */
	struct tw_fd v;         /* the program's entry, for counting */
	tw_ended_fn ended;      /* counts the end (struct tw_close_ctx) */
};

extern struct tw_held tw_held[TW_HOLD_MAX];
extern _Atomic int tw_nheld, tw_hiwater;
extern _Atomic int tw_closer_ending; /* at exit: end what is held, now */

/* closer_hold.c: what becomes of a held connection. */
/* Counts h's end and frees its entry (its fd is closed already). */
void tw_held_release(struct tw_held *h, enum tw_close_class cls, int act);
/* Ends h: with RST (SO_LINGER {1,0}) or FIN, and counts. */
void tw_held_finish(struct tw_held *h, int rst, enum tw_close_class cls, int act);
/* epoll said h's socket is readable, or reset. */
void tw_held_readable(struct tw_held *h, uint32_t events);
/* Every tick while anything is held: drained yet? past the bound? */
void tw_held_tick(struct tw_held *h, uint64_t now);

/* closer_thread.c: the thread, started by closer.c on rx, the receiving
 * end of the hand-over socket (its inode to check it by). */
enum tw_thread_start { TW_THREAD_FAILED = -1, TW_THREAD_WAITING = 0, TW_THREAD_READY = 1 };
struct tw_closer_start {
	int rx;
	ino_t rx_ino;
	_Atomic int ready;      /* enum tw_thread_start */
};
void *tw_closer_main(void *start);

#endif
