// SPDX-License-Identifier: MIT
/*
 * The shim's own fds in the program's fd table (ownfd.c).
 *
 * The close policy's closer keeps one fd of its own in the program's
 * table: the sending end of its hand-over socket, the channel. While it
 * starts, two more sit there for an instant: the socket pair's ends, at the
 * numbers socketpair() gave (pending). Each is marked TW_FD_HELD in the fd
 * table, so that the wrappers show the program what it would see without
 * the shim: close() of one says EBADF, close_range() goes around it, and
 * dup2() onto one moves it away first (tw_ownfd_evict). Tracking calls
 * this module knowing nothing of the thread that uses the channel.
 */
#ifndef TW_OWNFD_H
#define TW_OWNFD_H

#define TW_OWNFD_PENDING 2

/* Marks fds[] ours, pending. ours(fd) then says whether each still is (a
 * program thread's dup2() or close() may have got to the number before the
 * mark); one that is not is let go unclosed. 0 when both are still ours. */
int tw_ownfd_pend(const int fds[TW_OWNFD_PENDING], int (*ours)(int fd));
/* Closes pending fd i, and lets its number go. */
void tw_ownfd_unpend(int i);

/* Makes a copy of fd, high up out of the way of programs that expect the
 * lowest free number, the channel (marked). Its number, or -1. */
int tw_ownfd_keep(int fd);
/* The channel's number for one use (-1: none), and the end of that use:
 * an eviction waits for the uses of the old number to end. */
int tw_ownfd_use(void);
void tw_ownfd_unuse(void);

/* Around a program call that may replace or close fd numbers without
 * seeing a mark (dup2, dup3, close_range, closefrom): from before it reads
 * the marks to after its system call. Marking waits for the calls in
 * flight, so each one either saw the mark or is done before the check.
 * The marks must be read with a sequentially consistent load
 * (atomic_load), not tw_fd_kind(). Nothing in between may wait for the
 * closer's start. */
void tw_ownfd_replacing(void);
void tw_ownfd_replaced(void);

/* Closes every fd of ours in the program's table. */
void tw_ownfd_close_all(void);

/* Before dup2()/dup3() onto fd, marked ours: moves ours off fd. 0, or -1:
 * no number left to move to, and the channel is gone. */
int tw_ownfd_evict(int fd);

/* In a fork child: the copies of ours that fork made are the child's to
 * close; no thread of the parent uses them. */
void tw_ownfd_after_fork_child(void);

#endif
