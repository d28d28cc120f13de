// SPDX-License-Identifier: MIT
/*
 * legacy_client: one TCP connection per request, closed by the client
 * itself, like a legacy batch script or health checker. The active close
 * leaves a TIME_WAIT on the client's side for every request, which is how
 * a busy client runs out of local ports (EADDRNOTAVAIL) in the twshim demo
 * and end-to-end tests.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fnv1a.h"

#define TIMEOUT_MS 5000 /* no progress for this long: ETIMEDOUT */
#define BUF_SIZE   (64 * 1024)
#define ERR_EOF	   1000 /* failures that have no errno */
#define ERR_PROTO  1001

enum mode { MODE_HTTP, MODE_SEND };

static struct {
	long count;
	int threads;
	bool keep_going, nonblock, quiet;
	enum mode mode;
	size_t bytes;
	struct sockaddr_storage sa;
	socklen_t salen;
	char target[NI_MAXHOST + 16]; /* "host:port" for messages */
	char request[NI_MAXHOST + 64];
} opt = {.count = 100, .threads = 1, .bytes = 1048576};

static atomic_long next_ticket, n_ok, n_failed;
static atomic_bool stop;
static atomic_bool seen[ERR_PROTO + 1]; /* errnos already reported */

/* Per thread: the socket of the current request and, for --nonblock, the
 * epoll set that waits on it. */
struct io {
	int fd, ep;
	uint32_t watching;
	char *buf;
};

static void usage(FILE *f, int status)
{
	fputs("Usage: legacy_client [-n COUNT] [-t THREADS] [-k] [--nonblock]\n"
	      "                     [--mode http|send] [--bytes N] [-q] HOST PORT\n"
	      "Makes COUNT requests, each on a new TCP connection that the client\n"
	      "closes first, so each leaves a TIME_WAIT on the client's side.\n"
	      "  -n COUNT       requests in total (default 100)\n"
	      "  -t THREADS     threads sharing the COUNT requests (default 1)\n"
	      "  -k             keep going after a failure (default: stop at the first)\n"
	      "  --nonblock     non-blocking sockets, connect and I/O waited on by epoll\n"
	      "  --mode http    GET / and read the whole response (default)\n"
	      "  --mode send    send N pseudo-random bytes, close at once, and print\n"
	      "                 \"sent bytes=N fnv1a=HEX16\" (compare: ka_server --mode sink)\n"
	      "  --bytes N      bytes per connection in send mode (default 1048576)\n"
	      "  -q             do not report failures on stderr\n"
	      "HOST is a numeric IPv4 or IPv6 address. A request that makes no progress\n"
	      "for 5 s fails with ETIMEDOUT. Each distinct error is reported once on\n"
	      "stderr; the last line on stdout is \"requests=COUNT ok=N failed=M\".\n"
	      "Exit status: 0 if no request failed, 1 otherwise.\n",
	      f);
	exit(status);
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("legacy_client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long long parse_num(const char *s, const char *what, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		die("invalid %s '%s' (want %lld-%lld)", what, s, min, max);
	return v;
}

static const char *errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
#define E(x) {x, #x}
	    E(EADDRNOTAVAIL), E(EADDRINUSE),  E(ECONNREFUSED), E(ETIMEDOUT),
	    E(ECONNRESET),    E(ENETUNREACH), E(EHOSTUNREACH), E(EPIPE),
	    E(ECONNABORTED),  E(EMFILE),      E(ENFILE),       E(ENOBUFS),
#undef E
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return NULL;
}

/* Report each distinct error once: the first one tells the story. */
static void report(const char *op, int err, long ok)
{
	const char *name = errname(err);
	char why[128];

	if (opt.quiet || err < 0 || err > ERR_PROTO || atomic_exchange(&seen[err], true))
		return;
	if (err == ERR_EOF)
		snprintf(why, sizeof(why), "connection closed before the whole response");
	else if (err == ERR_PROTO)
		snprintf(why, sizeof(why), "malformed HTTP response");
	else if (name)
		snprintf(why, sizeof(why), "%s (%s)", strerror(err), name);
	else
		snprintf(why, sizeof(why), "%s (errno %d)", strerror(err), err);
	fprintf(stderr, "legacy_client: %s %s: %s after %ld successful requests\n", op, opt.target,
		why, ok);
}

