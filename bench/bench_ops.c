// SPDX-License-Identifier: MIT
/*
 * bench_ops: what the shim costs one kind of file-descriptor operation,
 * measured side by side. This program knows nothing of the shim: it only
 * makes the calls the shim wraps, and runs a copy of itself with
 * LD_PRELOAD set and another without.
 *
 *   bench_ops compare MODE BLOCKS BLOCK_MS [A VAR=VALUE...] [B VAR=VALUE...]
 *
 * starts two workers, A and B: this program re-executed with the caller's
 * environment minus LD_PRELOAD and TWSHIM_*, plus the VAR=VALUE words that
 * follow the letter "A" (for A) or "B" (for B). bench/run.sh gives B the
 * shim (B LD_PRELOAD=.../libtwshim.so TWSHIM_SHM=...) and A nothing. Both
 * live for the whole comparison and take turns: one block of ops by A, one
 * by B, B again, A again (ABBA), BLOCKS times each. A block is as many ops as
 * take A about BLOCK_MS milliseconds (measured while warming up; then fixed).
 * Prints on stdout:
 *
 *   compare MODE blocks=N ops_per_block=K cpus=WORKERS/SERVER
 *   A_NS B_NS           one line per block pair: ns per op of A, of B
 *
 * Why blocks of a few milliseconds, not whole runs: on a virtual machine the
 * cost of the same system calls shifts by 10-30% from one second to the
 * next (steal time, the host's own load), for seconds at a time. Two whole
 * runs, one after the other, each see a different machine; two blocks a few
 * milliseconds apart see the same one, and so the ratio of each pair is the
 * shim's cost with the shift cancelled out. For the same reason the workers
 * run on one CPU and whatever serves them on another, with two CPUs or more:
 * a process that the scheduler moves between CPUs mid-run pays for cold
 * caches that the other side did not.
 *
 *   bench_ops MODE ITERATIONS
 *
 * runs MODE alone in this process, untouched environment: ~5% as many
 * untimed ops warm up, ITERATIONS are timed, and one line is printed:
 * "MODE iterations=N ns_per_op=X.XX". For strace -c, perf and callgrind.
 *
 * Modes (one op is one pass of):
 *   devnull     open("/dev/null", O_RDONLY) + close(): the shim's non-socket
 *               path, which should cost next to nothing.
 *   pipe        pipe2(O_CLOEXEC) + close() of both ends.
 *   client      socket() + connect() to a 127.0.0.1 listener + close(), the
 *               issue's "connect+close over loopback": the server is another
 *               process without the shim (accept, read to EOF, close), so the
 *               shim's cost is the client's alone, as a program connecting to
 *               another host would pay it. The client closes first: its side
 *               takes the active close and the TIME_WAIT.
 *   connect     socket() + connect() + accept() + close(client) +
 *               close(accepted), all in one thread: both ends are tracked,
 *               so it pays twice. Loopback completes the handshake inside
 *               connect(), so accept() never blocks.
 *   connect-mt  socket() + connect() + close() by the client; a second
 *               thread accepts and closes, and a block ends once it has
 *               closed every connection of the block.
 *
 * Traffic is only ever to 127.0.0.1, on a port the kernel picks (port 0);
 * bench/run.sh runs this inside a network namespace of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A worker's command pipe and answer pipe, at fixed numbers. */
#define CMD_FD 3
#define ANS_FD 4

static const char *g_mode = "?";

static void die(const char *what)
{
	int e = errno;

	fprintf(stderr, "bench_ops: %s: %s: %s\n", g_mode, what, strerror(e));
	if (e == EADDRNOTAVAIL)
		fprintf(stderr, "bench_ops: no free local port: run it through bench/run.sh, "
		                "which widens ip_local_port_range and sets tcp_tw_reuse "
		                "in a network namespace of its own\n");
	exit(1);
}

static void xclose(int fd)
{
	if (close(fd) < 0)
		die("close");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime");
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* ---- where things run ---- */

/* The first two CPUs this process may use; -1 when it has only one. */
static int g_cpu_work = -1, g_cpu_serve = -1;

static void cpus_pick(void)
{
	cpu_set_t set;
	int found = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int c = 0; c < CPU_SETSIZE && found < 2; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (found++ == 0)
			g_cpu_work = c;
		else
			g_cpu_serve = c;
	}
	if (found < 2)
		g_cpu_work = g_cpu_serve = -1;
}

