// SPDX-License-Identifier: MIT
/*
 * secure_probe PORT N: says how the loader started it, then makes N
 * connections to 127.0.0.1:PORT, each closed by this side.
 *
 * Installed setuid or with file capabilities by tests/e2e/secure_exec.sh, it
 * runs under secure execution (AT_SECURE), where the shim, loaded from
 * /etc/ld.so.preload, must stay inert. One line on stdout:
 *
 *   at_secure=0|1 ruid=N euid=N shim_loaded=0|1 connected=N
 *
 * shim_loaded says whether libtwshim.so is mapped into this process: the
 * test needs it loaded, or its being inert would prove nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

static int shim_loaded(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096];
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libtwshim.so") != NULL;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int n, ok = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: secure_probe PORT N\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = atoi(argv[2]);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			perror("secure_probe: socket");
			return 1;
		}
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			ok++;
		else
			perror("secure_probe: connect");
		close(fd);
	}
	printf("at_secure=%lu ruid=%u euid=%u shim_loaded=%d connected=%d\n", getauxval(AT_SECURE),
	       (unsigned)getuid(), (unsigned)geteuid(), shim_loaded(), ok);
	return ok == n ? 0 : 1;
}
