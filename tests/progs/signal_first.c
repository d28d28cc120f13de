// SPDX-License-Identifier: MIT
/*
 * signal_first HOST PORT [threaded]: the process's first TCP socket is
 * made, and connected, in a SIGALRM handler, while the thread the signal
 * lands on loops malloc/free (threaded: two threads do, and malloc takes
 * its locks). Run under the shim by tests/e2e/signal_first.sh.
 *
 * Regression: the shim started up on that first socket, in the handler:
 * it read sysctls with fopen (malloc) and could start its closer thread
 * (pthread_create), so the handler waited for the malloc lock its own
 * thread held, forever (49 of 50 runs hung), or, single-threaded, malloc
 * ran inside malloc and corrupted the heap. Prints "signal_first: ok"
 * and exits 0 when the handler connected and the program ended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_in server;
static atomic_int taken;        /* one handler run makes the socket: the first */
static atomic_int done;
static atomic_int result = -1;  /* the handler's errno, 0 connected */

static void on_alarm(int sig)
{
	int saved = errno, fd;

	(void)sig;
	if (atomic_exchange(&taken, 1))
		return;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		atomic_store(&result, errno);
	} else {
		atomic_store(&result, connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0 ?
		                              0 : errno);
		close(fd);
	}
	atomic_store(&done, 1);
	errno = saved;
}

static void churn(unsigned long *rounds)
{
	while (!atomic_load(&done)) {
		void *p[8];

		for (int i = 0; i < 8; i++)
			p[i] = malloc(16 + (size_t)i * 4000);
		for (int i = 0; i < 8; i++)
			free(p[i]);
		(*rounds)++;
	}
}

static void *churn_thread(void *arg)
{
	churn(arg);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	unsigned long rounds = 0, other = 0;
	pthread_t th;
	int threaded = argc == 4 && strcmp(argv[3], "threaded") == 0;

	if (argc != 3 && !threaded) {
		fprintf(stderr, "usage: signal_first HOST PORT [threaded]\n");
		return 2;
	}
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
		fprintf(stderr, "signal_first: '%s' is not an IPv4 address\n", argv[1]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	/* Every millisecond until the handler has run: it lands, sooner or
	 * later, inside malloc or free (in either thread). */
	setitimer(ITIMER_REAL, &it, NULL);
	if (threaded && pthread_create(&th, NULL, churn_thread, &other) != 0) {
		fprintf(stderr, "signal_first: pthread_create failed\n");
		return 1;
	}
	churn(&rounds);
	if (threaded)
		pthread_join(th, NULL);
	setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, NULL);
	if (atomic_load(&result) != 0) {
		fprintf(stderr, "signal_first: connect in the handler: %s\n",
		        strerror(atomic_load(&result)));
		return 1;
	}
	printf("signal_first: ok (%lu rounds of malloc first)\n", rounds + other);
	return 0;
}
