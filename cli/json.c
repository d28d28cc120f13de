// SPDX-License-Identifier: MIT
#include <math.h>

#include "json.h"

#include "escape.h"

/* key NULL: an array element. */

static void sep(struct tw_json *j)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->out);
		j->first[j->depth] = 0;
		if (j->compact)
			return;
		fputc('\n', j->out);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
}

/*
 * JSON text is UTF-8 (RFC 8259): a byte that does not start a valid
 * sequence becomes U+FFFD, as in the Prometheus writer. Names from a
 * ledger or /dev/shm arrive escaped already (escape.h: \xNN, reversible);
 * this keeps any other string (an error message quoting one) valid.
 * Controls, C1 ones included, are written as \u escapes: the document
 * stays safe to show on a terminal.
 */
static void string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = tw_utf8_len(p);

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			fprintf(out, "\\u%04x", p[1]);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
	fputc('"', out);
}

void tw_json_init(struct tw_json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->first[0] = 1;
	j->compact = 0;
}

void tw_json_init_line(struct tw_json *j, FILE *out)
{
	tw_json_init(j, out);
	j->compact = 1;
}

void tw_json_key(struct tw_json *j, const char *key)
{
	sep(j);
	if (key) {
		string(j->out, key);
		fputs(j->compact ? ":" : ": ", j->out);
	}
}

void tw_json_begin(struct tw_json *j, char bracket)
{
	fputc(bracket, j->out);
	if (j->depth < 31)
		j->depth++;
	j->first[j->depth] = 1;
}

void tw_json_end(struct tw_json *j, char bracket)
{
	int empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty && !j->compact) {
		fputc('\n', j->out);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
	fputc(bracket, j->out);
	if (j->depth == 0)
		fputc('\n', j->out);
}

void tw_json_str(struct tw_json *j, const char *key, const char *v)
{
	tw_json_key(j, key);
	string(j->out, v);
}

void tw_json_u64(struct tw_json *j, const char *key, uint64_t v)
{
	tw_json_key(j, key);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void tw_json_i64(struct tw_json *j, const char *key, int64_t v)
{
	tw_json_key(j, key);
	fprintf(j->out, "%lld", (long long)v);
}

void tw_json_f64(struct tw_json *j, const char *key, double v)
{
	tw_json_key(j, key);
	if (isfinite(v))
		fprintf(j->out, "%.6g", v);
	else
		fputs("null", j->out);
}

void tw_json_bool(struct tw_json *j, const char *key, int v)
{
	tw_json_key(j, key);
	fputs(v ? "true" : "false", j->out);
}

void tw_json_null(struct tw_json *j, const char *key)
{
	tw_json_key(j, key);
	fputs("null", j->out);
}
