// SPDX-License-Identifier: MIT
/*
 * The close pipeline (closing.c), which every wrapper that lets a tracked
 * socket go runs around its call: prepare (take the entry, ask the kernel
 * while the fd is still open), decide (the class, and a policy's say),
 * then, once the fd is gone, finish (count it, once, where it belongs).
 * Guard raised throughout. Async-signal-safe, as close() is.
 */
#ifndef TW_CLOSING_H
#define TW_CLOSING_H

#include <stdint.h>

#include "count.h"
#include "fdtable.h"
#include "registry.h"

/* One close in the making. */
struct tw_closing {
	struct tw_fd v;             /* the entry as it was */
	int tcp_state;
	int unread;
	int errored;                /* the peek read an error: the connection was reset */
	int over;                   /* both FINs done before close(): the TIME_WAIT exists */
	int handshake;              /* from TCP_INFO: 1 done, 0 never, -1 unknown */
	int heard;                  /* from TCP_INFO: any segment came in */
	int connected_late;         /* a non-blocking connect seen through only now */
	int connect_err;            /* ... or seen failed only now: its errno */
	int act;                    /* what a policy did (enum tw_act), -1 nothing */
	int verify;                 /* ask the kernel after the close what it did */
	struct tw_addr local;       /* the exact local address, when verify is set */
	enum tw_close_class cls;
	enum tw_close_verdict verdict;
	struct tw_slot *s;          /* where the close is counted */
	struct tw_slot *owner;      /* where the connection was counted as open */
	int dest;
	int placed;                 /* s, owner and dest are set */
	int leave_errors;           /* read no pending error away (TW_LOOK_LEAVING) */
	uint64_t cookie;            /* the fd's SO_COOKIE now, 0 unknown */
};

/* Whether tw_closing_prepare may read what it reads away: a pending error
 * (ECONNRESET) is taken by the peek, and by SO_ERROR. */
enum tw_look { TW_LOOK_TAKING = 0, TW_LOOK_LEAVING };

/* Takes fd's entry e out of the table and reads what the kernel knows while
 * the fd is still open. Returns 0 when fd is not a tracked TCP socket (or
 * its number is another socket now: the old one ended unseen).
 * TW_LOOK_LEAVING: the fd may stay the program's (dup2 onto it may fail),
 * so it is only asked (TCP_INFO), never read. */
int tw_closing_prepare(int fd, struct tw_fd *e, struct tw_closing *c, enum tw_look look);

/* Whether a close policy may change this close. */
enum tw_decide {
	TW_DECIDE_OBSERVE = 0, /* no: what it does cannot be undone if the call fails (dup2) */
	TW_DECIDE_POLICY,      /* yes: close() and the range closers */
	TW_DECIDE_AT_EXIT,     /* yes, without holding or waiting: the kernel closes it next */
};

/* Before the fd goes: what close() will do, and whether a policy changes
 * it (never for a socket others may hold: a reset would cut them off). */
void tw_closing_decide(int fd, struct tw_closing *c, enum tw_decide how);

/* Once the fd is gone: counts the close, unless another holder's close is
 * the one that counts (a shared socket), or a policy took it. */
void tw_closing_finish(struct tw_closing *c);
/* Counts the end of the connection c speaks for, whoever else holds it. */
void tw_closing_count(struct tw_closing *c);

#endif
