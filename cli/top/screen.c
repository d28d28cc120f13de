// SPDX-License-Identifier: MIT
/*
 * twshim top's live view, drawn by ncurses (loaded at run time:
 * curses_dl.h, so every call goes through C). The terminal is given back
 * (endwin) on every way out: q, -n, an error, SIGINT, SIGTERM, SIGHUP. The
 * signals only set a flag; the wait for keys (poll) ends on them, and the
 * loop leaves through the one exit below, then re-raises the signal so that
 * whoever started top sees how it ended. Resizes come as KEY_RESIZE
 * (ncurses' own SIGWINCH handler) and are redrawn.
 */
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "curses_dl.h"
#include "view.h"

static const struct tw_curses *C;

#define SCR (*C->stdscr_p)
#define ROWS (*C->lines_p)
#define WIDTH (*C->cols_p)

/* n bytes of s (all of it: -1) at row y, column x. */
static void put(int y, int x, const char *s, int n)
{
	if (C->wmove(SCR, y, x) != ERR)
		C->waddnstr(SCR, s, n);
}

static volatile sig_atomic_t quit_signal;

static void on_quit_signal(int sig)
{
	quit_signal = sig;
}

static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NQUIT (int)(sizeof(quit_signals) / sizeof(quit_signals[0]))

struct live {
	const struct top_opts *o;
	struct top_feed f;
	struct top_view *v;
	enum top_sort sort;
	int dests;
	int by_command; /* one row per command (f) */
	int read_rc; /* of the last read: 0 read, 1 no ledger, -1 unreadable */
	int first;   /* the first row on screen */
};

static void rebuild(struct live *s)
{
	if (s->read_rc == 0)
		tw_top_build(s->v, &s->f, s->sort, s->dests, s->by_command);
}

static void draw(struct live *s)
{
	const int head = 4, body = ROWS - head;
	char line[1024];

	C->werase(SCR);
	tw_top_summary(line, sizeof(line), s->o->shm, s->f.tried_ms, s->sort);
	C->wattr_on(SCR, A_BOLD, NULL);
	put(0, 0, line, WIDTH);
	C->wattr_off(SCR, A_BOLD, NULL);
	if (s->read_rc != 0) {
		put(1, 0,
			  s->read_rc > 0 ? "no ledger yet: waiting for a program to run under "
					   "twshim with it (q quits)"
					 : "the ledger cannot be read; trying again (q quits)",
			  WIDTH);
		put(3, 0, s->f.err, -1);
		C->wrefresh(SCR);
		return;
	}
	tw_top_totals(line, sizeof(line), s->v);
	put(1, 0, line, WIDTH);
	if (s->first > s->v->nrows - body)
		s->first = s->v->nrows - body;
	if (s->first < 0)
		s->first = 0;
	snprintf(line, sizeof(line),
		 "rows %d-%d of %d, every %gs  keys: q quit  d destinations  f by command  sort P pressure "
		 "t TIME_WAIT r rate e errors l latency c command p pid  space refresh",
		 s->v->nrows ? s->first + 1 : 0,
		 s->first + (body < s->v->nrows ? body : s->v->nrows), s->v->nrows, s->o->delay_s);
	put(2, 0, line, WIDTH);
	tw_top_titles(line, sizeof(line));
	put(3, 0, line, WIDTH);
	if (C->wmove(SCR, 3, 0) != ERR)
		C->wchgat(SCR, -1, A_REVERSE, 0, NULL);
	for (int y = 0; y < body && s->first + y < s->v->nrows; y++) {
		const struct top_row *r = &s->v->rows[s->first + y];

		tw_top_line(line, sizeof(line), r);
		if (r->kind == TOP_PROC)
			C->wattr_on(SCR, A_BOLD, NULL);
		put(head + y, 0, line, WIDTH);
		C->wattr_off(SCR, A_BOLD, NULL);
	}
	if (!s->v->listed)
		put(head, 0, "(no process to show: none running, none holding TIME_WAIT)",
			  WIDTH);
	C->wrefresh(SCR);
}

