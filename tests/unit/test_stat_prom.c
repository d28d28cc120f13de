// SPDX-License-Identifier: MIT
/*
 * twshim stat --prometheus from a snapshot made by hand: one command's
 * running, exited and aggregate slots sum into one series per destination,
 * no series twice, each family's header once, histograms cumulative.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "per_command.h"
#include "stat_prom.h"

static struct tw_snapshot snap;

static struct tw_snap_proc *proc(const char *comm, const char *state, uint64_t merged)
{
	struct tw_snap_proc *p = &snap.procs[snap.nprocs];

	memset(p, 0, sizeof(*p));
	p->slot = snap.nprocs++;
	p->pid = p->slot + 100;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->state = state;
	p->alive = strcmp(state, "alive") == 0;
	p->vanished = strcmp(state, "vanished") == 0;
	p->aggregate = strcmp(state, "aggregate") == 0;
	p->merged_procs = merged;
	return p;
}

static struct tw_snap_counters *dest(struct tw_snap_proc *p, int kind, const char *addr)
{
	struct tw_snap_dest *d = &p->dests[p->ndests++];

	d->kind = kind;
	snprintf(d->addr, sizeof(d->addr), "%s",
		 kind == TW_DEST_REST ? "(other destinations)" : addr);
	return &d->c;
}

/*
 * curl: running (pid 100), exited (101), vanished with 3 connections
 * open (102), and the aggregate of 10 folded
 * runs, to 10.0.0.1:80, [::1]:80 and the overflow row. ka_server: accepts
 * on 10.0.0.1:80 and connects to the same address (two directions, two
 * series). A command named with a quote and a backslash.
 */
static void build(void)
{
	struct tw_snap_proc *p;
	struct tw_snap_counters *c;

	memset(&snap, 0, offsetof(struct tw_snapshot, procs));
	snprintf(snap.name, sizeof(snap.name), "/twshim.test");
	snap.created_ms = 1795313543061;
	snap.slot_claims = 13;
	snap.slots_folded = 10;

	p = proc("curl", "alive", 0);
	c = dest(p, TW_DEST_OUT, "10.0.0.1:80");
	c->connects = 3;
	c->time_wait = 2;
	c->open_now = 1;
	c->connect_us_hist[5] = 2; /* 16-31 us */
	c->connect_us_sum = 40;
	c->connect_errors[TW_ERR_EADDRNOTAVAIL] = 4;
	c = dest(p, TW_DEST_REST, NULL);
	c->connects = 1;
	p->c.actions[TW_ACT_REUSEADDR] = 1; /* set before bind(): no destination */
	p->c.actions[TW_ACT_RESET] = 2;

	p = proc("curl", "exited", 0);
	c = dest(p, TW_DEST_OUT, "10.0.0.1:80");
	c->connects = 5;
	c->connect_us_hist[TW_HIST_BUCKETS - 1] = 1; /* over 4.19 s */
	c->connect_us_sum = 5000000;
	c = dest(p, TW_DEST_OUT, "[::1]:80");
	c->connects = 1;
	p->c.actions[TW_ACT_RESET] = 3;

	p = proc("curl", "vanished", 0);
	dest(p, TW_DEST_OUT, "10.0.0.1:80")->open_at_exit = 3;
	p->c.open_at_exit = 3;

	p = proc("curl", "aggregate", 10);
	c = dest(p, TW_DEST_OUT, "10.0.0.1:80");
	c->connects = 100;
	c->active_closes = 100;
	c->connect_us_hist[5] = 1;
	c->connect_us_sum = 20;
	c = dest(p, TW_DEST_REST, NULL);
	c->connects = 7;

	p = proc("ka_server", "alive", 0);
	c = dest(p, TW_DEST_IN, "10.0.0.1:80");
	c->accepts = 4;
	c->passive_closes = 4;
	c = dest(p, TW_DEST_OUT, "10.0.0.1:80");
	c->connects = 1;

	p = proc("we\"ird\\", "exited", 0);
	dest(p, TW_DEST_OUT, "127.0.0.1:9")->connects = 9;
}

