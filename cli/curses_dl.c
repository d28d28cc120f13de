// SPDX-License-Identifier: MIT
/*
 * ncurses, loaded at run time (curses_dl.h). Loaded, not linked, nor a
 * second program: one binary to copy into an image, which starts without
 * ncurses and needs it only to draw top's screen, and says which library
 * is missing when it is. The wide library first (the view is drawn in the
 * user's locale), then the narrow one; ABI 6, then the ABI 5 of older
 * userlands (RHEL 7's ncurses 5.9): the calls made here take the same
 * arguments in both, and the attributes used (A_BOLD, A_REVERSE) have the
 * same values.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "curses_dl.h"

static const char *const sonames[] = {
	"libncursesw.so.6",
	"libncursesw.so.5",
	"libncurses.so.6",
	"libncurses.so.5",
};

/* All of c from the library h; the name of the first missing, or NULL. */
static const char *bind_all(void *h, struct tw_curses *c)
{
#define TW_CURSES_BIND(name)                         \
	if (!(*(void **)&c->name = dlsym(h, #name))) \
		return #name;
	TW_CURSES_CALLS(TW_CURSES_BIND)
#undef TW_CURSES_BIND
	if (!(c->stdscr_p = dlsym(h, "stdscr")))
		return "stdscr";
	if (!(c->lines_p = dlsym(h, "LINES")))
		return "LINES";
	if (!(c->cols_p = dlsym(h, "COLS")))
		return "COLS";
	return NULL;
}

const struct tw_curses *tw_curses_load(char *why, size_t len)
{
	static struct tw_curses c;
	static int loaded;
	char first[256] = "";

	if (loaded)
		return &c;
	for (size_t i = 0; i < sizeof(sonames) / sizeof(sonames[0]); i++) {
		void *h = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
		const char *missing = NULL;
		const char *err = h ? NULL : dlerror();

		if (h && !(missing = bind_all(h, &c))) {
			loaded = 1;
			return &c;
		}
		if (!first[0] && h)
			snprintf(first, sizeof(first), "%s has no %s", sonames[i], missing);
		else if (!first[0])
			snprintf(first, sizeof(first), "%s", err ? err : sonames[i]);
		if (h)
			dlclose(h);
	}
	/* The loader's reason names the file at fault: ncurses itself, or
	 * libtinfo, which it needs. */
	snprintf(why, len,
	         "the live view needs ncurses, which cannot be loaded (%s; Debian package "
	         "libncursesw6)",
	         first);
	return NULL;
}
