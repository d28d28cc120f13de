// SPDX-License-Identifier: MIT
/* The connections left open at exit (track_exit.c), for the destructor. */
#ifndef TW_TRACK_EXIT_H
#define TW_TRACK_EXIT_H

/* Counts what the kernel is about to close as the process ends, leaving
 * the fds open for whatever runs after the destructor. */
void tw_count_exit_closes(void);

#endif
