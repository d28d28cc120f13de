// SPDX-License-Identifier: MIT
/*
 * twshim top --json: each snapshot as one JSON object on one line (JSON
 * Lines), for scripts and log shippers that follow the ledger over time:
 * the header's totals, then the rows as listed, each process with its
 * destinations. A rate not known yet (no earlier read of the row) is null,
 * where the table shows '-'.
 */
#include <stdio.h>

#include "format.h"
#include "json.h"
#include "stat.h"
#include "view.h"

static void rate(struct tw_json *j, const char *key, double r)
{
	if (r < 0)
		tw_json_null(j, key);
	else
		tw_json_f64(j, key, r);
}

/* The row's figures, shared by processes and destinations. */
static void figures(struct tw_json *j, const struct top_row *r)
{
	rate(j, "connects_per_second", r->rate);
	rate(j, "errors_per_second", r->err_rate);
	tw_json_u64(j, "connect_p50_us_le", r->connect_p50);
	tw_stat_json_counters(j, r->c);
}

void tw_top_json(FILE *out, const struct top_feed *f, const struct top_view *v,
		 enum top_sort sort, int by_command)
{
	static const char *const kinds[] = {"out", "in", "other"};
	struct tw_json j;
	char t[32];
	int in_proc = 0;

	tw_json_init_line(&j, out);
	tw_json_begin(&j, '{');
	tw_json_str(&j, "ledger", f->shm);
	tw_fmt_time(t, sizeof(t), f->now_ms);
	tw_json_str(&j, "time", t);
	tw_json_str(&j, "sort", tw_top_sort_name(sort));
	tw_json_bool(&j, "by_command", by_command);
	tw_json_key(&j, "totals");
	tw_json_begin(&j, '{');
	tw_json_i64(&j, "alive", v->alive);
	tw_json_i64(&j, "exited", v->exited);
	tw_json_i64(&j, "vanished", v->vanished);
	tw_json_i64(&j, "aggregates", v->aggregates);
	rate(&j, "connects_per_second", v->rate);
	tw_json_u64(&j, "time_wait", v->time_wait);
	tw_json_u64(&j, "errors", v->errors);
	rate(&j, "errors_per_second", v->err_rate);
	tw_json_end(&j, '}');
	tw_json_key(&j, by_command ? "commands" : "processes");
	tw_json_begin(&j, '[');
	for (int i = 0; i < v->nrows; i++) {
		const struct top_row *r = &v->rows[i];

		if (r->kind == TOP_HINT)
			continue; /* in its destination's "hint" */
		if (r->kind == TOP_PROC) {
			if (in_proc) {
				tw_json_end(&j, ']');
				tw_json_end(&j, '}');
			}
			in_proc = 1;
			tw_json_key(&j, NULL);
			tw_json_begin(&j, '{');
			if (by_command) {
				tw_json_u64(&j, "processes", r->p->merged_procs);
			} else {
				tw_json_i64(&j, "pid", r->p->pid);
				tw_json_bool(&j, "aggregate", r->p->aggregate);
			}
			tw_json_str(&j, "comm", r->p->comm);
			tw_json_str(&j, "state", r->p->state);
			figures(&j, r);
			tw_json_key(&j, "destinations");
			tw_json_begin(&j, '[');
			continue;
		}
		tw_json_key(&j, NULL);
		tw_json_begin(&j, '{');
		tw_json_str(&j, "addr", r->d->addr);
		tw_json_str(&j, "direction", kinds[r->d->kind]);
		figures(&j, r);
		tw_stat_json_hint(&j, &r->d->hint);
		tw_json_end(&j, '}');
	}
	if (in_proc) {
		tw_json_end(&j, ']');
		tw_json_end(&j, '}');
	}
	tw_json_end(&j, ']');
	tw_json_end(&j, '}');
}
