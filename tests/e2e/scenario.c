// SPDX-License-Identifier: MIT
/*
 * Each scenario runs as pid 1 of new user, pid, mount and network
 * namespaces (unshare -rn -p -f -m --mount-proc --kill-child): the
 * processes, veth pairs and namespaces it makes die with it, even when it
 * is killed at its time limit. The few that need real root (a second user,
 * setuid files) get the same without the user namespace; one that fetches
 * (debootstrap) also keeps the host's network. LD_PRELOAD is set by the scenario only in
 * the environment of the programs it runs under the shim, never here.
 */
#include "scenario.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every ledger the scenario may have left: its name and NAME-*. */
static void remove_ledgers(const char *shm)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	size_t n = strlen(shm + 1);

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, shm + 1, n) == 0 &&
		    (e->d_name[n] == '\0' || e->d_name[n] == '-')) {
			char name[300];
			snprintf(name, sizeof(name), "/%s", e->d_name);
			shm_unlink(name);
		}
	}
	if (d)
		closedir(d);
}

/* The scenario's output, its last 60 KiB if longer (a static buffer: the
 * failing assertion ends the test before anything could be freed). */
static const char *slurp(const char *path)
{
	static char buf[60 * 1024];
	FILE *f = fopen(path, "r");
	size_t n = 0;
	long size;

	buf[0] = '\0';
	if (!f)
		return "(no output)";
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void run(const char *name, int timeout_s, const char *const *env, int userns, int host_net)
{
	const char *src = getenv("TWSHIM_SRC"), *build = getenv("TWSHIM_BUILD");
	char script[512], shm[128], out[] = "/tmp/twshim-e2e-XXXXXX", secs[16];
	const char *argv[16];
	int fd, status, n = 0;
	pid_t pid;
	const char *text;

	cr_assert(src && build, "run through `make test`: TWSHIM_SRC and TWSHIM_BUILD unset");
	snprintf(script, sizeof(script), "%s/tests/e2e/%s.sh", src, name);
	snprintf(shm, sizeof(shm), "/twshim-e2e-%s-%d", name, (int)getpid());
	snprintf(secs, sizeof(secs), "%d", timeout_s);
	fd = mkstemp(out);
	cr_assert_geq(fd, 0);

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("TWSHIM_SHM", shm, 1);
		for (; env && *env; env++)
			putenv((char *)*env);
		argv[n++] = "timeout";
		argv[n++] = "-k";
		argv[n++] = "5";
		argv[n++] = secs;
		argv[n++] = "unshare";
		if (userns)
			argv[n++] = "-r";
		if (!host_net)
			argv[n++] = "-n";
		argv[n++] = "-p";
		argv[n++] = "-f";
		argv[n++] = "-m";
		argv[n++] = "--mount-proc";
		argv[n++] = "--kill-child";
		argv[n++] = "bash";
		argv[n++] = script;
		argv[n] = NULL;
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd);
	waitpid(pid, &status, 0);
	remove_ledgers(shm);
	text = slurp(out);
	unlink(out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 124)
		cr_assert_fail("scenario %s: killed after %d s\n%s", name, timeout_s, text);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	          "scenario %s failed (status %d):\n%s", name, status, text);
}

void tw_scenario(const char *name, int timeout_s, const char *const *env)
{
	run(name, timeout_s, env, 1, 0);
}

void tw_scenario_root(const char *name, int timeout_s, const char *const *env)
{
	if (geteuid() != 0)
		cr_skip_test("scenario %s needs real root (CI runs as root): skipped", name);
	run(name, timeout_s, env, 0, 0);
}

void tw_scenario_root_online(const char *name, int timeout_s, const char *const *env)
{
	if (geteuid() != 0)
		cr_skip_test("scenario %s needs real root (CI runs as root): skipped", name);
	run(name, timeout_s, env, 0, 1);
}
