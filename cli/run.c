// SPDX-License-Identifier: MIT
/* twshim run: a command with the shim preloaded and options as TWSHIM_*. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "run_reach.h"

/* The library directory of `make install` (LIBDIR/twshim), which may be no
 * ../lib/twshim/ from the binary: a multiarch /usr/lib/x86_64-linux-gnu. */
#ifndef TW_LIBDIR
#define TW_LIBDIR "/usr/local/lib/twshim"
#endif

/* twshim run's own statuses, as a shell gives them. */
enum { RUN_CANNOT_RUN = 126, RUN_NOT_FOUND = 127 };

/* The usage text around the options, which run_opts[] lists. */
static const char run_usage_head[] =
	"Usage: twshim run [OPTIONS] [--] COMMAND [ARGS...]\n"
	"\n"
	"Runs COMMAND with libtwshim.so preloaded (LD_PRELOAD; one already set is\n"
	"kept), so that its TCP connections are counted in the ledger for\n"
	"`twshim stat`. Each option sets the TWSHIM_* variable of the same name,\n"
	"which a service can also set directly (systemd Environment=, a wrapper\n"
	"script, a container spec).\n";

static const char run_usage_tail[] =
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

/*
 * Each option of run: getopt's entry, the TWSHIM_* variable it sets, the
 * messages that name it and its lines of the usage text come from here.
 * help holds the lines of its description, '\n' between them; the usage
 * text ends the last with the variable.
 */
static const struct run_opt {
	const char *name;
	const char *arg;  /* the value's name in the usage text; NULL: takes none */
	const char *var;  /* NULL: --lib, --help */
	int policy;       /* listed under Policies */
	const char *help;
} run_opts[] = {
	{ "shm", "NAME", "TWSHIM_SHM", 0, "ledger segment, '/NAME' or 'off'" },
	{ "log", "DEST", "TWSHIM_LOG", 0, "stderr | syslog | file:/PATH | off" },
	{ "log-level", "LEVEL", "TWSHIM_LOG_LEVEL", 0, "error | warn | info | debug" },
	{ "lib", "PATH", NULL, 0,
	  "the libtwshim.so to preload (default: $TWSHIM_LIB,\n"
	  "else the first found beside this program, in\n"
	  "../lib/twshim/, or in " TW_LIBDIR "/)" },
	{ "close", "MODE", "TWSHIM_CLOSE", 1,
	  "kernel | fin-reset | reset | peer-first, for\n"
	  "connections COMMAND opens" },
	{ "close-accepted", "MODE", "TWSHIM_CLOSE_ACCEPTED", 1,
	  "the same for connections it accepts" },
	{ "close-wait-ms", "N", "TWSHIM_CLOSE_WAIT_MS", 1,
	  "how long to wait for the peer's FIN or for data\n"
	  "to drain (default 2000)" },
	{ "close-fallback", "MODE", "TWSHIM_CLOSE_FALLBACK", 1,
	  "reset | kernel, when the wait runs out\n"
	  "(default reset)" },
	{ "close-hold-max", "N", "TWSHIM_CLOSE_HOLD_MAX", 1,
	  "connections held at once (default 1024)" },
	{ "reuseaddr", NULL, "TWSHIM_REUSEADDR", 1, "SO_REUSEADDR before every bind" },
	{ "reuseport", NULL, "TWSHIM_REUSEPORT", 1, "SO_REUSEPORT likewise" },
	{ "source-addrs", "LIST", "TWSHIM_SOURCE_ADDRS", 1,
	  "bind each connection to the source address with\n"
	  "the fewest TIME_WAIT toward its destination,\n"
	  "e.g. 10.0.0.2-10.0.0.11" },
	{ "source-ports", "LO-HI", "TWSHIM_SOURCE_PORTS", 1,
	  "take automatic ports from LO-HI only" },
	{ "spread", "reuse", "TWSHIM_SPREAD", 1,
	  "with --source-ports: choose each port in LO-HI\n"
	  "and reuse its TIME_WAIT at once (keep LO-HI in\n"
	  "ip_local_reserved_ports)" },
	{ "retry-ms", "N", "TWSHIM_RETRY_MS", 1,
	  "on EADDRNOTAVAIL, try other sources, then (for\n"
	  "blocking sockets) wait, for up to N ms" },
	{ "only", "LIST", "TWSHIM_ONLY", 1,
	  "policies only for these destinations,\n"
	  "CIDR[:PORT],..." },
	{ "except", "LIST", "TWSHIM_EXCEPT", 1, "never for these" },
	{ "strict", NULL, "TWSHIM_STRICT", 1, "refuse to start COMMAND with a bad setting" },
	{ "help", NULL, NULL, 0, "this text" },
};
#define RUN_NOPTS      (sizeof(run_opts) / sizeof(run_opts[0]))
#define RUN_OPT_VAL    256 /* getopt's value for run_opts[i]: RUN_OPT_VAL + i */
#define RUN_HELP_COL   25  /* where the descriptions start */
#define RUN_HELP_WIDTH 78  /* and where they end */

