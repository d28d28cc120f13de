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

/* Section header i: its name's place in the names section, its type,
 * where its contents are, its link and info. */
struct shdr {
	uint64_t name, type, off, size, link, info;
};

static int read_shdr(const struct file *f, int is64, const struct ehdr *h, uint64_t i,
                     struct shdr *s)
{
	uint64_t where = h->shoff + i * h->shentsize;

	if (is64) {
		Elf64_Shdr x;
		if (h->shentsize != sizeof(x) || at(f, where, &x, sizeof(x)) < 0)
			return -1;
		*s = (struct shdr){ x.sh_name, x.sh_type, x.sh_offset,
			            x.sh_size, x.sh_link, x.sh_info };
		return 0;
	}
	Elf32_Shdr x;
	if (h->shentsize != sizeof(x) || at(f, where, &x, sizeof(x)) < 0)
		return -1;
	*s = (struct shdr){ x.sh_name, x.sh_type, x.sh_offset, x.sh_size, x.sh_link, x.sh_info };
	return 0;
}

/* The string at off in the string table section tab, whole (its NUL inside
 * the section) and shorter than len; else "" and -1. */
static int string_at(const struct file *f, const struct shdr *tab, uint64_t off, char *buf,
                     size_t len)
{
	uint64_t n = len;

	buf[0] = '\0';
	if (off >= tab->size)
		return -1;
	if (n > tab->size - off)
		n = tab->size - off;
	if (at(f, tab->off + off, buf, (size_t)n) < 0 || !memchr(buf, '\0', (size_t)n)) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* The sections the Go linker writes into every binary it makes. */
static int go_section(const char *name)
{
	return strcmp(name, ".go.buildinfo") == 0 || strcmp(name, ".note.go.buildid") == 0;
}

/* "GLIBC_2.17" raises *max to 2.17, if higher. */
static void glibc_max(const char *name, struct tw_glibc *max)
{
	struct tw_glibc v = { 0, 0, 0 };
	unsigned *part[] = { &v.major, &v.minor, &v.patch };
	const char *p = name + sizeof("GLIBC_") - 1;

	if (strncmp(name, "GLIBC_", sizeof("GLIBC_") - 1) != 0)
		return;
	for (int i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return;
		while (*p >= '0' && *p <= '9' && *part[i] < 100000)
			*part[i] = *part[i] * 10 + (unsigned)(*p++ - '0');
		if (*p == '\0')
			break;
		if (*p++ != '.' || i == 2)
			return;
	}
	if (tw_glibc_cmp(&v, max) > 0)
		*max = v;
}

/* The versions a library defines (SHT_GNU_verdef: the first auxiliary
 * entry of each definition names it) or needs (SHT_GNU_verneed: each
 * auxiliary entry of each file names one), in either class: the same
 * 16- and 32-bit fields. Chains are followed for no more entries than the
 * section could hold. */
#define MAX_VERSIONS 4096

static void verdefs(const struct file *f, const struct shdr *s, const struct shdr *tab,
                    struct tw_glibc *max)
{
	uint64_t off = s->off;
	char name[64];

	for (int i = 0; i < MAX_VERSIONS && off - s->off < s->size; i++) {
		Elf64_Verdef d;
		Elf64_Verdaux a;

		if (at(f, off, &d, sizeof(d)) < 0)
			return;
		if (d.vd_cnt && at(f, off + d.vd_aux, &a, sizeof(a)) == 0 &&
		    string_at(f, tab, a.vda_name, name, sizeof(name)) == 0)
			glibc_max(name, max);
		if (!d.vd_next)
			return;
		off += d.vd_next;
	}
}

static void verneeds(const struct file *f, const struct shdr *s, const struct shdr *tab,
                     struct tw_glibc *max)
{
	uint64_t off = s->off;
	char name[64];

	for (int i = 0; i < MAX_VERSIONS && off - s->off < s->size; i++) {
		Elf64_Verneed n;
		uint64_t aux;

		if (at(f, off, &n, sizeof(n)) < 0)
			return;
		aux = off + n.vn_aux;
		for (int j = 0; j < n.vn_cnt && j < MAX_VERSIONS; j++) {
			Elf64_Vernaux a;

			if (at(f, aux, &a, sizeof(a)) < 0)
				break;
			if (string_at(f, tab, a.vna_name, name, sizeof(name)) == 0)
				glibc_max(name, max);
			if (!a.vna_next)
				break;
			aux += a.vna_next;
		}
		if (!n.vn_next)
			return;
		off += n.vn_next;
	}
}

/* DT_RPATH and DT_RUNPATH, from the dynamic section. */
static void dyn_paths(const struct file *f, int is64, const struct shdr *s,
                      const struct shdr *tab, struct tw_elf *e)
{
	uint64_t size = is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);

	if (!fits(f, s->off, s->size / size, size))
		return;
	for (uint64_t i = 0; i < s->size / size && i < MAX_VERSIONS; i++) {
		int64_t tag;
		uint64_t val;

		if (is64) {
			Elf64_Dyn d;
			if (at(f, s->off + i * size, &d, sizeof(d)) < 0)
				return;
			tag = d.d_tag, val = d.d_un.d_val;
		} else {
			Elf32_Dyn d;
			if (at(f, s->off + i * size, &d, sizeof(d)) < 0)
				return;
			tag = d.d_tag, val = d.d_un.d_val;
		}
		if (tag == DT_NULL)
			return;
		if (tag == DT_RPATH)
			string_at(f, tab, val, e->rpath, sizeof(e->rpath));
		else if (tag == DT_RUNPATH)
			string_at(f, tab, val, e->runpath, sizeof(e->runpath));
	}
}

/* Section s, by what it is: a Go section by name, or one whose strings
 * are in the section it links to. */
static void read_section(const struct file *f, int is64, const struct ehdr *h, uint64_t n,
                         const struct shdr *names, const struct shdr *s, struct tw_elf *e)
{
	char name[sizeof(".note.go.buildid")];
	struct shdr tab;

	if (string_at(f, names, s->name, name, sizeof(name)) == 0 && go_section(name))
		e->go = 1;
	if (s->type != SHT_DYNAMIC && s->type != SHT_GNU_verdef && s->type != SHT_GNU_verneed)
		return;
	if (s->link == 0 || s->link >= n || read_shdr(f, is64, h, s->link, &tab) < 0 ||
	    !fits(f, tab.off, 1, tab.size) || !fits(f, s->off, 1, s->size))
		return;
	if (s->type == SHT_DYNAMIC)
		dyn_paths(f, is64, s, &tab, e);
	else if (s->type == SHT_GNU_verdef)
		verdefs(f, s, &tab, &e->glibc_defined);
	else
		verneeds(f, s, &tab, &e->glibc_needed);
}

static void read_sections(const struct file *f, int is64, const struct ehdr *h, struct tw_elf *e)
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
	for (uint64_t i = 1; i < n; i++) {
		if (read_shdr(f, is64, h, i, &s) < 0)
			return;
		read_section(f, is64, h, n, &names, &s, e);
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
	read_sections(&f, is64, &h, e);
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

int tw_glibc_cmp(const struct tw_glibc *a, const struct tw_glibc *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return 0;
}

const char *tw_glibc_str(const struct tw_glibc *v, char *buf, size_t len)
{
	if (v->patch)
		snprintf(buf, len, "%u.%u.%u", v->major, v->minor, v->patch);
	else
		snprintf(buf, len, "%u.%u", v->major, v->minor);
	return buf;
}
