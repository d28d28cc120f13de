// SPDX-License-Identifier: MIT
/*
 * Parsing of the core TWSHIM_* variables. A malformed value is never
 * guessed at: the caller makes the whole shim inert and says why, once.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void tw_config_scrub_env(void)
{
	char **src, **dst;

	/* In place, as unsetenv() does, but by prefix and for entries with
	 * no '=' too (execve() takes any strings, and unsetenv() would leave
	 * those). The constructor runs before the program has threads. */
	if (!environ)
		return;
	for (src = dst = environ; *src; src++)
		if (strncmp(*src, "TWSHIM_", 7) != 0)
			*dst++ = *src;
	*dst = NULL;
}

static int parse_shm(struct tw_config *c, const char *v, char *err, size_t errlen)
{
	size_t len;

	if (v == NULL || *v == '\0') {
		snprintf(c->shm_name, sizeof(c->shm_name), "/twshim.%u", (unsigned)geteuid());
		return 0;
	}
	if (strcmp(v, "off") == 0) {
		c->shm_name[0] = '\0';
		return 0;
	}
	len = strlen(v);
	/* shm_open(3): one leading slash, no other, at most NAME_MAX (255). */
	if (v[0] != '/' || len < 2 || len >= sizeof(c->shm_name) || strchr(v + 1, '/')) {
		snprintf(err, errlen,
		         "TWSHIM_SHM='%s' is not a shared-memory name: expected '/NAME' "
		         "(one leading slash, no other, under 255 characters) or 'off'", v);
		return -1;
	}
	memcpy(c->shm_name, v, len + 1);
	return 0;
}

static int parse_log(struct tw_config *c, const char *v, char *err, size_t errlen)
{
	if (v == NULL || *v == '\0' || strcmp(v, "stderr") == 0) {
		c->log.sink = TW_SINK_STDERR;
	} else if (strcmp(v, "syslog") == 0) {
		c->log.sink = TW_SINK_SYSLOG;
	} else if (strcmp(v, "off") == 0) {
		c->log.sink = TW_SINK_OFF;
	} else if (strncmp(v, "file:", 5) == 0 && v[5] == '/' &&
	           strlen(v + 5) < sizeof(c->log.path)) {
		c->log.sink = TW_SINK_FILE;
		memcpy(c->log.path, v + 5, strlen(v + 5) + 1);
	} else {
		snprintf(err, errlen,
		         "TWSHIM_LOG='%s' is not a log destination: expected 'stderr', "
		         "'syslog', 'off' or 'file:/ABSOLUTE/PATH'", v);
		return -1;
	}
	return 0;
}

static int parse_level(struct tw_config *c, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	if (v == NULL || *v == '\0') {
		c->log.level = TW_LOG_WARN;
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			c->log.level = (enum tw_log_level)i;
			return 0;
		}
	}
	snprintf(err, errlen,
	         "TWSHIM_LOG_LEVEL='%s' is not a level: expected 'error', 'warn', "
	         "'info' or 'debug'", v);
	return -1;
}

int tw_config_load(struct tw_config *c, tw_getenv_fn get, char *err, size_t errlen)
{
	int rc = 0;

	memset(c, 0, sizeof(*c));
	/* The log settings first, and kept even when another variable is bad:
	 * TWSHIM_LOG=off silences the complaint about the rest too. A bad one
	 * leaves the default (stderr, warn) to say so. */
	if (parse_log(c, get("TWSHIM_LOG"), err, errlen) < 0) {
		c->log.sink = TW_SINK_STDERR;
		rc = -1;
	}
	if (parse_level(c, get("TWSHIM_LOG_LEVEL"), rc ? NULL : err, rc ? 0 : errlen) < 0) {
		c->log.level = TW_LOG_WARN;
		rc = -1;
	}
	if (parse_shm(c, get("TWSHIM_SHM"), rc ? NULL : err, rc ? 0 : errlen) < 0)
		rc = -1;
	return rc;
}
