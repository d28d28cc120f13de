// SPDX-License-Identifier: MIT
/*
 * twshim export: the host's metrics over HTTP at /metrics, for hosts a
 * Prometheus scrapes without node_exporter's textfile collector. The body
 * is what `twshim stat --prometheus` and `twshim doctor --prometheus` write
 * (every ledger, twshim_ledger_up for each, then the kernel's figures),
 * made afresh for each scrape.
 *
 * A server that runs for months on hosts in trouble must not become the
 * next trouble. One thread, one poll() over at most EXPORT_CONNS
 * connections, each with a deadline: a request must arrive whole within
 * EXPORT_REQUEST_MS and within EXPORT_REQUEST_MAX bytes; a client that stops
 * reading its answer, or never finishes its request, is cut off then, and
 * the others are served meanwhile. When every slot is taken, a new
 * connection takes the place of the one idle longest. Only GET and HEAD of
 * / and /metrics. Connections are kept alive between scrapes (HTTP/1.1),
 * so that a scraper every 15 s is one connection, not a TIME_WAIT entry
 * every 15 s on the host being watched for them.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "doctor/doctor.h"
#include "export_listen.h"
#include "ledger_read.h"
#include "stat.h"

#define EXPORT_CONNS 32
#define EXPORT_REQUEST_MAX 8192      /* bytes of request line and headers */
#define EXPORT_REQUEST_MS 10000      /* to send a whole request, or read an answer */
#define EXPORT_IDLE_MS 120000        /* between two requests on one connection */

static const char export_usage[] =
	"Usage: twshim export [--listen ADDR:PORT] [--shm NAME]... [--owner USER]...\n"
	"\n"
	"Serves the host's metrics over HTTP at /metrics, for a Prometheus that\n"
	"scrapes hosts without node_exporter's textfile collector: what\n"
	"`twshim stat --prometheus` writes (every ledger, twshim_ledger_up 0 or 1 for\n"
	"each), then what `twshim doctor --prometheus` writes (the kernel's\n"
	"TIME_WAIT, ports used per destination, findings), made afresh per scrape.\n"
	"It runs in the foreground until SIGTERM or SIGINT (a systemd service, or\n"
	"runit, s6, supervisord).\n"
	"\n"
	"Options:\n"
	"  --listen ADDR:PORT  where to listen (default " EXPORT_DEFAULT "; [::1]:9477,\n"
	"                      :9477 for every address, IPv4 and IPv6)\n"
	"  --shm NAME          export this ledger (repeatable; default: $TWSHIM_SHM,\n"
	"                      else every /dev/shm/twshim* ledger)\n"
	"  --owner USER        trust USER's ledgers too (repeatable; see twshim stat)\n"
	"  -h, --help          this text\n"
	"\n"
	"One thread; at most 32 connections, each request whole within 10 s and\n"
	"8 KiB; GET and HEAD of / and /metrics only; connections kept alive.\n"
	"\n"
	"Exit status: 0 stopped by SIGTERM or SIGINT; 1 cannot listen; 2 usage error.\n";

enum conn_state { CONN_FREE = 0, CONN_READING, CONN_WRITING };

struct conn {
	enum conn_state state;
	int fd;
	int64_t deadline_ms;   /* cut off then */
	int64_t active_ms;     /* the last request or answer: who is idle longest */
	int keep_alive;        /* after this answer, wait for the next request */
	size_t nin;
	char in[EXPORT_REQUEST_MAX];
	char *out;             /* the answer, malloc'd */
	size_t nout, off;
};

struct server {
	int lfd;
	const char *const *shm;
	int nshm;
	struct conn conns[EXPORT_CONNS];
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->state = CONN_FREE;
}

/* The metrics: stat's file, then doctor's. NULL when stat's could not be
 * made (doctor's part is left out, said on stderr, when the kernel cannot
 * be read). */