Test(per_command, sums_every_slot_of_a_command, .init = build)
{
	static struct tw_per_command pc;
	const struct tw_cmd *curl, *ka;

	tw_per_command(&pc, &snap);
	cr_assert_eq(pc.ncmds, 3);
	curl = &pc.cmds[0];
	ka = &pc.cmds[1];
	cr_assert_str_eq(curl->comm, "curl");
	cr_assert_str_eq(ka->comm, "ka_server");
	cr_expect_str_eq(pc.cmds[2].comm, "we\"ird\\");
	cr_expect_eq(curl->alive, 1);
	cr_expect_eq(curl->exited, 1);
	cr_expect_eq(curl->vanished, 1);
	cr_expect_eq(curl->folded, 10);
	cr_expect_eq(curl->c.actions[TW_ACT_RESET], 5);
	cr_expect_eq(curl->c.actions[TW_ACT_REUSEADDR], 1);

	/* curl: 10.0.0.1:80, [::1]:80 (byte order), then the overflow row. */
	cr_assert_eq(curl->ndests, 3);
	const struct tw_cmd_dest *d = &pc.dests[curl->first];
	cr_expect_str_eq(d[0].addr, "10.0.0.1:80");
	cr_expect_eq(d[0].c.connects, 108);
	cr_expect_eq(d[0].c.time_wait, 2);
	cr_expect_eq(d[0].c.active_closes, 100);
	cr_expect_eq(d[0].c.connect_us_hist[5], 3);
	cr_expect_eq(d[0].c.connect_us_sum, 5000060);
	cr_expect_str_eq(d[1].addr, "[::1]:80");
	cr_expect_eq(d[1].c.connects, 1);
	cr_expect_eq(d[2].kind, TW_DEST_REST);
	cr_expect_str_eq(d[2].addr, "other");
	cr_expect_eq(d[2].c.connects, 8);

	/* ka_server: the same address out and in stays two rows. */
	cr_assert_eq(ka->ndests, 2);
	d = &pc.dests[ka->first];
	cr_expect_eq(d[0].kind, TW_DEST_OUT);
	cr_expect_eq(d[0].c.connects, 1);
	cr_expect_eq(d[1].kind, TW_DEST_IN);
	cr_expect_eq(d[1].c.accepts, 4);
}

Test(per_command, empty_snapshot)
{
	static struct tw_snapshot empty;
	static struct tw_per_command pc;

	tw_per_command(&pc, &empty);
	cr_expect_eq(pc.ncmds, 0);
	cr_expect_eq(pc.ndests, 0);
}

static char *text;

static void exposition(void)
{
	size_t len;
	FILE *f = open_memstream(&text, &len);
	char err[256] = "";

	build();
	cr_assert(f);
	cr_assert_eq(tw_stat_prometheus(f, &snap, err, sizeof(err)), 0, "%s", err);
	fclose(f);
}

static void done(void)
{
	free(text);
}

static int has_line(const char *line)
{
	size_t n = strlen(line);

	for (const char *s = text; (s = strstr(s, line)); s++)
		if ((s == text || s[-1] == '\n') && s[n] == '\n')
			return 1;
	return 0;
}

#define EXPECT_LINE(l) cr_expect(has_line(l), "no line: %s\n%s", l, text)
#define L	       "ledger=\"/twshim.test\","

