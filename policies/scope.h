// SPDX-License-Identifier: MIT
/* Destination scope (scope.c): TWSHIM_ONLY / TWSHIM_EXCEPT, for every policy. */
#ifndef TW_SCOPE_H
#define TW_SCOPE_H

#include <stddef.h>

#include "services.h"

/* Reads both variables. 0, or -1 with err naming the bad value. */
int tw_scope_configure(tw_getenv_fn get, char *err, size_t errlen);
/* Whether policies act on connections to dest (a tw_dest_key key). */
int tw_scope_applies(const struct tw_addr *dest);

#endif
