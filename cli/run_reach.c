// SPDX-License-Identifier: MIT
/*
 * Whether twshim run's preload can reach COMMAND: read from its ELF headers
 * (a script's: its #! interpreter's) before it runs. Warns where the shim
 * would be loaded and see nothing, or not be loaded at all (setuid, setcap,
 * static, Go); refuses where the library cannot be loaded into it (another
 * class, machine or C library, an older glibc).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli.h"
#include "run_elf.h"
#include "run_libc.h"
#include "run_reach.h"

/* COMMAND's path as execvp would find it, or NULL. */
static const char *which(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/'))
		return cmd;
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(out, len, "%.*s/%s", (int)n, n ? path : ".", cmd);
		if (access(out, X_OK) == 0)
			return out;
		path += n + (path[n] == ':');
	}
	return NULL;
}

static int elf_of(const char *path, struct tw_elf *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = tw_elf_read(fd, e);
	close(fd);
	return rc;
}

/* A script's interpreter ("#!/usr/bin/python3 -u" -> /usr/bin/python3):
 * the program the loader really starts. NULL when path is no script. */
static const char *shebang(const char *path, char *out, size_t len)
{
	char line[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, line, sizeof(line) - 1, 0);
	size_t skip, w;

	if (fd >= 0)
		close(fd);
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return NULL;
	line[n] = '\0';
	skip = 2 + strspn(line + 2, " \t");
	w = strcspn(line + skip, " \t\r\n");
	if (!w || w >= len)
		return NULL;
	snprintf(out, len, "%.*s", (int)w, line + skip);
	return out;
}

static const char *bits(uint8_t elfclass)
{
	return elfclass == ELFCLASS32   ? "32-bit"
	       : elfclass == ELFCLASS64 ? "64-bit"
	                                : "unknown-class";
}

static const char *byte_order(uint8_t data)
{
	return data == ELFDATA2MSB   ? "big-endian"
	       : data == ELFDATA2LSB ? "little-endian"
	                             : "unknown-byte-order";
}

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Whether the loader can put the library into the program p at all: the
 * same class, byte order and machine, and glibc's loader (loader, its
 * path). Where not, the loader either stops the program before main()
 * (musl's cannot resolve glibc's symbols) or skips the library with a line
 * of its own (wrong ELF class), and the program runs unseen: better not to
 * run it. Returns 0, or -1 after one line naming who and why. A statically
 * linked program loads nothing, whatever its machine: it runs, with a
 * warning (unseen_warning).
 */
static int loadable(const char *who, const struct tw_elf *p, const struct tw_elf *lib,
                    const char *loader)
{
	char pm[32], lm[32];

	if (p->parsed && !p->has_interp)
		return 0;
	tw_elf_machine(p, pm, sizeof(pm));
	tw_elf_machine(lib, lm, sizeof(lm));
	if (p->elfclass != lib->elfclass)
		tw_cli_error(
		    "run: %s is a %s program; libtwshim.so is %s %s: it cannot be preloaded "
		    "there",
		    who, bits(p->elfclass), bits(lib->elfclass), lm);
	else if (p->data != lib->data)
		tw_cli_error(
		    "run: %s is a %s program; libtwshim.so is %s %s: it cannot be preloaded "
		    "there",
		    who, byte_order(p->data), byte_order(lib->data), lm);
	else if (p->machine != lib->machine)
		tw_cli_error("run: %s is a program for %s; libtwshim.so is for %s: it cannot be "
		             "preloaded there",
		             who, pm, lm);
	else if (p->interp[0] && *loader && strcmp(base(p->interp), base(loader)) != 0)
		tw_cli_error("run: %s is linked against another C library (its loader is %s, not "
		             "glibc's %s); libtwshim.so needs glibc: it cannot be preloaded there",
		             who, p->interp, base(loader));
	else
		return 0;
	return -1;
}

