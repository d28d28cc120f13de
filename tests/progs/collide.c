// SPDX-License-Identifier: MIT
/*
 * A program that defines, for its own use, the very names the shim uses
 * inside (tw_real, tw_ledger, tw_log_at, tw_fd_get_alloc, tw_guard...). The
 * shim exports nothing but the wrapped calls, so neither side may see the
 * other's: this program must run and be counted as usual.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int tw_real = 1, tw_ledger = 2, tw_guard = 3, tw_run_state = 4;
struct tw_cfg_t { int x; } tw_cfg = { 5 };

int tw_log_at(int a);
int tw_log_at(int a) { return a + 1; }
void *tw_fd_get_alloc(int fd);
void *tw_fd_get_alloc(int fd) { (void)fd; return NULL; }
int tw_close(int fd);
int tw_close(int fd) { (void)fd; abort(); }

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd;

	if (argc != 3)
		return 2;
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("collide: connect");
		return 1;
	}
	close(fd);
	printf("collide: ok %d %d %d %d %d %d %p\n", tw_real, tw_ledger, tw_guard, tw_run_state,
	       tw_cfg.x, tw_log_at(5), tw_fd_get_alloc(0));
	return 0;
}
