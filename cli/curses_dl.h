// SPDX-License-Identifier: MIT
/* ncurses for twshim top's live view, loaded when the view starts rather
 * than linked: stat, doctor, run and top's plain snapshots run where no
 * ncurses is installed (a slim container image). The calls are the ones
 * top/screen.c makes, with curses.h's own prototypes; the macros of
 * curses.h (erase, mvaddnstr, attron, ...) are not called, only the
 * functions they expand to. */
#ifndef TW_CURSES_DL_H
#define TW_CURSES_DL_H

#include <curses.h>
#include <stddef.h>

#define TW_CURSES_CALLS(X)                                                              \
	X(newterm) X(delscreen) X(endwin) X(cbreak) X(noecho) X(nonl) X(keypad) X(nodelay) \
	X(curs_set) X(werase) X(wattr_on) X(wattr_off) X(wmove) X(waddnstr) X(wchgat)      \
	X(wrefresh) X(wgetch)

struct tw_curses {
#define TW_CURSES_MEMBER(name) __typeof__(name) *name;
	TW_CURSES_CALLS(TW_CURSES_MEMBER)
#undef TW_CURSES_MEMBER
	WINDOW **stdscr_p; /* the variables stdscr, LINES, COLS */
	int *lines_p, *cols_p;
};

/* The library, loaded on the first call: NULL when none can be, with one
 * line in why (which library, the loader's reason, the package). */
const struct tw_curses *tw_curses_load(char *why, size_t len);

#endif