/* Pins the calling thread; a failure only costs precision, so it is said once. */
static void pin(int cpu)
{
	static int warned;
	cpu_set_t set;
	int err;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err != 0 && !warned++)
		fprintf(stderr, "bench_ops: warning: cannot pin to CPU %d (%s): results will be "
		                "noisier\n", cpu, strerror(err));
}

/* ---- non-socket paths ---- */

static void run_devnull(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd < 0)
			die("open /dev/null");
		xclose(fd);
	}
}

static void run_pipe(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe2");
		xclose(p[0]);
		xclose(p[1]);
	}
}

/* ---- loopback TCP ---- */

static int g_listen_fd = -1;
static struct sockaddr_in g_server;

static void listen_loopback(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(g_server);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;

	g_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_listen_fd < 0)
		die("socket (listener)");
	if (bind(g_listen_fd, (const struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind 127.0.0.1:0");
	/* The kernel caps the backlog at net.core.somaxconn (4096 by default). */
	if (listen(g_listen_fd, 4096) < 0)
		die("listen");
	if (getsockname(g_listen_fd, (struct sockaddr *)&g_server, &len) < 0)
		die("getsockname");
}

static int connect_once(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	while (connect(fd, (const struct sockaddr *)&g_server, sizeof(g_server)) < 0) {
		if (errno != EINTR)
			die("connect 127.0.0.1");
	}
	return fd;
}

static int accept_once(void)
{
	int fd;

	while ((fd = accept(g_listen_fd, NULL, NULL)) < 0) {
		if (errno != EINTR && errno != ECONNABORTED)
			die("accept");
	}
	return fd;
}

static void run_connect(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int c = connect_once();
		int s = accept_once();

		xclose(c);
		xclose(s);
	}
}

static void run_client(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		xclose(connect_once());
}

/* connect-mt: the server thread counts what it closed; a block waits for it. */
static pthread_mutex_t g_mt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_mt_cond = PTHREAD_COND_INITIALIZER;
static uint64_t g_mt_closed, g_mt_issued;

static void *mt_server(void *arg)
{
	(void)arg;
	pin(g_cpu_serve);
	for (;;) {
		xclose(accept_once());
		pthread_mutex_lock(&g_mt_lock);
		if (++g_mt_closed == g_mt_issued)
			pthread_cond_signal(&g_mt_cond);
		pthread_mutex_unlock(&g_mt_lock);
	}
	return NULL;
}

static void run_connect_mt(uint64_t n)
{
	pthread_mutex_lock(&g_mt_lock);
	g_mt_issued += n;
	pthread_mutex_unlock(&g_mt_lock);
	run_client(n);
	pthread_mutex_lock(&g_mt_lock);
	while (g_mt_closed < g_mt_issued)
		pthread_cond_wait(&g_mt_cond, &g_mt_lock);
	pthread_mutex_unlock(&g_mt_lock);
}

/* client: the server, this program as "serve FD", never under the shim. */
static void serve(int lfd)
{
	char buf[256];

	g_mode = "serve";
	g_listen_fd = lfd;
	for (;;) {
		int fd = accept_once();
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

/* ---- modes ---- */

struct mode {
	const char *name;
	void (*loop)(uint64_t n);
	int pilot; /* ops in the first warm-up block */
};

static const struct mode modes[] = {
	{ "devnull", run_devnull, 2000 },
	{ "pipe", run_pipe, 1000 },
	{ "client", run_client, 100 },
	{ "connect", run_connect, 100 },
	{ "connect-mt", run_connect_mt, 100 },
};

static const struct mode *mode_find(const char *name)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, name) == 0)
			return &modes[i];
	return NULL;
}

/* What each mode needs before its first op; the client's server is not here. */
static void mode_setup(const struct mode *m)
{
	if (m->loop == run_connect || m->loop == run_connect_mt)
		listen_loopback();
	if (m->loop == run_connect_mt) {
		pthread_t th;
		int err = pthread_create(&th, NULL, mt_server, NULL);

		if (err != 0) {
			errno = err;
			die("pthread_create");
		}
	}
}

