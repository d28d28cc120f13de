// SPDX-License-Identifier: MIT
/* twshim run's ELF reader (cli/run_elf.c): the identity, the loader and
 * the Go sections of real and crafted files, and files that lie about
 * their offsets, counts and sizes, which must neither crash nor be taken
 * at their word. */
#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_elf.h"

/* A little-endian 64-bit executable with a loader and three sections:
 * none, one named as asked, and the names. */
struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	char interp[32];
	Elf64_Shdr sh[3];
	char names[64];
};

static void make(struct img *m, const char *section)
{
	size_t n = strlen(section);

	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_type = ET_EXEC;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_phoff = offsetof(struct img, ph);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 1;
	m->eh.e_shoff = offsetof(struct img, sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 3;
	m->eh.e_shstrndx = 2;
	strcpy(m->interp, "/lib64/ld-linux-x86-64.so.2");
	m->ph.p_type = PT_INTERP;
	m->ph.p_offset = offsetof(struct img, interp);
	m->ph.p_filesz = strlen(m->interp) + 1;
	memcpy(m->names + 1, section, n + 1);
	memcpy(m->names + n + 2, ".shstrtab", sizeof(".shstrtab"));
	m->sh[1].sh_name = 1;
	m->sh[2].sh_name = (uint32_t)n + 2;
	m->sh[2].sh_type = SHT_STRTAB;
	m->sh[2].sh_offset = offsetof(struct img, names);
	m->sh[2].sh_size = n + 2 + sizeof(".shstrtab");
}

/* len bytes of buf as a file, read back. */
static int read_bytes(const void *buf, size_t len, struct tw_elf *e)
{
	FILE *f = tmpfile();
	int rc;

	cr_assert(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fflush(f), 0);
	rc = tw_elf_read(fileno(f), e);
	fclose(f);
	return rc;
}

static int read_img(const struct img *m, struct tw_elf *e)
{
	return read_bytes(m, sizeof(*m), e);
}

Test(run_elf, this_program)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct tw_elf e;
	const char *base;

	cr_assert_geq(fd, 0);
	cr_assert_eq(tw_elf_read(fd, &e), 0);
	close(fd);
	cr_expect_eq(e.elfclass, sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32);
	cr_expect(e.parsed && e.has_interp, "the test runner is dynamically linked");
	base = strrchr(e.interp, '/');
	cr_expect(base && strncmp(base, "/ld", 3) == 0, "loader '%s'", e.interp);
	cr_expect_not(e.go, "the test runner is no Go program");
}

Test(run_elf, go_sections_by_name)
{
	static const char *const go[] = { ".go.buildinfo", ".note.go.buildid" };
	static const char *const not_go[] = { ".go.buildinf", ".go.buildinfoX", ".note.go",
		                              ".text" };
	struct img m;
	struct tw_elf e;

	for (size_t i = 0; i < sizeof(go) / sizeof(go[0]); i++) {
		make(&m, go[i]);
		cr_assert_eq(read_img(&m, &e), 0);
		cr_expect(e.go, "%s", go[i]);
		cr_expect_str_eq(e.interp, "/lib64/ld-linux-x86-64.so.2");
		cr_expect_eq(e.machine, EM_X86_64);
	}
	for (size_t i = 0; i < sizeof(not_go) / sizeof(not_go[0]); i++) {
		make(&m, not_go[i]);
		cr_assert_eq(read_img(&m, &e), 0);
		cr_expect_not(e.go, "%s", not_go[i]);
	}
}

