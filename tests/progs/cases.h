// SPDX-License-Identifier: MIT
/*
 * What the case programs (fdcases, closer_races) share: a program runs one
 * named case against the keep-alive server at HOST PORT, under the shim,
 * and tests/e2e/fdcases.sh checks the ledger afterwards. A case prints
 * "PROG CASE: ok" and exits 0 when the program saw what it would without
 * the shim (results, errno); any difference is a line "PROG CASE: ..." on
 * stderr and exit 1.
 */
#ifndef TW_CASES_H
#define TW_CASES_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *prog, *name; /* the program's and the case's names */
static struct sockaddr_in server;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s %s: line %d: ", prog, name, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* A connection that made one request and read the whole answer, so that
 * close() is a clean active close (unread data would make it an RST). */
static inline void ask(int fd)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
	char buf[512];
	ssize_t n, got = 0;

	CHECK(write(fd, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1, "write");
	/* ka_server answers with a 3-byte body: the response ends in "ok\n". */
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0) {
		got += n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\nok\n"))
			break;
	}
	CHECK(n > 0, "read: %s", n < 0 ? strerror(errno) : "EOF");
}

static inline int request(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(fd >= 0, "socket: %s", strerror(errno));
	CHECK(connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0, "connect: %s",
	      strerror(errno));
	ask(fd);
	return fd;
}

struct tw_case {
	const char *name;
	void (*fn)(void);
};

/* PROG CASE HOST PORT: runs the case named CASE. Exit 2 on bad usage. */
static inline int cases_main(const char *program, const struct tw_case *cases, size_t n,
                             int argc, char **argv)
{
	prog = program;
	if (argc != 4) {
		fprintf(stderr, "usage: %s CASE HOST PORT\n", prog);
		return 2;
	}
	name = argv[1];
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1) {
		fprintf(stderr, "%s: '%s' is not an IPv4 address\n", prog, argv[2]);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cases[i].name, name) == 0) {
			cases[i].fn();
			printf("%s %s: ok\n", prog, name);
			return 0;
		}
	}
	fprintf(stderr, "%s: no case '%s'\n", prog, name);
	return 2;
}

#endif
