// SPDX-License-Identifier: MIT
/*
 * The libc.so.6 a program would get (run_libc.h). The loader takes the
 * first libc.so.6 of the program's class and machine in: DT_RPATH (unless
 * there is a DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, then its cache and
 * system directories. The last are the system's, the ones this command's
 * own libc came from, unless the program names a loader of its own
 * (PT_INTERP elsewhere: a glibc shipped with an application), which looks
 * in its own tree: that tree's lib directory is taken to be the loader's.
 * Not followed: $LIB and $PLATFORM in paths, glibc-hwcaps subdirectories
 * (where no libc.so.6 is installed), --library-path given to a loader run
 * as the command (the loader is then the program judged).
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_libc.h"

/* dir with $ORIGIN and ${ORIGIN} made origin; 0, or -1 when too long. */
static int expand(const char *dir, size_t n, const char *origin, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		const char *put = NULL;
		size_t skip = 1, k;

		if (strncmp(dir + i, "$ORIGIN", 7) == 0 && i + 7 <= n &&
		    (i + 7 == n || !(isalnum((unsigned char)dir[i + 7]) || dir[i + 7] == '_')))
			put = origin, skip = 7;
		else if (strncmp(dir + i, "${ORIGIN}", 9) == 0 && i + 9 <= n)
			put = origin, skip = 9;
		k = put ? strlen(put) : 1;
		if (o + k >= len)
			return -1;
		memcpy(out + o, put ? put : dir + i, k);
		o += k;
		i += skip;
	}
	out[o] = '\0';
	return 0;
}

/* The first libc.so.6 of p's class and machine in the list dirs (':' or
 * ';' between; an empty one is the current directory). */
static int search(const char *dirs, const char *origin, const struct tw_elf *p, char *out,
                  size_t len)
{
	char dir[PATH_MAX];

	while (dirs && *dirs) {
		size_t n = strcspn(dirs, ":;");
		struct tw_elf c;
		int fd;

		if (expand(dirs, n, origin, dir, sizeof(dir)) == 0 &&
		    snprintf(out, len, "%s/libc.so.6", n ? dir : ".") < (int)len &&
		    (fd = open(out, O_RDONLY | O_CLOEXEC)) >= 0) {
			int ok = tw_elf_read(fd, &c) == 0 && c.elfclass == p->elfclass &&
			         c.machine == p->machine;
			close(fd);
			if (ok)
				return 0;
		}
		dirs += n + (dirs[n] != '\0');
	}
	return -1;
}

int tw_run_libc(const char *path, const struct tw_elf *p, const char *self_interp, char *out,
                size_t len)
{
	char origin[PATH_MAX], dir[PATH_MAX], *slash;

	if (!realpath(path, origin))
		snprintf(origin, sizeof(origin), "%s", path);
	if ((slash = strrchr(origin, '/')))
		*(slash == origin ? slash + 1 : slash) = '\0';
	if (!p->runpath[0] && search(p->rpath, origin, p, out, len) == 0)
		return 0;
	if (search(getenv("LD_LIBRARY_PATH"), origin, p, out, len) == 0)
		return 0;
	if (search(p->runpath, origin, p, out, len) == 0)
		return 0;
	if (!p->interp[0] || !*self_interp || strcmp(p->interp, self_interp) == 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s", p->interp);
	if ((slash = strrchr(dir, '/')))
		*(slash == dir ? slash + 1 : slash) = '\0';
	return search(dir, origin, p, out, len);
}
