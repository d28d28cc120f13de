// SPDX-License-Identifier: MIT
/*
 * The log writer. Lines are formatted into a stack buffer and written with
 * the real write(2): no stdio state of the host is touched, and stdout never.
 *
 * file:PATH is opened, written and closed for each line. Keeping it open
 * would plant an fd in the host that the host may close or dup over (daemons
 * close every fd at start); then our next line would land in its data.
 *
 * A line never raises SIGPIPE in the host (write_line). syslog() needs no
 * such care: glibc sends to /dev/log with MSG_NOSIGNAL.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "guard.h"
#include "real.h"

struct tw_log_config tw_log_cfg = { .sink = TW_SINK_STDERR, .level = TW_LOG_WARN };

static const char *const level_name[] = { "error", "warning", "info", "debug" };

/* What fd 2 is, for the shim: the file it was when the program started,
 * or the one the program put there since with dup2(), dup3() or
 * freopen(stderr). A daemon that closes its stderr may find the number
 * reused by its next open() or socket(): a line written to "stderr" then
 * lands in its data. Lines go to fd 2 only while it is that file.
 * state: 0 not noted yet, 1 noted, 2 none (closed, or a socket the program
 * put there: inetd-style, its connection). Relaxed atomics: a torn read
 * drops a line at worst. */
static struct {
	_Atomic int state;
	_Atomic dev_t dev;
	_Atomic ino_t ino;
} err_file;

static void note(int accept_socket)
{
	struct stat st;
	int ok = tw_fstat(STDERR_FILENO, &st) == 0 && (accept_socket || !S_ISSOCK(st.st_mode));

	if (ok) {
		atomic_store_explicit(&err_file.dev, st.st_dev, memory_order_relaxed);
		atomic_store_explicit(&err_file.ino, st.st_ino, memory_order_relaxed);
	}
	atomic_store_explicit(&err_file.state, ok ? 1 : 2, memory_order_release);
}

/* At start a socket is the program's stderr as given (journald's stream). */
void tw_log_note_stderr(void)
{
	note(1);
}

void tw_log_stderr_replaced(void)
{
	int saved = errno;

	note(0);
	errno = saved;
}

static int stderr_is_ours(void)
{
	struct stat st;
	int state = atomic_load_explicit(&err_file.state, memory_order_acquire);

	if (state == 0) { /* a line before our constructor ran */
		tw_log_note_stderr();
		state = atomic_load_explicit(&err_file.state, memory_order_acquire);
	}
	return state == 1 && tw_fstat(STDERR_FILENO, &st) == 0 &&
	       st.st_dev == atomic_load_explicit(&err_file.dev, memory_order_relaxed) &&
	       st.st_ino == atomic_load_explicit(&err_file.ino, memory_order_relaxed);
}

FILE *tw_freopen(const char *path, const char *mode, FILE *stream, int is64)
{
	FILE *f;

	tw_real_bind();
	f = is64 ? tw_real.freopen64(path, mode, stream) : tw_real.freopen(path, mode, stream);
	if (f == stderr && !tw_guarded())
		tw_log_stderr_replaced();
	return f;
}

/* Writes one line to fd. A pipe or socket whose reader has gone (a service
 * logging to `| logger`, an s6 or runit log pipe whose logger died) fails
 * the write with EPIPE and raises SIGPIPE in this thread: a program that
 * left SIGPIPE at its default would die of our line, one with a handler
 * would see a SIGPIPE it never caused. So SIGPIPE is blocked in this thread
 * around the write, and the one the write raised is taken back before the
 * program's mask returns. Unless one was pending already: the program
 * blocked SIGPIPE and has one of its own waiting (ours, raised on the same
 * thread, merged with it if it was this thread's; beside it if it was sent
 * to the whole process, which we cannot tell apart) and it must stay.
 * System calls only, as the write was: safe wherever the line was. */
static void write_line(int fd, const char *buf, size_t n)
{
	static const struct timespec no_wait = { 0, 0 };
	sigset_t pipe_only, old, pending;
	int was_pending, broken;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_only, &old) != 0)
		return; /* then the write could kill: say nothing */
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	broken = write(fd, buf, n) < 0 && errno == EPIPE;
	if (broken && !was_pending) {
		while (sigtimedwait(&pipe_only, NULL, &no_wait) < 0 && errno == EINTR)
			; /* another signal's handler ran: ours is still there */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void tw_log_at(enum tw_log_level level, const char *func, const char *fmt, ...)
{
	int saved = errno;
	char buf[1024];
	size_t n;
	va_list ap;
	int fd;

	if (tw_log_cfg.sink == TW_SINK_OFF)
		return;
	tw_enter();
	n = (size_t)snprintf(buf, sizeof(buf), "twshim[%s %d]: %s: ",
	                     program_invocation_short_name, (int)getpid(),
	                     level_name[level]);
	if (n < sizeof(buf)) {
		va_start(ap, fmt);
		vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
		va_end(ap);
	}
	n = strnlen(buf, sizeof(buf) - 2);
	if (tw_log_cfg.level >= TW_LOG_DEBUG)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " (%s)", func);
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';

	switch (tw_log_cfg.sink) {
	case TW_SINK_SYSLOG:
		buf[n - 1] = '\0';
		syslog((level == TW_LOG_ERROR ? LOG_ERR :
		        level == TW_LOG_WARN ? LOG_WARNING :
		        level == TW_LOG_INFO ? LOG_INFO : LOG_DEBUG) | LOG_USER,
		       "%s", buf);
		break;
	case TW_SINK_FILE:
		fd = open(tw_log_cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) { /* a FIFO, maybe */
			write_line(fd, buf, n);
			tw_real.close(fd);
		}
		break;
	default:
		/* A failed write (stderr closed, its reader gone): the host
		 * does not want to hear. */
		if (stderr_is_ours())
			write_line(STDERR_FILENO, buf, n);
		break;
	}
	tw_leave();
	errno = saved;
}
