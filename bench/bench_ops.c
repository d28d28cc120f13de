/*
 * bench_ops: time one kind of file-descriptor operation in a tight loop, so
 * that bench/run.sh can compare a run without libtwshim.so against a run
 * with it (LD_PRELOAD), side by side. This program knows nothing of the
 * shim: it only makes the calls the shim wraps.
 *
 *   bench_ops MODE ITERATIONS
 *
 * prints one line on stdout:
 *
 *   MODE iterations=N ns_per_op=X.XX
 *
 * where one "op" is one pass of the loop below, and ns_per_op is the
 * CLOCK_MONOTONIC time of the N timed passes divided by N. Before the timed
 * passes, ~5% as many untimed passes warm up caches, the shim's lazy state
 * (its ledger slot, its first lookups) and the kernel's socket slabs.
 *
 * Modes:
 *   devnull     open("/dev/null", O_RDONLY) + close(): the shim's non-socket
 *               path, which should cost next to nothing.
 *   pipe        pipe2(O_CLOEXEC) + close() of both ends: another
 *               non-socket path (two closes per op).
 *   connect     one thread, the client and the server side of a loopback
 *               TCP connection (the default the benchmark reports):
 *                 socket() + connect() to a 127.0.0.1 listener
 *                 + accept() + close(client) + close(accepted).
 *               The client closes first, so its side takes the active close
 *               (TIME_WAIT) and the accepted side the passive close: one op
 *               exercises the shim's socket, connect, accept and both kinds
 *               of close. Loopback completes the handshake inside connect(),
 *               so accept() never blocks and nothing crosses threads.
 *   connect-mt  a second thread accepts and closes each connection; the
 *               timed loop is socket() + connect() + close() by the client,
 *               and the clock stops once the server thread has accepted and
 *               closed every connection, so its accept()+close() are in the
 *               time too (they overlap the client's on the other core). Its
 *               variance is higher: it depends on the scheduler.
 *   client      socket() + connect() + close() by this process only; the
 *               server is this program re-executed ("serve") without
 *               LD_PRELOAD, so the shim's cost is the client's alone: what
 *               a program connecting to another host pays. The server reads
 *               to EOF and closes after the client: the client closes first.
 *
 * Traffic is only ever to 127.0.0.1, on a port the kernel picks (port 0);
 * bench/run.sh runs this inside a network namespace of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* connect-mt: the server thread accepts and closes exactly this many. */
static uint64_t g_server_total;

static void *server_main(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < g_server_total; i++)
		xclose(accept_once());
	return NULL;
}

static void run_connect_client(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		xclose(connect_once());
}

/*
 * client: only the client side runs here (socket + connect + close); the
 * server is this program re-executed as "serve" with LD_PRELOAD taken out
 * of its environment, so that the shim's cost is the client's alone, as a
 * program that connects to a remote service would pay it.
 */
static pid_t g_server_pid = -1;

static void spawn_server(void)
{
	extern char **environ;
	char fdarg[16], *argv[] = { (char *)"bench_ops", (char *)"serve", fdarg, NULL };
	char **env;
	size_t n = 0, j = 0;
	int fd;

	/* The listener goes to the server, which must not inherit it CLOEXEC. */
	fd = fcntl(g_listen_fd, F_DUPFD, 3);
	if (fd < 0)
		die("fcntl F_DUPFD");
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		die("calloc");
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[j++] = environ[i];
	g_server_pid = fork();
	if (g_server_pid < 0)
		die("fork");
	if (g_server_pid == 0) {
		execve("/proc/self/exe", argv, env);
		_exit(127);
	}
	free(env);
	xclose(fd);
}

/* serve FD: accept, read to EOF (the client closes first), close; forever. */
static void serve(int lfd)
{
	char buf[256];

	g_listen_fd = lfd;
	for (;;) {
		int fd = accept_once();
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

static void stop_server(void)
{
	if (g_server_pid > 0) {
		kill(g_server_pid, SIGKILL);
		waitpid(g_server_pid, NULL, 0);
	}
}

/* ---- driver ---- */

static uint64_t parse_iterations(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 ||
	    v > UINT64_C(1000000000000)) {
		fprintf(stderr, "bench_ops: ITERATIONS='%s' is not a count from 1 to 1e12\n", s);
		exit(2);
	}
	return (uint64_t)v;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_ops MODE ITERATIONS\n"
	        "  MODE: devnull | pipe | connect | connect-mt | client\n"
	        "  prints: MODE iterations=N ns_per_op=X.XX\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t n, warm, t0, t1;
	void (*loop)(uint64_t) = NULL;
	int threaded = 0;

	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		serve(atoi(argv[2]));
	if (argc != 3)
		usage();
	g_mode = argv[1];
	if (strcmp(g_mode, "devnull") == 0)
		loop = run_devnull;
	else if (strcmp(g_mode, "pipe") == 0)
		loop = run_pipe;
	else if (strcmp(g_mode, "connect") == 0)
		loop = run_connect;
	else if (strcmp(g_mode, "client") == 0)
		loop = run_connect_client;
	else if (strcmp(g_mode, "connect-mt") == 0) {
		loop = run_connect_client;
		threaded = 1;
	} else
		usage();
	n = parse_iterations(argv[2]);
	warm = n / 20 ? n / 20 : 1;

	if (loop == run_connect || loop == run_connect_client)
		listen_loopback();
	if (loop == run_connect_client && !threaded)
		spawn_server();

	if (threaded) {
		pthread_t th;
		int err;

		g_server_total = warm + n;
		err = pthread_create(&th, NULL, server_main, NULL);
		if (err != 0) {
			errno = err;
			die("pthread_create");
		}
		loop(warm);
		t0 = now_ns();
		loop(n);
		err = pthread_join(th, NULL);
		t1 = now_ns();
		if (err != 0) {
			errno = err;
			die("pthread_join");
		}
	} else {
		loop(warm);
		t0 = now_ns();
		loop(n);
		t1 = now_ns();
	}

	stop_server();
	if (g_listen_fd >= 0)
		xclose(g_listen_fd);

	printf("%s iterations=%" PRIu64 " ns_per_op=%.2f\n", g_mode, n,
	       (double)(t1 - t0) / (double)n);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench_ops: writing stdout failed\n");
		return 1;
	}
	return 0;
}
