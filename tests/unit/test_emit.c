// SPDX-License-Identifier: MIT
/*
 * The reports' emitter (cli/emit.c): one call per field, to the text table
 * or the JSON. stat's and doctor's outputs stand on it: a column padded
 * otherwise, or a header line that leaked into the JSON, would change
 * every report.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "emit.h"

static void row(struct tw_emit *e, uint64_t n, double used)
{
	tw_emit_open(e, NULL, '{');
	tw_emit_row(e, "  ");
	tw_emit_str(e, TW_COL("NAME", -6), "curl");
	tw_emit_str(e, TW_KEY("comm"), "curl");
	tw_emit_u64(e, TW_F("connects", "CONNECTS", 8), n);
	tw_emit_f64(e, TW_FIELD(.key = "used", .title = "USED", .width = 5, .unit = "%"), used);
	tw_emit_str(e, TW_FIELD(.title = "NOTES", .gap = 2), "x");
	tw_emit_row_end(e);
	tw_emit_close(e, '}');
}

static char *emit(enum tw_emit_to to, int titles)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tw_emit e;

	cr_assert(f);
	tw_emit_init(&e, to, f);
	if (titles) {
		tw_emit_titles(&e, 1);
		row(&e, 0, 0);
		tw_emit_titles(&e, 0);
	}
	row(&e, 42, 57.4);
	tw_emit_text(&e, "text only\n");
	fclose(f);
	return buf;
}

Test(emit, text_columns_padded_and_titled)
{
	char *s = emit(TW_EMIT_TEXT, 1);

	cr_expect_str_eq(s, "  NAME   CONNECTS  USED  NOTES\n"
	                    "  curl         42   57%  x\n"
	                    "text only\n");
	free(s);
}

/* The titles row writes nothing to JSON; the text-only fields neither. */
Test(emit, json_members_only)
{
	char *s = emit(TW_EMIT_JSON, 1);

	cr_expect_str_eq(s, "{\n  \"comm\": \"curl\",\n  \"connects\": 42,\n  \"used\": 57.4\n}\n");
	free(s);
}
