// SPDX-License-Identifier: MIT
/* A fake environment for the configuration tests: set1() one variable,
 * or set() several in order; fake_env() is the getenv they read. */
#ifndef TW_FAKE_ENV_H
#define TW_FAKE_ENV_H

#include <string.h>

static const char *vars[8][2];

static inline const char *fake_env(const char *name)
{
	for (int i = 0; i < 8 && vars[i][0]; i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

static inline void set(int i, const char *name, const char *value)
{
	vars[i][0] = name;
	vars[i][1] = value;
	vars[i + 1][0] = NULL;
}

static inline void set1(const char *name, const char *value)
{
	set(0, name, value);
}

#endif
