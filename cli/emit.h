// SPDX-License-Identifier: MIT
/*
 * One call per field of a report, to the output chosen: a column of a text
 * table, or a member of a JSON document. Each field is named once, with its
 * JSON key and its column; one that only one output shows has only that
 * name, and the other output passes over it. (The idea of jemalloc's
 * emitter.)
 *
 *	struct tw_emit e;
 *	tw_emit_init(&e, json ? TW_EMIT_JSON : TW_EMIT_TEXT, stdout);
 *	tw_emit_open(&e, NULL, '{');                    (JSON only)
 *	tw_emit_row(&e, "");                            (text only)
 *	tw_emit_str(&e, TW_COL("PID", -8), pid_text);   (text only)
 *	tw_emit_i64(&e, TW_KEY("pid"), pid);            (JSON only)
 *	tw_emit_u64(&e, TW_F("connects", "CONNECTS", 8), n);   (both)
 *	tw_emit_row_end(&e);
 *	tw_emit_close(&e, '}');
 *
 * A text row's columns are one space apart (gap: more). With titles set
 * (tw_emit_titles), each column writes its title instead of its value and
 * nothing goes to JSON: the code that writes a row writes the table's
 * header line too.
 */
#ifndef TW_EMIT_H
#define TW_EMIT_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"

enum tw_emit_to { TW_EMIT_TEXT, TW_EMIT_JSON };

struct tw_field {
	const char *key;   /* JSON member; "" an array's element; NULL: not in JSON */
	const char *title; /* the text column's title; NULL: not in the text */
	int width;         /* the column's, unit included; negative: left-aligned */
	int gap;           /* spaces before the column (none before a row's first); 0: 1 */
	int prec;          /* tw_emit_f64 in text: digits after the point */
	const char *unit;  /* tw_emit_f64 in text: written after the number ("%") */
};

/* A field, as a compound literal: its members designated,
 * TW_FIELD(.title = "USED", .width = 5, .unit = "%"), or the usual ones
 * TW_F("connects", "CONNECTS", 8). */
#define TW_FIELD(...) (&(const struct tw_field){ __VA_ARGS__ })
#define TW_F(k, t, w) TW_FIELD(.key = (k), .title = (t), .width = (w))
#define TW_KEY(k)     TW_FIELD(.key = (k))                 /* JSON only */
#define TW_COL(t, w)  TW_FIELD(.title = (t), .width = (w)) /* text only */
#define TW_ITEM       TW_KEY("")                           /* a JSON array's element */

struct tw_emit {
	enum tw_emit_to to;
	FILE *out;
	struct tw_json *json; /* TW_EMIT_JSON: the writer */
	struct tw_json own;   /* the one tw_emit_init made */
	int titles;           /* text: columns write their titles */
	int cols;             /* text: columns written on this row */
};

void tw_emit_init(struct tw_emit *e, enum tw_emit_to to, FILE *out);
/* JSON into a document j already has open (the fields land where j is). */
void tw_emit_into(struct tw_emit *e, struct tw_json *j);
/* The columns that follow write their titles (on: JSON gets nothing), or
 * their values. */
void tw_emit_titles(struct tw_emit *e, int on);

/* Text: a row of columns begins, after indent; ends with a newline. */
void tw_emit_row(struct tw_emit *e, const char *indent);
void tw_emit_row_end(struct tw_emit *e);
/* Text only: free text, as printf; what printf returns (JSON: 0). */
__attribute__((format(printf, 2, 3))) int tw_emit_text(struct tw_emit *e, const char *fmt, ...);

/* JSON: an object ('{') or array ('[') opens as member key (NULL at the
 * top or in an array), and closes; text: nothing. */
void tw_emit_open(struct tw_emit *e, const char *key, char bracket);
void tw_emit_close(struct tw_emit *e, char bracket);

void tw_emit_str(struct tw_emit *e, const struct tw_field *f, const char *v);
void tw_emit_u64(struct tw_emit *e, const struct tw_field *f, uint64_t v);
void tw_emit_i64(struct tw_emit *e, const struct tw_field *f, int64_t v);
void tw_emit_f64(struct tw_emit *e, const struct tw_field *f, double v); /* JSON: NaN null */
void tw_emit_bool(struct tw_emit *e, const struct tw_field *f, int v);   /* text: yes, no */
void tw_emit_null(struct tw_emit *e, const struct tw_field *f);          /* text: - */

#endif