/* A key: 1 to quit, -1 to read now, 0 otherwise. */
static int on_key(struct live *s, int ch)
{
	const int page = ROWS > 4 ? ROWS - 4 : 1;
	int sort = tw_top_sort_by_key(ch);

	if (sort >= 0) {
		s->sort = (enum top_sort)sort;
		s->first = 0;
		rebuild(s);
		return 0;
	}
	switch (ch) {
	case 'q':
	case 'Q': return 1;
	case 'd':
		s->dests = !s->dests;
		rebuild(s);
		return 0;
	case 'f':
		s->by_command = !s->by_command;
		s->first = 0;
		rebuild(s);
		return 0;
	case KEY_RESIZE: return 0;
	case KEY_UP: s->first--; return 0;
	case KEY_DOWN: s->first++; return 0;
	case KEY_PPAGE: s->first -= page; return 0;
	case KEY_NPAGE: s->first += page; return 0;
	case KEY_HOME: s->first = 0; return 0;
	case KEY_END: s->first = TOP_MAX_ROWS; return 0;
	default: return -1;
	}
}

static void screen_loop(struct live *s)
{
	long frames = 0;
	double next = 0;

	while (!quit_signal) {
		struct pollfd in = {.fd = 0, .events = POLLIN};
		double now = tw_top_clock();
		int ch, wait_ms, keys = 0;

		if (now >= next) {
			if (s->o->iterations && frames == s->o->iterations)
				return;
			s->read_rc = tw_top_read(&s->f);
			rebuild(s);
			frames++;
			next = now + s->o->delay_s;
			draw(s);
		}
		wait_ms = (int)((next - tw_top_clock()) * 1000) + 1;
		/* EINTR: a quit signal (checked above) or a resize (a key below). */
		if (poll(&in, 1, wait_ms > 0 ? wait_ms : 0) < 0)
			continue;
		while ((ch = C->wgetch(SCR)) != ERR) {
			int what = on_key(s, ch);
			if (what > 0)
				return;
			if (what < 0)
				next = 0;
			keys++;
		}
		if (keys)
			draw(s);
	}
}

int tw_top_live(const struct top_opts *o, char *why, size_t len)
{
	static struct tw_snapshot a, b;
	static struct top_view v;
	struct live s = {
	    .o = o,
	    .f = {.shm = o->shm, .filter = &o->filter, .now = &a, .before = &b},
	    .v = &v,
	    .sort = o->sort,
	    .dests = 1,
	    .by_command = o->by_command,
	};
	struct sigaction sa, old[NQUIT];
	SCREEN *scr;
	int sig;

	C = tw_curses_load(why, len);
	if (!C)
		return TOP_NO_TERMINAL;
	/* No SA_RESTART: the signal must end the wait in poll(). A signal
	 * ignored by whoever started us (nohup, a background job) stays
	 * ignored. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NQUIT; i++) {
		sigaction(quit_signals[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)
			sigaction(quit_signals[i], &sa, NULL);
	}
	setlocale(LC_CTYPE, "");
	scr = C->newterm(NULL, stdout, stdin);
	if (!scr) {
		for (int i = 0; i < NQUIT; i++)
			sigaction(quit_signals[i], &old[i], NULL);
		snprintf(why, len, "cannot drive this terminal (TERM=%s)",
			 getenv("TERM") ? getenv("TERM") : "");
		return TOP_NO_TERMINAL;
	}
	C->cbreak();
	C->noecho();
	C->nonl();
	C->keypad(SCR, TRUE);
	C->nodelay(SCR, TRUE);
	C->curs_set(0);

	screen_loop(&s);

	C->endwin();
	C->delscreen(scr);
	for (int i = 0; i < NQUIT; i++)
		sigaction(quit_signals[i], &old[i], NULL);
	sig = quit_signal;
	if (sig) {
		/* Ended by a signal: end by it, now that the terminal is back. */
		fflush(stdout);
		raise(sig);
		return 128 + sig;
	}
	return TW_EXIT_OK;
}