/* ---- a worker: runs blocks on command ---- */

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* worker MODE [PORT]: for each op count read on CMD_FD, runs that many and
 * answers the nanoseconds they took on ANS_FD; ends when the pipe closes. */
static int worker(const struct mode *m, const char *port)
{
	uint32_t n;

	g_mode = m->name;
	pin(g_cpu_work);
	if (m->loop == run_client) {
		memset(&g_server, 0, sizeof(g_server));
		g_server.sin_family = AF_INET;
		g_server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		g_server.sin_port = htons((uint16_t)atoi(port));
	} else {
		mode_setup(m);
	}
	while (read_full(CMD_FD, &n, sizeof(n)) == 0) {
		uint64_t t0 = now_ns(), dt;

		m->loop(n);
		dt = now_ns() - t0;
		if (write_full(ANS_FD, &dt, sizeof(dt)) < 0)
			die("write to the coordinator");
	}
	return 0;
}

/* ---- the coordinator ---- */

struct side {
	char letter;
	char **env;     /* the caller's, minus LD_PRELOAD and TWSHIM_*, plus its own */
	pid_t pid;
	int cmd, ans;   /* our ends */
};

static int env_dropped(const char *kv)
{
	return strncmp(kv, "LD_PRELOAD=", 11) == 0 || strncmp(kv, "TWSHIM_", 7) == 0;
}

/* Whether two VAR=VALUE words set the same variable. */
static int same_var(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return strncmp(a, b, n) == 0 && b[n] == '=';
}

/* The environment of a side: ours, filtered, then its VAR=VALUE words, each
 * replacing an earlier setting of its variable (as env(1) would). */
static char **side_env(char **extra, int nextra)
{
	extern char **environ;
	size_t n = 0, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + (size_t)nextra + 1, sizeof(*env));
	if (!env)
		die("calloc");
	for (size_t i = 0; i < n; i++)
		if (!env_dropped(environ[i]))
			env[j++] = environ[i];
	for (int i = 0; i < nextra; i++) {
		size_t k = 0;
		for (size_t r = 0; r < j; r++)
			if (!same_var(extra[i], env[r]))
				env[k++] = env[r];
		j = k;
		env[j++] = extra[i];
	}
	env[j] = NULL;
	return env;
}

/* This program's own path, read once: execve("/proc/self/exe") would run
 * whatever runs us, valgrind's tool under callgrind, instead of us. */
static char g_self[4096] = "/proc/self/exe";

static void self_find(void)
{
	ssize_t n = readlink("/proc/self/exe", g_self, sizeof(g_self) - 1);

	if (n > 0)
		g_self[n] = '\0';
	else
		strcpy(g_self, "/proc/self/exe");
}

/* The loopback server must still be serving when the ops end: if it is
 * gone, the connections were queued and never accepted, and what was timed
 * is not the mode. Ends it; 0 if it had been serving to the end. */
static int server_end(pid_t server)
{
	int status;
	pid_t w = waitpid(server, &status, WNOHANG);

	if (w == 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		return 0;
	}
	fprintf(stderr, "bench_ops: %s: the loopback server (pid %d) ", g_mode, (int)server);
	if (w == server && WIFSIGNALED(status))
		fprintf(stderr, "was killed by signal %d", WTERMSIG(status));
	else if (w == server)
		fprintf(stderr, "exited with status %d", WEXITSTATUS(status));
	else
		fprintf(stderr, "cannot be waited for");
	fprintf(stderr, " before the end: nothing accepted the connections, the timings are void\n");
	return -1;
}

/* Runs this program as argv in env, with fd3 at CMD_FD and fd4 at ANS_FD
 * (-1: none). Any of them may already sit at 3 or 4, and all are CLOEXEC:
 * they go out of the way first, then to their places without CLOEXEC. */