Test(run_elf, section_headers_that_lie)
{
	struct img m;
	struct tw_elf e;

	make(&m, ".go.buildinfo");
	m.eh.e_shstrndx = 3; /* past the last section */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	make(&m, ".go.buildinfo");
	m.sh[1].sh_name = 60; /* past the names */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	make(&m, ".go.buildinfo");
	m.sh[2].sh_size = 1 + 13; /* the name's NUL outside the names section */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	make(&m, ".go.buildinfo");
	m.sh[2].sh_offset = UINT64_MAX - 4; /* offset + name would wrap */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	make(&m, ".go.buildinfo");
	m.eh.e_shoff = sizeof(m); /* past the end of the file */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	make(&m, ".go.buildinfo");
	m.eh.e_shnum = 0xffff; /* more than the file holds */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	make(&m, ".go.buildinfo");
	m.eh.e_shnum = 0; /* extended numbering: the count in section 0 */
	m.sh[0].sh_size = 3;
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect(e.go, "the count read from section 0");
	m.sh[0].sh_size = UINT64_MAX;
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	make(&m, ".go.buildinfo");
	m.eh.e_shentsize = 40; /* not a 64-bit section header */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.go);
	cr_expect(e.has_interp, "the program headers are read all the same");
}

Test(run_elf, program_headers_that_lie)
{
	struct img m;
	struct tw_elf e;

	make(&m, ".text");
	m.ph.p_filesz = 4; /* "/lib" and no NUL */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect(e.parsed && e.has_interp);
	cr_expect_str_eq(e.interp, "", "a loader path without its NUL is not taken");
	make(&m, ".text");
	m.ph.p_filesz = 4096; /* longer than the file */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect(e.has_interp);
	cr_expect_str_eq(e.interp, "");
	make(&m, ".text");
	m.ph.p_offset = UINT64_MAX - 8;
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_str_eq(e.interp, "");
	make(&m, ".text");
	m.eh.e_phoff = UINT64_MAX - 16; /* phoff + i * phentsize would wrap */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.parsed, "no program headers read: neither static nor dynamic");
	make(&m, ".text");
	m.eh.e_phnum = 0xffff;
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.parsed);
	make(&m, ".text");
	m.eh.e_phentsize = 32;
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect_not(e.parsed);
	make(&m, ".text");
	m.ph.p_type = PT_LOAD; /* no loader: statically linked */
	cr_assert_eq(read_img(&m, &e), 0);
	cr_expect(e.parsed && !e.has_interp);
}

Test(run_elf, identity_of_other_machines)
{
	Elf32_Ehdr h32;
	unsigned char be[64] = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2MSB, EV_CURRENT };
	struct tw_elf e;
	char name[32];

	memset(&h32, 0, sizeof(h32));
	memcpy(h32.e_ident, ELFMAG, SELFMAG);
	h32.e_ident[EI_CLASS] = ELFCLASS32;
	h32.e_ident[EI_DATA] = ELFDATA2LSB;
	h32.e_machine = EM_386;
	h32.e_phentsize = sizeof(Elf32_Phdr);
	cr_assert_eq(read_bytes(&h32, sizeof(h32), &e), 0);
	cr_expect_eq(e.elfclass, ELFCLASS32);
	cr_expect_eq(e.machine, EM_386);
	cr_expect_str_eq(tw_elf_machine(&e, name, sizeof(name)), "i386");
	cr_expect(e.parsed && !e.has_interp, "no program headers: static");
	/* s390x: big-endian e_machine 22, read in the file's byte order. */
	be[18] = 0;
	be[19] = EM_S390;
	cr_assert_eq(read_bytes(be, sizeof(be), &e), 0);
	cr_expect_eq(e.data, ELFDATA2MSB);
	cr_expect_eq(e.machine, EM_S390);
	cr_expect_not(e.parsed, "the other byte order: identity only");
	e.machine = 4711;
	cr_expect_str_eq(tw_elf_machine(&e, name, sizeof(name)), "machine 4711");
}

