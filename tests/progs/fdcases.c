// SPDX-License-Identifier: MIT
/*
 * fdcases CASE HOST PORT: one of the fd lifecycles real programs go
 * through, run under the shim by tests/e2e/fdcases.sh, which then checks
 * the ledger (cases.h says how a case reports). The races against the
 * closer's own fds are in closer_races.c.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>


#include "cases.h"

/* The socket's SO_LINGER is what the program left: off. */
static void check_no_linger(int fd, const char *after)
{
	struct linger lg = { 7, 7 };
	socklen_t len = sizeof(lg);

	CHECK(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) == 0, "getsockopt");
	CHECK(lg.l_onoff == 0, "SO_LINGER {%d,%d} after %s: set behind the program", lg.l_onoff,
	      lg.l_linger, after);
}

/* errno is the caller's: untouched on success, the real call's on failure.
 * Regression: the peek that classifies a close left EAGAIN in errno after a
 * successful close(). */
static void case_errno(void)
{
	int fd;

	errno = 4242;
	fd = request();
	CHECK(errno == 4242, "errno after socket+connect+write+read = %d", errno);
	errno = 4243;
	CHECK(close(fd) == 0, "close: %s", strerror(errno));
	CHECK(errno == 4243, "errno after a successful close = %d", errno);
	CHECK(close(fd) == -1 && errno == EBADF, "second close: errno %d", errno);
	errno = 0;
	CHECK(close(-1) == -1 && errno == EBADF, "close(-1): errno %d", errno);
	/* A refused connect keeps its own errno. */
	struct sockaddr_in none = server;
	none.sin_port = htons(1);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(fd, (struct sockaddr *)&none, sizeof(none)) == -1 && errno == ECONNREFUSED,
	      "connect to a closed port: errno %d", errno);
	close(fd);
	/* Files pass through: errno untouched. */
	errno = 77;
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0 && errno == 77, "file close changed errno to %d", errno);
}

/* dup: two fds, one connection; only the last close ends it. */
static void case_dup(void)
{
	int fd = request(), d = dup(fd), d2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);

	CHECK(d >= 0 && d2 >= 100, "dup %d fcntl %d: %s", d, d2, strerror(errno));
	CHECK(close(fd) == 0 && close(d2) == 0 && close(d) == 0, "close");
}

/* dup2 over a tracked socket closes it: that close counts too. */
static void case_dup2_over(void)
{
	int a = request(), b = request();

	CHECK(dup2(a, b) == b, "dup2: %s", strerror(errno));
	CHECK(close(a) == 0 && close(b) == 0, "close");
}

/* fork: the child closes its copy first, the parent's is the last close. */
static void case_fork(void)
{
	int fd = request(), st;
	pid_t p = fork();

	CHECK(p >= 0, "fork");
	if (p == 0) {
		close(fd);
		/* The child's own connection: counted in the child's slot. */
		close(request());
		_exit(0);
	}
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed");
	CHECK(close(fd) == 0, "close");
}

/* fclose closes the fd inside glibc, past the shim; the number comes back. */
/* close(2) made without libc, as the Go runtime or io_uring make it: no
 * wrapper sees it (syscall() is interposed: this is the instruction). */
static long close_unseen(int fd)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_close), "D"((long)fd)
	                 : "rcx", "r11", "memory");
	return ret;
}

/* A connection closed unseen, its number then made a TCP socket again:
 * the old entry is counted as other (the kernel's TIME_WAIT is its). */
static void case_stale(void)
{
	int fd = request(), again;

	CHECK(close_unseen(fd) == 0, "the raw close failed");
	again = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(again == fd, "socket() gave %d, not the closed %d", again, fd);
	close(again);
}

/* A connection closed by fclose() of its fdopen'd stream: glibc closes the
 * fd inside, and the shim's fclose() sees it as a close (issue 13 item 7:
 * it was left stale, and counted as other). */
static void case_fclose(void)
{
	int fd = request();
	FILE *f = fdopen(fd, "r+");

	CHECK(f != NULL, "fdopen");
	CHECK(fclose(f) == 0, "fclose: %s", strerror(errno));
}

/* fd numbers far beyond the first table chunk. */
static void case_bigfd(void)
{
	struct rlimit rl;
	int fd = request(), big;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	big = (int)(rl.rlim_cur > 20000 ? 19999 : rl.rlim_cur - 1);
	CHECK(big > 4096, "RLIMIT_NOFILE hard limit %llu too low", (unsigned long long)rl.rlim_max);
	CHECK(dup2(fd, big) == big, "dup2 to %d: %s", big, strerror(errno));
	CHECK(close(fd) == 0 && close(big) == 0, "close");
}

