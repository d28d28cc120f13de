// SPDX-License-Identifier: MIT
/* twshim run: a command with the shim preloaded and options as TWSHIM_*. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli.h"
#include "run_elf.h"
#include "run_libc.h"

/* The library directory of `make install` (LIBDIR/twshim), which may be no
 * ../lib/twshim/ from the binary: a multiarch /usr/lib/x86_64-linux-gnu. */
#ifndef TW_LIBDIR
#define TW_LIBDIR "/usr/local/lib/twshim"
#endif

/* twshim run's own statuses, as a shell gives them. */
enum { RUN_CANNOT_RUN = 126, RUN_NOT_FOUND = 127 };

static const char run_usage[] =
	"Usage: twshim run [OPTIONS] [--] COMMAND [ARGS...]\n"
	"\n"
	"Runs COMMAND with libtwshim.so preloaded (LD_PRELOAD; one already set is\n"
	"kept), so that its TCP connections are counted in the ledger for\n"
	"`twshim stat`. Each option sets the TWSHIM_* variable of the same name,\n"
	"which a service can also set directly (systemd Environment=, a wrapper\n"
	"script, a container spec).\n"
	"\n"
	"Options:\n"
	"  --shm NAME         ledger segment, '/NAME' or 'off'     (TWSHIM_SHM)\n"
	"  --log DEST         stderr | syslog | file:/PATH | off   (TWSHIM_LOG)\n"
	"  --log-level LEVEL  error | warn | info | debug          (TWSHIM_LOG_LEVEL)\n"
	"  --lib PATH         the libtwshim.so to preload (default: $TWSHIM_LIB,\n"
	"                     else the first found beside this program, in\n"
	"                     ../lib/twshim/, or in " TW_LIBDIR "/)\n"
	"\n"
	"Policies (off unless given; `man 7 twshim`, POLICIES, says what each costs):\n"
	"  --close MODE           kernel | fin-reset | reset | peer-first, for\n"
	"                         connections COMMAND opens       (TWSHIM_CLOSE)\n"
	"  --close-accepted MODE  the same for connections it accepts\n"
	"                                                  (TWSHIM_CLOSE_ACCEPTED)\n"
	"  --close-wait-ms N      how long to wait for the peer's FIN or for data\n"
	"                         to drain (default 2000)  (TWSHIM_CLOSE_WAIT_MS)\n"
	"  --close-fallback MODE  reset | kernel, when the wait runs out\n"
	"                         (default reset)          (TWSHIM_CLOSE_FALLBACK)\n"
	"  --close-hold-max N     connections held at once (default 1024)\n"
	"                                                  (TWSHIM_CLOSE_HOLD_MAX)\n"
	"  --reuseaddr            SO_REUSEADDR before every bind (TWSHIM_REUSEADDR)\n"
	"  --reuseport            SO_REUSEPORT likewise   (TWSHIM_REUSEPORT)\n"
	"  --source-addrs LIST    bind each connection to the source address with\n"
	"                         the fewest TIME_WAIT toward its destination,\n"
	"                         e.g. 10.0.0.2-10.0.0.11  (TWSHIM_SOURCE_ADDRS)\n"
	"  --source-ports LO-HI   take automatic ports from LO-HI only\n"
	"                                                  (TWSHIM_SOURCE_PORTS)\n"
	"  --spread reuse         with --source-ports: choose each port in LO-HI\n"
	"                         and reuse its TIME_WAIT at once (keep LO-HI in\n"
	"                         ip_local_reserved_ports)  (TWSHIM_SPREAD)\n"
	"  --retry-ms N           on EADDRNOTAVAIL, try other sources, then (for\n"
	"                         blocking sockets) wait, for up to N ms\n"
	"                                                  (TWSHIM_RETRY_MS)\n"
	"  --only LIST            policies only for these destinations,\n"
	"                         CIDR[:PORT],...          (TWSHIM_ONLY)\n"
	"  --except LIST          never for these          (TWSHIM_EXCEPT)\n"
	"  --strict               refuse to start COMMAND with a bad setting\n"
	"                                                  (TWSHIM_STRICT)\n"
	"  -h, --help         this text\n"
	"\n"
	"First, run reads the ELF headers of COMMAND (for a script, of its #!\n"
	"interpreter). It warns, and runs COMMAND, where twshim will see none of\n"
	"its connections: statically linked, setuid/setgid or setcap programs (the\n"
	"loader ignores LD_PRELOAD for them), and Go programs (the Go runtime makes\n"
	"its own system calls: the shim is loaded but counts nothing). It refuses,\n"
	"exit 126, where libtwshim.so cannot be loaded at all: a 32-bit program,\n"
	"one for another machine, one linked against another C library than\n"
	"glibc (musl), or one that would run with a glibc older than the library\n"
	"needs (2.17: a glibc shipped with the program, or one LD_LIBRARY_PATH\n"
	"finds).\n"
	"\n"
	"Exit status: COMMAND's own; 126 COMMAND cannot be run, or libtwshim.so\n"
	"cannot be loaded into it; 127 not found; 2 usage error; 1 libtwshim.so\n"
	"not found.\n"
	"\n"
	"Example:\n"
	"  twshim run -- curl -s http://127.0.0.1:8080/ && twshim stat\n";