Test(run_elf, not_elf)
{
	static const char script[] = "#!/bin/sh\necho hi\n";
	static const char magic_only[] = "\177ELF\002\001";
	struct tw_elf e;
	int fd;

	cr_expect_eq(read_bytes(script, sizeof(script) - 1, &e), -1);
	cr_expect_eq(read_bytes(magic_only, sizeof(magic_only) - 1, &e), -1, "too short");
	cr_expect_eq(read_bytes("", 0, &e), -1, "empty");
	fd = open("/", O_RDONLY | O_DIRECTORY);
	cr_assert_geq(fd, 0);
	cr_expect_eq(tw_elf_read(fd, &e), -1, "a directory");
	close(fd);
}

/* Version definitions, as a libc.so.6 has them (issue 12: twshim run
 * refuses a program whose glibc is older than the library needs): the
 * highest GLIBC_x.y[.z] counts, other names do not. */
struct ver_img {
	Elf64_Ehdr eh;
	struct {
		Elf64_Verdef d;
		Elf64_Verdaux a;
	} __attribute__((packed)) def[6];
	char strs[96];
	Elf64_Shdr sh[4]; /* none, .gnu.version_d, .dynstr, .shstrtab */
	char names[40];
};

static void make_ver(struct ver_img *m, const char *const names[6])
{
	size_t at = 1;

	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_type = ET_DYN;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_shoff = offsetof(struct ver_img, sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 4;
	m->eh.e_shstrndx = 3;
	for (int i = 0; i < 6; i++) {
		m->def[i].d.vd_version = 1;
		m->def[i].d.vd_flags = i == 0 ? VER_FLG_BASE : 0;
		m->def[i].d.vd_ndx = (Elf64_Half)(i + 1);
		m->def[i].d.vd_cnt = 1;
		m->def[i].d.vd_aux = sizeof(Elf64_Verdef);
		m->def[i].d.vd_next = i == 5 ? 0 : sizeof(m->def[0]);
		m->def[i].a.vda_name = (Elf64_Word)at;
		strcpy(m->strs + at, names[i]);
		at += strlen(names[i]) + 1;
	}
	memcpy(m->names, "\0.gnu.version_d\0.dynstr\0.shstrtab", 34);
	m->sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_GNU_verdef,
		                 .sh_offset = offsetof(struct ver_img, def),
		                 .sh_size = sizeof(m->def), .sh_link = 2, .sh_info = 6 };
	m->sh[2] = (Elf64_Shdr){ .sh_name = 16, .sh_type = SHT_STRTAB,
		                 .sh_offset = offsetof(struct ver_img, strs),
		                 .sh_size = sizeof(m->strs) };
	m->sh[3] = (Elf64_Shdr){ .sh_name = 24, .sh_type = SHT_STRTAB,
		                 .sh_offset = offsetof(struct ver_img, names),
		                 .sh_size = sizeof(m->names) };
}

static const char *const libc_names[6] = { "libc.so.6",	 "GLIBC_2.2.5",	  "GLIBC_2.12",
		                           "GLIBC_2.9",	 "GLIBC_PRIVATE", "GLIBC_2.3.4" };

Test(run_elf, glibc_versions_defined)
{
	static const char *const odd[6] = { "libc.so.6",   "GLIBC_2.12x", "GLIBCXX_3.4",
		                            "GLIBC_2.2.5", "GLIBC_2.",	  "GLIBC_.5" };
	struct ver_img m;
	struct tw_elf e;
	char v[32];

	make_ver(&m, libc_names);
	cr_assert_eq(read_bytes(&m, sizeof(m), &e), 0);
	cr_expect_str_eq(tw_glibc_str(&e.glibc_defined, v, sizeof(v)), "2.12");
	cr_expect_eq(e.glibc_needed.major, 0, "no version needs");
	make_ver(&m, odd);
	cr_assert_eq(read_bytes(&m, sizeof(m), &e), 0);
	cr_expect_str_eq(tw_glibc_str(&e.glibc_defined, v, sizeof(v)), "2.2.5",
		         "only whole GLIBC_ names count");
}

