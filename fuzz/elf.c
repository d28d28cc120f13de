// SPDX-License-Identifier: MIT
/* The ELF headers `twshim run` reads of the program it is asked to run and
 * of the libraries it looks at (tw_elf_read, cli/run_elf.c): the loader, the
 * run paths, the glibc versions defined and needed, Go sections; any file a
 * user names, offsets, counts and sizes included. The input is the file. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "run_elf.h"

static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_elf e;
	char machine[32], version[32];

	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (tw_elf_read(fd, &e) < 0)
		return 0;
	FZ_CHECK(memchr(e.interp, '\0', sizeof(e.interp)) != NULL);
	FZ_CHECK(!e.interp[0] || (e.parsed && e.has_interp));
	FZ_CHECK(memchr(e.rpath, '\0', sizeof(e.rpath)) != NULL);
	FZ_CHECK(memchr(e.runpath, '\0', sizeof(e.runpath)) != NULL);
	tw_elf_machine(&e, machine, sizeof(machine));
	FZ_CHECK(memchr(machine, '\0', sizeof(machine)) != NULL);
	tw_glibc_str(&e.glibc_defined, version, sizeof(version));
	tw_glibc_str(&e.glibc_needed, version, sizeof(version));
	FZ_CHECK(memchr(version, '\0', sizeof(version)) != NULL);
	FZ_CHECK(tw_glibc_cmp(&e.glibc_needed, &e.glibc_needed) == 0);
	return 0;
}