/* The library: --lib, $TWSHIM_LIB, beside /proc/self/exe, ../lib/twshim/,
 * TW_LIBDIR. */
static int find_lib(const char *given, char *out, size_t len)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("TWSHIM_LIB");
	ssize_t n;

	if (!given && env && *env)
		given = env;
	if (given) {
		if (!realpath(given, out) || access(out, R_OK) != 0) {
			tw_cli_error("run: the shim library '%s' cannot be read: %s", given,
			             strerror(errno));
			return -1;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		if (snprintf(out, len, "%s/libtwshim.so", exe) < (int)len && access(out, R_OK) == 0)
			return 0;
		if (snprintf(out, len, "%s/../lib/twshim/libtwshim.so", exe) < (int)len &&
		    access(out, R_OK) == 0)
			return 0;
	}
	if (snprintf(out, len, "%s/libtwshim.so", TW_LIBDIR) < (int)len && access(out, R_OK) == 0)
		return 0;
	tw_cli_error("run: libtwshim.so not found beside this program, in ../lib/twshim/ nor in "
	             "%s/; give it with --lib PATH or TWSHIM_LIB", TW_LIBDIR);
	return -1;
}

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

/* Warns when the loader will not preload into COMMAND, or the shim will
 * see nothing there; returns -1, having said why, when the library cannot
 * be loaded into it at all (COMMAND is then not run). */
static int check_reachable(const char *cmd, const char *lib_path)
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

/* Sanitizer runtimes must stay first in LD_PRELOAD; otherwise we go first,
 * so that we see the program's calls before any other preloaded library. */
static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;
	int rc;

	if (!old || !*old)
		return setenv("LD_PRELOAD", lib, 1);
	if (strstr(old, "asan") || strstr(old, "tsan") || strstr(old, "clang_rt"))
		rc = asprintf(&v, "%s %s", old, lib);
	else
		rc = asprintf(&v, "%s %s", lib, old);
	if (rc < 0)
		return -1;
	rc = setenv("LD_PRELOAD", v, 1);
	free(v);
	return rc;
}

/* Each option of run and the TWSHIM_* variable it sets: one table for
 * getopt, the environment and the messages that name an option. */
static const struct run_opt {
	const char *name;
	const char *var;  /* NULL: --lib, --help */
	int has_arg;      /* 0: sets the variable to 1 */
} run_opts[] = {
	{ "shm", "TWSHIM_SHM", 1 },
	{ "log", "TWSHIM_LOG", 1 },
	{ "log-level", "TWSHIM_LOG_LEVEL", 1 },
	{ "lib", NULL, 1 },
	{ "close", "TWSHIM_CLOSE", 1 },
	{ "close-accepted", "TWSHIM_CLOSE_ACCEPTED", 1 },
	{ "close-wait-ms", "TWSHIM_CLOSE_WAIT_MS", 1 },
	{ "close-fallback", "TWSHIM_CLOSE_FALLBACK", 1 },
	{ "close-hold-max", "TWSHIM_CLOSE_HOLD_MAX", 1 },
	{ "reuseaddr", "TWSHIM_REUSEADDR", 0 },
	{ "reuseport", "TWSHIM_REUSEPORT", 0 },
	{ "only", "TWSHIM_ONLY", 1 },
	{ "source-addrs", "TWSHIM_SOURCE_ADDRS", 1 },
	{ "source-ports", "TWSHIM_SOURCE_PORTS", 1 },
	{ "retry-ms", "TWSHIM_RETRY_MS", 1 },
	{ "spread", "TWSHIM_SPREAD", 1 },
	{ "except", "TWSHIM_EXCEPT", 1 },
	{ "strict", "TWSHIM_STRICT", 0 },
	{ "help", NULL, 0 },
};
#define RUN_NOPTS (sizeof(run_opts) / sizeof(run_opts[0]))
#define RUN_OPT_VAL 256 /* getopt's value for run_opts[i]: RUN_OPT_VAL + i */

