// SPDX-License-Identifier: MIT
/* What `twshim run` reads of a program before running it: the ELF
 * identity (class, byte order, machine), the loader it names (PT_INTERP),
 * where it has the loader look for libraries first (DT_RPATH, DT_RUNPATH),
 * and whether it is a Go program; of a library, the glibc versions it
 * defines (a libc.so.6) or needs (libtwshim.so). The file is never
 * trusted: every offset, count and size is checked against it before it is
 * read. */
#ifndef TW_RUN_ELF_H
#define TW_RUN_ELF_H

#include <stddef.h>
#include <stdint.h>

/* A glibc symbol version, GLIBC_major.minor[.patch]; 0.0: none. */
struct tw_glibc {
	unsigned major, minor, patch;
};

struct tw_elf {
	uint8_t elfclass; /* ELFCLASS32, ELFCLASS64, or what the file says */
	uint8_t data;     /* ELFDATA2LSB, ELFDATA2MSB, or what the file says */
	uint16_t machine; /* e_machine (EM_X86_64, ...), decoded in the file's byte order */
	int parsed;       /* its program headers were read (this host's byte order only) */
	int has_interp;   /* parsed, with a PT_INTERP: dynamically linked */
	char interp[256]; /* that loader's path; "" when malformed or longer */
	int go;           /* a .go.buildinfo or .note.go.buildid section */
	char rpath[512];  /* DT_RPATH, DT_RUNPATH as written ($ORIGIN unexpanded); */
	char runpath[512]; /* "": none, or longer, or malformed */
	struct tw_glibc glibc_defined; /* the highest GLIBC_ version it defines */
	struct tw_glibc glibc_needed;  /* the highest GLIBC_ version it needs */
};

/* Reads the ELF file open at fd into e. Returns 0, or -1 when it is not a
 * regular ELF file (too short, no ELF magic, unreadable). */
int tw_elf_read(int fd, struct tw_elf *e);

/* <0, 0, >0 as a is older than, the same as, newer than b. */
int tw_glibc_cmp(const struct tw_glibc *a, const struct tw_glibc *b);

/* "2.17", "2.2.5". */
const char *tw_glibc_str(const struct tw_glibc *v, char *buf, size_t len);

/* e's machine as people name it ("x86_64", "aarch64", "machine 4711"). */
const char *tw_elf_machine(const struct tw_elf *e, char *buf, size_t len);

#endif
