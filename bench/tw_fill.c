// SPDX-License-Identifier: MIT
/*
 * tw_fill N: leaves N TIME_WAIT entries on 127.0.0.1, fast, for measuring
 * what reads them (bench/doctor.sh). Run it in a network namespace of its
 * own (they last 60 s; nothing else should share the ports).
 *
 * One connection: bind the client to the next port of 10000-59999
 * explicitly (SO_REUSEADDR, so a port already in TIME_WAIT toward another
 * destination can be taken again), connect to our own listener, accept,
 * close the client side first (its FIN makes it the active closer), then
 * the accepted side: the client's socket is left in TIME_WAIT for 60 s.
 * Each pass over the 50,000 ports uses a new listener (destination), on
 * 60001, 60002...
 * Explicit ports keep it fast: left to connect(), the kernel's search for a
 * free port gets slower as the range fills (minutes for 100,000).
 * Exits 0 once N are made, 1 with a message naming the call that failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FIRST_PORT 10000
#define PER_PORT 50000L

static int die(const char *what, long i)
{
	fprintf(stderr, "tw_fill: %s after %ld connections: %s\n", what, i, strerror(errno));
	return 1;
}

/* Listeners on 60001 and up: outside the ports the clients take. */
static int listener(struct sockaddr_in *a, int pass)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)(60001 + pass));
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 || listen(fd, 128) < 0)
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	char *end;
	long n = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	struct sockaddr_in a, src = { .sin_family = AF_INET };
	int l = -1, one = 1;

	if (argc != 2 || *end || n < 1 || n > 10 * PER_PORT) {
		fprintf(stderr, "usage: tw_fill N   (1 to %ld TIME_WAIT entries on 127.0.0.1)\n",
		        10 * PER_PORT);
		return 2;
	}
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (long i = 0; i < n; i++) {
		int c, s;
		if (i % PER_PORT == 0) {
			if (l >= 0)
				close(l);
			if ((l = listener(&a, (int)(i / PER_PORT))) < 0)
				return die("listen", i);
		}
		c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0)
			return die("socket", i);
		if (setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
			return die("SO_REUSEADDR", i);
		src.sin_port = htons((uint16_t)(FIRST_PORT + i % PER_PORT));
		if (bind(c, (struct sockaddr *)&src, sizeof(src)) < 0)
			return die("bind", i);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			return die("connect", i);
		s = accept(l, NULL, NULL);
		if (s < 0)
			return die("accept", i);
		close(c);
		close(s);
	}
	return 0;
}