/* close_range over three connections and a file. */
static void case_close_range(void)
{
	int a = request(), b = request(), c = request(), f = open("/dev/null", O_RDONLY);
	int lo = a < b ? a : b;

	(void)c;
	(void)f;
	CHECK(close_range((unsigned)lo, ~0u, 0) == 0, "close_range: %s", strerror(errno));
	CHECK(fcntl(c, F_GETFD) == -1 && fcntl(f, F_GETFD) == -1, "still open");
}

static int sig_fd = -1;
static void on_alarm(int sig)
{
	(void)sig;
	close(sig_fd); /* async-signal-safe, and so it must stay under the shim */
}

/* close() from a signal handler. */
static void case_signal(void)
{
	sig_fd = request();
	signal(SIGALRM, on_alarm);
	raise(SIGALRM);
	CHECK(fcntl(sig_fd, F_GETFD) == -1, "not closed");
}

/* Unread data: the kernel resets instead of FIN; no TIME_WAIT. */
static void case_unread(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0, "connect");
	CHECK(write(fd, req, sizeof(req) - 1) > 0, "write");
	usleep(100000); /* let the answer arrive, unread */
	CHECK(close(fd) == 0, "close");
}

/* shutdown(SHUT_WR) first, then the peer's FIN, then close(): our FIN was
 * first, though at close() a read says end of file. */
