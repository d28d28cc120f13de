# SPDX-License-Identifier: MIT
# Issue 12: libtwshim.so, built on a new glibc, must load in every x86_64
# glibc userland since 2.17. The dynamic loader refuses a library that
# needs a symbol version its libc lacks ("version `GLIBC_2.34' not found"),
# so no import may carry a GLIBC_ version above the baseline, and neither
# may the version-needs list the loader checks before any symbol. How the
# shim keeps to it: shim/compat.h.
#
# Prints the highest GLIBC_ version the library needs; fails naming every
# symbol (and every needed version) above the baseline.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	# A sanitized shim needs the host's own sanitizer runtime: it goes
	# nowhere else, and its glibc imports are not ours to pin.
	note "SAN=$SAN: the glibc baseline applies to the plain build only"
	exit 0
fi
command -v readelf >/dev/null || fail "readelf is needed (Debian package binutils)"

BASELINE=2.17
LIB=$B/libtwshim.so

# above VERSION: whether VERSION sorts after the baseline.
above() { [ "$1" != "$BASELINE" ] && [ "$(printf '%s\n' "$1" "$BASELINE" | sort -V | tail -1)" = "$1" ]; }

# The imports: "name@GLIBC_x.y (n)" in the Name column, one per line as
# "x.y name". A defined symbol would carry "@@"; the shim's exports are
# unversioned (shim/libtwshim.map).
readelf --dyn-syms -W "$LIB" |
	awk '{ for (i = 8; i <= NF; i++) if ($i ~ /@@?GLIBC_/) {
		split($i, a, /@@?GLIBC_/); print a[2], a[1] } }' | sort -V -u > "$TMP/syms"
# The versions the loader checks are present before it binds any symbol.
readelf -V -W "$LIB" | sed -n 's/.*Name: GLIBC_\([0-9.]*\) .*/\1/p' | sort -V -u > "$TMP/needs"

# A parse that found nothing would pass everything: the shim certainly
# imports __errno_location, versioned, and needs GLIBC_2.2.5.
grep -q ' __errno_location$' "$TMP/syms" ||
	fail "no versioned __errno_location among the parsed imports: has readelf's format changed?"
grep -qx '2.2.5' "$TMP/needs" || fail "GLIBC_2.2.5 not among the parsed version needs"

note "highest GLIBC_ version needed by $LIB: $(tail -1 "$TMP/needs")"
bad=0
while read -r ver name; do
	if above "$ver"; then
		echo "FAIL: $name needs GLIBC_$ver, above the baseline GLIBC_$BASELINE" >&2
		bad=$((bad + 1))
	fi
done < "$TMP/syms"
while read -r ver; do
	if above "$ver" && ! grep -q "^$ver " "$TMP/syms"; then
		echo "FAIL: version GLIBC_$ver is needed (no symbol names it), above GLIBC_$BASELINE" >&2
		bad=$((bad + 1))
	fi
done < "$TMP/needs"
expect "imports above GLIBC_$BASELINE" "$bad" -eq 0