/*
 * The options' values, read before COMMAND starts by the parsers the shim
 * will run in it: the library's own twshim_check_environment, in a child
 * that loads it for this alone (its constructor, its fork handlers and
 * whatever the parsers touch stay out of this process, which becomes
 * COMMAND). The whole environment is read, as the shim will read it (a
 * policy's variables stand or fall together); a bad value an option gave
 * is a usage error, naming the option: the program would otherwise run
 * without what was asked. A library that cannot be checked this way (one
 * older than the check) is run as it is.
 */
static int check_settings(const char *lib, const char *const *given)
{
	char err[512] = "";
	int p[2], status, any = 0;
	ssize_t n;
	pid_t pid;

	/* No option set a variable: nothing of run's own to check (what the
	 * environment holds is the shim's to judge, in the program). */
	for (size_t i = 0; i < RUN_NOPTS; i++)
		any |= given[i] && run_opts[i].var != NULL;
	if (!any || pipe2(p, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	if (pid == 0) {
		int (*check)(char *, size_t);
		void *h;

		/* TWSHIM_STRICT=1 would make the constructor activate, here. */
		unsetenv("TWSHIM_STRICT");
		h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		*(void **)&check = h ? dlsym(h, "twshim_check_environment") : NULL;
		if (!check)
			_exit(3);
		if (check(err, sizeof(err)) == 0)
			_exit(0);
		if (write(p[1], err, strnlen(err, sizeof(err) - 1)) < 0)
			_exit(3);
		_exit(1);
	}
	close(p[1]);
	n = read(p[0], err, sizeof(err) - 1);
	close(p[0]);
	err[n > 0 ? n : 0] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		return 0;
	/* The shim names the variable: name the option that set it. */
	for (size_t i = 0; i < RUN_NOPTS; i++) {
		const struct run_opt *o = &run_opts[i];
		size_t len = o->var ? strlen(o->var) : 0;

		if (given[i] && o->var && strncmp(err, o->var, len) == 0 &&
		    (err[len] == '=' || err[len] == ':')) {
			tw_cli_error("run: --%s%s%s: %s; nothing run", o->name, o->has_arg ? " " : "",
			             given[i], err);
			return -1;
		}
	}
	/* A value from the environment is the service's own setting: the
	 * program runs, and the shim in it says what it says (fail open, or
	 * TWSHIM_STRICT's refusal), as without twshim run. */
	return 0;
}

int tw_cmd_run(int argc, char **argv)
{
	struct option longopts[RUN_NOPTS + 1];
	const char *given[RUN_NOPTS] = { 0 }; /* the value each option was given */
	const char *lib = NULL;
	char libpath[PATH_MAX];
	int c;

	for (size_t i = 0; i < RUN_NOPTS; i++)
		longopts[i] = (struct option){ run_opts[i].name,
			                       run_opts[i].has_arg ? required_argument : no_argument,
			                       NULL, RUN_OPT_VAL + (int)i };
	longopts[RUN_NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	/* '+': options stop at COMMAND, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		const struct run_opt *o = c >= RUN_OPT_VAL ? &run_opts[c - RUN_OPT_VAL] : NULL;

		if (c == 'h' || (o && strcmp(o->name, "help") == 0)) {
			fputs(run_usage, stdout);
			return TW_EXIT_OK;
		}
		if (!o)
			return tw_cli_bad_option("run", c, argv);
		given[c - RUN_OPT_VAL] = o->has_arg ? optarg : "";
		if (strcmp(o->name, "lib") == 0)
			lib = optarg;
		else
			setenv(o->var, o->has_arg ? optarg : "1", 1);
	}
	if (optind >= argc) {
		tw_cli_error("run: no COMMAND given: twshim run [OPTIONS] -- COMMAND [ARGS...]; "
		             "try 'twshim run --help'");
		return TW_EXIT_USAGE;
	}
	/* Someone at a terminal ran this: show the pooling hints there, which
	 * a service's stderr gets only when it asks (TWSHIM_HINTS=log). */
	if (isatty(STDERR_FILENO) && !getenv("TWSHIM_HINTS"))
		setenv("TWSHIM_HINTS", "log", 1);
	if (find_lib(lib, libpath, sizeof(libpath)) < 0)
		return TW_EXIT_FAIL;
	if (check_settings(libpath, given) < 0)
		return TW_EXIT_USAGE;
	if (set_preload(libpath) < 0) {
		tw_cli_error("run: cannot set LD_PRELOAD: %s", strerror(errno));
		return TW_EXIT_FAIL;
	}
	if (check_reachable(argv[optind], libpath) < 0)
		return RUN_CANNOT_RUN;
	execvp(argv[optind], &argv[optind]);
	c = errno;
	tw_cli_error("run: cannot run '%s': %s", argv[optind], strerror(c));
	return c == ENOENT ? RUN_NOT_FOUND : RUN_CANNOT_RUN;
}