static pid_t spawn(char **argv, char **env, int fd3, int fd4)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int a = fd3 >= 0 ? fcntl(fd3, F_DUPFD_CLOEXEC, 10) : -1;
		int b = fd4 >= 0 ? fcntl(fd4, F_DUPFD_CLOEXEC, 10) : -1;

		/* Nothing of ours outlives us, whatever ends us. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(125);
		signal(SIGPIPE, SIG_DFL);
		if ((fd3 >= 0 && (a < 0 || dup2(a, CMD_FD) < 0)) ||
		    (fd4 >= 0 && (b < 0 || dup2(b, ANS_FD) < 0)))
			_exit(126);
		execve(g_self, argv, env);
		_exit(127);
	}
	return pid;
}

static void side_start(struct side *s, const char *mode, const char *port)
{
	char *argv[] = { (char *)"bench_ops", (char *)"worker", (char *)mode, (char *)port, NULL };
	int cmd[2], ans[2];

	if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(ans, O_CLOEXEC) < 0)
		die("pipe2");
	s->pid = spawn(argv, s->env, cmd[0], ans[1]);
	xclose(cmd[0]);
	xclose(ans[1]);
	s->cmd = cmd[1];
	s->ans = ans[0];
}

/* One block on side s: returns the nanoseconds its n ops took. */
static uint64_t side_block(struct side *s, uint32_t n)
{
	uint64_t dt;
	int status;

	/* A worker that died: EPIPE here (SIGPIPE is ignored), or EOF below. */
	if (write_full(s->cmd, &n, sizeof(n)) == 0 && read_full(s->ans, &dt, sizeof(dt)) == 0)
		return dt;
	fprintf(stderr, "bench_ops: %s: worker %c (pid %d) ", g_mode, s->letter, (int)s->pid);
	if (waitpid(s->pid, &status, 0) != s->pid)
		fprintf(stderr, "stopped answering\n");
	else if (WIFSIGNALED(status))
		fprintf(stderr, "was killed by signal %d\n", WTERMSIG(status));
	else
		fprintf(stderr, "exited with status %d (see its message above)\n",
		        WEXITSTATUS(status));
	exit(1);
}

static void side_stop(struct side *s)
{
	xclose(s->cmd);
	xclose(s->ans);
	waitpid(s->pid, NULL, 0);
}

static long parse_count(const char *what, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "bench_ops: %s='%s' is not a number from %ld to %ld\n", what, s, lo,
		        hi);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_ops compare MODE BLOCKS BLOCK_MS [A VAR=VALUE...] [B VAR=VALUE...]\n"
	        "       bench_ops MODE ITERATIONS\n"
	        "  MODE: devnull | pipe | client | connect | connect-mt\n"
	        "  compare prints 'compare MODE blocks=N ops_per_block=K cpus=W/S', then one\n"
	        "  line per block pair: ns per op of A, ns per op of B (see bench/bench_ops.c)\n");
	exit(2);
}

/* Splits "A V=X... B V=X..." into the two sides' extra variables. */
static void split_sides(int argc, char **argv, struct side sides[2])
{
	int start[2] = { -1, -1 }, count[2] = { 0, 0 }, cur = -1;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "A") == 0 || strcmp(argv[i], "B") == 0) {
			cur = argv[i][0] - 'A';
			if (start[cur] >= 0)
				usage();
			start[cur] = i + 1;
		} else if (cur < 0 || !strchr(argv[i], '=') || argv[i][0] == '=') {
			fprintf(stderr, "bench_ops: '%s' is not A, B or VAR=VALUE\n", argv[i]);
			exit(2);
		} else {
			count[cur]++;
		}
	}
	for (int k = 0; k < 2; k++) {
		sides[k].letter = (char)('A' + k);
		sides[k].env = side_env(start[k] >= 0 ? argv + start[k] : NULL, count[k]);
	}
}

