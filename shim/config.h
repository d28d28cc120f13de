// SPDX-License-Identifier: MIT
/* The shim's configuration, read once from TWSHIM_* environment variables. */
#ifndef TW_CONFIG_H
#define TW_CONFIG_H

#include <stddef.h>

#include "log.h"
#include "parse.h"

struct tw_config {
	char shm_name[256];        /* "" when TWSHIM_SHM=off */
	struct tw_log_config log;
};

/* Fills *c from the environment. Returns 0, or -1 with one line in err that
 * names the variable, its value and what is valid. */
int tw_config_load(struct tw_config *c, tw_getenv_fn get, char *err, size_t errlen);

/* tw_getenv_fn, tw_parse_uint, tw_parse_switch, tw_list_blank: parse.h. */

/* Called in the constructor of a process under secure execution
 * (AT_SECURE): removes every TWSHIM_* entry from its environment, as
 * ld.so removes LD_PRELOAD and the rest of its unsafe variables there, so
 * that a program it exec's after becoming root for good (real uid 0 too,
 * so without AT_SECURE) does not take the invoking user's settings. */
void tw_config_scrub_env(void);

/* check.c: every TWSHIM_* value of this environment, as the shim reads
 * them, the policies' included. 0; or -1 with the first bad one in err. */
int tw_check_environment(char *err, size_t errlen);

#endif
