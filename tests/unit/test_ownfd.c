// SPDX-License-Identifier: MIT
/* The shim's own fds in the program's table (shim/ownfd.c) against a
 * program thread replacing numbers under them. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdtable.h"
#include "ownfd.h"
#include "real.h"

/* Where tw_ownfd_keep puts the channel: ownfd.c's rule. */
static int channel_floor(void)
{
	struct rlimit rl;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur == RLIM_INFINITY)
		return 3;
	return rl.rlim_cur > 2048 ? (int)rl.rlim_cur - 1024 : (int)rl.rlim_cur / 2;
}

static int floor_fd, program_fd; /* the number the program's dup2() goes to, and its socket */
static _Atomic int in_flight, dup2_rc;

/* A program thread's dup2() onto floor_fd that read the number's mark just
 * before the shim set it, and makes its system call just after: what
 * tw_dup3 does when the scheduler stops it between the two. */
static void *late_dup2(void *arg)
{
	(void)arg;
	tw_ownfd_replacing();
	atomic_store(&in_flight, 1);
	while (tw_fd_kind(tw_fd_get(floor_fd)) != TW_FD_HELD)
		sched_yield();
	/* Without the wait for calls in flight, the shim's check would have
	 * run by now: it follows the mark by microseconds. */
	nanosleep(&(struct timespec){ 0, 2 * 1000000 }, NULL);
	atomic_store(&dup2_rc, dup2(program_fd, floor_fd));
	tw_ownfd_replaced();
	return NULL;
}

/* Regression (CI, closer_races start_tx, about 1 run in 300 under ASan):
 * the channel's check ran before such a dup2() had replaced it; the shim
 * then sent its hand-overs into the program's socket. The channel must end
 * up at a number of its own, and the program's socket stay the program's. */
Test(ownfd, channel_survives_a_dup2_that_read_the_mark_late)
{
	int sp[2], us[2], ch;
	struct stat want, got;
	pthread_t th;

	tw_real_bind();
	floor_fd = channel_floor();
	cr_assert_eq(fcntl(floor_fd, F_GETFD), -1, "fd %d, where the channel goes, is free",
	             floor_fd);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, us), 0);
	program_fd = us[1];
	cr_assert_eq(pthread_create(&th, NULL, late_dup2, NULL), 0);
	while (!atomic_load(&in_flight))
		sched_yield();

	ch = tw_ownfd_keep(sp[0]);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(atomic_load(&dup2_rc), floor_fd, "the program's dup2()");

	cr_assert_geq(ch, 0);
	cr_expect_neq(ch, floor_fd, "the channel stayed where the program's dup2() went");
	cr_assert_eq(fstat(sp[0], &want), 0);
	cr_assert_eq(fstat(ch, &got), 0);
	cr_expect_eq(got.st_ino, want.st_ino, "fd %d is not the channel", ch);
	cr_assert_eq(fstat(us[1], &want), 0);
	cr_assert_eq(fstat(floor_fd, &got), 0);
	cr_expect_eq(got.st_ino, want.st_ino, "fd %d is not the program's socket", floor_fd);

	tw_ownfd_close_all();
	cr_expect_eq(fcntl(ch, F_GETFD), -1, "the channel, fd %d, is closed", ch);
	cr_expect_neq(fcntl(floor_fd, F_GETFD), -1, "the program's fd %d is open", floor_fd);
	close(floor_fd);
	close(sp[0]);
	close(sp[1]);
	close(us[0]);
	close(us[1]);
}

static ino_t pair_ino[2];

static int pair_end(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (st.st_ino == pair_ino[0] || st.st_ino == pair_ino[1]);
}

/* Regression (closer_races start_rx): the same dup2(), onto one of the
 * socket pair's ends while the start marks them. The end is not ours any
 * more: let go, and never closed by us. */
Test(ownfd, pending_fd_let_go_after_a_dup2_that_read_the_mark_late)
{
	int sp[2], us[2];
	struct stat st, want;
	pthread_t th;

	tw_real_bind();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, us), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(fstat(sp[i], &st), 0);
		pair_ino[i] = st.st_ino;
	}
	floor_fd = sp[1];
	program_fd = us[1];
	atomic_store(&in_flight, 0);
	cr_assert_eq(pthread_create(&th, NULL, late_dup2, NULL), 0);
	while (!atomic_load(&in_flight))
		sched_yield();

	cr_expect_eq(tw_ownfd_pend(sp, pair_end), -1, "the start took the program's socket");
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(atomic_load(&dup2_rc), sp[1], "the program's dup2()");

	tw_ownfd_unpend(0);
	tw_ownfd_unpend(1);
	cr_expect_eq(fcntl(sp[0], F_GETFD), -1, "the start's own end, fd %d, is closed", sp[0]);
	cr_assert_eq(fstat(us[1], &want), 0);
	cr_expect(fstat(sp[1], &st) == 0 && st.st_ino == want.st_ino,
	          "the program's fd %d was closed or replaced", sp[1]);
	close(sp[1]);
	close(us[0]);
	close(us[1]);
}
