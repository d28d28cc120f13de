// SPDX-License-Identifier: MIT
/* Whether twshim run's preload can reach COMMAND (run_reach.c). */
#ifndef TW_RUN_REACH_H
#define TW_RUN_REACH_H

/* Warns on stderr where the loader will not preload lib_path into cmd
 * (found as execvp would), or the shim will see nothing there; returns -1,
 * having said why, when the library cannot be loaded into it at all (cmd
 * is then not to be run), else 0. */
int tw_run_reachable(const char *cmd, const char *lib_path);

#endif
