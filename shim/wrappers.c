// SPDX-License-Identifier: MIT
/*
 * The exported symbols: the only code the host program calls into. Each is
 * one line; what they do is in the track_*.c files (track.h) and log.c.
 *
 * glibc (with _GNU_SOURCE) declares the sockaddr arguments as transparent
 * unions: __SOCKADDR_ARG and __CONST_SOCKADDR_ARG.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "config.h"
#include "log.h"
#include "sys.h"
#include "track.h"

#define TW_EXPORT __attribute__((visibility("default")))
#define TW_STR_(x) #x
#define TW_STR(x) TW_STR_(x)

TW_EXPORT int socket(int domain, int type, int protocol)
{
	return tw_socket(domain, type, protocol);
}

TW_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	return tw_connect(fd, addr.__sockaddr__, len);
}

TW_EXPORT int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	return tw_bind(fd, addr.__sockaddr__, len);
}

TW_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	return tw_accept(fd, addr.__sockaddr__, len, 0, 0);
}

TW_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
	return tw_accept(fd, addr.__sockaddr__, len, flags, 1);
}

TW_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return tw_setsockopt(fd, level, name, val, len);
}

TW_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return tw_getsockopt(fd, level, name, val, len);
}

TW_EXPORT int shutdown(int fd, int how)
{
	return tw_shutdown(fd, how);
}

TW_EXPORT int close(int fd)
{
	return tw_close(fd);
}

TW_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return tw_sendmsg(fd, msg, flags);
}

TW_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	return tw_sendmmsg(fd, vec, vlen, flags);
}

TW_EXPORT int dup(int fd)
{
	return tw_dup(fd);
}

TW_EXPORT int dup2(int oldfd, int newfd)
{
	return tw_dup3(oldfd, newfd, 0, 1);
}

TW_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return tw_dup3(oldfd, newfd, flags, 0);
}

/* The third argument is an int or a pointer depending on cmd; glibc itself
 * reads it as a pointer and passes it on. */
TW_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return tw_fcntl(fd, cmd, arg);
}

/* What programs built with _FILE_OFFSET_BITS=64 call. */
TW_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return tw_fcntl(fd, cmd, arg);
}

TW_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	return tw_freopen(path, mode, stream, 0);
}

TW_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	return tw_freopen(path, mode, stream, 1);
}

TW_EXPORT int fclose(FILE *stream)
{
	return tw_fclose(stream);
}

/* Not a wrapper: twshim run calls it, in a child that loaded the library
 * for it alone, to check every TWSHIM_* value before COMMAND starts. */
TW_EXPORT int twshim_check_environment(char *err, size_t errlen);
TW_EXPORT int twshim_check_environment(char *err, size_t errlen)
{
	return tw_check_environment(err, errlen);
}

TW_EXPORT pid_t wait(int *status)
{
	return tw_wait(status);
}

TW_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	return tw_waitpid(pid, status, options);
}

TW_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
	return tw_wait3(status, options, ru);
}

TW_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	return tw_wait4(pid, status, options, ru);
}

TW_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	return tw_waitid(type, id, info, options);
}

TW_EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	return tw_close_range(lo, hi, flags);
}

TW_EXPORT void closefrom(int lowfd)
{
	tw_closefrom(lowfd);
}

/*
 * syscall(): x86_64 only, where the shim has its own way to the kernel
 * (sys.c). A few instructions of assembly, as glibc's own syscall() is:
 * the number in %rdi, its arguments in the next five registers and the
 * sixth on the stack, whatever the number takes. Reading that sixth
 * argument from C (va_arg) would read past what a caller of a shorter call
 * passed; here it is read only to hand it to the kernel, as glibc does.
 * The numbers tracking wants go to tw_syscall_tracked() (their arguments,
 * at most five, are already where a C call has them); every other one is
 * the system call itself, and an error becomes -1 and errno in
 * tw_syscall_failed().
 */
#if defined(__x86_64__)
#define TW_SYS_IS(nr) "\tcmpq $" TW_STR(nr) ", %rdi\n\tje tw_syscall_tracked\n"
__asm__(".text\n"
        ".globl syscall\n"
        ".type syscall, @function\n"
        "syscall:\n"
        ".cfi_startproc\n"
        "\tendbr64\n"
        TW_SYS_IS(SYS_close)
        TW_SYS_IS(SYS_close_range)
        TW_SYS_IS(SYS_dup2)
        TW_SYS_IS(SYS_dup3)
        TW_SYS_IS(SYS_socket)
        TW_SYS_IS(SYS_connect)
        TW_SYS_IS(SYS_accept)
        TW_SYS_IS(SYS_accept4)
        TW_SYS_IS(SYS_shutdown)
        "\tmovq %rdi, %rax\n"
        "\tmovq %rsi, %rdi\n"
        "\tmovq %rdx, %rsi\n"
        "\tmovq %rcx, %rdx\n"
        "\tmovq %r8, %r10\n"
        "\tmovq %r9, %r8\n"
        "\tmovq 8(%rsp), %r9\n"
        "\tsyscall\n"
        "\tcmpq $-4095, %rax\n"
        "\tjae 1f\n"
        "\tret\n"
        "1:\n"
        "\tmovq %rax, %rdi\n"
        "\tjmp tw_syscall_failed\n"
        ".cfi_endproc\n"
        ".size syscall, .-syscall\n");
#undef TW_SYS_IS
#endif

/*
 * vfork() cannot be wrapped by a C function: the child returns through the
 * wrapper's frame, which the parent needs afterwards. So this makes the
 * system call itself, as glibc's vfork does: the return address waits in
 * %rdi, which the kernel keeps per task, and never on the shared stack.
 *
 * tw_vfork_prepare() raises this thread's guard before the call, so the
 * child, which runs on the parent's TLS, passes everything through (see
 * guard.h); tw_vfork_after() lowers it in the parent once the child has
 * exec'd or exited, and turns an error into errno. The child leaves by a
 * jump, not by ret: with a shadow stack it must not pop the entry that the
 * parent's ret will need. x86_64 only; elsewhere vfork is not interposed
 * (the limit docs/limits.md states).
 */
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        ".cfi_startproc\n"
        "\tendbr64\n"
        "\tsubq $8, %rsp\n"
        ".cfi_adjust_cfa_offset 8\n"
        "\tcall tw_vfork_prepare\n"
        "\taddq $8, %rsp\n"
        ".cfi_adjust_cfa_offset -8\n"
        "\tpopq %rdi\n"
        ".cfi_adjust_cfa_offset -8\n"
        ".cfi_register %rip, %rdi\n"
        "\tmovl $" TW_STR(SYS_vfork) ", %eax\n"
        "\tsyscall\n"
        "\ttestq %rax, %rax\n"
        "\tjnz 1f\n"
        "\tjmp *%rdi\n" /* the child */
        "1:\n"
        "\tpushq %rdi\n" /* the parent, or no child */
        ".cfi_adjust_cfa_offset 8\n"
        ".cfi_rel_offset %rip, 0\n"
        "\tsubq $8, %rsp\n"
        ".cfi_adjust_cfa_offset 8\n"
        "\tmovq %rax, %rdi\n"
        "\tcall tw_vfork_after\n"
        "\taddq $8, %rsp\n"
        ".cfi_adjust_cfa_offset -8\n"
        "\tret\n"
        ".cfi_endproc\n"
        ".size vfork, .-vfork\n");
#endif