static char *metrics(const struct server *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (tw_stat_export(f, s->shm, s->nshm, NULL) != TW_EXIT_OK) {
		fclose(f);
		free(buf);
		return NULL;
	}
	tw_doctor_export(f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The answer to a request whose line and headers are in c->in. */
static void answer(struct server *s, struct conn *c, int64_t now)
{
	char method[8] = "", path[256] = "", version[16] = "", head[512];
	const char *status = "200 OK", *type = "text/plain; version=0.0.4; charset=utf-8";
	char *body = NULL;
	size_t nbody = 0;
	int n, is_head;

	c->in[c->nin] = '\0';
	if (sscanf(c->in, "%7s %255s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		status = "400 Bad Request";
		c->keep_alive = 0;
	} else {
		char *q = strchr(path, '?');
		if (q)
			*q = '\0';
		/* HTTP/1.1 keeps the connection unless told otherwise. */
		c->keep_alive = strcmp(version, "HTTP/1.1") == 0 &&
		                !strcasestr(c->in, "\r\nConnection: close");
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			status = "405 Method Not Allowed";
			c->keep_alive = 0; /* a body may follow: not read */
		}
		else if (strcmp(path, "/metrics") != 0 && strcmp(path, "/") != 0)
			status = "404 Not Found";
	}
	is_head = strcmp(method, "HEAD") == 0;
	if (strcmp(status, "200 OK") != 0) {
		type = "text/plain; charset=utf-8";
		body = strdup(status);
		nbody = body ? strlen(body) : 0;
	} else if (strcmp(path, "/") == 0) {
		type = "text/plain; charset=utf-8";
		body = strdup("twshim export: the metrics are at /metrics\n");
		nbody = body ? strlen(body) : 0;
	} else if (!(body = metrics(s, &nbody))) {
		status = "500 Internal Server Error";
		type = "text/plain; charset=utf-8";
		body = strdup("the metrics could not be made: see the exporter's stderr\n");
		nbody = body ? strlen(body) : 0;
	}
	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", status,
	             type, nbody,
	             strncmp(status, "405", 3) == 0 ? "Allow: GET, HEAD\r\n" : "",
	             c->keep_alive ? "" : "Connection: close\r\n");
	c->out = malloc((size_t)n + (is_head ? 0 : nbody));
	if (!c->out) {
		free(body);
		conn_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)n);
	if (!is_head && nbody)
		memcpy(c->out + n, body, nbody);
	free(body);
	c->nout = (size_t)n + (is_head ? 0 : nbody);
	c->off = 0;
	c->state = CONN_WRITING;
	c->active_ms = now;
	c->deadline_ms = now + EXPORT_REQUEST_MS;
}

