// SPDX-License-Identifier: MIT
#include "format.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* snprintf at buf + *n, keeping *n within the buffer when the text is cut. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t len, size_t *n,
							 const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n = *n + (size_t)w < len ? *n + (size_t)w : len - 1;
}

void tw_fmt_time(char *buf, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void tw_fmt_us_le(char *buf, size_t len, uint64_t us)
{
	if (us)
		snprintf(buf, len, "<=%lluus", (unsigned long long)us);
	else
		snprintf(buf, len, "-");
}

void tw_fmt_connect_p50(char *buf, size_t len, const struct tw_snap_counters *c)
{
	tw_fmt_us_le(buf, len, tw_hist_quantile(c->connect_us_hist, 0.5));
}

void tw_fmt_errors(char *buf, size_t len, const struct tw_snap_counters *c)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < TW_ERR_COUNT; i++)
		if (c->connect_errors[i])
			append(buf, len, &n, "%s%s=%llu", n ? " " : "", tw_err_name(i),
			       (unsigned long long)c->connect_errors[i]);
}

void tw_fmt_actions(char *buf, size_t len, const struct tw_snap_counters *c)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < TW_ACT_COUNT; i++)
		if (c->actions[i] && tw_act_name(i))
			append(buf, len, &n, "%s%s=%llu", n ? " " : "", tw_act_name(i),
			       (unsigned long long)c->actions[i]);
}

void tw_fmt_proc(char *pid, size_t pidlen, char *name, size_t namelen, const struct tw_snap_proc *p)
{
	if (p->aggregate) {
		snprintf(pid, pidlen, "-");
		snprintf(name, namelen, "%s* (%llu procs)", p->comm,
			 (unsigned long long)p->merged_procs);
	} else if (p->pid == 0) {
		/* A command's row (top --by-command): its processes summed. */
		snprintf(pid, pidlen, "-");
		snprintf(name, namelen, "%s (%llu proc%s)", p->comm,
			 (unsigned long long)p->merged_procs, p->merged_procs == 1 ? "" : "s");
	} else {
		snprintf(pid, pidlen, "%d", p->pid);
		snprintf(name, namelen, "%s", p->comm);
	}
}

void tw_fmt_dest(char *buf, size_t len, const struct tw_snap_dest *d)
{
	snprintf(buf, len, "%s %s", d->kind == TW_DEST_IN ? "<-" : "->", d->addr);
}

void tw_fmt_hint(char *buf, size_t len, const struct tw_snap_hint *h)
{
	char t[32];
	size_t n = 0;

	buf[0] = '\0';
	if (h->at_ms <= 0)
		return;
	tw_fmt_time(t, sizeof(t), h->at_ms);
	append(buf, len, &n,
	       "hint %s: %u closed here in a minute, median life <=%u ms, %u TIME_WAIT of %u ports",
	       t, h->per_min, h->lifetime_p50_ms, h->time_wait, h->ports);
	if (h->flags & TW_HINT_OUT_NOW)
		append(buf, len, &n, ", out of ports now (EADDRNOTAVAIL)");
	else if (h->eta_s)
		append(buf, len, &n, ", ports run out in ~%u s at this rate", h->eta_s);
	append(buf, len, &n, ", connect p50 <=%uus", h->connect_p50_us);
	if (h->connect_p50_us_before && h->connect_p50_us != h->connect_p50_us_before)
		append(buf, len, &n, " (was <=%uus)", h->connect_p50_us_before);
}

int tw_pressure_cmp(const struct tw_snap_counters *x, const struct tw_snap_counters *y)
{
	if (x->time_wait != y->time_wait)
		return x->time_wait < y->time_wait ? 1 : -1;
	if (x->connects != y->connects)
		return x->connects < y->connects ? 1 : -1;
	return 0;
}
