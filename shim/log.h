// SPDX-License-Identifier: MIT
/* Logging: one line per event, tagged "twshim[prog pid]:", never to stdout. */
#ifndef TW_LOG_H
#define TW_LOG_H

enum tw_log_level { TW_LOG_ERROR = 0, TW_LOG_WARN, TW_LOG_INFO, TW_LOG_DEBUG };
enum tw_log_sink { TW_SINK_STDERR = 0, TW_SINK_SYSLOG, TW_SINK_FILE, TW_SINK_OFF };

struct tw_log_config {
	enum tw_log_sink sink;
	enum tw_log_level level;
	char path[256]; /* TW_SINK_FILE */
};

extern struct tw_log_config tw_log_cfg;

#include <stdio.h>

/* At start: remember what fd 2 is, so that lines never go to whatever
 * takes the number later. */
void tw_log_note_stderr(void);
/* The program put another file on fd 2 (dup2, dup3, freopen): lines go
 * there from now on, unless it is a socket. Keeps errno. */
void tw_log_stderr_replaced(void);
/* The freopen() and freopen64() wrappers. */
FILE *tw_freopen(const char *path, const char *mode, FILE *stream, int is64);

void tw_log_at(enum tw_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Never on the pass-through path, never in close(): formatting is not
 * async-signal-safe. */
#define tw_log(lvl, ...)                                               \
	do {                                                           \
		if ((lvl) <= tw_log_cfg.level)                         \
			tw_log_at((lvl), __func__, __VA_ARGS__);     \
	} while (0)

#define tw_err(...)   tw_log(TW_LOG_ERROR, __VA_ARGS__)
#define tw_warn(...)  tw_log(TW_LOG_WARN, __VA_ARGS__)
#define tw_info(...)  tw_log(TW_LOG_INFO, __VA_ARGS__)
#define tw_debug(...) tw_log(TW_LOG_DEBUG, __VA_ARGS__)

#endif