static void on_readable(struct server *s, struct conn *c, int64_t now)
{
	ssize_t r = recv(c->fd, c->in + c->nin, sizeof(c->in) - 1 - c->nin, MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (r < 0)
		return;
	/* The first bytes of a request: it must be whole soon. */
	if (c->nin == 0)
		c->deadline_ms = now + EXPORT_REQUEST_MS;
	c->nin += (size_t)r;
	c->in[c->nin] = '\0';
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
		answer(s, c, now);
	} else if (c->nin == sizeof(c->in) - 1) {
		/* Too long to be a scrape: say so, then close. */
		static const char big[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
		                          "Content-Length: 0\r\nConnection: close\r\n\r\n";
		c->out = strdup(big);
		c->nout = c->out ? sizeof(big) - 1 : 0;
		c->off = 0;
		c->keep_alive = 0;
		c->state = c->out ? CONN_WRITING : c->state;
		if (!c->out)
			conn_close(c);
	}
}

static void on_writable(struct conn *c, int64_t now)
{
	ssize_t w = send(c->fd, c->out + c->off, c->nout - c->off, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w <= 0) {
		conn_close(c);
		return;
	}
	c->off += (size_t)w;
	if (c->off < c->nout)
		return;
	free(c->out);
	c->out = NULL;
	if (!c->keep_alive) {
		/* Our FIN, then the peer's: the client closes in turn. */
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
		return;
	}
	c->state = CONN_READING;
	c->nin = 0;
	c->in[0] = '\0';
	c->active_ms = now;
	c->deadline_ms = now + EXPORT_IDLE_MS;
}

/* A free slot, or the one idle longest (waiting for its next request). */
static struct conn *slot_for_new(struct server *s)
{
	struct conn *oldest = NULL;

	for (int i = 0; i < EXPORT_CONNS; i++) {
		struct conn *c = &s->conns[i];
		if (c->state == CONN_FREE)
			return c;
		if (c->state == CONN_READING && c->nin == 0 &&
		    (!oldest || c->active_ms < oldest->active_ms))
			oldest = c;
	}
	if (oldest)
		conn_close(oldest);
	return oldest;
}

static void on_accept(struct server *s, int64_t now)
{
	for (;;) {
		struct conn *c;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return; /* EAGAIN, or a connection gone before it was taken */
		c = slot_for_new(s);
		if (!c) {
			close(fd); /* every slot mid-request: at most EXPORT_REQUEST_MS */
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->state = CONN_READING;
		c->active_ms = now;
		c->deadline_ms = now + EXPORT_REQUEST_MS;
		c->in[0] = '\0';
	}
}

static int serve(struct server *s)
{
	struct pollfd pfd[EXPORT_CONNS + 1];
	struct conn *at[EXPORT_CONNS + 1];

	while (!stop_signal) {
		int64_t now = now_ms(), next = now + EXPORT_IDLE_MS;
		int n = 0, rc;

		pfd[n] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		at[n++] = NULL;
		for (int i = 0; i < EXPORT_CONNS; i++) {
			struct conn *c = &s->conns[i];
			if (c->state == CONN_FREE)
				continue;
			if (c->deadline_ms <= now) {
				conn_close(c);
				continue;
			}
			if (c->deadline_ms < next)
				next = c->deadline_ms;
			pfd[n] = (struct pollfd){ .fd = c->fd,
				                  .events = c->state == CONN_READING ? POLLIN : POLLOUT };
			at[n++] = c;
		}
		rc = poll(pfd, (nfds_t)n, (int)(next - now));
		if (rc < 0 && errno != EINTR) {
			tw_cli_error("export: poll: %s", strerror(errno));
			return TW_EXIT_FAIL;
		}
		now = now_ms();
		for (int i = 1; rc > 0 && i < n; i++) {
			struct conn *c = at[i];
			if (!pfd[i].revents || c->state == CONN_FREE)
				continue;
			if (c->state == CONN_READING)
				on_readable(s, c, now);
			else
				on_writable(c, now);
		}
		if (rc > 0 && (pfd[0].revents & POLLIN))
			on_accept(s, now);
	}
	return TW_EXIT_OK;
}

int tw_cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "shm", required_argument, NULL, 's' },
		{ "owner", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct server s;
	static const char *shm[16];
	const char *listen_arg = EXPORT_DEFAULT;
	struct sigaction sa;
	char err[512];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_arg = optarg; break;
		case 's':
			if (s.nshm == (int)(sizeof(shm) / sizeof(shm[0]))) {
				tw_cli_error("export: --shm: at most %d ledgers", s.nshm);
				return TW_EXIT_USAGE;
			}
			shm[s.nshm++] = optarg;
			break;
		case 'o':
			if (tw_ledger_trust_owner(optarg, err, sizeof(err)) < 0) {
				tw_cli_error("export: %s", err);
				return TW_EXIT_USAGE;
			}
			break;
		case 'h': fputs(export_usage, stdout); return TW_EXIT_OK;
		default: return tw_cli_bad_option("export", c, argv);
		}
	}
	if (optind < argc) {
		tw_cli_error("export: unexpected argument '%s'; try 'twshim export --help'",
		             argv[optind]);
		return TW_EXIT_USAGE;
	}
	s.shm = shm;
	s.lfd = tw_export_listen(listen_arg);
	if (s.lfd == -2)
		return TW_EXIT_USAGE;
	if (s.lfd < 0)
		return TW_EXIT_FAIL;
	/* No SA_RESTART: the signal ends the wait in poll(). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "twshim export: serving http://%s/metrics\n", listen_arg);
	rc = serve(&s);
	for (int i = 0; i < EXPORT_CONNS; i++)
		conn_close(&s.conns[i]);
	close(s.lfd);
	return rc;
}
