# SPDX-License-Identifier: MIT
# Issue 12: twshim is MIT-licensed (LICENSE), and every source file says so
# in its first line (the second after a #! line), where a packager's licence
# scanner (licensecheck, reuse lint) looks: `// SPDX-License-Identifier: MIT`
# in C, `# ...` in shell, Python, make and the rest, in the comment syntax of
# the file. A new file without it fails here, named.
. "$(dirname "$0")/lib.sh"

SRC=${TWSHIM_SRC:?TWSHIM_SRC must name the source tree}
TAG='SPDX-License-Identifier: MIT'

grep -q '^MIT License$' "$SRC/LICENSE" || fail "LICENSE is not the MIT licence"
grep -q '^Copyright (c) 2026 The twshim authors$' "$SRC/LICENSE" || fail "LICENSE: no copyright line"
# The Debian package's copyright file (DEP-5, where MIT is named Expat)
# carries the same text, from "Permission" on, as an indented paragraph.
awk '/^License: Expat$/ { text = 1; next } text && /^ / { sub(/^ /, ""); sub(/^\.$/, ""); print }' \
	"$SRC/debian/copyright" > "$TMP/copyright"
sed -n '/^Permission/,$p' "$SRC/LICENSE" | diff - "$TMP/copyright" > "$TMP/diff" ||
	fail "debian/copyright's licence text differs from LICENSE: $(cat "$TMP/diff")"

# The files: what git tracks (CI runs on a clone), else, in a tree without
# git, the source files found by kind. The ownership check is off because
# the tree's owner may be another uid than this namespace's root.
if command -v git > /dev/null &&
	git -c safe.directory='*' -C "$SRC" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	git -c safe.directory='*' -C "$SRC" ls-files > "$TMP/files"
	how="tracked by git"
else
	(cd "$SRC" && find . \( -path ./build -o -path ./.git \) -prune -o -type f \
		\( -name '*.[ch]' -o -name '*.sh' -o -name '*.py' -o -name Makefile -o -name '*.[17]' \) \
		-print | sed 's|^\./||') > "$TMP/files"
	how="found (no git)"
fi
[ -s "$TMP/files" ] || fail "no source files listed in $SRC"

# Exempt: prose and data without comments, and the two Debian files whose
# first line dpkg reads as data (the changelog's "twshim (VERSION) ...", the
# source format); debian/copyright states the licence in full. And the fuzz
# targets' seed inputs, whose every byte is input.
bad=0 n=0
while read -r f; do
	case $f in
	*.md | *.json | LICENSE | VERSION | .gitignore | debian/changelog | debian/source/format | \
	fuzz/corpus/*) continue ;;
	esac
	[ -f "$SRC/$f" ] || continue	# deleted in the work tree, not yet committed
	n=$((n + 1))
	line=$(head -n 2 "$SRC/$f")
	first=${line%%$'\n'*}
	case $first in
	'#!'*) line=${line#*$'\n'} at=2 ;;
	*) line=$first at=1 ;;
	esac
	case $f in
	*.c | *.h) want="// $TAG" ;;
	*) want="*$TAG*" ;;
	esac
	# shellcheck disable=SC2053 # $want is a pattern for the non-C files
	if [[ $line != $want ]]; then
		echo "FAIL: $f: line $at is '$line', not '${want//\*/}'" >&2
		bad=$((bad + 1))
	fi
done < "$TMP/files"
note "$n source files $how checked"
expect "files without the SPDX line" "$bad" -eq 0
