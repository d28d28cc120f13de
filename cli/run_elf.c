// SPDX-License-Identifier: MIT
/*
 * twshim run's look at a program's ELF headers (run_elf.h). Both classes
 * are read, in this host's byte order only: a program of the other byte
 * order is for another machine, which its identity alone says. Whatever
 * the file claims (offsets, counts, sizes) is checked against its size,
 * without overflow, before anything is read: a header that does not fit
 * leaves the field it would have set at its default.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_elf.h"

/* Bounds past which a file is not taken at its word. */
#define MAX_PHDRS 1024
#define MAX_SHDRS 65536

struct file {
	int fd;
	uint64_t size;
};

/* The few header fields used, of either class. */
struct ehdr {
	uint64_t phoff, shoff;
	uint32_t phentsize, phnum, shentsize, shnum, shstrndx;
};

/* n entries of entsize bytes at off lie inside the file. */
static int fits(const struct file *f, uint64_t off, uint64_t n, uint64_t entsize)
{
	return off <= f->size && (entsize == 0 || n <= (f->size - off) / entsize);
}

/* Reads len bytes at off, all of them inside the file, or fails. */
static int at(const struct file *f, uint64_t off, void *buf, size_t len)
{
	if (!fits(f, off, 1, len))
		return -1;
	return pread(f->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

static int read_ehdr(const struct file *f, int is64, struct ehdr *h)
{
	if (is64) {
		Elf64_Ehdr e;
		if (at(f, 0, &e, sizeof(e)) < 0)
			return -1;
		*h = (struct ehdr){ e.e_phoff,     e.e_shoff, e.e_phentsize, e.e_phnum,
			            e.e_shentsize, e.e_shnum, e.e_shstrndx };
		return e.e_phentsize == sizeof(Elf64_Phdr) ? 0 : -1;
	}
	Elf32_Ehdr e;
	if (at(f, 0, &e, sizeof(e)) < 0)
		return -1;
	*h = (struct ehdr){ e.e_phoff,     e.e_shoff, e.e_phentsize, e.e_phnum,
		            e.e_shentsize, e.e_shnum, e.e_shstrndx };
	return e.e_phentsize == sizeof(Elf32_Phdr) ? 0 : -1;
}

/* Program header i: its type, and where its contents lie in the file. */
static int read_phdr(const struct file *f, int is64, const struct ehdr *h, uint32_t i,
                     uint32_t *type, uint64_t *off, uint64_t *size)
{
	uint64_t where = h->phoff + (uint64_t)i * h->phentsize;

	if (is64) {
		Elf64_Phdr p;
		if (at(f, where, &p, sizeof(p)) < 0)
			return -1;
		*type = p.p_type, *off = p.p_offset, *size = p.p_filesz;
		return 0;
	}
	Elf32_Phdr p;
	if (at(f, where, &p, sizeof(p)) < 0)
		return -1;
	*type = p.p_type, *off = p.p_offset, *size = p.p_filesz;
	return 0;
}

/* PT_INTERP holds the loader's path and its terminating NUL. */
static void read_interp(const struct file *f, uint64_t off, uint64_t size, struct tw_elf *e)
{
	e->has_interp = 1;
	if (size < 2 || size > sizeof(e->interp) || at(f, off, e->interp, (size_t)size) < 0 ||
	    memchr(e->interp, '\0', (size_t)size) == NULL)
		e->interp[0] = '\0';
}

static void read_phdrs(const struct file *f, int is64, const struct ehdr *h, struct tw_elf *e)
{
	if (h->phnum > MAX_PHDRS || !fits(f, h->phoff, h->phnum, h->phentsize))
		return;
	for (uint32_t i = 0; i < h->phnum; i++) {
		uint32_t type;
		uint64_t off, size;
		if (read_phdr(f, is64, h, i, &type, &off, &size) < 0)
			return;
		if (type == PT_INTERP) {
			read_interp(f, off, size, e);
			break;
		}
	}
	e->parsed = 1;
}

/* Section header i: where its name is in the names section, where its
 * contents are, and its link (section 0 keeps extended counts there). */
struct shdr {
	uint64_t name, off, size, link;
};

static int read_shdr(const struct file *f, int is64, const struct ehdr *h, uint64_t i,
                     struct shdr *s)
{
	uint64_t where = h->shoff + i * h->shentsize;

	if (is64) {
		Elf64_Shdr x;
		if (h->shentsize != sizeof(x) || at(f, where, &x, sizeof(x)) < 0)
			return -1;
		*s = (struct shdr){ x.sh_name, x.sh_offset, x.sh_size, x.sh_link };
		return 0;
	}
	Elf32_Shdr x;
	if (h->shentsize != sizeof(x) || at(f, where, &x, sizeof(x)) < 0)
		return -1;
	*s = (struct shdr){ x.sh_name, x.sh_offset, x.sh_size, x.sh_link };
	return 0;
}

/* The sections the Go linker writes into every binary it makes. A name
 * counts only with its NUL inside the names section. */
static int go_section(const struct file *f, const struct shdr *names, uint64_t name)
{
	char s[sizeof(".note.go.buildid")];
	uint64_t n = sizeof(s);

	if (name >= names->size)
		return 0;
	if (n > names->size - name)
		n = names->size - name;
	if (at(f, names->off + name, s, (size_t)n) < 0 || !memchr(s, '\0', (size_t)n))
		return 0;
	return strcmp(s, ".go.buildinfo") == 0 || strcmp(s, ".note.go.buildid") == 0;
}

static void find_go(const struct file *f, int is64, const struct ehdr *h, struct tw_elf *e)
{
	uint64_t n = h->shnum, strndx = h->shstrndx;
	struct shdr s, names;

	if (!h->shoff)
		return;
	/* Extended numbering: the real count and index are in section 0. */
	if (n == 0 || strndx == SHN_XINDEX) {
		if (read_shdr(f, is64, h, 0, &s) < 0)
			return;
		n = n ? n : s.size;
		strndx = strndx == SHN_XINDEX ? s.link : strndx;
	}
	if (n > MAX_SHDRS || strndx >= n || !fits(f, h->shoff, n, h->shentsize) ||
	    read_shdr(f, is64, h, strndx, &names) < 0 || !fits(f, names.off, 1, names.size))
		return;
	for (uint64_t i = 1; i < n && !e->go; i++) {
		if (read_shdr(f, is64, h, i, &s) < 0)
			return;
		e->go = go_section(f, &names, s.name);
	}
}

static int host_data(void)
{
	return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
}

int tw_elf_read(int fd, struct tw_elf *e)
{
	/* e_ident, e_type and e_machine: the same offsets in both classes. */
	unsigned char id[EI_NIDENT + 4];
	struct file f = { fd, 0 };
	struct ehdr h;
	struct stat st;
	int is64;

	memset(e, 0, sizeof(*e));
	if (tw_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	f.size = (uint64_t)st.st_size;
	if (at(&f, 0, id, sizeof(id)) < 0 || memcmp(id, ELFMAG, SELFMAG) != 0)
		return -1;
	e->elfclass = id[EI_CLASS];
	e->data = id[EI_DATA];
	e->machine =
	    (uint16_t)(e->data == ELFDATA2MSB ? id[EI_NIDENT + 2] << 8 | id[EI_NIDENT + 3]
	                                      : id[EI_NIDENT + 3] << 8 | id[EI_NIDENT + 2]);
	is64 = e->elfclass == ELFCLASS64;
	if ((!is64 && e->elfclass != ELFCLASS32) || e->data != host_data() ||
	    read_ehdr(&f, is64, &h) < 0)
		return 0;
	read_phdrs(&f, is64, &h, e);
	find_go(&f, is64, &h, e);
	return 0;
}

const char *tw_elf_machine(const struct tw_elf *e, char *buf, size_t len)
{
	static const struct {
		uint16_t em;
		const char *name;
	} names[] = {
		{ EM_X86_64, "x86_64" },   { EM_386, "i386" },    { EM_AARCH64, "aarch64" },
		{ EM_ARM, "arm" },         { EM_RISCV, "riscv" }, { EM_PPC64, "ppc64" },
		{ EM_PPC, "ppc" },         { EM_S390, "s390" },   { EM_MIPS, "mips" },
		{ EM_SPARCV9, "sparc64" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].em == e->machine) {
			snprintf(buf, len, "%s", names[i].name);
			return buf;
		}
	snprintf(buf, len, "machine %u", e->machine);
	return buf;
}
