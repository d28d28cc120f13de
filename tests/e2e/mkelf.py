# SPDX-License-Identifier: MIT
"""Writes a minimal ELF file, enough for `twshim run` to judge: the ELF
identity, an optional PT_INTERP naming a loader, optional named sections,
a dynamic section with DT_RPATH or DT_RUNPATH, version definitions (as a
libc.so.6 has: GLIBC_2.2.5 ... GLIBC_2.x). It is never meant to run or be
loaded (no loadable segment).

mkelf.py OUT [--like FILE | --class 32|64 --machine N [--msb]]
             [--interp PATH] [--section NAME]... [--rpath DIRS] [--runpath DIRS]
             [--verdef NAME]...
  --like FILE   the class, byte order and machine of FILE (an ELF file)
  --verdef NAME the first names the file itself (libc.so.6), the others
                its versions
"""
import argparse
import struct
import sys

PT_INTERP = 3
SHT_PROGBITS, SHT_STRTAB, SHT_DYNAMIC, SHT_GNU_VERDEF = 1, 3, 6, 0x6FFFFFFD
DT_NULL, DT_RPATH, DT_RUNPATH = 0, 15, 29
VER_FLG_BASE = 1
ET_EXEC = 2


def elf_hash(name):
    h = 0
    for c in name.encode():
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


class Strings:
    """A string table: offsets of the strings added, NUL-terminated."""

    def __init__(self):
        self.data = b"\0"

    def add(self, text):
        off = len(self.data)
        self.data += text.encode() + b"\0"
        return off


def dynamic(e, is64, dynstr, a):
    """Entries of a dynamic section: the paths asked for, then DT_NULL."""
    entries = [(DT_RPATH, dynstr.add(a.rpath))] if a.rpath else []
    if a.runpath:
        entries.append((DT_RUNPATH, dynstr.add(a.runpath)))
    entries.append((DT_NULL, 0))
    return b"".join(struct.pack(e + ("qQ" if is64 else "iI"), t, v) for t, v in entries)


def verdefs(e, dynstr, names):
    """Version definitions, each with one auxiliary entry naming it (the
    same layout in both classes: Elf_Verdef 20 bytes, Elf_Verdaux 8)."""
    out = b""
    for i, name in enumerate(names):
        last = i == len(names) - 1
        out += struct.pack(e + "HHHHIII", 1, VER_FLG_BASE if i == 0 else 0, i + 1, 1,
                           elf_hash(name), 20, 0 if last else 28)
        out += struct.pack(e + "II", dynstr.add(name), 0)
    return out


def identity(a):
    if a.like:
        with open(a.like, "rb") as f:
            h = f.read(20)
        if h[:4] != b"\x7fELF":
            sys.exit(f"mkelf.py: {a.like} is not an ELF file")
        end = ">" if h[5] == 2 else "<"
        return h[4] == 2, h[5] == 2, struct.unpack(end + "H", h[18:20])[0]
    return a.elfclass == 64, a.msb, a.machine


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--like")
    ap.add_argument("--class", dest="elfclass", type=int, choices=(32, 64), default=64)
    ap.add_argument("--machine", type=int, default=62)
    ap.add_argument("--msb", action="store_true")
    ap.add_argument("--interp")
    ap.add_argument("--section", action="append", default=[])
    ap.add_argument("--rpath")
    ap.add_argument("--runpath")
    ap.add_argument("--verdef", action="append", default=[])
    a = ap.parse_args()
    is64, msb, machine = identity(a)
    e = ">" if msb else "<"
    ehsize, phsize, shsize = (64, 56, 64) if is64 else (52, 32, 40)

    phdrs, body = [], b""
    off = ehsize + (phsize if a.interp else 0)
    if a.interp:
        s = a.interp.encode() + b"\0"
        if is64:
            phdrs.append(struct.pack(e + "IIQQQQQQ", PT_INTERP, 4, off, 0, 0, len(s), len(s), 1))
        else:
            phdrs.append(struct.pack(e + "IIIIIIII", PT_INTERP, off, 0, 0, len(s), len(s), 4, 1))
        body += s

    # Sections: (name, type, contents, link to .dynstr, info).
    dynstr = Strings()
    sections = [(n, SHT_PROGBITS, b"", False, 0) for n in a.section]
    if a.rpath or a.runpath:
        sections.append((".dynamic", SHT_DYNAMIC, dynamic(e, is64, dynstr, a), True, 0))
    if a.verdef:
        sections.append((".gnu.version_d", SHT_GNU_VERDEF, verdefs(e, dynstr, a.verdef), True,
                         len(a.verdef)))
    if len(dynstr.data) > 1:
        sections.append((".dynstr", SHT_STRTAB, dynstr.data, False, 0))

    shdrs, shoff, shstrndx = [], 0, 0
    if sections:
        names = Strings()
        name_offs = [names.add(n) for n, *_ in sections]
        shstrtab_name = names.add(".shstrtab")
        dynstr_index = 1 + [n for n, *_ in sections].index(".dynstr") \
            if len(dynstr.data) > 1 else 0
        offsets = []
        for _, _, data, _, _ in sections:
            offsets.append(off + len(body))
            body += data
        strtab_off = off + len(body)
        body += names.data
        shoff = off + len(body)

        def shdr(name, typ, offset, size, link=0, info=0):
            if is64:
                return struct.pack(e + "IIQQQQIIQQ", name, typ, 0, 0, offset, size, link, info,
                                   1, 0)
            return struct.pack(e + "IIIIIIIIII", name, typ, 0, 0, offset, size, link, info, 1, 0)

        shdrs.append(shdr(0, 0, 0, 0))
        for (_, typ, data, linked, info), name, offset in zip(sections, name_offs, offsets):
            if typ == SHT_PROGBITS:
                # Named only: the contents of no interest, as before.
                shdrs.append(shdr(name, typ, strtab_off, 0))
            else:
                shdrs.append(shdr(name, typ, offset, len(data),
                                  dynstr_index if linked else 0, info))
        shdrs.append(shdr(shstrtab_name, SHT_STRTAB, strtab_off, len(names.data)))
        shstrndx = len(shdrs) - 1

    ident = b"\x7fELF" + bytes([2 if is64 else 1, 2 if msb else 1, 1]) + b"\0" * 9
    phoff = ehsize if phdrs else 0
    if is64:
        hdr = struct.pack(e + "HHIQQQIHHHHHH", ET_EXEC, machine, 1, 0, phoff, shoff, 0,
                          ehsize, phsize, len(phdrs), shsize, len(shdrs), shstrndx)
    else:
        hdr = struct.pack(e + "HHIIIIIHHHHHH", ET_EXEC, machine, 1, 0, phoff, shoff, 0,
                          ehsize, phsize, len(phdrs), shsize, len(shdrs), shstrndx)
    with open(a.out, "wb") as f:
        f.write(ident + hdr + b"".join(phdrs) + body + b"".join(shdrs))


if __name__ == "__main__":
    main()
