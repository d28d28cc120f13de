// SPDX-License-Identifier: MIT
/*
 * What the libFuzzer targets share (docs/fuzzing.md).
 *
 * A configuration target reads its input as the values of the variables it
 * lists, in order, each ended by a NUL byte (the last one's may be left
 * off): "peer-first\0" "\0" "250" sets the first to "peer-first", the
 * second to "" (set, empty) and the third to "250"; the variables past the
 * last value are unset. Each value is a copy of exactly its own length plus
 * the NUL, so that ASan sees a read past it.
 */
#ifndef TW_FUZZ_H
#define TW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The most variables one target sets (fuzz/policies.c has every policy's). */
#define FZ_MAX_VARS 32

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property every input must keep: a failure is a finding like a crash. */
#define FZ_CHECK(cond)                                                                             \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__,        \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const char *const *fz_names;
static char *fz_vals[FZ_MAX_VARS];
static size_t fz_nvals;

static inline const char *fz_getenv(const char *name)
{
	for (size_t i = 0; i < fz_nvals; i++)
		if (strcmp(fz_names[i], name) == 0)
			return fz_vals[i];
	return NULL;
}

/* Splits data into the values of names[0..n-1]; fz_env_free() after use. */
static inline void fz_env_set(const char *const *names, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;

	fz_names = names;
	fz_nvals = 0;
	while (fz_nvals < n && p < end) {
		const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
		size_t len = (size_t)((nul ? nul : end) - p);
		char *v = malloc(len + 1);

		if (!v)
			abort();
		memcpy(v, p, len);
		v[len] = '\0';
		fz_vals[fz_nvals++] = v;
		p += len + (nul != NULL);
	}
}

static inline void fz_env_free(void)
{
	for (size_t i = 0; i < fz_nvals; i++)
		free(fz_vals[i]);
	fz_nvals = 0;
}

/* An error message, when a parser returns one: said, and one string. */
static inline void fz_check_err(const char *err, size_t errlen)
{
	FZ_CHECK(err[0] != '\0');
	FZ_CHECK(memchr(err, '\0', errlen) != NULL);
}

/* The shim's log lines written nowhere. (They were formatted in full into
 * /dev/null, until TWSHIM_LOG=file: took regular files only: the log
 * refused it and fell back to stderr, burying libFuzzer's own lines. Their
 * escaping is tested by tests/e2e/log_file.sh.) */
static inline void fz_log_quiet(void)
{
	tw_log_cfg.sink = TW_SINK_OFF;
}

/* The start of a target whose only setup is fz_log_quiet(): the parsers'
 * targets, which log what they refuse. */
#define FZ_INITIALIZE_QUIET                                                                        \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                                          \
	{                                                                                          \
		(void)argc;                                                                        \
		(void)argv;                                                                        \
		fz_log_quiet();                                                                    \
		return 0;                                                                          \
	}

#endif