static void case_shutdown_first(void)
{
	char buf[64];
	int fd = request();

	CHECK(shutdown(fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	CHECK(close(fd) == 0, "close");
}

/* The server closes first (ka_server --mode close on PORT+1): passive. */
static void case_passive(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
	struct sockaddr_in a = server;
	char buf[512];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_port = htons((uint16_t)(ntohs(server.sin_port) + 1));
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s", strerror(errno));
	CHECK(write(fd, req, sizeof(req) - 1) > 0, "write");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	CHECK(close(fd) == 0, "close");
}

/* The read side shut: a peek would say end of file; the state says open. */
static void case_shut_rd(void)
{
	int fd = request();

	CHECK(shutdown(fd, SHUT_RD) == 0, "shutdown: %s", strerror(errno));
	CHECK(close(fd) == 0, "close");
}

/* A listener of our own, for cases that need the server side in hand. */
static int own_listener(struct sockaddr_in *a, int backlog)
{
	socklen_t len = sizeof(*a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(l, (struct sockaddr *)a, sizeof(*a)) == 0 && listen(l, backlog) == 0 &&
	      getsockname(l, (struct sockaddr *)a, &len) == 0, "listener: %s", strerror(errno));
	return l;
}

static sigjmp_buf jump;
static void on_timeout(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

/* Regression: the legacy timeout idiom, alarm() + siglongjmp out of a
 * blocking connect(), left the shim's recursion guard raised for good:
 * nothing in that thread was tracked afterwards. */
static void case_longjmp(void)
{
	struct sockaddr_in a;
	int l = own_listener(&a, 0), fill, stuck;

	/* Backlog 0: one connection fills the queue, the next SYN is dropped
	 * and its connect() blocks. */
	fill = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(fill, (struct sockaddr *)&a, sizeof(a)) == 0, "filler: %s", strerror(errno));
	stuck = socket(AF_INET, SOCK_STREAM, 0);
	signal(SIGALRM, on_timeout);
	if (sigsetjmp(jump, 1) == 0) {
		ualarm(200000, 0);
		connect(stuck, (struct sockaddr *)&a, sizeof(a));
		CHECK(0, "connect to a full queue did not block");
	}
	close(stuck);
	/* Accepted before the listener goes, or its close would reset the
	 * filler and take the filler's TIME_WAIT with it. */
	int s = accept(l, NULL, NULL);
	close(fill);
	usleep(20000);
	close(s);
	close(l);
	/* Tracked as usual afterwards. */
	close(request());
	close(request());
}

/* Regression: a dup'd socket whose exchange ended before close() (shutdown,
 * then the peer's FIN) was counted at each of its closes. */
static void case_dup_ended(void)
{
	char buf[64];
	int fd = request(), d = dup(fd);

	CHECK(shutdown(fd, SHUT_WR) == 0, "shutdown");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	CHECK(close(fd) == 0 && close(d) == 0, "close");
}

/* Regression: closing one copy of a reset socket peeked at it, which took
 * the pending ECONNRESET away from the other copy. */
static void case_reset_shared(void)
{
	static const struct linger lg = { 1, 0 };
	struct sockaddr_in a;
	int l = own_listener(&a, 8), c, s, d;
	char b;

	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
	s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept");
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s); /* RST to c */
	usleep(50000);
	d = dup(c);
	close(c);
	CHECK(read(d, &b, 1) == -1 && errno == ECONNRESET, "the copy did not see ECONNRESET");
	close(d);
	close(l);
}

/* Regression: shutdown(SHUT_WR) first, then the peer's reset, then close():
 * the socket reads CLOSE as after a finished exchange, but no TIME_WAIT
 * was made; counted as an active close, a TIME_WAIT the kernel never had.
 * read_error: the program reads the ECONNRESET first, so that none is
 * pending when it closes. */
static void shutdown_then_reset(int read_error)
{
	static const struct linger lg = { 1, 0 };
	struct sockaddr_in a;
	int l = own_listener(&a, 8), c, s;
	char b;

	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
	s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept");
	CHECK(shutdown(c, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
	CHECK(read(s, &b, 1) == 0, "the peer did not read end of file");
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s); /* RST to c, in FIN_WAIT2 */
	usleep(50000);
	if (read_error)
		CHECK(read(c, &b, 1) == -1 && errno == ECONNRESET, "no ECONNRESET");
	close(c);
	close(l);
}

static void case_shutdown_reset(void)
{
	shutdown_then_reset(0);
}

static void case_shutdown_reset_read(void)
{
	shutdown_then_reset(1);
}

/* Regression: close_range with flags the kernel refuses closed our tracked
 * sockets anyway. */
static void case_close_range_einval(void)
{
	int fd = request();

	CHECK(close_range((unsigned)fd, (unsigned)fd, 1 << 5) == -1 && errno == EINVAL,
	      "close_range with a bad flag: errno %d", errno);
	CHECK(fcntl(fd, F_GETFD) >= 0, "the socket was closed by a failed close_range");
	close(fd);
}

/* Regression: a program that exits without close() left its TIME_WAIT
 * uncounted (the kernel's close at exit is an active close too). */
static void case_exit_noclose(void)
{
	request();
	printf("fdcases exit_noclose: ok\n");
	fflush(stdout);
	exit(0);
}

/* Regression: a dup2/dup3 that failed, leaving newfd open, had already run
 * the close policy on it (TWSHIM_CLOSE=reset: SO_LINGER {1,0}). Run with
 * that policy on; the connection must still serve a second request. */
static void case_dup2_fail(void)
{
	int fd = request(), other = request(), none = 4000;

	CHECK(fcntl(none, F_GETFD) < 0, "fd %d is open", none);
	errno = 0;
	CHECK(dup2(none, fd) == -1 && errno == EBADF, "dup2 from a closed fd: %s", strerror(errno));
	check_no_linger(fd, "a failed dup2");
	CHECK(dup3(other, fd, ~O_CLOEXEC) == -1 && errno == EINVAL, "dup3 with bad flags: %s",
	      strerror(errno));
	check_no_linger(fd, "a failed dup3");
	ask(fd);
	CHECK(close(other) == 0 && close(fd) == 0, "close");
}

/* Regression: vfork's child ran the shim's close bookkeeping, and the close
 * policy, on the parent's sockets (Python's subprocess: close_range in the
 * child before exec). Run with TWSHIM_CLOSE=reset. */
static void case_vfork(void)
{
	int fd = request(), st;
	pid_t p = vfork();

	CHECK(p >= 0, "vfork: %s", strerror(errno));
	if (p == 0) {
		close_range(3, ~0u, 0);
		_exit(0);
	}
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed");
	check_no_linger(fd, "vfork");
	ask(fd);
	CHECK(close(fd) == 0, "close");
}

/* Regression: after a vfork, a fork() before any other call into the shim
 * left the fork child's shim switched off for good (it inherited the guard
 * raised for the vfork child): its connections went uncounted, and its
 * close policy never ran. Run with TWSHIM_CLOSE=reset: the fork child's
 * connection, its own, is reset. */
static void case_vfork_fork(void)
{
	pid_t p = vfork();
	int st;

	CHECK(p >= 0, "vfork: %s", strerror(errno));
	if (p == 0)
		_exit(0);
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st), "vfork child failed");
	p = fork();
	CHECK(p >= 0, "fork: %s", strerror(errno));
	if (p == 0) {
		CHECK(close(request()) == 0, "close in the fork child");
		exit(0);
	}
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "fork child failed");
}

/* Prints "ready" and waits for stdin to close, so that fdcases.sh reads
 * the ledger while this process is alive (an exited one has nothing open). */