Test(run_elf, version_definitions_that_lie)
{
	struct ver_img m;
	struct tw_elf e;

	make_ver(&m, libc_names);
	m.sh[1].sh_link = 9; /* no such string table */
	cr_assert_eq(read_bytes(&m, sizeof(m), &e), 0);
	cr_expect_eq(e.glibc_defined.major, 0);
	make_ver(&m, libc_names);
	m.def[2].a.vda_name = 4000; /* past the strings: 2.12 is not read */
	cr_assert_eq(read_bytes(&m, sizeof(m), &e), 0);
	cr_expect_eq(e.glibc_defined.minor, 9);
	make_ver(&m, libc_names);
	m.def[1].d.vd_next = 0x7fffffff; /* the chain leaves the file */
	cr_assert_eq(read_bytes(&m, sizeof(m), &e), 0);
	cr_expect_eq(e.glibc_defined.minor, 2, "the first, then the chain ends");
	make_ver(&m, libc_names);
	m.def[0].d.vd_aux = 0xffffffff; /* an auxiliary entry past the end */
	m.sh[2].sh_size = 1u << 30;	/* strings larger than the file */
	cr_assert_eq(read_bytes(&m, sizeof(m), &e), 0);
	cr_expect_eq(e.glibc_defined.major, 0);
	make_ver(&m, libc_names);
	m.sh[1].sh_size = 2; /* the chain leaves the section after its first */
	cr_assert_eq(read_bytes(&m, sizeof(m), &e), 0);
	cr_expect_eq(e.glibc_defined.major, 0, "only libc.so.6's own entry is read");
}

/* This process's libc defines GLIBC_2.17, the baseline; the library built
 * beside the test runner needs no more than that. */
Test(run_elf, this_libc_and_the_library)
{
	const struct tw_glibc base = { 2, 17, 0 };
	const char *build = getenv("TWSHIM_BUILD");
	char line[512], path[512] = "", lib[512];
	FILE *maps = fopen("/proc/self/maps", "r");
	struct tw_elf e;
	int fd;

	cr_assert(maps);
	while (!path[0] && fgets(line, sizeof(line), maps)) {
		char *p = strchr(line, '/');
		if (p && strstr(p, "/libc.so.6"))
			snprintf(path, sizeof(path), "%.*s", (int)strcspn(p, "\n"), p);
	}
	fclose(maps);
	cr_assert(path[0], "libc.so.6 in /proc/self/maps");
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(tw_elf_read(fd, &e), 0);
	close(fd);
	cr_expect_geq(tw_glibc_cmp(&e.glibc_defined, &base), 0, "%s: GLIBC_%u.%u", path,
		      e.glibc_defined.major, e.glibc_defined.minor);
	if (!build)
		return;
	snprintf(lib, sizeof(lib), "%s/libtwshim.so", build);
	fd = open(lib, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", lib);
	cr_assert_eq(tw_elf_read(fd, &e), 0);
	close(fd);
	cr_expect_gt(e.glibc_needed.major, 0, "%s needs versions", lib);
	cr_expect_leq(tw_glibc_cmp(&e.glibc_needed, &base), 0, "%s: GLIBC_%u.%u", lib,
		      e.glibc_needed.major, e.glibc_needed.minor);
}

Test(run_elf, glibc_version_order)
{
	const struct tw_glibc a = { 2, 2, 5 }, b = { 2, 17, 0 }, c = { 2, 3, 0 };
	char v[32];

	cr_expect_lt(tw_glibc_cmp(&a, &b), 0);
	cr_expect_lt(tw_glibc_cmp(&a, &c), 0);
	cr_expect_gt(tw_glibc_cmp(&b, &c), 0, "17 after 3, as numbers");
	cr_expect_eq(tw_glibc_cmp(&b, &b), 0);
	cr_expect_str_eq(tw_glibc_str(&a, v, sizeof(v)), "2.2.5");
	cr_expect_str_eq(tw_glibc_str(&b, v, sizeof(v)), "2.17");
}
