// SPDX-License-Identifier: MIT
/*
 * What the reader refuses before it reads a byte (cli/ledger_open.c).
 * What broke (issue 13, items 4 and 5): a FIFO at the ledger's name hung
 * stat, top, doctor and the Prometheus export in open(); a segment another
 * user planted under root's default name was read as root's own.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_read.h"

static const char *trust(mode_t mode, uid_t owner, uid_t me)
{
	static char err[512];
	struct stat st = { .st_mode = mode, .st_uid = owner };

	err[0] = '\0';
	return tw_ledger_trusted(&st, me, "/twshim.x", err, sizeof(err)) == 0 ? NULL : err;
}

Test(ledger_trust, own_or_roots_private_file_accepted)
{
	cr_expect_null(trust(S_IFREG | 0600, 1000, 1000));
	cr_expect_null(trust(S_IFREG | 0600, 0, 1000));    /* a root service's */
	cr_expect_null(trust(S_IFREG | 0644, 1000, 1000)); /* readable by others: theirs to say */
	cr_expect_null(trust(S_IFREG | 0600, 0, 0));
}

/* The FIFO (and anything else not a file) refused, named as what it is. */
Test(ledger_trust, not_a_regular_file_refused)
{
	const char *e = trust(S_IFIFO | 0666, 0, 0);

	cr_assert_not_null(e);
	cr_expect(strstr(e, "/twshim.x is a FIFO") != NULL, "%s", e);
	cr_expect_not_null(trust(S_IFCHR | 0600, 0, 0));
	cr_expect_not_null(trust(S_IFDIR | 0700, 0, 0));
	cr_expect_not_null(trust(S_IFSOCK | 0600, 0, 0));
}

/* Another user's segment: refused even for root, the note naming the
 * file and its owner. */
Test(ledger_trust, another_users_segment_refused_with_its_owner)
{
	const char *e = trust(S_IFREG | 0600, 4242, 0);

	cr_assert_not_null(e);
	cr_expect(strstr(e, "/twshim.x belongs to uid 4242") != NULL, "%s", e);
	cr_expect(strstr(e, "not to you (uid 0)") != NULL, "%s", e);
	/* How to read it anyway, if it is that user's to write. */
	cr_expect(strstr(e, "--owner ") != NULL, "%s", e);
	cr_expect_not_null(trust(S_IFREG | 0600, 1001, 1000));
}

/* --owner USER: root exporting a service's ledger names the service's
 * user; a segment of anyone else's is still refused. */
Test(ledger_trust, named_owner_accepted_others_still_refused)
{
	char err[200];

	cr_expect_not_null(trust(S_IFREG | 0600, 4242, 0));
	cr_assert_eq(tw_ledger_trust_owner("4242", err, sizeof(err)), 0, "%s", err);
	cr_expect_null(trust(S_IFREG | 0600, 4242, 0));
	cr_expect_not_null(trust(S_IFREG | 0600, 4243, 0));
	cr_expect_not_null(trust(S_IFREG | 0660, 4242, 0), "named, yet writable by its group");
	cr_expect_eq(tw_ledger_trust_owner("root", err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(tw_ledger_trust_owner("no such user, nor uid", err, sizeof(err)), -1);
	cr_expect(strstr(err, "is neither a user nor a uid") != NULL, "%s", err);
	cr_expect_eq(tw_ledger_trust_owner("-1", err, sizeof(err)), -1);
	cr_expect_eq(tw_ledger_trust_owner("4294967295", err, sizeof(err)), -1, "(uid_t)-1");
}

Test(ledger_trust, writable_by_group_or_others_refused)
{
	const char *e = trust(S_IFREG | 0620, 1000, 1000);

	cr_assert_not_null(e);
	cr_expect(strstr(e, "mode 620, writable by its group") != NULL, "%s", e);
	e = trust(S_IFREG | 0602, 0, 1000);
	cr_assert_not_null(e);
	cr_expect(strstr(e, "writable by every user") != NULL, "%s", e);
}

static char name[64];

static void setup(void)
{
	snprintf(name, sizeof(name), "/twshim-trust-%d", (int)getpid());
	shm_unlink(name);
}

static void teardown(void)
{
	char path[96];

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	unlink(path);
}

/* The open itself: a FIFO with no writer returned at once (the open
 * waited for a writer forever before O_NONBLOCK), and was refused. */
Test(ledger_trust, fifo_at_the_name_refused_without_waiting, .init = setup, .fini = teardown,
     .timeout = 10)
{
	static struct tw_snapshot snap;
	char path[96], err[512] = "";
	int missing = 1;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_eq(tw_snapshot_read(name, &snap, &missing, err, sizeof(err)), -1);
	cr_expect_eq(missing, 0);
	cr_expect(strstr(err, "is a FIFO, not a file") != NULL, "%s", err);
}

/* A symbolic link is not followed (to a file the reader may read that is
 * not a ledger, or to a FIFO elsewhere). */
Test(ledger_trust, symlink_at_the_name_not_followed, .init = setup, .fini = teardown)
{
	static struct tw_snapshot snap;
	char path[96], err[512] = "";
	int missing;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	cr_assert_eq(symlink("/etc/hostname", path), 0);
	cr_expect_eq(tw_snapshot_read(name, &snap, &missing, err, sizeof(err)), -1);
	cr_expect(strstr(err, "symbolic link") != NULL, "%s", err);
}

/* A segment name with an escape sequence reached the terminal raw in the
 * reader's own messages. */
Test(ledger_trust, name_escaped_in_messages, .init = setup, .fini = teardown)
{
	static struct tw_snapshot snap;
	char err[512] = "";
	int missing;

	cr_expect_eq(
	    tw_snapshot_read("/twshim-\x1b]0;pwned\x07", &snap, &missing, err, sizeof(err)), -1);
	cr_expect(strstr(err, "/twshim-\\x1b]0;pwned\\x07") != NULL, "%s", err);
	cr_expect(strchr(err, '\x1b') == NULL, "%s", err);
}
