// SPDX-License-Identifier: MIT
/*
 * Who a ledger slot belongs to, and whether that process still runs: the
 * rule the shim (reclaiming slots) and the CLI (the "alive" column) share.
 *
 * A pid alone is not an identity: pids are reused. A slot keeps the pid and
 * the process's start time in clock ticks since boot (/proc/PID/stat field
 * 22), which together are.
 */
#ifndef TWSHIM_PROC_H
#define TWSHIM_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Parses the text of /proc/PID/stat: comm (up to TW_COMM_LEN-1 bytes, NUL
 * terminated), ppid and starttime. comm is inside the first '(' and the
 * last ')', and may itself hold spaces and parentheses.
 * Returns 0, or -1 when the text does not have that form.
 */
static inline int tw_parse_stat(const char *buf, size_t len, char *comm, size_t commlen,
                                int *ppid, uint64_t *start_ticks)
{
	const char *open = memchr(buf, '(', len), *close = NULL, *p;
	unsigned field = 2;
	uint64_t v;

	for (p = buf + len; p > buf; p--) {
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	}
	if (!open || !close || close < open || commlen == 0)
		return -1;
	if (comm) {
		size_t n = (size_t)(close - open - 1);
		if (n > commlen - 1)
			n = commlen - 1;
		memcpy(comm, open + 1, n);
		comm[n] = '\0';
	}
	/* fields after comm: 3 state, 4 ppid, ... 22 starttime */
	p = close + 1;
	while (p < buf + len && field < 22) {
		while (p < buf + len && *p == ' ')
			p++;
		field++;
		if (field == 4 || field == 22) {
			v = 0;
			if (p >= buf + len || *p < '0' || *p > '9')
				return -1;
			while (p < buf + len && *p >= '0' && *p <= '9')
				v = v * 10 + (uint64_t)(*p++ - '0');
			if (field == 4 && ppid)
				*ppid = (int)v;
			if (field == 22 && start_ticks)
				*start_ticks = v;
		} else {
			while (p < buf + len && *p != ' ')
				p++;
		}
	}
	return field == 22 ? 0 : -1;
}

/* Reads /proc/PID/stat (pid 0: self). Returns 0 or -1 (errno set). The fd is
 * closed with the close function given: the shim passes its real close. */
static inline int tw_read_stat(int pid, char *comm, size_t commlen, int *ppid,
                               uint64_t *start_ticks, int (*closefn)(int))
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	closefn(fd);
	if (n <= 0) {
		errno = EIO;
		return -1;
	}
	if (tw_parse_stat(buf, (size_t)n, comm, commlen, ppid, start_ticks) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * 1: the process (pid, start_ticks) runs; 0: it is gone; where /proc cannot
 * tell (hidepid, another pid namespace), or the start time is 0, unknown
 * (the process could not read its own /proc: no fd left, no /proc), signal
 * 0 answers, EPERM meaning that some process with that pid exists.
 */
static inline int tw_proc_alive(int pid, uint64_t start_ticks, int (*closefn)(int))
{
	uint64_t ticks = 0;
	int saved = errno, alive;

	if (pid <= 0)
		return 0;
	if (start_ticks == 0)
		alive = kill(pid, 0) == 0 || errno == EPERM;
	else if (tw_read_stat(pid, NULL, 1, NULL, &ticks, closefn) == 0)
		alive = ticks == start_ticks;
	else if (errno == ENOENT)
		alive = 0;
	else
		alive = kill(pid, 0) == 0 || errno == EPERM;
	errno = saved;
	return alive;
}

#endif
