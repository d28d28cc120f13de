// SPDX-License-Identifier: MIT
/*
 * The wait family: a forking server reaping a child. The child may have
 * held the last reference to connections this process handed on when it
 * closed its copies (handed.h): they ended with it, and the kernel can say
 * how now. So each reap asks, at once, rather than at the next accept():
 * an idle server's ledger would otherwise show its last connections open
 * until a new client comes.
 */
#include <errno.h>

#include "guard.h"
#include "handed.h"
#include "activate.h"
#include "clock.h"
#include "real.h"
#include "track.h"

/* Called with what the wait returned: a pid reaped, or not. */
static void reaped(pid_t pid)
{
	int saved;

	if (pid <= 0 || tw_guarded() || tw_inert())
		return;
	saved = tw_begin();
	tw_handed_poll(tw_now_ns(), 1);
	tw_end(saved);
}

pid_t tw_wait(int *status)
{
	pid_t rc;

	tw_real_bind();
	rc = tw_real.wait(status);
	reaped(rc);
	return rc;
}

pid_t tw_waitpid(pid_t pid, int *status, int options)
{
	pid_t rc;

	tw_real_bind();
	rc = tw_real.waitpid(pid, status, options);
	reaped(rc);
	return rc;
}

pid_t tw_wait3(int *status, int options, struct rusage *ru)
{
	pid_t rc;

	tw_real_bind();
	rc = tw_real.wait3(status, options, ru);
	reaped(rc);
	return rc;
}

pid_t tw_wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	pid_t rc;

	tw_real_bind();
	rc = tw_real.wait4(pid, status, options, ru);
	reaped(rc);
	return rc;
}

/* 0 on success; si_pid says whether a child was there (WNOHANG). */
int tw_waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	int rc;

	tw_real_bind();
	rc = tw_real.waitid(type, id, info, options);
	if (rc == 0 && info && !(options & WNOWAIT))
		reaped(info->si_pid);
	return rc;
}
