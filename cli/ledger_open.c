// SPDX-License-Identifier: MIT
/*
 * Opening a ledger to read it: the reader trusts nothing it did not make.
 *
 * /dev/shm is writable by every local user, so whatever sits at a ledger's
 * name may be anything: a FIFO (an open that waits forever for a writer,
 * hanging stat, top, doctor and a Prometheus collector), a symbolic link, a
 * device, or a well-formed segment made by another user that names any
 * command and counts any figures under the name root reads by default. So
 * the open never waits nor follows a link, and before a byte is read the
 * segment must be a regular file, belong to the reading user, to root or to
 * a user named with --owner, be writable by its owner only, and have this
 * build's size, magic and layout version.
 *
 * Why the reading user or root: the shim writes a ledger as the user it
 * runs as and never counts into one that is not its own
 * (shim/segment.c), so a segment of this user's is this user's
 * programs' word, and a root-owned one was made by root, who can change
 * anything this reader sees anyway. Another user's segment says only what
 * that user chose: it is refused, with a note that names it and its owner,
 * even for root, unless the command line names that owner (--owner USER:
 * root exporting a service's ledger). A planted segment then still fails,
 * being its planter's, not the service's.
 */
#include "ledger_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "escape.h"

/* The owners --owner named, trusted besides the reader and root. */
static uid_t also[TW_LEDGER_OWNERS];
static int nalso;

int tw_ledger_trust_owner(const char *user, char *err, size_t errlen)
{
	const struct passwd *pw = getpwnam(user);
	unsigned long uid;
	char *end;

	if (pw) {
		uid = pw->pw_uid;
	} else {
		errno = 0;
		uid = strtoul(user, &end, 10);
		if (*user < '0' || *user > '9' || errno || *end || uid >= (uid_t)-1) {
			snprintf(err, errlen, "--owner: '%s' is neither a user nor a uid", user);
			return -1;
		}
	}
	if (nalso == TW_LEDGER_OWNERS) {
		snprintf(err, errlen, "--owner: at most %u owners", TW_LEDGER_OWNERS);
		return -1;
	}
	also[nalso++] = (uid_t)uid;
	return 0;
}

static int named_owner(uid_t uid)
{
	for (int i = 0; i < nalso; i++)
		if (also[i] == uid)
			return 1;
	return 0;
}

static const char *kind(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO"
	       : S_ISDIR(m)  ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISLNK(m)  ? "a symbolic link"
	                     : "not a regular file";
}

int tw_ledger_trusted(const struct stat *st, uid_t me, const char *shown, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen,
		         "ledger %s is %s, not a file: refused (a twshim ledger is a regular file "
		         "in /dev/shm; anyone may have put this there)",
		         shown, kind(st->st_mode));
		return -1;
	}
	if (st->st_uid != me && st->st_uid != 0 && !named_owner(st->st_uid)) {
		const struct passwd *pw = getpwuid(st->st_uid);
		char user[TW_ESC_LEN(32)], as[TW_ESC_LEN(32) + 8];

		if (pw) {
			tw_esc_name(user, sizeof(user), pw->pw_name);
			tw_esc_shell(as, sizeof(as), user);
		} else {
			snprintf(user, sizeof(user), "no such user");
			snprintf(as, sizeof(as), "%u", (unsigned)st->st_uid);
		}
		snprintf(err, errlen,
		         "ledger %s belongs to uid %u (%s), not to you (uid %u) or root: refused, "
		         "another user may have planted it (if it is theirs to write: --owner %s)",
		         shown, (unsigned)st->st_uid, user, (unsigned)me, as);
		return -1;
	}
	/* Group or others may write it: anyone of them could have written
	 * what it says. (An ACL granting write shows in the group bits.) */
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
		         "ledger %s has mode %03o, writable by %s: refused, anyone of them could "
		         "have written it (twshim makes its ledgers 0600)",
		         shown, (unsigned)(st->st_mode & 07777),
		         st->st_mode & S_IWOTH ? "every user" : "its group");
		return -1;
	}
	return 0;
}

int tw_ledger_open_ro(const char *name, struct tw_ledger_header *h, int *missing, char *err,
                      size_t errlen)
{
	const size_t size = sizeof(struct tw_ledger);
	char shown[TW_ESC_LEN(NAME_MAX)];
	struct stat st;
	int fd;

	*missing = 0;
	tw_esc_name(shown, sizeof(shown), name);
	/* O_NONBLOCK: a FIFO opens at once instead of waiting for a writer
	 * (and fails the check below); O_NOFOLLOW: a link is not followed. */
	fd = shm_open(name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;

		*missing = e == ENOENT;
		snprintf(err, errlen, "cannot open ledger %s: %s%s", shown, strerror(e),
		         e == ENOENT ? " (no program has run under twshim with this TWSHIM_SHM yet)"
		         : e == ELOOP ? " (it is a symbolic link: refused)"
		         : e == ENXIO ? " (it is a socket, not a file: refused)"
		                      : "");
		return -1;
	}
	if (tw_fstat(fd, &st) < 0) {
		snprintf(err, errlen, "ledger %s: fstat: %s", shown, strerror(errno));
		goto bad;
	}
	if (tw_ledger_trusted(&st, geteuid(), shown, err, errlen) < 0)
		goto bad;
	if ((size_t)st.st_size < sizeof(*h) || pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h)) {
		snprintf(err, errlen, "ledger %s is too short to be a twshim ledger", shown);
		goto bad;
	}
	if (h->magic != TW_LEDGER_MAGIC) {
		snprintf(err, errlen, "%s is not a twshim ledger (bad magic)", shown);
		goto bad;
	}
	if (h->version != TW_LEDGER_VERSION || h->total_size != size ||
	    (size_t)st.st_size != size || h->slot_size != sizeof(struct tw_slot) ||
	    h->slots != TW_SLOTS || h->dests != TW_DESTS || h->win_buckets != TW_WIN_BUCKETS ||
	    h->hist_buckets != TW_HIST_BUCKETS || h->err_count != TW_ERR_COUNT ||
	    h->win_quantum_ms != TW_WIN_QUANTUM_MS) {
		snprintf(
		    err, errlen,
		    "ledger %s has layout version %u (%lld bytes); this twshim reads version "
		    "%u (%zu bytes): use the twshim that matches the libtwshim.so that wrote it",
		    shown, h->version, (long long)st.st_size, TW_LEDGER_VERSION, size);
		goto bad;
	}
	return fd;
bad:
	close(fd);
	return -1;
}
