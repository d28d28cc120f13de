// SPDX-License-Identifier: MIT
/*
 * The segment itself: created private, refused when someone else's, and
 * read defensively by the CLI (never trusting what is in it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger_read.h"
#include "clock.h"
#include "count.h"
#include "segment.h"
#include "slot.h"

static char name[64];

static void setup(void)
{
	snprintf(name, sizeof(name), "/twshim-unit-%d", (int)getpid());
	shm_unlink(name);
	tw_ledger = NULL;
}

static void teardown(void)
{
	if (tw_ledger)
		munmap(tw_ledger, sizeof(*tw_ledger));
	tw_ledger = NULL;
	shm_unlink(name);
}

Test(ledger_io, created_private_and_read_back, .init = setup, .fini = teardown)
{
	static struct tw_snapshot snap;
	char err[512] = "", path[128];
	struct stat st;
	int missing = 1;

	cr_assert_eq(tw_ledger_open(name, err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);

	struct tw_slot *s = &tw_ledger->slots[tw_slot_claim(tw_ledger, getpid(), 1, 1, "t\x01x", 0, 1)];
	struct tw_addr key = { .family = 6, .port = 443, .addr = { [15] = 1 } };
	int d = tw_dest_find(s, TW_DEST_OUT, &key);
	tw_count_connect(s, d, EADDRNOTAVAIL, 4000);
	tw_count_connect(s, d, 0, 20);

	cr_assert_eq(tw_snapshot_read(name, &snap, &missing, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(missing, 0);
	cr_assert_eq(snap.nprocs, 1);
	cr_expect_str_eq(snap.procs[0].comm, "t\\x01x"); /* control bytes never reach a terminal */
	cr_expect_eq(snap.procs[0].c.connects, 1);
	cr_expect_eq(snap.procs[0].c.connect_errors[TW_ERR_EADDRNOTAVAIL], 1);
	cr_assert_eq(snap.procs[0].ndests, 1);
	cr_expect_str_eq(snap.procs[0].dests[0].addr, "[::1]:443");
}

/* A slot still LIVE whose process is gone ended unseen: its open
 * connections are what the kernel closed, kept apart as open_at_exit. An
 * EXITED slot's process was seen to exit, and one that ended unseen with
 * nothing open missed nothing: both are exited, nothing left open. */
Test(ledger_io, vanished_and_exited_told_apart, .init = setup, .fini = teardown)
{
	static struct tw_snapshot snap;
	char err[512] = "";
	struct tw_addr key = { .family = 4, .port = 8080, .addr = { 127, 0, 0, 1 } };
	int missing = 1;

	cr_assert_eq(tw_ledger_open(name, err, sizeof(err)), 0, "%s", err);
	/* Our pid with a start time that is not ours: a process now gone. */
	struct tw_slot *v = &tw_ledger->slots[tw_slot_claim(tw_ledger, getpid(), 1, 1, "killed", 0, 1)];
	struct tw_slot *x = &tw_ledger->slots[tw_slot_claim(tw_ledger, getpid(), 1, 2, "exited", 0, 1)];
	struct tw_slot *z = &tw_ledger->slots[tw_slot_claim(tw_ledger, getpid(), 1, 3, "quiet", 0, 1)];
	int dv = tw_dest_find(v, TW_DEST_OUT, &key), dx = tw_dest_find(x, TW_DEST_OUT, &key);

	for (int i = 0; i < 3; i++) {
		tw_count_connect(v, dv, 0, 20);
		tw_count_open(v, dv, 1);
		tw_count_connect(x, dx, 0, 20);
		tw_count_open(x, dx, 1);
	}
	atomic_store(&x->state, TW_SLOT_EXITED);
	/* Gone unseen (still LIVE), its one connection closed before. */
	tw_count_connect(z, -1, 0, 20);
	tw_count_open(z, -1, 1);
	tw_count_open(z, -1, -1);

	cr_assert_eq(tw_snapshot_read(name, &snap, &missing, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(snap.nprocs, 3);
	for (int i = 0; i < 3; i++) {
		const struct tw_snap_proc *p = &snap.procs[i];
		int vanished = strcmp(p->comm, "killed") == 0;

		cr_expect_eq(p->alive, 0);
		cr_expect_eq(p->vanished, vanished, "%s", p->comm);
		cr_expect_str_eq(p->state, vanished ? "vanished" : "exited");
		cr_expect_eq(p->c.open_now, 0, "%s", p->comm);
		cr_expect_eq(p->c.open_at_exit, vanished ? 3 : 0, "%s", p->comm);
		if (strcmp(p->comm, "quiet") == 0)
			continue;
		cr_assert_eq(p->ndests, 1);
		cr_expect_eq(p->dests[0].c.open_now, 0);
		cr_expect_eq(p->dests[0].c.open_at_exit, vanished ? 3 : 0, "%s", p->comm);
	}
}

Test(ledger_io, missing_ledger_said_plainly, .init = setup, .fini = teardown)
{
	static struct tw_snapshot snap;
	char err[512] = "";
	int missing = 0;

	cr_assert_eq(tw_snapshot_read(name, &snap, &missing, err, sizeof(err)), -1);
	cr_expect_eq(missing, 1);
	cr_expect(strstr(err, name) != NULL, "%s", err);
}

static void corrupt(size_t off, const void *bytes, size_t n)
{
	int fd = shm_open(name, O_RDWR, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	close(fd);
}

Test(ledger_io, foreign_layout_refused_by_both_sides, .init = setup, .fini = teardown)
{
	static struct tw_snapshot snap;
	uint32_t v2 = 99;
	char err[512] = "";
	int missing;

	cr_assert_eq(tw_ledger_open(name, err, sizeof(err)), 0, "%s", err);
	munmap(tw_ledger, sizeof(*tw_ledger));
	tw_ledger = NULL;
	corrupt(offsetof(struct tw_ledger_header, version), &v2, sizeof(v2));

	cr_expect_eq(tw_snapshot_read(name, &snap, &missing, err, sizeof(err)), -1);
	cr_expect(strstr(err, "layout version 99") != NULL, "%s", err);
	cr_expect_eq(tw_ledger_open(name, err, sizeof(err)), TW_LEDGER_UNUSABLE);
	cr_expect(strstr(err, "layout version 99") != NULL, "%s", err);
	cr_expect(strstr(err, "TWSHIM_SHM") != NULL, "%s", err);

	corrupt(0, "garbage!", 8);
	cr_expect_eq(tw_snapshot_read(name, &snap, &missing, err, sizeof(err)), -1);
	cr_expect(strstr(err, "not a twshim ledger") != NULL, "%s", err);
}

Test(ledger_io, segment_others_can_write_is_refused, .init = setup, .fini = teardown)
{
	char err[512] = "";
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);

	cr_assert_geq(fd, 0);
	fchmod(fd, 0666);
	close(fd);
	cr_expect_eq(tw_ledger_open(name, err, sizeof(err)), TW_LEDGER_UNUSABLE);
	cr_expect(strstr(err, "mode 666") != NULL, "%s", err);
}

/* Issue 13 item 10: what another user can put under the name (a FIFO, a
 * segment of theirs) is "unavailable", which TWSHIM_STRICT=1 does not stop
 * a program for, not "unusable" (this user's own segment gone wrong). */
Test(ledger_io, planted_fifo_is_unavailable, .init = setup, .fini = teardown)
{
	char err[512] = "", path[128];

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	cr_assert_eq(mkfifo(path, 0666), 0, "mkfifo: %s", strerror(errno));
	cr_expect_eq(tw_ledger_open(name, err, sizeof(err)), TW_LEDGER_UNAVAILABLE, "%s", err);
	cr_expect(strstr(err, "no regular file") != NULL, "%s", err);
	cr_expect_null(tw_ledger);
}

Test(ledger_io, segment_of_another_user_is_unavailable, .init = setup, .fini = teardown)
{
	char err[512] = "";
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root, to give a segment to another user");
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)sizeof(struct tw_ledger)), 0);
	cr_assert_eq(fchown(fd, 65534, 65534), 0, "fchown: %s", strerror(errno));
	close(fd);
	cr_expect_eq(tw_ledger_open(name, err, sizeof(err)), TW_LEDGER_UNAVAILABLE, "%s", err);
	cr_expect(strstr(err, "uid 65534") != NULL, "%s", err);
	cr_expect_null(tw_ledger);
}