static void hold_for_reading(void)
{
	char c;

	printf("ready\n");
	fflush(stdout);
	alarm(30); /* fdcases.sh gone: end, and fail */
	while (read(0, &c, 1) > 0)
		;
	alarm(0);
}

/* Regression: a vfork child that called exit() ran the shim's exit
 * handler in its parent's memory: the parent's ledger slot was marked
 * exited while it ran on. */
static void case_vfork_exit(void)
{
	int fd = request(), st;
	pid_t p = vfork();

	CHECK(p >= 0, "vfork: %s", strerror(errno));
	if (p == 0)
		exit(0);
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st), "vfork child failed");
	hold_for_reading();
	ask(fd);
	CHECK(close(fd) == 0, "close");
}

/* Regression: an fd copied from one of the closer's (found by scanning
 * the fd table) could not be closed: close said EBADF and left it open.
 * Run with TWSHIM_CLOSE=peer-first, and a wait longer than the case. */
static void case_dup_held(void)
{
	struct rlimit rl;
	int found = 0;

	close(request()); /* the closer holds it now, at an fd of its own */
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	for (int n = 3; n < (int)rl.rlim_cur && n < (1 << 20); n++) {
		int d;
		if (fcntl(n, F_GETFD) < 0)
			continue;
		found++;
		d = dup(n);
		CHECK(d >= 0, "dup(%d): %s", n, strerror(errno));
		CHECK(close(d) == 0, "close(dup of %d): %s", n, strerror(errno));
		CHECK(fcntl(d, F_GETFD) < 0 && errno == EBADF, "fd %d still open after close", d);
	}
	CHECK(found > 0, "no fd the program did not open: is TWSHIM_CLOSE=peer-first set?");
}

/* Regression: after fork, the accepted side's passive close went uncounted:
 * asked whether anyone still held the closed connection, the kernel's
 * lookup found the listener on the same port, and the shim believed it. */
static void case_fork_accepted(void)
{
	struct sockaddr_in a;
	int l = own_listener(&a, 8), c, s, st;
	char b;
	pid_t p;

	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
	s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept");
	p = fork();
	CHECK(p >= 0, "fork");
	if (p == 0)
		_exit(0); /* its copies go with it */
	CHECK(waitpid(p, &st, 0) == p, "waitpid");
	CHECK(close(c) == 0, "close client");
	CHECK(read(s, &b, 1) == 0, "no EOF on the accepted side");
	CHECK(close(s) == 0 && close(l) == 0, "close");
}

/* Regression: a thread cancelled while the process's first connect() was
 * claiming its ledger slot (reading /proc passes cancellation points) left
 * the claim half made: nothing was counted afterwards, and every later
 * connect() waited ~30 ms for the claim to finish. */
static void *cancelled_connect(void *arg)
{
	pthread_cancel(pthread_self()); /* pending: acted on at the next cancellation point */
	connect(*(int *)arg, (struct sockaddr *)&server, sizeof(server));
	return NULL;
}

static void case_cancel(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	void *ret;
	pthread_t t;

	CHECK(fd >= 0, "socket");
	CHECK(pthread_create(&t, NULL, cancelled_connect, &fd) == 0, "pthread_create");
	CHECK(pthread_join(t, &ret) == 0 && ret == PTHREAD_CANCELED, "the thread was not cancelled");
	close(fd);
	close(request());
}

/* A connection made without blocking: connect() says EINPROGRESS, and the
 * outcome comes from poll() alone, which the shim does not see. Blocking
 * from then on. */
static int connect_nb(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	CHECK(fd >= 0, "socket: %s", strerror(errno));
	CHECK(connect(fd, (struct sockaddr *)&server, sizeof(server)) < 0 && errno == EINPROGRESS,
	      "a non-blocking connect that did not say EINPROGRESS: %s", strerror(errno));
	CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT) && !(p.revents & POLLERR),
	      "poll: the connection was not made");
	CHECK(fcntl(fd, F_SETFL, 0) == 0, "fcntl: %s", strerror(errno));
	return fd;
}

/* Regression: a socket sent to another holder (SCM_RIGHTS) was not seen
 * as shared, and closing the sender's copy ran the close policy on a
 * connection the receiver still uses. Run with TWSHIM_CLOSE=reset. Here
 * the receiver is this process, through a socketpair; mmsg sends with
 * sendmmsg, the fd in the second of two messages; dup, with a dup made
 * before sending, which the sender closes last; nb, connected without
 * blocking and sent before the shim learnt the connect's outcome. Then it
 * holds, for the ledger to be read: no connection is open any more. */
