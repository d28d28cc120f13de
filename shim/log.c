/*
 * The log writer. Lines are formatted into a stack buffer and written with
 * the real write(2): no stdio state of the host is touched, and stdout never.
 *
 * file:PATH is opened, written and closed for each line. Keeping it open
 * would plant an fd in the host that the host may close or dup over (daemons
 * close every fd at start); then our next line would land in its data.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "guard.h"
#include "real.h"

struct tw_log_config tw_log_cfg = { .sink = TW_SINK_STDERR, .level = TW_LOG_WARN };

static const char *const level_name[] = { "error", "warning", "info", "debug" };

/* What fd 2 was when the program started. A daemon that closes its stderr
 * may find the number reused by its next open() or socket(): a line written
 * to "stderr" then lands in its data. Lines go to fd 2 only while it is the
 * file it was at the start. */
static struct { int noted, open; dev_t dev; ino_t ino; } stderr_at_start;

void tw_log_note_stderr(void)
{
	struct stat st;

	stderr_at_start.noted = 1;
	stderr_at_start.open = fstat(STDERR_FILENO, &st) == 0;
	if (stderr_at_start.open) {
		stderr_at_start.dev = st.st_dev;
		stderr_at_start.ino = st.st_ino;
	}
}

static int stderr_is_ours(void)
{
	struct stat st;

	if (!stderr_at_start.noted) /* a line before our constructor ran */
		tw_log_note_stderr();
	return stderr_at_start.open && fstat(STDERR_FILENO, &st) == 0 &&
	       st.st_dev == stderr_at_start.dev && st.st_ino == stderr_at_start.ino;
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
		if (fd >= 0) {
			if (write(fd, buf, n) < 0) {
				/* nowhere left to say it */
			}
			tw_real.close(fd);
		}
		break;
	default:
		if (stderr_is_ours() && write(STDERR_FILENO, buf, n) < 0) {
			/* stderr closed: the host does not want to hear */
		}
		break;
	}
	tw_leave();
	errno = saved;
}