static int compare(const struct mode *m, long blocks, long block_ms, int argc, char **argv)
{
	struct side sides[2];
	char port[16] = "0", fdarg[16];
	pid_t server = -1;
	uint64_t warm_ns = 0, warm_ops = 0;
	uint32_t k;

	g_mode = m->name;
	signal(SIGPIPE, SIG_IGN);
	split_sides(argc, argv, sides);
	if (m->loop == run_client) {
		/* One server for both sides, on the other CPU, never under the shim. */
		char *sargv[] = { (char *)"bench_ops", (char *)"serve", fdarg, NULL };

		listen_loopback();
		snprintf(port, sizeof(port), "%u", (unsigned)ntohs(g_server.sin_port));
		snprintf(fdarg, sizeof(fdarg), "%d", CMD_FD);
		server = spawn(sargv, side_env(NULL, 0), g_listen_fd, -1);
		xclose(g_listen_fd);
	}
	for (int s = 0; s < 2; s++)
		side_start(&sides[s], m->name, port);

	/* Warm-up, alternating, untimed: caches, the shim's lazy start (its
	 * ledger slot), the kernel's slabs. A's last blocks size the rest. */
	k = (uint32_t)m->pilot;
	for (int w = 0; w < 8; w++) {
		uint64_t dt = 0;
		for (int s = 0; s < 2; s++) {
			int j = w % 2 ? 1 - s : s;
			uint64_t t = side_block(&sides[j], k);
			if (j == 0)
				dt = t;
		}
		if (w >= 4) {
			warm_ns += dt;
			warm_ops += k;
		}
	}
	{
		double per_op = (double)warm_ns / (double)warm_ops;
		double want = (double)block_ms * 1e6 / (per_op > 1 ? per_op : 1);
		k = want < 10 ? 10 : want > 1e7 ? 10000000u : (uint32_t)want;
	}
	printf("compare %s blocks=%ld ops_per_block=%u cpus=%d/%d\n", m->name, blocks, k,
	       g_cpu_work, g_cpu_serve);
	for (long b = 0; b < blocks; b++) {
		uint64_t dt[2];
		int first = (int)(b % 2); /* ABBA: A first in even pairs, B in odd ones */

		dt[first] = side_block(&sides[first], k);
		dt[1 - first] = side_block(&sides[1 - first], k);
		printf("%.2f %.2f\n", (double)dt[0] / k, (double)dt[1] / k);
	}
	for (int s = 0; s < 2; s++)
		side_stop(&sides[s]);
	if (server > 0 && server_end(server) < 0)
		return 1;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench_ops: writing stdout failed\n");
		return 1;
	}
	return 0;
}

/* MODE ITERATIONS: one timed run here, for profilers. */
static int single(const struct mode *m, uint64_t n)
{
	pid_t server = -1;
	uint64_t t0, t1;

	g_mode = m->name;
	pin(g_cpu_work);
	if (m->loop == run_client) {
		char fdarg[16], *sargv[] = { (char *)"bench_ops", (char *)"serve", fdarg, NULL };

		listen_loopback();
		snprintf(fdarg, sizeof(fdarg), "%d", CMD_FD);
		server = spawn(sargv, side_env(NULL, 0), g_listen_fd, -1);
	} else {
		mode_setup(m);
	}
	m->loop(n / 20 ? n / 20 : 1);
	t0 = now_ns();
	m->loop(n);
	t1 = now_ns();
	if (server > 0 && server_end(server) < 0)
		return 1;
	printf("%s iterations=%" PRIu64 " ns_per_op=%.2f\n", m->name, n,
	       (double)(t1 - t0) / (double)n);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench_ops: writing stdout failed\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct mode *m;

	cpus_pick();
	self_find();
	if (argc == 3 && strcmp(argv[1], "serve") == 0) {
		pin(g_cpu_serve);
		serve((int)parse_count("FD", argv[2], 0, 1 << 20));
	}
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "worker") == 0 && (m = mode_find(argv[2])))
		return worker(m, argc == 4 ? argv[3] : "0");
	if (argc >= 5 && strcmp(argv[1], "compare") == 0) {
		if (!(m = mode_find(argv[2])))
			usage();
		return compare(m, parse_count("BLOCKS", argv[3], 1, 1000000),
		               parse_count("BLOCK_MS", argv[4], 1, 10000), argc - 5, argv + 5);
	}
	if (argc == 3 && (m = mode_find(argv[1])))
		return single(m, (uint64_t)parse_count("ITERATIONS", argv[2], 1, 1000000000000));
	usage();
}
