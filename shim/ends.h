// SPDX-License-Identifier: MIT
/*
 * The ends of tracked connections (ends.c): each counted once, in the slot
 * that counted it as open, and told to the policies. Async-signal-safe:
 * close() and the closer thread count here.
 */
#ifndef TW_ENDS_H
#define TW_ENDS_H

#include "count.h"
#include "fdtable.h"

/* The slot that counts v as open, if it is still the same process's
 * (its generation unchanged); NULL otherwise. */
struct tw_slot *tw_conn_owner(const struct tw_fd *v);

/* Connection v ended as cls: counted in s at destination dest (its
 * lifetime too), and the policies hear of it. */
void tw_conn_end(struct tw_slot *s, int dest, const struct tw_fd *v, enum tw_close_class cls);

/* The end of a connection a close policy held past its close() (the
 * closer, policies/closer_hold.c): counted in its owner's slot, with what the
 * policy did (act, an enum tw_act; -1 nothing). */
void tw_conn_end_held(const struct tw_fd *v, enum tw_close_class cls, int act);

/* A connection whose fd was closed unseen (fclose's internal close, a raw
 * system call): counted as other, and open no more. */
void tw_conn_end_unseen(const struct tw_fd *v);

/* Empties e, whose number a call has just handed out again: if it still
 * held a TCP connection, that one ended unseen. */
void tw_conn_drop_stale(struct tw_fd *e);

#endif