Test(stat_prom, values_summed_per_command_and_destination, .init = exposition, .fini = done)
{
	EXPECT_LINE("twshim_connects_total{" L "comm=\"curl\",direction=\"out\","
		    "destination=\"10.0.0.1:80\"} 108");
	EXPECT_LINE("twshim_connects_total{" L "comm=\"curl\",direction=\"other\","
		    "destination=\"other\"} 8");
	EXPECT_LINE("twshim_connect_errors_total{" L "comm=\"curl\",direction=\"out\","
		    "destination=\"10.0.0.1:80\",errno=\"EADDRNOTAVAIL\"} 4");
	EXPECT_LINE("twshim_connect_errors_total{" L "comm=\"curl\",direction=\"out\","
		    "destination=\"10.0.0.1:80\",errno=\"ECONNREFUSED\"} 0");
	EXPECT_LINE("twshim_time_wait{" L "comm=\"curl\",direction=\"out\","
		    "destination=\"10.0.0.1:80\"} 2");
	EXPECT_LINE("twshim_open_connections{" L "comm=\"curl\",direction=\"out\","
		    "destination=\"10.0.0.1:80\"} 1");
	EXPECT_LINE("twshim_closes_total{" L "comm=\"curl\",direction=\"out\","
		    "destination=\"10.0.0.1:80\",side=\"active\"} 100");
	EXPECT_LINE("twshim_accepts_total{" L "comm=\"ka_server\",direction=\"in\","
		    "destination=\"10.0.0.1:80\"} 4");
	EXPECT_LINE("twshim_closes_total{" L "comm=\"ka_server\",direction=\"in\","
		    "destination=\"10.0.0.1:80\",side=\"passive\"} 4");
	EXPECT_LINE("twshim_policy_actions_total{" L "comm=\"curl\",action=\"reset\"} 5");
	EXPECT_LINE("twshim_policy_actions_total{" L "comm=\"curl\",action=\"reuseaddr\"} 1");
	EXPECT_LINE("twshim_processes{" L "comm=\"curl\",state=\"alive\"} 1");
	EXPECT_LINE("twshim_processes{" L "comm=\"curl\",state=\"exited\"} 1");
	EXPECT_LINE("twshim_processes{" L "comm=\"curl\",state=\"vanished\"} 1");
	EXPECT_LINE("twshim_processes{" L "comm=\"ka_server\",state=\"vanished\"} 0");
	EXPECT_LINE("twshim_open_at_exit{" L "comm=\"curl\",direction=\"out\","
		    "destination=\"10.0.0.1:80\"} 3");
	EXPECT_LINE("twshim_open_at_exit{" L "comm=\"ka_server\",direction=\"in\","
		    "destination=\"10.0.0.1:80\"} 0");
	EXPECT_LINE("twshim_processes{" L "comm=\"curl\",state=\"aggregate\"} 10");
	EXPECT_LINE("twshim_slots_folded_total{ledger=\"/twshim.test\"} 10");
	EXPECT_LINE("twshim_ledger_start_time_seconds{ledger=\"/twshim.test\"} 1795313543.061");
	EXPECT_LINE("twshim_connects_total{" L "comm=\"we\\\"ird\\\\\",direction=\"out\","
		    "destination=\"127.0.0.1:9\"} 9");
	/* connect families for outgoing rows only, accepts for incoming only */
	cr_expect(!strstr(text, "twshim_connects_total{" L "comm=\"ka_server\",direction=\"in\""));
	cr_expect(!strstr(text, "twshim_accepts_total{" L "comm=\"ka_server\",direction=\"out\""));
	/* no pid anywhere */
	cr_expect(!strstr(text, "pid="));
}

/* 2 calls of 16-31 us, 1 more from the aggregate, 1 over 4.19 s: le is
 * 2^i us in seconds, cumulative, the last bucket +Inf's alone; _sum is
 * the microseconds in seconds. */
