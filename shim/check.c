// SPDX-License-Identifier: MIT
/*
 * The configuration checked for `twshim run`, before it starts COMMAND:
 * every TWSHIM_* value read by the same parsers the shim will use in the
 * program, so that `twshim run --close rest` is a usage error at once
 * rather than a program run without the policy asked for. Called in a
 * child of twshim run that loaded the library only for this (cli/run.c);
 * the program never calls it.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "registry.h"

static const char *env(const char *name)
{
	return getenv(name);
}

/* As strict mode reads it: the first bad value comes back, not logged. */
static const char *env_strict(const char *name)
{
	return strcmp(name, "TWSHIM_STRICT") == 0 ? "1" : getenv(name);
}

int tw_check_environment(char *err, size_t errlen)
{
	struct tw_config c;

	/* Said by twshim run if at all, and by the program when it runs. */
	tw_log_cfg.sink = TW_SINK_OFF;
	if (tw_config_load(&c, env, err, errlen) < 0)
		return -1;
	return tw_policies_configure(env_strict, err, errlen);
}