/* One option's lines: "  --close MODE  kernel | ...", its description
 * wrapped as help breaks it, "(TWSHIM_CLOSE)" after the last line, or on a
 * line of its own where that would pass RUN_HELP_WIDTH. */
static void usage_option(FILE *out, const struct run_opt *o)
{
	char var[64] = "";
	const char *line = o->help;
	int col;

	col = fprintf(out, "  %s--%s%s%s", strcmp(o->name, "help") == 0 ? "-h, " : "", o->name,
	              o->arg ? " " : "", o->arg ? o->arg : "");
	if (o->var)
		snprintf(var, sizeof(var), "(%s)", o->var);
	for (;;) {
		size_t n = strcspn(line, "\n");

		if (col > RUN_HELP_COL - 2) {
			fputc('\n', out);
			col = 0;
		}
		col += fprintf(out, "%*s%.*s", RUN_HELP_COL - col, "", (int)n, line);
		if (!line[n])
			break;
		fputc('\n', out);
		col = 0;
		line += n + 1;
	}
	if (var[0] && col + 2 + (int)strlen(var) > RUN_HELP_WIDTH)
		fprintf(out, "\n%*s%s", RUN_HELP_COL, "", var);
	else if (var[0])
		fprintf(out, "  %s", var);
	fputc('\n', out);
}

static void usage(FILE *out)
{
	fputs(run_usage_head, out);
	fputs("\nOptions:\n", out);
	for (size_t i = 0; i < RUN_NOPTS; i++)
		if (!run_opts[i].policy)
			usage_option(out, &run_opts[i]);
	fputs("\nPolicies (off unless given; `man 7 twshim`, POLICIES, says what each costs):\n",
	      out);
	for (size_t i = 0; i < RUN_NOPTS; i++)
		if (run_opts[i].policy)
			usage_option(out, &run_opts[i]);
	fputs(run_usage_tail, out);
}

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
			tw_cli_error("run: --%s%s%s: %s; nothing run", o->name, o->arg ? " " : "",
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
			                       run_opts[i].arg ? required_argument : no_argument,
			                       NULL, RUN_OPT_VAL + (int)i };
	longopts[RUN_NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	/* '+': options stop at COMMAND, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		const struct run_opt *o = c >= RUN_OPT_VAL ? &run_opts[c - RUN_OPT_VAL] : NULL;

		if (c == 'h' || (o && strcmp(o->name, "help") == 0)) {
			usage(stdout);
			return TW_EXIT_OK;
		}
		if (!o)
			return tw_cli_bad_option("run", c, argv);
		given[c - RUN_OPT_VAL] = o->arg ? optarg : "";
		if (strcmp(o->name, "lib") == 0)
			lib = optarg;
		else
			setenv(o->var, o->arg ? optarg : "1", 1);
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
	if (tw_run_reachable(argv[optind], libpath) < 0)
		return RUN_CANNOT_RUN;
	execvp(argv[optind], &argv[optind]);
	c = errno;
	tw_cli_error("run: cannot run '%s': %s", argv[optind], strerror(c));
	return c == ENOENT ? RUN_NOT_FOUND : RUN_CANNOT_RUN;
}