/* --nonblock: wait until fd is ready for ev, or fail with ETIMEDOUT. */
static int io_wait(struct io *io, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.fd = io->fd};
	int n;

	if (ev != io->watching &&
	    epoll_ctl(io->ep, io->watching ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, io->fd, &e) < 0)
		return errno;
	io->watching = ev;
	do
		n = epoll_wait(io->ep, &e, 1, TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	return n < 0 ? errno : n == 0 ? ETIMEDOUT : 0;
}

static int io_connect(struct io *io)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (connect(io->fd, (struct sockaddr *)&opt.sa, opt.salen) == 0)
		return 0;
	/* A blocking connect() that hits SO_SNDTIMEO returns EINPROGRESS. */
	if (errno != EINPROGRESS)
		return errno;
	if (!opt.nonblock)
		return ETIMEDOUT;
	err = io_wait(io, EPOLLOUT);
	if (err)
		return err;
	if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int io_write(struct io *io, const char *p, size_t len)
{
	while (len) {
		long long t0 = now_ms();
		ssize_t n = write(io->fd, p, len);
		int err;

		/*
		 * When SO_SNDTIMEO expires, a blocking write() returns what it
		 * queued meanwhile, often a few KB of window probe: count
		 * that as a timeout, or a stalled peer takes 5 s per call.
		 */
		if (n >= 0 && (size_t)n < len && !opt.nonblock && now_ms() - t0 >= TIMEOUT_MS - 100)
			return ETIMEDOUT;
		if (n >= 0) {
			p += n;
			len -= n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno;
		if (!opt.nonblock) /* SO_SNDTIMEO expired */
			return ETIMEDOUT;
		err = io_wait(io, EPOLLOUT);
		if (err)
			return err;
	}
	return 0;
}

/* Read up to len bytes; 0 at EOF. On failure -1 and *err. */
static ssize_t io_read(struct io *io, char *p, size_t len, int *err)
{
	for (;;) {
		ssize_t n = read(io->fd, p, len);

		if (n >= 0)
			return n;
		*err = errno;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		*err = opt.nonblock ? io_wait(io, EPOLLIN) : ETIMEDOUT;
		if (*err)
			return -1;
	}
}

/* GET / and read the head and the Content-Length body (or up to EOF). */
static int do_http(struct io *io, const char **op)
{
	size_t have = 0, head, body = SIZE_MAX;
	const char *end = NULL, *cl;
	ssize_t n;
	int err = io_write(io, opt.request, strlen(opt.request));

	if (err) {
		*op = "write to";
		return err;
	}
	*op = "read from";
	while (!end) {
		if (have == BUF_SIZE - 1)
			return ERR_PROTO; /* a head this large is not ours */
		n = io_read(io, io->buf + have, BUF_SIZE - 1 - have, &err);
		if (n <= 0)
			return n ? err : ERR_EOF;
		have += n;
		io->buf[have] = '\0';
		end = strstr(io->buf, "\r\n\r\n");
	}
	if (strncmp(io->buf, "HTTP/1.", 7))
		return ERR_PROTO;
	head = end + 4 - io->buf;
	cl = strcasestr(io->buf, "\r\nContent-Length:");
	if (cl && cl < end)
		body = strtoull(cl + 17, NULL, 10);
	for (have -= head; have < body; have += n) {
		n = io_read(io, io->buf, BUF_SIZE, &err);
		if (n < 0)
			return err;
		if (n == 0)
			return body == SIZE_MAX ? 0 : ERR_EOF;
	}
	return have == body ? 0 : ERR_PROTO;
}

/* Send opt.bytes of an xorshift64 stream (seed 1), hashing it as it goes. */
static int do_send(struct io *io, const char **op, uint64_t *hash)
{
	uint64_t x = 1, h = FNV_OFFSET;
	size_t left = opt.bytes;

	*op = "write to";
	while (left) {
		size_t n = left < BUF_SIZE ? left : BUF_SIZE;
		int err;

		for (size_t i = 0; i < n; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(io->buf + i, &x, 8); /* host order; BUF_SIZE % 8 == 0 */
		}
		h = fnv1a(h, io->buf, n);
		err = io_write(io, io->buf, n);
		if (err)
			return err;
		left -= n;
	}
	*hash = h;
	return 0;
}

static int one_request(struct io *io, const char **op, uint64_t *hash)
{
	struct timeval tv = {.tv_sec = TIMEOUT_MS / 1000};
	int err;

	*op = "socket for";
	io->fd = socket(opt.sa.ss_family,
			SOCK_STREAM | SOCK_CLOEXEC | (opt.nonblock ? SOCK_NONBLOCK : 0), 0);
	if (io->fd < 0)
		return errno;
	io->watching = 0;
	if (!opt.nonblock && (setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			      setsockopt(io->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)) {
		err = errno;
		goto out;
	}
	*op = "connect to";
	err = io_connect(io);
	if (!err)
		err = opt.mode == MODE_SEND ? do_send(io, op, hash) : do_http(io, op);
out:
	/* Out of the epoll set first, in case something else holds a dup. */
	if (io->watching)
		epoll_ctl(io->ep, EPOLL_CTL_DEL, io->fd, NULL);
	close(io->fd); /* the active close: our TIME_WAIT */
	return err;
}

static void *worker(void *arg)
{
	struct io io = {.ep = -1};

	(void)arg;
	io.buf = malloc(BUF_SIZE);
	if (!io.buf)
		die("out of memory");
	if (opt.nonblock && (io.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	/* Tickets rather than a fixed share: the total is exact and a slow
	 * thread does not hold the others back. */
	while (!atomic_load(&stop) && atomic_fetch_add(&next_ticket, 1) < opt.count) {
		const char *op = "";
		uint64_t hash = 0;
		int err = one_request(&io, &op, &hash);

		if (!err) {
			atomic_fetch_add(&n_ok, 1);
			if (opt.mode == MODE_SEND) {
				flockfile(stdout);
				printf("sent bytes=%zu fnv1a=%016" PRIx64 "\n", opt.bytes, hash);
				fflush(stdout);
				funlockfile(stdout);
			}
			continue;
		}
		atomic_fetch_add(&n_failed, 1);
		report(op, err, atomic_load(&n_ok));
		if (!opt.keep_going) /* a legacy program dies here */
			atomic_store(&stop, true);
	}
	if (io.ep >= 0)
		close(io.ep);
	free(io.buf);
	return NULL;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {{"nonblock", no_argument, NULL, 'N'},
					     {"mode", required_argument, NULL, 'm'},
					     {"bytes", required_argument, NULL, 'b'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	struct addrinfo hints =
			    {
				.ai_socktype = SOCK_STREAM,
				.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
			    },
			*ai;
	const char *host;
	int c, err;
	bool v6;

	while ((c = getopt_long(argc, argv, "n:t:kqh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': opt.count = parse_num(optarg, "count", 0, 1000000000); break;
		case 't': opt.threads = parse_num(optarg, "thread count", 1, 1024); break;
		case 'k': opt.keep_going = true; break;
		case 'q': opt.quiet = true; break;
		case 'N': opt.nonblock = true; break;
		case 'm':
			if (!strcmp(optarg, "http"))
				opt.mode = MODE_HTTP;
			else if (!strcmp(optarg, "send"))
				opt.mode = MODE_SEND;
			else
				die("invalid mode '%s' (want http or send)", optarg);
			break;
		case 'b': opt.bytes = parse_num(optarg, "byte count", 0, 1LL << 40); break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 1);
		}
	}
	if (argc - optind != 2)
		die("want HOST and PORT, got %d argument%s (see --help)", argc - optind,
		    argc - optind == 1 ? "" : "s");
	host = argv[optind];
	parse_num(argv[optind + 1], "port", 1, 65535);
	err = getaddrinfo(host, argv[optind + 1], &hints, &ai);
	if (err)
		die("invalid host '%s': %s (want an IPv4 or IPv6 literal)", host,
		    gai_strerror(err));
	memcpy(&opt.sa, ai->ai_addr, ai->ai_addrlen);
	opt.salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	/* IPv6 literals need brackets, in messages and in the Host header. */
	v6 = strchr(host, ':') != NULL;
	snprintf(opt.target, sizeof(opt.target), v6 ? "[%s]:%s" : "%s:%s", host, argv[optind + 1]);
	snprintf(opt.request, sizeof(opt.request),
		 v6 ? "GET / HTTP/1.1\r\nHost: [%s]\r\n\r\n" : "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		 host);
}

int main(int argc, char **argv)
{
	pthread_t tids[1024];
	int n, err;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN); /* a write to a reset peer: EPIPE, not death */
	n = opt.count < opt.threads ? (int)opt.count : opt.threads;
	for (int i = 0; i < n; i++) {
		err = pthread_create(&tids[i], NULL, worker, NULL);
		if (err)
			die("pthread_create (thread %d of %d): %s", i + 1, n, strerror(err));
	}
	for (int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	printf("requests=%ld ok=%ld failed=%ld\n", opt.count, atomic_load(&n_ok),
	       atomic_load(&n_failed));
	return atomic_load(&n_failed) ? 1 : 0;
}
