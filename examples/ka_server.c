// SPDX-License-Identifier: MIT
/*
 * ka_server: a keep-alive HTTP/1.1 server, the "legacy server" of the twshim
 * demo and end-to-end tests. One thread, one epoll set, non-blocking sockets.
 *
 * Whoever closes a TCP connection first holds its TIME_WAIT, so the close
 * policy is the point of this program:
 *   keepalive  never close first: the client collects the TIME_WAIT;
 *   close      close right after each response: the server collects it;
 *   sink       no HTTP: hash every byte until EOF, to prove none was lost.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fnv1a.h"

enum mode { MODE_KEEPALIVE, MODE_CLOSE, MODE_SINK };

#define MAX_HEAD   (64 * 1024)	 /* a larger request head gets a 431 */
#define OUT_HIGH   (1024 * 1024) /* stop reading while this much output waits */
#define READ_CHUNK (16 * 1024)

static const char RESP_OK[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			      "Content-Type: text/plain\r\n\r\nok\n";
static const char RESP_OK_CLOSE[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
				    "Content-Type: text/plain\r\n"
				    "Connection: close\r\n\r\nok\n";
static const char RESP_431[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
			       "Content-Length: 0\r\nConnection: close\r\n\r\n";

struct conn {
	int fd;
	uint32_t events; /* what epoll watches now */
	bool eof;	 /* the peer closed its side */
	bool closing;	 /* we answered "Connection: close" */
	char *in, *out;
	size_t in_len, in_cap, out_off, out_len, out_cap;
	uint64_t nbytes, hash; /* sink mode */
};

static enum mode mode = MODE_KEEPALIVE;
static int epfd = -1;
static struct conn **conns; /* indexed by fd: fds are small and dense */
static size_t nconns;

static void usage(FILE *f, int status)
{
	fputs("Usage: ka_server [-l ADDR] [-p PORT] [--mode keepalive|close|sink]\n"
	      "                 [--no-reuseaddr] [--ready-file PATH]\n"
	      "A single-threaded epoll HTTP/1.1 server that picks who closes first.\n"
	      "  -l ADDR            numeric IPv4/IPv6 address (default 127.0.0.1)\n"
	      "  -p PORT            TCP port, 0 picks a free one (default 8080)\n"
	      "  --mode keepalive   answer \"ok\", keep the connection, close only after\n"
	      "                     the client did: TIME_WAIT on the client (default)\n"
	      "  --mode close       close after each response: TIME_WAIT on the server\n"
	      "  --mode sink        no HTTP: read each connection to EOF, then print\n"
	      "                     \"sink bytes=N fnv1a=HEX16\" (64-bit FNV-1a)\n"
	      "  --no-reuseaddr     no SO_REUSEADDR: a restart fails with EADDRINUSE\n"
	      "                     while the port still has TIME_WAIT entries\n"
	      "  --ready-file PATH  once listening, write the port to PATH (atomically)\n"
	      "Prints \"listening on ADDR:PORT\" once listening. Exit status: 0 after\n"
	      "SIGTERM or SIGINT, 1 on an error.\n",
	      f);
	exit(status);
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ka_server: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* Grow *buf so that it holds at least need bytes. */
static void reserve(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*buf = xrealloc(*buf, n);
	*cap = n;
}

/* "addr:port", with the brackets an IPv6 address needs. */
static const char *hostport(const char *addr, const char *port)
{
	static char s[NI_MAXHOST + NI_MAXSERV + 4];

	snprintf(s, sizeof(s), strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, port);
	return s;
}

static void watch(int op, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (epoll_ctl(epfd, op, fd, &ev) < 0)
		die("epoll_ctl(%d) fd %d: %s", op, fd, strerror(errno));
}

static void conn_watch(struct conn *c, uint32_t events)
{
	if (events != c->events)
		watch(EPOLL_CTL_MOD, c->fd, events);
	c->events = events;
}

static void conn_close(struct conn *c)
{
	/* Explicit DEL: a dup of the fd (an LD_PRELOAD shim may hold one)
	 * would otherwise keep it in the epoll set. */
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_new(int fd)
{
	struct conn *c;

	if ((size_t)fd >= nconns) {
		size_t n = nconns ? nconns : 1024;

		while (n <= (size_t)fd)
			n *= 2;
		conns = xrealloc(conns, n * sizeof(*conns));
		memset(conns + nconns, 0, (n - nconns) * sizeof(*conns));
		nconns = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory for connection fd %d", fd);
	c->fd = fd;
	c->events = EPOLLIN;
	c->hash = FNV_OFFSET;
	watch(EPOLL_CTL_ADD, fd, EPOLLIN);
	conns[fd] = c;
}

static void queue(struct conn *c, const char *s, size_t len)
{
	reserve(&c->out, &c->out_cap, c->out_len + len);
	memcpy(c->out + c->out_len, s, len);
	c->out_len += len;
}

/*
 * Does the request head ask to close: "Connection: close", or HTTP/1.0
 * without "Connection: keep-alive"? Header names are case-insensitive.
 */
static bool wants_close(const char *h, size_t len)
{
	const char *end = h + len, *eol = memchr(h, '\n', len), *l;
	bool close_it = memmem(h, eol - h, "HTTP/1.0", 8) != NULL;

	for (l = eol + 1; l < end && (eol = memchr(l, '\n', end - l)); l = eol + 1) {
		if (eol - l < 11 || strncasecmp(l, "connection:", 11))
			continue;
		for (l += 11; l + 5 <= eol; l++) {
			if (!strncasecmp(l, "close", 5))
				return true;
			if (l + 10 <= eol && !strncasecmp(l, "keep-alive", 10))
				close_it = false;
		}
	}
	return close_it;
}

/*
 * Answer every complete request head in c->in, pipelined ones in order.
 * Bodies are not parsed: the clients of the tests send none.
 */
static void handle_requests(struct conn *c)
{
	size_t off = 0;

	while (off < c->in_len) {
		const char *p = c->in + off, *end;
		size_t avail = c->in_len - off, n;

		if (c->closing) { /* after "Connection: close": discard */
			off = c->in_len;
			break;
		}
		end = memmem(p, avail, "\r\n\r\n", 4);
		if (!end) {
			if (avail > MAX_HEAD) {
				queue(c, RESP_431, sizeof(RESP_431) - 1);
				c->closing = true;
				off = c->in_len;
			}
			break;
		}
		n = end + 4 - p;
		c->closing = mode == MODE_CLOSE || wants_close(p, n);
		if (c->closing)
			queue(c, RESP_OK_CLOSE, sizeof(RESP_OK_CLOSE) - 1);
		else
			queue(c, RESP_OK, sizeof(RESP_OK) - 1);
		off += n;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void sink_done(struct conn *c, int err)
{
	printf("sink bytes=%" PRIu64 " fnv1a=%016" PRIx64 "%s%s\n", c->nbytes, c->hash,
	       err ? " error=" : "", err ? strerrorname_np(err) : "");
	fflush(stdout);
	if (err)
		fprintf(stderr, "ka_server: read fd %d after %" PRIu64 " bytes: %s\n", c->fd,
			c->nbytes, strerror(err));
	conn_close(c);
}

/* Read what is there; false if the connection is gone. */
static bool conn_read(struct conn *c)
{
	static char sinkbuf[READ_CHUNK];

	/* A bounded number of reads, so that one busy peer cannot starve the
	 * others: epoll is level-triggered and comes back. */
	for (int i = 0; i < 16 && c->out_len - c->out_off < OUT_HIGH; i++) {
		char *buf = sinkbuf;
		size_t cap = sizeof(sinkbuf);
		ssize_t n;

		if (mode != MODE_SINK) {
			reserve(&c->in, &c->in_cap, c->in_len + READ_CHUNK);
			buf = c->in + c->in_len;
			cap = c->in_cap - c->in_len;
		}
		n = read(c->fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0 && mode == MODE_SINK) {
			sink_done(c, n ? errno : 0);
			return false;
		}
		if (n < 0) { /* ECONNRESET and friends */
			conn_close(c);
			return false;
		}
		if (n == 0) { /* the peer closed first: its TIME_WAIT */
			c->eof = true;
			return true;
		}
		if (mode == MODE_SINK) {
			c->hash = fnv1a(c->hash, buf, (size_t)n);
			c->nbytes += n;
			continue;
		}
		c->in_len += n;
		handle_requests(c);
	}
	return true;
}

/* Write what is queued; false if the connection is gone. */
static bool conn_flush(struct conn *c)
{
	/*
	 * In close mode, MSG_MORE holds the last response back until close()
	 * adds the FIN to the same segment: the client then cannot read the
	 * response and close before us (a simultaneous close, which would
	 * leave a TIME_WAIT on both sides).
	 */
	int flags = MSG_NOSIGNAL | (mode == MODE_CLOSE && c->closing ? MSG_MORE : 0);

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, flags);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true; /* resumed on EPOLLOUT */
		if (n < 0) {
			conn_close(c);
			return false;
		}
		c->out_off += n;
	}
	c->out_off = c->out_len = 0;
	/* keepalive closes only after the client did; close mode right now. */
	if (c->eof || (mode == MODE_CLOSE && c->closing)) {
		conn_close(c);
		return false;
	}
	return true;
}

static void conn_event(struct conn *c, uint32_t ev)
{
	size_t pending;

	/* Errors and hangups are left for read() and send() to report: an
	 * event for a closed fd that accept() reused then does no harm. */
	if (ev & (EPOLLERR | EPOLLHUP))
		ev |= EPOLLIN | EPOLLOUT;
	if ((ev & EPOLLIN) && !c->eof && !conn_read(c))
		return;
	if (!conn_flush(c))
		return;
	pending = c->out_len - c->out_off;
	conn_watch(c, (!c->eof && pending < OUT_HIGH ? EPOLLIN : 0) | (pending ? EPOLLOUT : 0));
}

/* Accept everything queued; false if out of fds (the caller backs off). */
static bool accept_all(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_new(fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return true;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			static bool warned;

			if (!warned)
				fprintf(stderr, "ka_server: accept: %s; backing off\n",
					strerror(errno));
			warned = true;
			return false;
		}
		die("accept: %s", strerror(errno));
	}
}

static void write_ready_file(const char *path, unsigned int port)
{
	char *tmp;
	FILE *f;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		die("out of memory");
	f = fopen(tmp, "w");
	if (!f)
		die("ready file %s: %s", tmp, strerror(errno));
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0)
		die("ready file %s: %s", tmp, strerror(errno));
	if (rename(tmp, path) < 0)
		die("ready file: rename %s to %s: %s", tmp, path, strerror(errno));
	free(tmp);
}

static int listen_on(const char *addr, const char *port, bool reuse, const char *ready)
{
	struct addrinfo hints =
			    {
				.ai_family = AF_UNSPEC,
				.ai_socktype = SOCK_STREAM,
				.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
			    },
			*ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int fd, one = 1, err;

	err = getaddrinfo(addr, port, &hints, &ai);
	if (err)
		die("listen address %s: %s (want an IPv4 or IPv6 literal)", hostport(addr, port),
		    gai_strerror(err));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR: %s", strerror(errno));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("bind %s: %s", hostport(addr, port), strerror(errno));
	if (listen(fd, 4096) < 0)
		die("listen %s: %s", hostport(addr, port), strerror(errno));
	freeaddrinfo(ai);

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV))
		die("getsockname on %s failed", hostport(addr, port));
	printf("listening on %s\n", hostport(host, serv));
	fflush(stdout);
	if (ready)
		write_ready_file(ready, (unsigned int)atoi(serv));
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
					     {"port", required_argument, NULL, 'p'},
					     {"mode", required_argument, NULL, 'm'},
					     {"no-reuseaddr", no_argument, NULL, 'R'},
					     {"ready-file", required_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	const char *addr = "127.0.0.1", *port = "8080", *ready = NULL;
	static const char *const modes[] = {"keepalive", "close", "sink"};
	struct epoll_event evs[256];
	bool reuse = true, paused = false, running = true;
	struct rlimit rl;
	sigset_t sigs;
	int opt, lfd, sfd, n;
	char *endp;

	while ((opt = getopt_long(argc, argv, "l:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': addr = optarg; break;
		case 'p':
			errno = 0;
			if (!*optarg || strtoul(optarg, &endp, 10) > 65535 || *endp || errno ||
			    *optarg == '-')
				die("invalid port '%s' (want 0-65535)", optarg);
			port = optarg;
			break;
		case 'm':
			for (mode = 0; strcmp(optarg, modes[mode]); mode++)
				if (mode == MODE_SINK)
					die("invalid mode '%s' (want keepalive, close or sink)",
					    optarg);
			break;
		case 'R': reuse = false; break;
		case 'r': ready = optarg; break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 1);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);

	/* Thousands of connections need more than the usual 1024 fds. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	/* Signals arrive as an fd in the epoll set: no handler races. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0)
		die("signalfd/epoll_create1: %s", strerror(errno));

	lfd = listen_on(addr, port, reuse, ready);
	watch(EPOLL_CTL_ADD, lfd, EPOLLIN);
	watch(EPOLL_CTL_ADD, sfd, EPOLLIN);

	while (running) {
		/* Out of fds: stop accepting for 100 ms rather than spin. */
		n = epoll_wait(epfd, evs, 256, paused ? 100 : -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		if (paused)
			watch(EPOLL_CTL_MOD, lfd, EPOLLIN);
		paused = false;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				running = false;
			} else if (fd == lfd) {
				if (!accept_all(lfd)) {
					watch(EPOLL_CTL_MOD, lfd, 0);
					paused = true;
				}
			} else if ((size_t)fd < nconns && conns[fd]) {
				conn_event(conns[fd], evs[i].events);
			}
		}
	}
	for (size_t fd = 0; fd < nconns; fd++)
		if (conns[fd])
			conn_close(conns[fd]);
	free(conns);
	close(lfd);
	close(sfd);
	close(epfd);
	return 0;
}
