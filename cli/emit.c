// SPDX-License-Identifier: MIT
/* One call per field of a report, to its text table or its JSON (emit.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "emit.h"

void tw_emit_init(struct tw_emit *e, enum tw_emit_to to, FILE *out)
{
	memset(e, 0, sizeof(*e));
	e->to = to;
	e->out = out;
	if (to == TW_EMIT_JSON) {
		tw_json_init(&e->own, out);
		e->json = &e->own;
	}
}

void tw_emit_into(struct tw_emit *e, struct tw_json *j)
{
	memset(e, 0, sizeof(*e));
	e->to = TW_EMIT_JSON;
	e->out = j->out;
	e->json = j;
}

void tw_emit_titles(struct tw_emit *e, int on)
{
	e->titles = on;
}

void tw_emit_row(struct tw_emit *e, const char *indent)
{
	if (e->to != TW_EMIT_TEXT)
		return;
	fputs(indent, e->out);
	e->cols = 0;
}

void tw_emit_row_end(struct tw_emit *e)
{
	if (e->to != TW_EMIT_TEXT)
		return;
	fputc('\n', e->out);
	e->cols = 0;
}

int tw_emit_text(struct tw_emit *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->to != TW_EMIT_TEXT)
		return 0;
	va_start(ap, fmt);
	n = vfprintf(e->out, fmt, ap);
	va_end(ap);
	return n;
}

void tw_emit_open(struct tw_emit *e, const char *key, char bracket)
{
	if (e->to != TW_EMIT_JSON || e->titles)
		return;
	tw_json_key(e->json, key);
	tw_json_begin(e->json, bracket);
}

void tw_emit_close(struct tw_emit *e, char bracket)
{
	if (e->to == TW_EMIT_JSON && !e->titles)
		tw_json_end(e->json, bracket);
}

/* Whether f goes to this output; for JSON, its key (NULL: an element). */
static int in_text(const struct tw_emit *e, const struct tw_field *f)
{
	return e->to == TW_EMIT_TEXT && f->title;
}

static int in_json(const struct tw_emit *e, const struct tw_field *f, const char **key)
{
	if (e->to != TW_EMIT_JSON || e->titles || !f->key)
		return 0;
	*key = f->key[0] ? f->key : NULL;
	return 1;
}

/* A text column: v, or the title, padded to the field's width. */
static void column(struct tw_emit *e, const struct tw_field *f, const char *v)
{
	if (e->cols++)
		fprintf(e->out, "%*s", f->gap ? f->gap : 1, "");
	/* A negative width pads on the right, as the '-' flag. */
	fprintf(e->out, "%*s", f->width, e->titles ? f->title : v);
}

void tw_emit_str(struct tw_emit *e, const struct tw_field *f, const char *v)
{
	const char *key;

	if (in_text(e, f))
		column(e, f, v);
	else if (in_json(e, f, &key))
		tw_json_str(e->json, key, v);
}

void tw_emit_u64(struct tw_emit *e, const struct tw_field *f, uint64_t v)
{
	const char *key;
	char s[24];

	if (in_text(e, f)) {
		snprintf(s, sizeof(s), "%" PRIu64, v);
		column(e, f, s);
	} else if (in_json(e, f, &key)) {
		tw_json_u64(e->json, key, v);
	}
}

void tw_emit_i64(struct tw_emit *e, const struct tw_field *f, int64_t v)
{
	const char *key;
	char s[24];

	if (in_text(e, f)) {
		snprintf(s, sizeof(s), "%" PRId64, v);
		column(e, f, s);
	} else if (in_json(e, f, &key)) {
		tw_json_i64(e->json, key, v);
	}
}

void tw_emit_f64(struct tw_emit *e, const struct tw_field *f, double v)
{
	const char *key;
	char s[64];

	if (in_text(e, f)) {
		snprintf(s, sizeof(s), "%.*f%s", f->prec, v, f->unit ? f->unit : "");
		column(e, f, s);
	} else if (in_json(e, f, &key)) {
		tw_json_f64(e->json, key, v);
	}
}

void tw_emit_bool(struct tw_emit *e, const struct tw_field *f, int v)
{
	const char *key;

	if (in_text(e, f))
		column(e, f, v ? "yes" : "no");
	else if (in_json(e, f, &key))
		tw_json_bool(e->json, key, v);
}

void tw_emit_null(struct tw_emit *e, const struct tw_field *f)
{
	const char *key;

	if (in_text(e, f))
		column(e, f, "-");
	else if (in_json(e, f, &key))
		tw_json_null(e->json, key);
}