static void scm_rights(int how)
{
	int fd = how == 3 ? connect_nb() : request(), sp[2], got, copy = how == 2 ? dup(fd) : -1;
	char b[2] = "xy";
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov[2] = { { &b[0], 1 }, { &b[1], 1 } };
	struct mmsghdr mm[2] = {
		{ .msg_hdr = { .msg_iov = &iov[0], .msg_iovlen = 1 } },
		{ .msg_hdr = { .msg_iov = &iov[1], .msg_iovlen = 1, .msg_control = cbuf.buf,
		               .msg_controllen = sizeof(cbuf.buf) } },
	};
	struct msghdr *m = &mm[1].msg_hdr;
	struct cmsghdr *cm;

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) == 0, "socketpair");
	memset(&cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	CHECK(how != 2 || copy >= 0, "dup: %s", strerror(errno));
	if (how == 1) {
		CHECK(sendmmsg(sp[0], mm, 2, 0) == 2, "sendmmsg: %s", strerror(errno));
		CHECK(recv(sp[1], &b[0], 1, 0) == 1, "recv the first message: %s", strerror(errno));
	} else {
		CHECK(sendmsg(sp[0], m, 0) == 1, "sendmsg: %s", strerror(errno));
	}
	m->msg_controllen = sizeof(cbuf.buf);
	CHECK(recvmsg(sp[1], m, 0) == 1, "recvmsg: %s", strerror(errno));
	cm = CMSG_FIRSTHDR(m);
	CHECK(cm && cm->cmsg_type == SCM_RIGHTS, "no fd came through");
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	if (how == 2) {
		/* The receiver closes first; then the sent copy, and last the
		 * dup, whose close is the connection's end, seen and counted. */
		CHECK(close(got) == 0 && close(fd) == 0 && close(copy) == 0, "close");
	} else {
		CHECK(close(fd) == 0, "close the sent copy");
		check_no_linger(got, "the sender closed its copy");
		ask(got);
		CHECK(close(got) == 0, "close");
	}
	CHECK(close(sp[0]) == 0 && close(sp[1]) == 0, "close");
	hold_for_reading();
}

/* Regression: libuv (Node.js) closes every fd with syscall(SYS_close), and
 * the shim saw none of those closes (60 connections, 60 TIME_WAIT in the
 * kernel, nothing closed in the ledger). Sockets made, connected, copied
 * over and closed through syscall() count as through libc; errno and other
 * numbers pass through untouched. */
static void case_syscall(void)
{
	int a = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0), b;

	CHECK(a >= 0, "syscall(SYS_socket): %s", strerror(errno));
	CHECK(syscall(SYS_connect, a, &server, sizeof(server)) == 0, "syscall(SYS_connect): %s",
	      strerror(errno));
	ask(a);
	b = request();
	/* Over a tracked socket: b's connection closes, as with dup2(). */
	CHECK(syscall(SYS_dup2, a, b) == b, "syscall(SYS_dup2): %s", strerror(errno));
	CHECK(syscall(SYS_close, a) == 0, "syscall(SYS_close): %s", strerror(errno));
	CHECK(syscall(SYS_close, b) == 0, "syscall(SYS_close): %s", strerror(errno));
	errno = 0;
	CHECK(syscall(SYS_close, b) == -1 && errno == EBADF, "closed twice: errno %d", errno);
	CHECK(syscall(SYS_getpid) == getpid(), "syscall(SYS_getpid)");
}

/* A non-blocking connect whose outcome the program never asks
 * (getsockopt(SO_ERROR)): it waits for writability and sends, as
 * hiredis-style clients do. Regression: the shim kept it "connecting" to
 * the end, counted no connect, and no close policy applied to it. */
static int connect_unasked(uint16_t port)
{
	struct sockaddr_in to = server;
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	CHECK(fd >= 0, "socket: %s", strerror(errno));
	to.sin_port = htons(port);
	CHECK(connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0 && errno == EINPROGRESS,
	      "connect: %s", strerror(errno));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	CHECK(poll(&p, 1, 5000) == 1, "poll: %s", strerror(errno));
	CHECK(fcntl(fd, F_SETFL, 0) == 0, "fcntl: %s", strerror(errno));
	return fd;
}

static void case_nb_unasked(void)
{
	int fd = connect_unasked(ntohs(server.sin_port));

	ask(fd);
	CHECK(close(fd) == 0, "close: %s", strerror(errno));
}

