# SPDX-License-Identifier: MIT
# Issue 12: libtwshim.so and the twshim command, built on a new glibc,
# must load in every x86_64 glibc userland since 2.17, so that both copied
# into an older image work there. The dynamic loader refuses an object
# that needs a symbol version its libc lacks ("version `GLIBC_2.34' not
# found"), so no import may carry a GLIBC_ version above the baseline, and
# neither may the version-needs list the loader checks before any symbol.
# How they keep to it: shim/compat.h, cli/compat.h. The command built on
# glibc 2.36 without cli/compat.h needed 2.34 (__libc_start_main, shm_open)
# and 2.33 (stat, fstat), and linked ncurses for every verb.
#
# Prints the highest GLIBC_ version each needs; fails naming every symbol
# (and every needed version) above the baseline, and any ncurses or
# terminfo library the command needs (top loads it only to draw).
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	# A sanitized shim needs the host's own sanitizer runtime: it goes
	# nowhere else, and its glibc imports are not ours to pin.
	note "SAN=$SAN: the glibc baseline applies to the plain build only"
	exit 0
fi
command -v readelf >/dev/null || fail "readelf is needed (Debian package binutils)"

BASELINE=2.17

# above VERSION: whether VERSION sorts after the baseline.
above() { [ "$1" != "$BASELINE" ] && [ "$(printf '%s\n' "$1" "$BASELINE" | sort -V | tail -1)" = "$1" ]; }

# check FILE SURE: FILE's imports and version needs at or below the
# baseline; SURE is an import FILE certainly has, versioned, so that a
# parse that found nothing cannot pass everything. Adds to $bad.
bad=0
check() {
	local file=$1 sure=$2 ver name
	# The imports: "name@GLIBC_x.y (n)" in the Name column, one per line
	# as "x.y name". A defined symbol would carry "@@"; the shim's exports
	# are unversioned (shim/libtwshim.map).
	readelf --dyn-syms -W "$file" |
		awk '{ for (i = 8; i <= NF; i++) if ($i ~ /@@?GLIBC_/) {
			split($i, a, /@@?GLIBC_/); print a[2], a[1] } }' | sort -V -u > "$TMP/syms"
	# The versions the loader checks are present before it binds any symbol.
	readelf -V -W "$file" | sed -n 's/.*Name: GLIBC_\([0-9.]*\) .*/\1/p' | sort -V -u > "$TMP/needs"
	grep -q " $sure\$" "$TMP/syms" ||
		fail "no versioned $sure among the parsed imports of $file: has readelf's format changed?"
	grep -qx '2.2.5' "$TMP/needs" || fail "GLIBC_2.2.5 not among the parsed version needs of $file"

	note "highest GLIBC_ version needed by $file: $(tail -1 "$TMP/needs")"
	while read -r ver name; do
		if above "$ver"; then
			echo "FAIL: $file: $name needs GLIBC_$ver, above the baseline GLIBC_$BASELINE" >&2
			bad=$((bad + 1))
		fi
	done < "$TMP/syms"
	while read -r ver; do
		if above "$ver" && ! grep -q "^$ver " "$TMP/syms"; then
			echo "FAIL: $file: version GLIBC_$ver is needed (no symbol names it)," \
				"above GLIBC_$BASELINE" >&2
			bad=$((bad + 1))
		fi
	done < "$TMP/needs"
}

check "$B/libtwshim.so" __errno_location
# The command's start goes through the old __libc_start_main (cli/start_compat.c).
check "$TW" __libc_start_main
expect "imports above GLIBC_$BASELINE" "$bad" -eq 0

# What the command needs at start: no ncurses, no terminfo.
readelf -d -W "$TW" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' > "$TMP/needed"
grep -qx 'libc.so.6' "$TMP/needed" || fail "libc.so.6 not among the parsed NEEDED of $TW"
note "$TW needs: $(tr '\n' ' ' < "$TMP/needed")"
expect "ncurses or terminfo libraries $TW needs" "$(grep -Ec 'ncurses|tinfo' "$TMP/needed" || true)" -eq 0
