#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The shim's architecture, checked from what was built (HACKING.md, "Layers"):
#  - no cycle between the files of shim/ and policies/: file A depends on B
#    when A's object uses a symbol that B's object defines (nm);
#  - no file in shim/ or policies/ over 400 lines;
#  - a policy includes, of the shim, only policies/services.h (and headers of
#    policies/ itself).
# Usage: tests/arch/layers.sh [-v] BUILD   (-v: print every dependency too)
# Exit 0 when all three hold; 1 with each violation named.
set -eu

verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
build=${1:?usage: layers.sh [-v] BUILD}
src=$(cd "$(dirname "$0")/../.." && pwd)
pic=$build/pic
[ -d "$pic/shim" ] || { echo "layers: no objects in $pic/shim: run make first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# The objects of today's sources (a build dir may hold a removed file's).
objs=$(cd "$src" && for c in shim/*.c policies/*.c; do echo "${c%.c}"; done)
# "symbol file" for every global symbol an object defines, and one it needs.
for f in $objs; do
	nm --defined-only --extern-only "$pic/$f.o" | awk -v f="$f" 'NF == 3 { print $3, f }'
done | sort -u >"$tmp/defs"
for f in $objs; do
	nm --undefined-only "$pic/$f.o" | awk -v f="$f" '{ print $2, f }'
done | sort -u >"$tmp/uses"
# "user definer" pairs, one per dependency between two files.
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3 }' | sort -u >"$tmp/edges"
if [ "$verbose" = 1 ]; then
	join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2 " -> " $3 ": " $1 }' | sort
fi
# tsort names the files of each cycle it has to break.
if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/loops"; then
	echo "layers: files that call each other in a loop (each block is one loop):"
	sed -n 's/^tsort: [^:]*: input contains a loop:$/  --/p; s/^tsort: \([a-z_/]*\)$/  \1/p' \
		"$tmp/loops"
	fail=1
fi

cd "$src"
for f in shim/*.[ch] policies/*.[ch]; do
	n=$(wc -l <"$f")
	if [ "$n" -gt 400 ]; then
		echo "layers: $f has $n lines (400 at most: split it by idea)"
		fail=1
	fi
done

# A policy sees the shim through services.h only (which is the door: it
# includes the shim headers it names). Any spelling of an include counts
# (<x.h> finds shim/x.h through -Ishim as well); system headers and the
# public include/twshim/ ones are not the shim's.
for f in policies/*.[ch]; do
	[ "$f" = policies/services.h ] && continue
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p' "$f" |
		while read -r h; do
			if [ ! -f "policies/$h" ] && [ -f "shim/$h" ]; then
				echo "layers: $f includes the shim's $h (policies use services.h)"
			fi
		done
done >"$tmp/includes"
if [ -s "$tmp/includes" ]; then
	cat "$tmp/includes"
	fail=1
fi

[ "$fail" = 0 ] && echo "layers: $(wc -l <"$tmp/edges") dependencies between $(
	cut -d' ' -f2 "$tmp/defs" | sort -u | wc -l) files, no cycle; every file within 400 lines"
exit "$fail"