/* The same toward a closed port (PORT + 19): the program reads the refusal
 * with recv(), never with SO_ERROR. Counted a refused connect at close. */
static void case_nb_refused(void)
{
	char b;
	int fd = connect_unasked((uint16_t)(ntohs(server.sin_port) + 19));

	CHECK(recv(fd, &b, 1, 0) < 0 && errno == ECONNREFUSED, "recv: %s", strerror(errno));
	CHECK(close(fd) == 0, "close: %s", strerror(errno));
}

static void case_scm_rights(void)
{
	scm_rights(0);
}

static void case_scm_rights_mmsg(void)
{
	scm_rights(1);
}

static void case_scm_rights_dup(void)
{
	scm_rights(2);
}

static void case_scm_rights_nb(void)
{
	scm_rights(3);
}

/* Issue 13 item 12. Regression: connect, bind, accept and accept4 read the
 * address, or accept's length, before the real call: a bad pointer killed
 * the program (SIGSEGV) where the call answers EFAULT (accept with no
 * connection waiting answers EAGAIN: the kernel reads the length only once
 * one came). Also an address whose family is readable and the rest not. */
static void case_bad_pointers(void)
{
	void *bad = (void *)1;
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sockaddr_in a, got, *edge;
	socklen_t len = sizeof(got);
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM, 0), l, c, c2, c3, s3;

	CHECK(page != MAP_FAILED && mprotect(page + 4096, 4096, PROT_NONE) == 0, "mmap");
	edge = (struct sockaddr_in *)(page + 4096 - sizeof(sa_family_t));
	edge->sin_family = AF_INET;
	CHECK(connect(fd, bad, sizeof(a)) == -1 && errno == EFAULT, "connect((void *)1): %s",
	      strerror(errno));
	CHECK(connect(fd, (struct sockaddr *)edge, sizeof(a)) == -1 && errno == EFAULT,
	      "connect to a half-readable address: %s", strerror(errno));
	CHECK(bind(fd, bad, sizeof(a)) == -1 && errno == EFAULT, "bind((void *)1): %s",
	      strerror(errno));
	CHECK(bind(fd, (struct sockaddr *)edge, sizeof(a)) == -1 && errno == EFAULT,
	      "bind to a half-readable address: %s", strerror(errno));
	l = own_listener(&a, 8);
	CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	CHECK(accept(l, (struct sockaddr *)&got, bad) == -1 && errno == EAGAIN,
	      "accept with a bad length, none waiting: %s", strerror(errno));
	CHECK(accept4(l, (struct sockaddr *)&got, bad, 0) == -1 && errno == EAGAIN,
	      "accept4 with a bad length, none waiting: %s", strerror(errno));
	c = socket(AF_INET, SOCK_STREAM, 0);
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      connect(c2, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s", strerror(errno));
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	CHECK(poll(&p, 1, 10000) == 1, "no connection waiting on the listener");
	CHECK(accept(l, (struct sockaddr *)&got, bad) == -1 && errno == EFAULT,
	      "accept with a bad length: %s", strerror(errno));
	CHECK(accept4(l, bad, &len, 0) == -1 && errno == EFAULT, "accept4 with a bad address: %s",
	      strerror(errno));
	/* No address wanted: the kernel never looks at the length. */
	c3 = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c3, (struct sockaddr *)&a, sizeof(a)) == 0, "connect: %s", strerror(errno));
	CHECK(poll(&p, 1, 10000) == 1, "no connection waiting on the listener");
	s3 = accept(l, NULL, bad);
	CHECK(s3 >= 0, "accept with no address and a bad length: %s", strerror(errno));
	CHECK(close(s3) == 0 && close(c3) == 0, "close");
	CHECK(close(c) == 0 && close(c2) == 0 && close(l) == 0 && close(fd) == 0, "close");
	munmap(page, 8192);
}

/* A connection whose peer reset it: its ECONNRESET waits to be read. */
static int reset_by_peer(int l, const struct sockaddr_in *a)
{
	struct linger lg = { 1, 0 };
	struct pollfd p;
	int c = socket(AF_INET, SOCK_STREAM, 0), s;

	CHECK(connect(c, (const struct sockaddr *)a, sizeof(*a)) == 0, "connect: %s",
	      strerror(errno));
	s = accept(l, NULL, NULL);
	CHECK(s >= 0 && setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0 &&
	      close(s) == 0, "accept and reset: %s", strerror(errno));
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	CHECK(poll(&p, 1, 10000) == 1 && (p.revents & (POLLERR | POLLHUP)), "no reset came");
	return c;
}

