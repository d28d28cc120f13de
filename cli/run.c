/* twshim run: a command with the shim preloaded and options as TWSHIM_*. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli.h"

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
	"  --lib PATH         the libtwshim.so to preload (default: beside this\n"
	"                     program, or ../lib/twshim/; or $TWSHIM_LIB)\n"
	"\n"
	"Policies (off unless given; README.md, \"Policies\"):\n"
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
	"The shim cannot reach statically linked programs, nor setuid/setcap ones\n"
	"(the loader ignores LD_PRELOAD for them): run warns when COMMAND is one.\n"
	"\n"
	"Exit status: COMMAND's own; 126 COMMAND cannot be run; 127 not found;\n"
	"2 usage error; 1 libtwshim.so not found.\n"
	"\n"
	"Example:\n"
	"  twshim run -- curl -s http://127.0.0.1:8080/ && twshim stat\n";

/* The library: --lib, $TWSHIM_LIB, beside /proc/self/exe, ../lib/twshim/. */
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
	tw_cli_error("run: libtwshim.so not found beside this program nor in ../lib/twshim/; "
	             "give it with --lib PATH or TWSHIM_LIB");
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

/* Warns, without stopping, when the loader will not preload into COMMAND. */
static void check_reachable(const char *cmd)
{
	char buf[PATH_MAX];
	const char *path = which(cmd, buf, sizeof(buf));
	Elf64_Ehdr eh;
	struct stat st;
	int fd, interp = 0;

	if (!path || stat(path, &st) < 0)
		return;
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		tw_cli_error("run: warning: %s is set%cid: the loader ignores LD_PRELOAD for it, "
		             "twshim will see none of its connections", path,
		             st.st_mode & S_ISUID ? 'u' : 'g');
		return;
	}
	if (getxattr(path, "security.capability", NULL, 0) > 0) {
		tw_cli_error("run: warning: %s has file capabilities: the loader runs it in "
		             "secure mode and twshim stays inert in it", path);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 256) {
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
			    (ssize_t)sizeof(ph))
				break;
			interp |= ph.p_type == PT_INTERP;
		}
		if (!interp)
			tw_cli_error("run: warning: %s is statically linked: nothing can be "
			             "preloaded into it, twshim will see none of its connections",
			             path);
	}
	close(fd);
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

int tw_cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shm", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "lib", required_argument, NULL, 'b' },
		{ "close", required_argument, NULL, 'c' },
		{ "close-accepted", required_argument, NULL, 'C' },
		{ "close-wait-ms", required_argument, NULL, 'w' },
		{ "close-fallback", required_argument, NULL, 'f' },
		{ "close-hold-max", required_argument, NULL, 'm' },
		{ "reuseaddr", no_argument, NULL, 'r' },
		{ "reuseport", no_argument, NULL, 'R' },
		{ "only", required_argument, NULL, 'o' },
		{ "source-addrs", required_argument, NULL, 'a' },
		{ "source-ports", required_argument, NULL, 'p' },
		{ "retry-ms", required_argument, NULL, 't' },
		{ "spread", required_argument, NULL, 'P' },
		{ "except", required_argument, NULL, 'x' },
		{ "strict", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lib = NULL;
	char libpath[PATH_MAX];
	int c;

	optind = 1;
	/* '+': options stop at COMMAND, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': setenv("TWSHIM_SHM", optarg, 1); break;
		case 'l': setenv("TWSHIM_LOG", optarg, 1); break;
		case 'L': setenv("TWSHIM_LOG_LEVEL", optarg, 1); break;
		case 'b': lib = optarg; break;
		case 'c': setenv("TWSHIM_CLOSE", optarg, 1); break;
		case 'C': setenv("TWSHIM_CLOSE_ACCEPTED", optarg, 1); break;
		case 'w': setenv("TWSHIM_CLOSE_WAIT_MS", optarg, 1); break;
		case 'f': setenv("TWSHIM_CLOSE_FALLBACK", optarg, 1); break;
		case 'm': setenv("TWSHIM_CLOSE_HOLD_MAX", optarg, 1); break;
		case 'r': setenv("TWSHIM_REUSEADDR", "1", 1); break;
		case 'R': setenv("TWSHIM_REUSEPORT", "1", 1); break;
		case 'o': setenv("TWSHIM_ONLY", optarg, 1); break;
		case 'a': setenv("TWSHIM_SOURCE_ADDRS", optarg, 1); break;
		case 'p': setenv("TWSHIM_SOURCE_PORTS", optarg, 1); break;
		case 't': setenv("TWSHIM_RETRY_MS", optarg, 1); break;
		case 'P': setenv("TWSHIM_SPREAD", optarg, 1); break;
		case 'x': setenv("TWSHIM_EXCEPT", optarg, 1); break;
		case 'S': setenv("TWSHIM_STRICT", "1", 1); break;
		case 'h': fputs(run_usage, stdout); return TW_EXIT_OK;
		default: fputs(run_usage, stderr); return TW_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		tw_cli_error("run: no COMMAND given");
		fputs(run_usage, stderr);
		return TW_EXIT_USAGE;
	}
	if (find_lib(lib, libpath, sizeof(libpath)) < 0)
		return TW_EXIT_FAIL;
	if (set_preload(libpath) < 0) {
		tw_cli_error("run: cannot set LD_PRELOAD: %s", strerror(errno));
		return TW_EXIT_FAIL;
	}
	check_reachable(argv[optind]);
	execvp(argv[optind], &argv[optind]);
	c = errno;
	tw_cli_error("run: cannot run '%s': %s", argv[optind], strerror(c));
	return c == ENOENT ? 127 : 126;
}
