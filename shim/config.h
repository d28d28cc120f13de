// SPDX-License-Identifier: MIT
/* The shim's configuration, read once from TWSHIM_* environment variables. */
#ifndef TW_CONFIG_H
#define TW_CONFIG_H

#include <stddef.h>

#include "log.h"

struct tw_config {
	char shm_name[256];        /* "" when TWSHIM_SHM=off */
	struct tw_log_config log;
};

typedef const char *(*tw_getenv_fn)(const char *name);

/* Fills *c from the environment. Returns 0, or -1 with one line in err that
 * names the variable, its value and what is valid. */
int tw_config_load(struct tw_config *c, tw_getenv_fn get, char *err, size_t errlen);

#endif