/* Issue 13 item 12. Regression: dup2() onto a tracked socket peeked at it
 * before the call (to learn how its close would go), reading its pending
 * error away; when the dup2 then failed (EBADF: oldfd not open), the
 * socket stayed the program's and its next recv() returned 0, end of file,
 * instead of ECONNRESET. The same for dup3. */
static void case_dup2_fail_pending(void)
{
	struct sockaddr_in a;
	int l = own_listener(&a, 8), c, none = 4000;
	ssize_t n;
	char b;

	CHECK(fcntl(none, F_GETFD) < 0, "fd %d is open", none);
	c = reset_by_peer(l, &a);
	CHECK(dup2(none, c) == -1 && errno == EBADF, "dup2 from a closed fd: %s", strerror(errno));
	n = recv(c, &b, 1, 0);
	CHECK(n == -1 && errno == ECONNRESET, "recv after a failed dup2: %zd (%s), not ECONNRESET",
	      n, n < 0 ? strerror(errno) : "end of file");
	CHECK(close(c) == 0, "close");
	c = reset_by_peer(l, &a);
	CHECK(dup3(none, c, 0) == -1 && errno == EBADF, "dup3 from a closed fd: %s", strerror(errno));
	n = recv(c, &b, 1, 0);
	CHECK(n == -1 && errno == ECONNRESET, "recv after a failed dup3: %zd (%s), not ECONNRESET",
	      n, n < 0 ? strerror(errno) : "end of file");
	CHECK(close(c) == 0 && close(l) == 0, "close");
}

/* The number of a connection closed unseen (or by fclose, when stream)
 * comes back as make() makes something else: closing that must be a plain
 * close. When make() makes a pair, the other end sees that close at once. */
static void closed_unseen_comes_back(const char *what, int (*make)(int *), int stream)
{
	int fd = request(), two[2] = { -1, -1 }, mine, other = -1;
	struct pollfd p;
	char b;

	if (stream) {
		FILE *f = fdopen(fd, "r+");
		CHECK(f != NULL, "fdopen");
		CHECK(fclose(f) == 0, "fclose: %s", strerror(errno));
	} else {
		CHECK(close_unseen(fd) == 0, "the raw close failed");
	}
	CHECK(make(two) == 0, "%s: %s", what, strerror(errno));
	CHECK(two[0] == fd || two[1] == fd, "%s gave %d and %d, not the closed %d", what, two[0],
	      two[1], fd);
	mine = two[0] == fd ? 0 : 1;
	other = two[1 - mine];
	CHECK(close(two[mine]) == 0, "close of what %s made: %s", what, strerror(errno));
	if (other >= 0) {
		/* Held by the closer, it would read nothing until the wait runs
		 * out (a minute, as the script sets it). */
		p = (struct pollfd){ .fd = other, .events = POLLIN };
		CHECK(poll(&p, 1, 20000) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)),
		      "the other end of what %s made saw no close: the closed end is held", what);
		/* A pipe's write end reads nothing: it says POLLERR. */
		CHECK((p.revents & POLLERR) || read(other, &b, 1) == 0,
		      "the other end of what %s made reads no end of file", what);
		CHECK(close(other) == 0, "close");
	}
}

static int make_socketpair(int *two) { return socketpair(AF_UNIX, SOCK_STREAM, 0, two); }
static int make_pipe(int *two) { return pipe(two); }
static int make_file(int *two)
{
	two[0] = open("/dev/null", O_RDONLY);
	two[1] = -1;
	return two[0] >= 0 ? 0 : -1;
}

/* Issue 13 item 7. Regression: a socket closed inside glibc (fclose of an
 * fdopen'd socket) left its entry in the shim's table, trusted when the
 * number came back from socketpair(), pipe() or open(): under
 * TWSHIM_CLOSE=peer-first the closer held the UNIX socket (its peer saw no
 * end of file for the whole wait), and counted it as a TCP connection. Run
 * with peer-first and a wait of a minute. fclose is seen now; a close no
 * wrapper can see (the raw instruction) is caught by the socket's cookie. */
static void case_stale_reused(void)
{
	closed_unseen_comes_back("socketpair", make_socketpair, 1);
	closed_unseen_comes_back("socketpair", make_socketpair, 0);
	closed_unseen_comes_back("pipe", make_pipe, 0);
	closed_unseen_comes_back("open", make_file, 0);
}

/* Issue 13 item 8. Regression: a connection dup2'd to another number and
 * left open at exit() was never counted: shared, it was left to a last
 * close that the shim never sees (the kernel's, at exit). */
