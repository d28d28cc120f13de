// SPDX-License-Identifier: MIT
/*
 * The log writer. Lines are formatted into a stack buffer and written with
 * the real write(2): no stdio state of the host is touched, and stdout never.
 *
 * file:PATH is opened, written and closed for each line. Keeping it open
 * would plant an fd in the host that the host may close or dup over (daemons
 * close every fd at start); then our next line would land in its data. A
 * path that is not a regular file of this user's or root's is refused, once,
 * and the lines go to stderr (open_file).
 *
 * Every line is one line: control characters in it (a value's newline) are
 * escaped (escape).
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
 * Relaxed atomics: a torn read drops a line at worst. */
enum err_state {
	ERR_UNNOTED = 0, /* not noted yet: a line before our constructor ran */
	ERR_NOTED,       /* dev and ino are the file's */
	ERR_NONE,        /* closed, or a socket the program put there (inetd-style:
	                  * its connection) */
};
static struct {
	_Atomic int state; /* enum err_state */
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
	atomic_store_explicit(&err_file.state, ok ? ERR_NOTED : ERR_NONE, memory_order_release);
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

	if (state == ERR_UNNOTED) {
		tw_log_note_stderr();
		state = atomic_load_explicit(&err_file.state, memory_order_acquire);
	}
	return state == ERR_NOTED && tw_fstat(STDERR_FILENO, &st) == 0 &&
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

/* Copies src into dst (dstlen > 0), each control character escaped (\n,
 * \r, \t as such, the others and DEL as \xNN): a value with a newline in
 * it must not make a second line, one that could pass for another
 * program's (log injection). Bytes from 0x80 up pass as they are (UTF-8).
 * Truncates before an escape that does not fit whole. Returns the length
 * written. */
static size_t escape(char *dst, size_t dstlen, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *src; src++) {
		unsigned char c = (unsigned char)*src;
		char e[4];
		size_t k = 2;

		e[0] = '\\';
		if (c >= 0x20 && c != 0x7f) {
			e[0] = (char)c;
			k = 1;
		} else if (c == '\n') {
			e[1] = 'n';
		} else if (c == '\r') {
			e[1] = 'r';
		} else if (c == '\t') {
			e[1] = 't';
		} else {
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			k = 4;
		}
		if (n + k >= dstlen)
			break;
		memcpy(dst + n, e, k);
		n += k;
	}
	dst[n] = '\0';
	return n;
}

/* One line, tagged, escaped, ending in its only newline. Returns its length. */
static size_t __attribute__((format(printf, 5, 0)))
vformat(char *buf, size_t len, enum tw_log_level level, const char *func, const char *fmt,
        va_list ap)
{
	char raw[1024];
	size_t n;

	n = (size_t)snprintf(raw, sizeof(raw), "twshim[%s %d]: %s: ",
	                     program_invocation_short_name, (int)getpid(), level_name[level]);
	if (n < sizeof(raw))
		vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
	n = strnlen(raw, sizeof(raw) - 1);
	if (tw_log_cfg.level >= TW_LOG_DEBUG)
		snprintf(raw + n, sizeof(raw) - n, " (%s)", func);
	n = escape(buf, len - 1, raw);
	buf[n++] = '\n';
	return n;
}

static __attribute__((format(printf, 5, 6))) size_t
format(char *buf, size_t len, enum tw_log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = vformat(buf, len, level, func, fmt, ap);
	va_end(ap);
	return n;
}

static void to_stderr(const char *buf, size_t n)
{
	/* A failed write (stderr closed, its reader gone): the host does
	 * not want to hear. */
	if (stderr_is_ours())
		write_line(STDERR_FILENO, buf, n);
}

/* TWSHIM_LOG=file:PATH, opened for one line. HAZARD: the path is the
 * environment's, and the program may run as root: another user may have
 * put a symbolic link there (to a file of root's), a FIFO (an open for
 * writing blocks until someone reads: the program would hang in our log
 * line), a hard link, or a file of theirs (to read our lines). Hence
 * O_NOFOLLOW and O_NONBLOCK (a FIFO without a reader fails at once with
 * ENXIO), and only a regular file of this user's or root's with one link
 * is written. O_NONBLOCK stays: it changes nothing for a regular file.
 * Returns the fd, or -1 with why in why. */
static int open_file(char *why, size_t len)
{
	struct stat st;
	int fd = open(tw_log_cfg.path,
	              O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(why, len, "%s",
		         errno == ELOOP ? "it is a symbolic link" :
		         errno == ENXIO ? "it is a FIFO or socket, not a regular file" :
		         strerror(errno));
		return -1;
	}
	if (tw_fstat(fd, &st) < 0)
		snprintf(why, len, "fstat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, len, "it is %s, not a regular file",
		         S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a device" :
		         S_ISSOCK(st.st_mode) ? "a socket" : "no regular file");
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		snprintf(why, len, "it belongs to uid %u, not to this user (uid %u) or root",
		         (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_nlink != 1)
		snprintf(why, len, "it has %lu hard links", (unsigned long)st.st_nlink);
	else
		return fd;
	tw_real.close(fd);
	return -1;
}

/* The file refused: one line saying so on stderr, and stderr from then on. */
static _Atomic int file_refused;

static __attribute__((noinline, cold)) void refuse_file(const char *why)
{
	char buf[1024];
	size_t n;

	if (atomic_exchange(&file_refused, 1))
		return;
	n = format(buf, sizeof(buf), TW_LOG_ERROR, __func__,
	           "TWSHIM_LOG=file:%s refused: %s; logging to stderr instead", tw_log_cfg.path,
	           why);
	to_stderr(buf, n);
}

void tw_log_at(enum tw_log_level level, const char *func, const char *fmt, ...)
{
	enum tw_log_sink sink = tw_log_cfg.sink;
	char buf[1024], why[128];
	size_t n;
	va_list ap;
	int fd, saved;

	if (sink == TW_SINK_OFF)
		return;
	saved = tw_begin();
	va_start(ap, fmt);
	n = vformat(buf, sizeof(buf), level, func, fmt, ap);
	va_end(ap);
	if (sink == TW_SINK_FILE && atomic_load(&file_refused))
		sink = TW_SINK_STDERR;

	switch (sink) {
	case TW_SINK_SYSLOG:
		buf[n - 1] = '\0';
		syslog((level == TW_LOG_ERROR ? LOG_ERR :
		        level == TW_LOG_WARN ? LOG_WARNING :
		        level == TW_LOG_INFO ? LOG_INFO : LOG_DEBUG) | LOG_USER,
		       "%s", buf);
		break;
	case TW_SINK_FILE:
		fd = open_file(why, sizeof(why));
		if (fd >= 0) {
			write_line(fd, buf, n);
			tw_real.close(fd);
			break;
		}
		refuse_file(why);
		to_stderr(buf, n);
		break;
	default:
		to_stderr(buf, n);
		break;
	}
	tw_end(saved);
}
