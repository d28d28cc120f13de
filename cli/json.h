// SPDX-License-Identifier: MIT
/* A small streaming JSON writer: enough for the CLI's reports. */
#ifndef TW_JSON_H
#define TW_JSON_H

#include <stdint.h>
#include <stdio.h>

struct tw_json {
	FILE *out;
	int depth;
	int first[32];  /* per depth: no element written yet */
	int compact;    /* one line per document (JSON Lines), no indentation */
};

void tw_json_init(struct tw_json *j, FILE *out);
/* The same, each top-level value on one line: a stream of documents, one
 * per line (top -b --json), that line-oriented tools can split. */
void tw_json_init_line(struct tw_json *j, FILE *out);
void tw_json_key(struct tw_json *j, const char *key);  /* inside an object */
void tw_json_begin(struct tw_json *j, char bracket);    /* '{' or '[' */
void tw_json_end(struct tw_json *j, char bracket);
void tw_json_str(struct tw_json *j, const char *key, const char *v);
void tw_json_u64(struct tw_json *j, const char *key, uint64_t v);
void tw_json_i64(struct tw_json *j, const char *key, int64_t v);
void tw_json_f64(struct tw_json *j, const char *key, double v); /* NaN/inf: null */
void tw_json_bool(struct tw_json *j, const char *key, int v);
void tw_json_null(struct tw_json *j, const char *key);

#endif
