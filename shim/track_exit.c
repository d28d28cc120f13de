// SPDX-License-Identifier: MIT
/*
 * The connections a process leaves open at exit: the kernel closes them as
 * the process ends, with FIN (a policy may still set how), and each leaves
 * its TIME_WAIT here. The destructor counts them as the kernel will do them.
 */
#include "track_exit.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "activate.h"
#include "closing.h"
#include "ends.h"
#include "guard.h"
#include "slot.h"
#include "sys.h"

/*
 * Whether this exit lets go of the last copy of a shared socket: copies
 * made with dup() live in this process and end with it; one sent with
 * SCM_RIGHTS lives on where the shim cannot see. One inherited over fork
 * ends here when this process has no children left (they were reaped, and
 * their copies with them) and either made the connection (its slot counts
 * it) or outlived the process that did (whose slot says it exited). A
 * child does not count its running parent's connection, nor a parent one a
 * running child still holds: their own exit or close does. Children that
 * share one and exit in turn after their parent: the first counts it.
 */
static int last_copy_at_exit(const struct tw_fd *e, int children)
{
	struct tw_slot *owner = tw_conn_owner(e);

	if (e->flags & TW_F_SENT)
		return 0;
	if (!(e->flags & TW_F_FORKED))
		return 1;
	return !children && owner != NULL &&
	       (owner == tw_slot_acquire(TW_SLOT_EXISTING) ||
	        atomic_load(&owner->state) == TW_SLOT_EXITED);
}

static void count_at_exit(int fd, struct tw_fd *e, void *arg)
{
	struct tw_closing c;
	int children = *(int *)arg;

	if (tw_fd_kind(e) != TW_FD_TCP)
		return;
	/* Shared sockets: the last holder's close counts them, or the owner
	 * asks the kernel (handed.h); this exit may still set their policy,
	 * which acts only when the last holder lets go. When this exit is the
	 * last holder, it counts them once (the cookie says which copy came
	 * first). Regression: a socket dup2'd, or forked to a child that had
	 * exited, and left open at exit() was never counted. */
	if (e->flags & TW_F_SHARED) {
		int last = last_copy_at_exit(e, children);

		if (tw_closing_prepare(fd, e, &c, TW_LOOK_TAKING)) {
			tw_closing_decide(fd, &c, TW_DECIDE_AT_EXIT);
			if (last && c.v.state != TW_CS_NEW && c.v.state != TW_CS_LISTENING &&
			    c.cookie && tw_cookie_first(c.cookie))
				tw_closing_count(&c);
		}
		return;
	}
	/* The kernel closes the fd as the process ends: a policy may still
	 * set how (a reset, or fin-reset), but nothing can be handed over. The
	 * fd stays open for whatever runs after this destructor. */
	if (tw_closing_prepare(fd, e, &c, TW_LOOK_TAKING)) {
		tw_closing_decide(fd, &c, TW_DECIDE_AT_EXIT);
		tw_closing_finish(&c);
	}
}

/* At exit the kernel closes what the program left open: those closes are
 * active ones too (this side's FIN), and leave TIME_WAIT here. Count them
 * as the kernel will do them, leaving the fds open for it. */
void tw_count_exit_closes(void)
{
	siginfo_t si;
	int children, saved = errno;

	if (tw_inert())
		return;
	/* Any child, exited or not, that is still ours to wait for (ECHILD:
	 * none). Raw: the shim's waitid wrapper counts what children ended. */
	children = tw_syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT, NULL) == 0 ||
	           errno != ECHILD;
	errno = saved;
	tw_enter();
	tw_fd_foreach(0, ~0u, count_at_exit, &children);
	tw_leave();
}
