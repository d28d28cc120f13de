// SPDX-License-Identifier: MIT
/*
 * Tracking copies of an fd: dup, dup2, dup3, fcntl(F_DUPFD), and sending
 * one to another process (SCM_RIGHTS). A copy makes a socket shared: its
 * last holder's close is the one that ends it. dup2 and dup3 close their
 * target first, silently: that close runs the close pipeline (closing.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "activate.h"
#include "closing.h"
#include "ends.h"
#include "guard.h"
#include "log.h"
#include "ownfd.h"
#include "real.h"
#include "track.h"

/* newfd now refers to what oldfd does: both entries are marked shared. */
static void dup_entry(int oldfd, int newfd)
{
	struct tw_fd *o = tw_fd_get(oldfd), *n;
	uint32_t kind = tw_fd_kind(o);

	n = kind == TW_FD_NONE ? tw_fd_get(newfd) : tw_fd_get_alloc(newfd);
	if (!n)
		return;
	tw_conn_drop_stale(n);
	/* A copy of one of the shim's own fds is the program's: untracked. */
	if (kind == TW_FD_NONE || kind == TW_FD_HELD)
		return;
	if (kind == TW_FD_TCP)
		tw_fd_flags_set(o, TW_F_SHARED | TW_F_COPIED);
	tw_fd_publish(n, o);
}

/* A TCP socket sent with SCM_RIGHTS is held by the receiver too: marked
 * shared, as after fork. A sent message counts even when it carried no
 * bytes: a datagram or seqpacket socket delivers the fds with an empty one
 * (a stream socket drops them, and a socket wrongly taken for shared only
 * costs its close a kernel query, where the other mistake would reset the
 * receiver's connection). The kernel accepted the control data, so each
 * header fits in it; the count is bounded by what is left of the buffer
 * all the same. */
static void mark_sent(const struct msghdr *msg)
{
	if (!msg || !msg->msg_control || msg->msg_controllen == 0)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		size_t left = msg->msg_controllen - (size_t)((char *)CMSG_DATA(cm) -
		                                             (char *)msg->msg_control);
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = cm->cmsg_len - CMSG_LEN(0);
		n = (n < left ? n : left) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			struct tw_fd *e;
			int sent;

			memcpy(&sent, CMSG_DATA(cm) + i * sizeof(int), sizeof(sent));
			if (tw_fd_kind(e = tw_fd_get(sent)) == TW_FD_TCP)
				tw_fd_flags_set(e, TW_F_SHARED | TW_F_SENT);
		}
	}
}

ssize_t tw_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t rc;
	int err;

	tw_real_bind();
	rc = tw_real.sendmsg(fd, msg, flags);
	if (rc < 0 || tw_guarded() || tw_inert())
		return rc;
	err = errno;
	mark_sent(msg);
	errno = err;
	return rc;
}

/* The same for each message that went: sendmmsg returns how many did. */
int tw_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	int rc, err;

	tw_real_bind();
	rc = tw_real.sendmmsg(fd, vec, vlen, flags);
	if (rc <= 0 || !vec || tw_guarded() || tw_inert())
		return rc;
	err = errno;
	for (int i = 0; i < rc && (unsigned int)i < vlen; i++)
		mark_sent(&vec[i].msg_hdr);
	errno = err;
	return rc;
}

int tw_dup(int fd)
{
	int nfd, err;

	tw_real_bind();
	nfd = tw_real.dup(fd);
	if (nfd < 0 || tw_guarded() || tw_inert())
		return nfd;
	err = tw_begin();
	dup_entry(fd, nfd);
	tw_end(err);
	return nfd;
}

/* dup2/dup3 close newfd first, silently: that is a close like any other. */
int tw_dup3(int oldfd, int newfd, int flags, int is_dup2)
{
	struct tw_fd *e;
	struct tw_closing c;
	int rc, err, closing = 0, saved = errno;
	uint32_t kind;

	tw_real_bind();
	if (tw_guarded() || tw_inert() || oldfd == newfd)
		return is_dup2 ? tw_real.dup2(oldfd, newfd) : tw_real.dup3(oldfd, newfd, flags);
	tw_enter();
	/* From reading newfd's mark to the call (ownfd.h): the closer's start
	 * may be making newfd one of its own at this instant. */
	tw_ownfd_replacing();
	e = tw_fd_get(newfd);
	kind = e ? atomic_load(&e->kind) : TW_FD_NONE; /* sequentially consistent: ownfd.h */
	if (kind == TW_FD_HELD) {
		tw_ownfd_replaced(); /* the eviction waits for the start */
		tw_ownfd_evict(newfd);
	} else if (kind != TW_FD_NONE &&
	           (closing = tw_closing_prepare(newfd, e, &c, TW_LOOK_LEAVING))) {
		/* No policy, and no peek: what either does before the fd goes
		 * (SO_LINGER {1,0}, a copy for the closer, a pending ECONNRESET
		 * read away) cannot be undone if the call then fails (EBADF,
		 * EINVAL) and newfd stays the program's. */
		tw_closing_decide(newfd, &c, TW_DECIDE_OBSERVE);
	}
	errno = saved;
	rc = is_dup2 ? tw_real.dup2(oldfd, newfd) : tw_real.dup3(oldfd, newfd, flags);
	err = errno;
	if (kind != TW_FD_HELD) /* left above otherwise */
		tw_ownfd_replaced();
	if (rc >= 0) {
		if (closing)
			tw_closing_finish(&c);
		dup_entry(oldfd, newfd);
		if (newfd == STDERR_FILENO)
			tw_log_stderr_replaced();
	} else if (closing) {
		/* newfd was not replaced: it is still open and still ours. */
		atomic_store(&c.v.kind, TW_FD_TCP);
		tw_fd_publish(e, &c.v);
	}
	tw_end(err);
	return rc;
}

int tw_fcntl(int fd, int cmd, void *arg)
{
	int rc, err;

	tw_real_bind();
	rc = tw_real.fcntl(fd, cmd, arg);
	if (rc < 0 || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || tw_guarded() || tw_inert())
		return rc;
	err = tw_begin();
	dup_entry(fd, rc);
	tw_end(err);
	return rc;
}