static void case_exit_shared_dup(void)
{
	int fd = request();

	CHECK(dup2(fd, 50) == 50, "dup2: %s", strerror(errno));
	printf("fdcases exit_shared_dup: ok\n");
	fflush(stdout);
	exit(0);
}

/* Issue 13 item 8. Regression: the same for a connection inherited by a
 * child that exited (with it open) before its parent, which then exited
 * with it open too. */
static void case_exit_shared_fork(void)
{
	int fd = request(), st;
	pid_t p = fork();

	(void)fd;
	CHECK(p >= 0, "fork: %s", strerror(errno));
	if (p == 0)
		exit(0);
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st), "the child failed");
	printf("fdcases exit_shared_fork: ok\n");
	fflush(stdout);
	exit(0);
}

/* Issue 13 item 8. Regression: the same for a connection inherited by a
 * child that outlives its parent, both exiting with it open: the child
 * waits for its parent's end (the pipe's end of file), then exits. */
static void case_exit_shared_orphan(void)
{
	int fd = request(), pp[2];
	pid_t p;
	char b;

	(void)fd;
	CHECK(pipe(pp) == 0, "pipe: %s", strerror(errno));
	p = fork();
	CHECK(p >= 0, "fork: %s", strerror(errno));
	if (p == 0) {
		close(pp[1]);
		while (read(pp[0], &b, 1) > 0)
			;
		exit(0);
	}
	close(pp[0]);
	printf("fdcases exit_shared_orphan: ok\n");
	fflush(stdout);
	exit(0);
}

/* Issue 13 item 9. Regression: a process whose first connect() came with
 * every fd in use (RLIMIT_NOFILE reached) could not read /proc/self/stat:
 * it was recorded as start time 0 and command "?", shown exited, and its
 * slot was given to the next process. The connection is made with the
 * last free fd, then the case waits (hold_for_reading) while the script
 * reads the ledger. */
static void case_fd_exhausted(void)
{
	struct rlimit rl = { 64, 64 };
	int fd, last = -1;

	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s", strerror(errno));
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fd;
	CHECK(errno == EMFILE && last >= 0, "open until EMFILE: %s", strerror(errno));
	CHECK(close(last) == 0, "close");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0, "socket: %s", strerror(errno));
	CHECK(connect(fd, (struct sockaddr *)&server, sizeof(server)) == 0, "connect: %s",
	      strerror(errno));
	CHECK(open("/dev/null", O_RDONLY) < 0 && errno == EMFILE, "an fd is free after connect");
	hold_for_reading();
	ask(fd);
	CHECK(close(fd) == 0, "close");
}

static const struct tw_case cases[] = {
	{ "errno", case_errno }, { "dup", case_dup }, { "dup2_over", case_dup2_over },
	{ "fork", case_fork }, { "stale", case_stale }, { "fclose", case_fclose },
	{ "bigfd", case_bigfd },
	{ "close_range", case_close_range }, { "signal", case_signal }, { "unread", case_unread },
	{ "shutdown_first", case_shutdown_first }, { "passive", case_passive },
	{ "shut_rd", case_shut_rd }, { "longjmp", case_longjmp }, { "dup_ended", case_dup_ended },
	{ "reset_shared", case_reset_shared }, { "close_range_einval", case_close_range_einval },
	{ "shutdown_reset", case_shutdown_reset },
	{ "shutdown_reset_read", case_shutdown_reset_read },
	{ "exit_noclose", case_exit_noclose }, { "dup2_fail", case_dup2_fail },
	{ "vfork", case_vfork }, { "dup_held", case_dup_held },
	{ "fork_accepted", case_fork_accepted }, { "cancel", case_cancel },
	{ "scm_rights", case_scm_rights }, { "scm_rights_mmsg", case_scm_rights_mmsg },
	{ "scm_rights_dup", case_scm_rights_dup }, { "scm_rights_nb", case_scm_rights_nb },
	{ "vfork_fork", case_vfork_fork }, { "vfork_exit", case_vfork_exit },
	{ "syscall", case_syscall }, { "nb_unasked", case_nb_unasked },
	{ "nb_refused", case_nb_refused }, { "bad_pointers", case_bad_pointers },
	{ "dup2_fail_pending", case_dup2_fail_pending }, { "stale_reused", case_stale_reused },
	{ "exit_shared_dup", case_exit_shared_dup }, { "exit_shared_fork", case_exit_shared_fork },
	{ "exit_shared_orphan", case_exit_shared_orphan }, { "fd_exhausted", case_fd_exhausted },
};

int main(int argc, char **argv)
{
	return cases_main("fdcases", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
