// SPDX-License-Identifier: MIT
/* The ledgers in /dev/shm: every twshim* name, for doctor and the export. */
#ifndef TW_LEDGER_LIST_H
#define TW_LEDGER_LIST_H

#include <stddef.h>

/* Every /dev/shm entry whose name starts with "twshim", as a segment name
 * ("/twshim.0"), sorted; *names is the caller's to free with
 * tw_ledger_list_free. Whether each is a ledger, and one to trust, is for
 * the reader to say (tw_ledger_open_ro). Returns how many. */
size_t tw_ledger_list(char ***names);
void tw_ledger_list_free(char **names, size_t n);

#endif