/*
 * Whether the glibc the program p (at path) would run with has every
 * version the library needs. Where not (a glibc before 2.17, shipped with
 * an application or found through LD_LIBRARY_PATH), the loader would stop
 * the program before main() ("version `GLIBC_2.17' not found (required by
 * libtwshim.so)"): better not to run it. Returns 0, or -1 after one line.
 * A libc that defines no GLIBC_ version is no glibc this can judge: the
 * loader has its say.
 */
static int new_enough(const char *who, const char *path, const struct tw_elf *p,
                      const struct tw_elf *lib, const char *loader)
{
	char libc[PATH_MAX], has[32], needs[32];
	struct tw_elf c;

	if (!lib->glibc_needed.major || !p->has_interp ||
	    tw_run_libc(path, p, loader, libc, sizeof(libc)) < 0 || elf_of(libc, &c) < 0 ||
	    !c.glibc_defined.major || tw_glibc_cmp(&c.glibc_defined, &lib->glibc_needed) >= 0)
		return 0;
	tw_cli_error("run: %s would run with an older glibc than libtwshim.so needs: its libc.so.6 "
	             "(%s) has versions up to GLIBC_%s, libtwshim.so needs GLIBC_%s; it cannot be "
	             "preloaded there",
	             who, libc, tw_glibc_str(&c.glibc_defined, has, sizeof(has)),
	             tw_glibc_str(&lib->glibc_needed, needs, sizeof(needs)));
	return -1;
}

/* Programs the shim is loaded into, or not, but where it sees nothing. */
static void unseen_warning(const char *who, const struct tw_elf *p)
{
	if (p->parsed && !p->has_interp)
		tw_cli_error(
		    "run: warning: %s is statically linked%s: nothing can be preloaded into "
		    "it, twshim will see none of its connections",
		    who, p->go ? " (a Go program)" : "");
	else if (p->go)
		tw_cli_error(
		    "run: warning: %s is a Go program: the Go runtime makes its own system "
		    "calls, so twshim will not see the connections it makes (libtwshim.so "
		    "stays loaded but counts nothing; C code calling libc through cgo is "
		    "seen)",
		    who);
}

int tw_run_reachable(const char *cmd, const char *lib_path)
{
	char buf[PATH_MAX], interp[PATH_MAX], who[2 * PATH_MAX + 32];
	const char *path = which(cmd, buf, sizeof(buf)), *prog_path;
	struct tw_elf prog, lib, self;
	struct stat st;

	if (!path || tw_stat(path, &st) < 0)
		return 0;
	/* Secure execution comes from the ids changing at exec: a setuid
	 * program run by its own owner (root running a setuid-root one) is an
	 * ordinary exec, and the shim works there. */
	if (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getgid())) {
		tw_cli_error("run: warning: %s is set%cid: the loader ignores LD_PRELOAD for it, "
		             "twshim will see none of its connections", path,
		             (st.st_mode & S_ISUID) && st.st_uid != getuid() ? 'u' : 'g');
		return 0;
	}
	if (getxattr(path, "security.capability", NULL, 0) > 0) {
		tw_cli_error("run: warning: %s has file capabilities: the loader runs it in "
		             "secure mode and twshim stays inert in it", path);
		return 0;
	}
	snprintf(who, sizeof(who), "%s", path);
	prog_path = path;
	/* A script: its interpreter, one level (a script run by a script is
	 * left alone, as is anything else that is no ELF file). */
	if (elf_of(path, &prog) < 0) {
		if (!shebang(path, interp, sizeof(interp)) || elf_of(interp, &prog) < 0)
			return 0;
		snprintf(who, sizeof(who), "%s, the interpreter of %s,", interp, path);
		prog_path = interp;
	}
	/* glibc's loader is the one this command, built with the library, names. */
	if (elf_of("/proc/self/exe", &self) < 0)
		self.interp[0] = '\0';
	if (elf_of(lib_path, &lib) == 0 &&
	    (loadable(who, &prog, &lib, self.interp) < 0 ||
	     new_enough(who, prog_path, &prog, &lib, self.interp) < 0))
		return -1;
	unseen_warning(who, &prog);
	return 0;
}
