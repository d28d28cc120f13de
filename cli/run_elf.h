// SPDX-License-Identifier: MIT
/* What `twshim run` reads of a program before running it: the ELF
 * identity (class, byte order, machine), the loader it names (PT_INTERP),
 * and whether it is a Go program. The file is never trusted: every offset,
 * count and size is checked against it before it is read. */
#ifndef TW_RUN_ELF_H
#define TW_RUN_ELF_H

#include <stddef.h>
#include <stdint.h>

struct tw_elf {
	uint8_t elfclass; /* ELFCLASS32, ELFCLASS64, or what the file says */
	uint8_t data;     /* ELFDATA2LSB, ELFDATA2MSB, or what the file says */
	uint16_t machine; /* e_machine (EM_X86_64, ...), decoded in the file's byte order */
	int parsed;       /* its program headers were read (this host's byte order only) */
	int has_interp;   /* parsed, with a PT_INTERP: dynamically linked */
	char interp[256]; /* that loader's path; "" when malformed or longer */
	int go;           /* a .go.buildinfo or .note.go.buildid section */
};

/* Reads the ELF file open at fd into e. Returns 0, or -1 when it is not a
 * regular ELF file (too short, no ELF magic, unreadable). */
int tw_elf_read(int fd, struct tw_elf *e);

/* e's machine as people name it ("x86_64", "aarch64", "machine 4711"). */
const char *tw_elf_machine(const struct tw_elf *e, char *buf, size_t len);

#endif