/*
 * A fold adds an exited slot's counts into its command's aggregate and
 * then gives the slot away. A copy of the segment taken across it counted
 * the folded process twice (the slot copied before, the aggregate after):
 * per command, stat --prometheus showed a counter rising, then falling on
 * the next scrape, which Prometheus reads as a reset. The reader now tells
 * such a copy by the slot's generation or claiming state, and reads again.
 */
Test(ledger_io, copy_across_a_fold_is_noticed, .init = setup, .fini = teardown)
{
	struct tw_ledger *copy = malloc(sizeof(*copy));
	char err[512] = "";
	int fd, i;

	cr_assert(copy);
	cr_assert_eq(tw_ledger_open(name, err, sizeof(err)), 0, "%s", err);
	i = tw_slot_claim(tw_ledger, getpid(), 1, 1, "curl", 0, 1);
	fd = shm_open(name, O_RDONLY, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, copy, sizeof(*copy), 0), (ssize_t)sizeof(*copy));
	cr_expect_eq(tw_ledger_moved(fd, copy), 0, "nothing moved");

	/* The slot claimed for a fold: its counts may be in the aggregate now. */
	atomic_store(&tw_ledger->slots[i].state, TW_SLOT_CLAIMING);
	cr_expect_eq(tw_ledger_moved(fd, copy), 1, "slot claiming after the copy");
	/* ... and given to another process. */
	atomic_fetch_add(&tw_ledger->slots[i].generation, 1);
	atomic_store(&tw_ledger->slots[i].state, TW_SLOT_LIVE);
	cr_expect_eq(tw_ledger_moved(fd, copy), 1, "slot of a new generation");
	/* Copied while claiming: the fold may not have reached the aggregate. */
	cr_assert_eq(pread(fd, copy, sizeof(*copy), 0), (ssize_t)sizeof(*copy));
	cr_expect_eq(tw_ledger_moved(fd, copy), 0);
	atomic_store(&copy->slots[i].state, TW_SLOT_CLAIMING);
	cr_expect_eq(tw_ledger_moved(fd, copy), 1, "slot claiming in the copy");
	/* A process exiting moves nothing. */
	cr_assert_eq(pread(fd, copy, sizeof(*copy), 0), (ssize_t)sizeof(*copy));
	atomic_store(&tw_ledger->slots[i].state, TW_SLOT_EXITED);
	cr_expect_eq(tw_ledger_moved(fd, copy), 0, "an exit is no fold");
	close(fd);
	free(copy);
}
