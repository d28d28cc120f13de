// SPDX-License-Identifier: MIT
/*
 * __libc_start_main at the glibc baseline (cli/compat.h). The start files
 * of glibc 2.34 and later call __libc_start_main@GLIBC_2.34 with no init
 * function, and that libc runs the program's constructors itself; a libc
 * before 2.34 has only __libc_start_main@GLIBC_2.2.5, which runs only the
 * init function it is given (the program's own __libc_csu_init, linked in
 * from libc_nonshared.a until 2.34). The Makefile links the command with
 * --wrap=__libc_start_main, so that the start files call this function,
 * which calls the 2.2.5 version, on any glibc, with an init function doing
 * what __libc_csu_init did. Both versions call a given init function and
 * leave the constructors to it; the destructors stay the loader's (_dl_fini
 * runs the program's, on any version), so fini passes through unchanged:
 * a fini running them too would run them twice on an old glibc.
 *
 * Only the twshim command is linked so, not the test runner.
 */
#include <stddef.h>

#if defined(__x86_64__) && !defined(__ILP32__)

typedef int tw_main_fn(int, char **, char **);
typedef void tw_init_fn(int, char **, char **);

/* The start files' _init (crti.o), and the linker's bounds of the
 * program's own .init_array (DT_PREINIT_ARRAY is the loader's, always). */
extern void _init(void);
extern tw_init_fn *__init_array_start[] __attribute__((visibility("hidden")));
extern tw_init_fn *__init_array_end[] __attribute__((visibility("hidden")));

int tw_libc_start_main(tw_main_fn *main_fn, int argc, char **argv, tw_init_fn *init,
		       void (*fini)(void), void (*rtld_fini)(void), void *stack_end);
__asm__(".symver tw_libc_start_main, __libc_start_main@GLIBC_2.2.5");

int __wrap___libc_start_main(tw_main_fn *main_fn, int argc, char **argv, tw_init_fn *init,
			     void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

static void tw_csu_init(int argc, char **argv, char **envp)
{
	_init();
	for (tw_init_fn **f = __init_array_start; f < __init_array_end; f++)
		(*f)(argc, argv, envp);
}

int __wrap___libc_start_main(tw_main_fn *main_fn, int argc, char **argv, tw_init_fn *init,
			     void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	return tw_libc_start_main(main_fn, argc, argv, init ? init : tw_csu_init, fini, rtld_fini,
				  stack_end);
}

#else
/* Elsewhere the build host's glibc is the baseline: straight through. */
int __real___libc_start_main(int (*main_fn)(int, char **, char **), int argc, char **argv,
			     void (*init)(int, char **, char **), void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end);
int __wrap___libc_start_main(int (*main_fn)(int, char **, char **), int argc, char **argv,
			     void (*init)(int, char **, char **), void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end);

int __wrap___libc_start_main(int (*main_fn)(int, char **, char **), int argc, char **argv,
			     void (*init)(int, char **, char **), void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end)
{
	return __real___libc_start_main(main_fn, argc, argv, init, fini, rtld_fini, stack_end);
}
#endif
