// SPDX-License-Identifier: MIT
/* twshim top (cli/top/): the ledger refreshed like top(1), live on a
 * terminal or as plain snapshots. What the rest of the command calls; the
 * folder's own files share view.h. */
#ifndef TW_TOP_H
#define TW_TOP_H

/* The verb: twshim top [OPTIONS]; the process exit status. */
int tw_cmd_top(int argc, char **argv);

#endif
