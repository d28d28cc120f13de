// SPDX-License-Identifier: MIT
/*
 * closer_races CASE HOST PORT: a program thread racing the closer
 * (policies/closer.c, TWSHIM_CLOSE=peer-first) over the fd numbers where it
 * keeps its own fds, while it starts and while it holds connections. Run
 * by tests/e2e/fdcases.sh; cases.h says how a case reports.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cases.h"

/* Where the closer puts its fd in the program's table (shim/ownfd.c). */
static int closer_floor(void)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= 256, "getrlimit");
	return rl.rlim_cur > 2048 ? (int)rl.rlim_cur - 1024 : (int)rl.rlim_cur / 2;
}

/* Nothing arrived on the program's socket pair end us0: nothing of the
 * shim's was ever sent into the end it dup2'd around. */
static void check_nothing_came(int us0)
{
	char b[64];
	ssize_t n = recv(us0, b, sizeof(b), MSG_DONTWAIT);

	CHECK(n < 0 && errno == EAGAIN, "the program's socket received %zd bytes it never sent", n);
}

/* Regression: the closer's fds lived in the program's fd table. A program
 * thread that dup2s over the numbers where the shim keeps its fd, and
 * closes them, while the closer takes and ends connections must get what
 * it would without the shim: its fd stays its own, never closed, replaced
 * or sent into. Run with TWSHIM_CLOSE=peer-first and a short wait: the
 * keep-alive server never closes, so each connection is held, then ended
 * by the closer, while another thread races over the numbers. */
static _Atomic int race_stop;
static int race_lo, race_hi, race_us[2];

static void *racer(void *arg)
{
	struct stat want, st;

	(void)arg;
	CHECK(fstat(race_us[1], &want) == 0, "fstat");
	while (!atomic_load(&race_stop)) {
		for (int n = race_lo; n < race_hi; n++) {
			CHECK(dup2(race_us[1], n) == n, "dup2(socket, %d): %s", n, strerror(errno));
			sched_yield();
			CHECK(fstat(n, &st) == 0 && st.st_ino == want.st_ino,
			      "fd %d is no longer the program's socket (%s)", n,
			      errno == EBADF ? "closed" : "replaced");
			CHECK(close(n) == 0, "close(%d): %s", n, strerror(errno));
		}
		CHECK(close_range((unsigned)race_lo, (unsigned)race_hi - 1, 0) == 0,
		      "close_range: %s", strerror(errno));
	}
	return NULL;
}

/* started: whether the closer runs before the racer does (held_race), or
 * starts under it, at the first request (start_churn: the start's fds
 * appear at the numbers the racer is replacing and closing). */
static void held_race(int started)
{
	struct timespec t0, t;
	pthread_t th;

	race_lo = closer_floor();
	race_hi = race_lo + 24;
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, race_us) == 0, "socketpair");
	if (started)
		close(request()); /* the closer is running and holds one */
	CHECK(pthread_create(&th, NULL, racer, NULL) == 0, "pthread_create");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 400; i++) {
		close(request());
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 2)
			break;
	}
	atomic_store(&race_stop, 1);
	CHECK(pthread_join(th, NULL) == 0, "pthread_join");
	check_nothing_came(race_us[0]);
	close(race_us[0]);
	close(race_us[1]);
}

static void case_held_race(void)
{
	held_race(1);
}

static void case_start_churn(void)
{
	held_race(0);
}

/* Regression: the closer's start made its socket pair at the lowest free
 * numbers, and its sending end high, before anything marked them: a
 * program thread that dup2'd onto one of them then lost its fd to the
 * shim's close (start_rx), or had the shim send connections into it
 * (start_tx); a fork child then kept two fds it could not close
 * (start_fork). A thread watches for the shim's fds to appear while the
 * process's first connect() starts the closer (TWSHIM_CLOSE=peer-first),
 * and acts on the first it sees. */
static int start_mode; /* 0 rx, 1 tx, 2 fork */
static int start_lo, start_floor, start_pipe[2], start_us[2];
static _Atomic int start_go, start_done, start_hit = -1;

static int is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void fork_and_closefrom(void)
{
	pid_t p = fork();
	int st;

	CHECK(p >= 0, "fork");
	if (p == 0) {
		char path[64];
		int left = 0;

		closefrom(3);
		for (int n = 3; n < start_floor + 64; n++) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", n);
			if (access(path, F_OK) == 0)
				left++;
		}
		_exit(left);
	}
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st), "fork child failed");
	CHECK(WEXITSTATUS(st) == 0, "the fork child has %d fds left after closefrom(3)",
	      WEXITSTATUS(st));
}

/* dup2(fd, n), which must succeed. EBUSY: the number was being allocated
 * at that instant (Linux says so rather than wait): try again, as a
 * program would without us. */
static void dup2_onto(int fd, int n)
{
	int r;

	while ((r = dup2(fd, n)) < 0 && errno == EBUSY)
		;
	CHECK(r == n, "dup2(%d, %d): %s", fd, n, strerror(errno));
}

static void *start_racer(void *arg)
{
	(void)arg;
	while (!atomic_load(&start_go))
		;
	while (!atomic_load(&start_done)) {
		if (start_mode == 0) {
			for (int n = start_lo; n < start_lo + 3; n++) {
				if (is_socket(n)) {
					dup2_onto(start_pipe[1], n);
					atomic_store(&start_hit, n);
					return NULL;
				}
			}
		} else if (is_socket(start_floor)) {
			if (start_mode == 1)
				dup2_onto(start_us[1], start_floor);
			else
				fork_and_closefrom();
			atomic_store(&start_hit, start_floor);
			return NULL;
		}
	}
	return NULL;
}

static void start_race(int mode)
{
	struct timespec pause = { 0, 200 * 1000000 };
	struct stat want, st;
	pthread_t th;
	int fd, hit;

	start_mode = mode;
	start_floor = closer_floor();
	CHECK(pipe2(start_pipe, O_CLOEXEC) == 0, "pipe2");
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, start_us) == 0, "socketpair");
	CHECK(fstat(start_pipe[1], &want) == 0, "fstat");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0, "socket");
	start_lo = fd + 1; /* the shim's socket pair comes next */
	CHECK(pthread_create(&th, NULL, start_racer, NULL) == 0, "pthread_create");
	atomic_store(&start_go, 1);
	CHECK(connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0, "connect: %s",
	      strerror(errno));
	nanosleep(&pause, NULL);
	atomic_store(&start_done, 1);
	CHECK(pthread_join(th, NULL) == 0, "pthread_join");
	hit = atomic_load(&start_hit);
	printf("%s %s: the racer %s\n", prog, name, hit < 0 ? "saw nothing" : "acted");
	if (mode == 0 && hit >= 0)
		CHECK(fstat(hit, &st) == 0 && st.st_ino == want.st_ino,
		      "the program's fd %d (a dup2 of its pipe) is %s", hit,
		      errno == EBADF ? "gone" : "something else");
	if (mode == 1) {
		ask(fd);
		close(fd); /* handed over to the closer */
		nanosleep(&pause, NULL);
		check_nothing_came(start_us[0]);
	} else {
		close(fd);
	}
}

static void case_start_rx(void)
{
	start_race(0);
}

static void case_start_tx(void)
{
	start_race(1);
}

static void case_start_fork(void)
{
	start_race(2);
}

static const struct tw_case cases[] = {
	{ "held_race", case_held_race }, { "start_rx", case_start_rx },
	{ "start_tx", case_start_tx }, { "start_fork", case_start_fork },
	{ "start_churn", case_start_churn },
};

int main(int argc, char **argv)
{
	return cases_main("closer_races", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
