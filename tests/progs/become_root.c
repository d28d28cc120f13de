// SPDX-License-Identifier: MIT
/*
 * become_root PROGRAM ARGS...: installed setuid root by
 * tests/e2e/setuid_exec.sh, it does what su(1) and many site helpers do:
 * becomes root for good (real, effective and saved ids 0, so the program
 * it runs has no AT_SECURE) and exec's PROGRAM with the environment it was
 * given, the invoking user's.
 */
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: become_root PROGRAM ARGS...\n");
		return 2;
	}
	if (setgroups(0, NULL) != 0 || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
		perror("become_root: setresuid");
		return 1;
	}
	execv(argv[1], argv + 1);
	perror("become_root: execv");
	return 127;
}
