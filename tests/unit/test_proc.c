// SPDX-License-Identifier: MIT
/* /proc/PID/stat parsing: the identity of a slot's process. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "twshim/proc.h"

Test(proc, comm_with_spaces_and_parens)
{
	const char *s = "4242 (a) b (c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
	                "987654 1000 100 18446744073709551615";
	char comm[16];
	uint64_t ticks = 0;
	int ppid = 0;

	cr_assert_eq(tw_parse_stat(s, strlen(s), comm, sizeof(comm), &ppid, &ticks), 0);
	cr_expect_str_eq(comm, "a) b (c");
	cr_expect_eq(ppid, 17);
	cr_expect_eq(ticks, 987654);
}

Test(proc, truncated_or_garbage_rejected)
{
	const char *a = "4242 (x) S 1 2 3";
	const char *b = "no parens here";
	char comm[16];

	cr_expect_eq(tw_parse_stat(a, strlen(a), comm, sizeof(comm), NULL, NULL), -1);
	cr_expect_eq(tw_parse_stat(b, strlen(b), comm, sizeof(comm), NULL, NULL), -1);
}

Test(proc, self_is_alive_and_reaped_child_is_not)
{
	uint64_t ticks = 0;
	pid_t child;

	cr_assert_eq(tw_read_stat(0, NULL, 1, NULL, &ticks, close), 0);
	cr_expect(tw_proc_alive(getpid(), ticks, close));
	/* Same pid, another start time: a reused pid is another process. */
	cr_expect_not(tw_proc_alive(getpid(), ticks + 1, close));
	/* Start time 0, unknown (the process could not read its /proc): the
	 * pid answers. Regression: read as another start time, so exited. */
	cr_expect(tw_proc_alive(getpid(), 0, close));
	child = fork();
	if (child == 0)
		_exit(0);
	cr_assert_gt(child, 0);
	waitpid(child, NULL, 0);
	cr_expect_not(tw_proc_alive(child, 0, close));
}
