# SPDX-License-Identifier: MIT
"""Writes a minimal ELF file, enough for `twshim run` to judge: the ELF
identity, an optional PT_INTERP naming a loader, optional named sections.
It is never meant to run (no loadable segment).

mkelf.py OUT [--like FILE | --class 32|64 --machine N [--msb]]
             [--interp PATH] [--section NAME]...
  --like FILE   the class, byte order and machine of FILE (an ELF file)
"""
import argparse
import struct
import sys

PT_INTERP = 3
SHT_PROGBITS, SHT_STRTAB = 1, 3
ET_EXEC = 2


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

    shdrs, shoff, shstrndx = [], 0, 0
    if a.section:
        names = b"\0"
        offsets = []
        for n in a.section + [".shstrtab"]:
            offsets.append(len(names))
            names += n.encode() + b"\0"
        strtab_off = off + len(body)
        body += names
        shoff = off + len(body)

        def shdr(name, typ, offset, size):
            if is64:
                return struct.pack(e + "IIQQQQIIQQ", name, typ, 0, 0, offset, size, 0, 0, 1, 0)
            return struct.pack(e + "IIIIIIIIII", name, typ, 0, 0, offset, size, 0, 0, 1, 0)

        shdrs.append(shdr(0, 0, 0, 0))
        for o in offsets[:-1]:
            shdrs.append(shdr(o, SHT_PROGBITS, strtab_off, 0))
        shdrs.append(shdr(offsets[-1], SHT_STRTAB, strtab_off, len(names)))
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
