// SPDX-License-Identifier: MIT
/* twshim top's rows in words: the header's lines, the column titles, a
 * row, for the plain snapshots and the live view alike. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "format.h"
#include "view.h"

/* The most frequent errno among the connect() failures; "-" for none. */
static const char *top_errno(const struct tw_snap_counters *c)
{
	unsigned best = 0;

	for (unsigned i = 1; i < TW_ERR_COUNT; i++)
		if (c->connect_errors[i] > c->connect_errors[best])
			best = i;
	return c->connect_errors[best] ? tw_err_name(best) : "-";
}

static const char *advice(uint32_t a)
{
	return a == TW_ADVICE_URGENT ? "urgent" : a == TW_ADVICE_POOL ? "pool" : "-";
}

/* A process's hint: the strongest of its destinations'. */
static uint32_t proc_advice(const struct tw_snap_proc *p)
{
	uint32_t a = TW_ADVICE_NONE;

	for (int d = 0; d < p->ndests; d++)
		if (p->dests[d].hint.at_ms > 0 && p->dests[d].hint.advice > a)
			a = p->dests[d].hint.advice;
	return a;
}

#define TOP_COLUMNS "%-8s %-24s %-9s %9s %9s %8s %7s %-13s %9s %-6s  %s"

void tw_top_titles(char *buf, size_t len)
{
	snprintf(buf, len, TOP_COLUMNS, "PID", "COMMAND", "STATE", "CONN/S", "TIME_WAIT", "ERRORS",
		 "ERR/S", "ERRNO", "CONNECT", "HINT", "POLICY ACTIONS");
}

void tw_top_line(char *buf, size_t len, const struct top_row *r)
{
	char pid[16] = "", name[96], rt[32] = "-", ert[32] = "-", tw[24], errs[24], lat[32];
	char acts[256];
	uint32_t adv;

	if (r->kind == TOP_HINT) {
		char h[512];
		tw_fmt_hint(h, sizeof(h), &r->d->hint);
		snprintf(buf, len, "%-8s     %s", "", h);
		return;
	}
	if (r->kind == TOP_PROC) {
		tw_fmt_proc(pid, sizeof(pid), name, sizeof(name), r->p);
		adv = proc_advice(r->p);
	} else {
		name[0] = name[1] = ' ';
		tw_fmt_dest(name + 2, sizeof(name) - 2, r->d);
		adv = r->d->hint.at_ms > 0 ? r->d->hint.advice : TW_ADVICE_NONE;
	}
	if (r->rate >= 0)
		snprintf(rt, sizeof(rt), "%.1f", r->rate);
	if (r->err_rate >= 0)
		snprintf(ert, sizeof(ert), "%.1f", r->err_rate);
	snprintf(tw, sizeof(tw), "%llu", (unsigned long long)r->c->time_wait);
	snprintf(errs, sizeof(errs), "%llu", (unsigned long long)r->c->connect_errors_total);
	tw_fmt_us_le(lat, sizeof(lat), r->connect_p50);
	tw_fmt_actions(acts, sizeof(acts), r->c);
	snprintf(buf, len, TOP_COLUMNS, pid, name, r->kind == TOP_PROC ? r->p->state : "", rt, tw,
		 errs, ert, top_errno(r->c), lat, advice(adv), acts);
	for (size_t n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--)
		buf[n - 1] = '\0';
}

void tw_top_summary(char *buf, size_t len, const char *shm, int64_t at_ms, enum top_sort sort)
{
	char t[32], name[TW_ESC_LEN(NAME_MAX)];

	tw_fmt_time(t, sizeof(t), at_ms);
	tw_esc_name(name, sizeof(name), shm);
	snprintf(buf, len, "twshim top  %s  %s  sort: %s (%c)", name, t, tw_top_sort_name(sort),
		 tw_top_sort_key(sort));
}

void tw_top_totals(char *buf, size_t len, const struct top_view *v)
{
	char rt[32] = "-", ert[32] = "-", van[32] = "";

	if (v->vanished)
		snprintf(van, sizeof(van), " (%d vanished)", v->vanished);
	if (v->rate >= 0)
		snprintf(rt, sizeof(rt), "%.1f", v->rate);
	if (v->err_rate >= 0)
		snprintf(ert, sizeof(ert), "%.1f", v->err_rate);
	snprintf(buf, len,
		 "procs: %d alive, %d exited%s, %d aggregate%s  total: %s connects/s, %llu "
		 "TIME_WAIT, %llu errors, %s errors/s",
		 v->alive, v->exited, van, v->aggregates, v->aggregates == 1 ? "" : "s", rt,
		 (unsigned long long)v->time_wait, (unsigned long long)v->errors, ert);
}