Test(stat_prom, connect_histogram, .init = exposition, .fini = done)
{
	const char *h = "twshim_connect_duration_seconds";
	const char *k = "{" L "comm=\"curl\",direction=\"out\",destination=\"10.0.0.1:80\"";
	char line[512];
	static const struct {
		const char *le;
		int n;
	} want[] = {{"0.000001", 0}, {"0.000016", 0}, {"0.000032", 3}, {"0.000064", 3},
		    {"2.097152", 3}, {"4.194304", 3}, {"+Inf", 4}};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line), "%s_bucket%s,le=\"%s\"} %d", h, k, want[i].le,
			 want[i].n);
		EXPECT_LINE(line);
	}
	snprintf(line, sizeof(line), "%s_sum%s} 5.00006", h, k);
	EXPECT_LINE(line);
	snprintf(line, sizeof(line), "%s_count%s} 4", h, k);
	EXPECT_LINE(line);
	/* 23 finite bounds and +Inf per series */
	size_t n = 0;
	snprintf(line, sizeof(line), "%s_bucket%s,", h, k);
	for (const char *s = text; (s = strstr(s, line)); s++)
		n++;
	cr_expect_eq(n, TW_HIST_BUCKETS);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every series once, every family's HELP and TYPE once, before its samples. */
Test(stat_prom, no_series_twice, .init = exposition, .fini = done)
{
	char *copy = strdup(text), *save = NULL, **series = calloc(20000, sizeof(char *));
	char **types = calloc(100, sizeof(char *));
	size_t n = 0, nt = 0;
	char current[128] = "";

	cr_assert(copy && series && types);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			types[nt++] = line + 7;
			sscanf(line + 7, "%127s", current);
			continue;
		}
		if (line[0] == '#')
			continue;
		/* the sample's name starts with the family's */
		cr_expect(strncmp(line, current, strlen(current)) == 0, "%s outside %s", line,
			  current);
		*strrchr(line, ' ') = '\0';
		cr_assert_lt(n, 20000);
		series[n++] = line;
	}
	qsort(series, n, sizeof(char *), cmp_str);
	for (size_t i = 1; i < n; i++)
		cr_expect_str_neq(series[i - 1], series[i], "series twice: %s", series[i]);
	qsort(types, nt, sizeof(char *), cmp_str);
	for (size_t i = 1; i < nt; i++)
		cr_expect_str_neq(types[i - 1], types[i]);
	cr_expect_eq(nt, 16); /* twshim_ledger_up among them */
	free(series);
	free(types);
	free(copy);
}

/* Issue 14: one file for every ledger of a host. Two ledgers read and one
 * that could not be: each family once, each ledger's series under its
 * label, twshim_ledger_up 1, 1 and 0. */
Test(stat_prom, several_ledgers_one_file, .init = exposition, .fini = done)
{
	struct tw_prom_ledger ls[3];
	struct tw_snapshot *other = malloc(sizeof(*other));
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(other);
	cr_assert_not_null(f);
	memcpy(other, &snap, sizeof(*other));
	snprintf(other->name, sizeof(other->name), "/twshim.other");
	ls[0] = (struct tw_prom_ledger){.name = snap.name, .snap = &snap};
	ls[1] = (struct tw_prom_ledger){.name = other->name, .snap = other};
	ls[2] = (struct tw_prom_ledger){.name = "/twshim.gone", .snap = NULL};
	cr_assert_eq(tw_stat_prometheus_ledgers(f, ls, 3, err, sizeof(err)), 0, "%s", err);
	fclose(f);
	cr_expect(strstr(buf, "twshim_ledger_up{ledger=\"/twshim.gone\"} 0\n"), "%s", buf);
	cr_expect(strstr(buf, "twshim_ledger_up{ledger=\"/twshim.other\"} 1\n"), "%s", buf);
	size_t helps = 0;
	for (const char *p = buf; (p = strstr(p, "# HELP twshim_connects_total ")); p++)
		helps++;
	cr_expect_eq(helps, 1, "a family written once per ledger");
	/* Both ledgers' series, under their own labels. */
	cr_expect(strstr(buf, "twshim_connects_total{ledger=\"/twshim.other\","));
	cr_expect(strstr(buf, "twshim_ledger_info{ledger=\"/twshim.gone\"") == NULL,
		  "a ledger not read has only its twshim_ledger_up");
	free(buf);
	free(other);
}
