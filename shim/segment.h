// SPDX-License-Identifier: MIT
/* The ledger's segment, as this process maps it. */
#ifndef TW_SEGMENT_H
#define TW_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "twshim/ledger.h"

/* NULL when the ledger is off (TWSHIM_SHM=off) or could not be opened. */
extern struct tw_ledger *tw_ledger;

/* Maps (creating if needed) the segment. Returns 0, or one of these with
 * one line in err naming the segment and what is wrong with it. */
enum {
	/* Not to be had for reasons others control: the name taken by another
	 * user or by something not a regular file, /dev/shm full, a limit. */
	TW_LEDGER_UNAVAILABLE = -1,
	/* A segment of this user's that cannot be used (mode, size, layout):
	 * only this user or root can have made it so. */
	TW_LEDGER_UNUSABLE = -2,
};
int tw_ledger_open(const char *name, char *err, size_t errlen);

/* The cursor that every process spreading over ports lo-hi shares (the
 * ledger's spread table); NULL without a ledger or when the table is full. */
_Atomic uint32_t *tw_spread_cursor(unsigned lo, unsigned hi);

#endif
