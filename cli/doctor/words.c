// SPDX-License-Identifier: MIT
/* twshim doctor's figures in words, for its text: paragraphs wrapped to
 * the terminal, when the ports run out, who made a destination's
 * TIME_WAIT. */
#include <stdio.h>
#include <string.h>

#include "diagnosis.h"

/* Text: word-wraps text to 78 columns after lead, indented by ind spaces. */
static void wrap(struct tw_emit *e, const char *lead, int ind, const char *text)
{
	int start = ind + (int)strlen(lead), col = tw_emit_text(e, "%*s%s", ind, "", lead);
	int first = 1;

	for (const char *p = text; *p;) {
		size_t w;
		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (!w)
			break;
		if (!first && col + 1 + (int)w > 78)
			col = tw_emit_text(e, "\n%*s", start, "") - 1;
		else if (!first)
			col += tw_emit_text(e, " ");
		col += tw_emit_text(e, "%.*s", (int)w, p);
		p += w;
		first = 0;
	}
	tw_emit_text(e, "\n");
}

/* A paragraph: the member key in JSON, wrapped after lead in text. */
void dr_para(struct tw_emit *e, const char *key, const char *lead, int ind, const char *text)
{
	tw_emit_str(e, TW_KEY(key), text);
	wrap(e, lead, ind, text);
}

void dr_eta_text(char *buf, size_t len, const struct dr_capacity *c)
{
	if (!c->usable)
		snprintf(buf, len, "?");
	else if (c->eta_s == 0)
		snprintf(buf, len, c->soft ? "capped" : "now");
	else if (c->eta_s > 0 && c->eta_s < 1)
		snprintf(buf, len, "<1 s");
	else if (c->eta_s > 0)
		snprintf(buf, len, "%.0f s", c->eta_s);
	else
		snprintf(buf, len, "-");
}

void dr_made_by_short(char *buf, size_t len, const struct dr_dest *x)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!x || !x->nprocs) {
		snprintf(buf, len, "(not under twshim)");
		return;
	}
	/* More processes than fit, of fewer commands (a shell loop of one-shot
	 * clients): per command, with its failures, which hold no TIME_WAIT
	 * and would otherwise sink into "+N" ("curl(250) 200, 50 failed"). */
	if (x->nprocs + (int)x->more_procs > 2 && x->ncmds < x->nprocs + (int)x->more_procs) {
		for (int i = 0; i < x->ncmds && i < 2 && used < len; i++) {
			const struct dr_cmd *c = &x->cmds[i];
			used += (size_t)snprintf(buf + used, len - used, "%s%s(%llu) %llu", i ? ", " : "",
			                         c->comm, (unsigned long long)c->procs,
			                         (unsigned long long)c->time_wait);
			if (c->eaddrnotavail && used < len)
				used += (size_t)snprintf(buf + used, len - used, ", %llu failed",
				                         (unsigned long long)c->eaddrnotavail);
		}
		if (used < len && x->ncmds > 2)
			snprintf(buf + used, len - used, ", +%d commands", x->ncmds - 2);
		return;
	}
	for (int i = 0; i < x->nprocs && i < 2 && used < len; i++) {
		const struct dr_proc *p = &x->procs[i];
		char open[32] = ""; /* a vanished process's: ",12 open" */

		if (p->open_at_exit > 0)
			snprintf(open, sizeof(open), ",%lld open", (long long)p->open_at_exit);
		if (p->merged_procs)
			used += (size_t)snprintf(buf + used, len - used, "%s%s*(%llu) %llu", i ? ", " : "",
			                         p->comm, (unsigned long long)p->merged_procs,
			                         (unsigned long long)p->time_wait);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%s[%d%s%s%s] %llu",
			                         i ? ", " : "", p->comm, p->pid,
			                         strcmp(p->state, "alive") ? "," : "",
			                         strcmp(p->state, "alive") ? p->state : "",
			                         open,
			                         (unsigned long long)p->time_wait);
	}
	if (used < len && x->nprocs + (int)x->more_procs > 2)
		snprintf(buf + used, len - used, ", +%llu",
		         (unsigned long long)(x->nprocs - 2 + x->more_procs));
}
