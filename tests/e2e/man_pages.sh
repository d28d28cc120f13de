# SPDX-License-Identifier: MIT
# Issue 12: the manual an operator reads on the host, man/twshim.1 (the
# command) and man/twshim.7 (the library), formats without a warning from
# man(1) or groff, gives whatis(1) its NAME lines, and keeps up with the code:
# every option of every verb's --help, and every TWSHIM_* variable the shim
# or the command reads, is in it.
. "$(dirname "$0")/lib.sh"

SRC=${TWSHIM_SRC:?TWSHIM_SRC must name the source tree}
M1=$SRC/man/twshim.1 M7=$SRC/man/twshim.7
for tool in man groff lexgrog; do
	command -v "$tool" > /dev/null || fail "$tool is needed (Debian packages man-db, groff-base)"
done

# Formatted as man(1) does it (its preprocessors, 80 columns, UTF-8), and by
# groff with every warning on: the first finds lines it cannot break at the
# terminal's width, the second every questionable request.
MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$M1" "$M7" > /dev/null 2> "$TMP/warn" ||
	fail "man -l failed: $(cat "$TMP/warn")"
LC_ALL=C.UTF-8 groff -man -ww -z "$M1" "$M7" 2>> "$TMP/warn"
[ ! -s "$TMP/warn" ] || fail "the man pages format with warnings:
$(cat "$TMP/warn")"
echo "ok: no warning from man --warnings nor groff -ww"

# whatis(1) and apropos(1) read the NAME section through lexgrog.
lexgrog "$M1" "$M7" > "$TMP/whatis" || fail "lexgrog cannot parse NAME: $(cat "$TMP/whatis")"
grep -q '^.*twshim\.1: "twshim - ' "$TMP/whatis" || fail "twshim.1 NAME: $(cat "$TMP/whatis")"
grep -q '^.*twshim\.7: "twshim - ' "$TMP/whatis" || fail "twshim.7 NAME: $(cat "$TMP/whatis")"
echo "ok: whatis entries: $(tr '\n' ' ' < "$TMP/whatis")"

# The pages as text, as a reader sees them, one word per line.
text() { LC_ALL=C groff -man -Tascii -P-cbou "$1" 2> /dev/null | tr -s ' \t(),;.[]|' '\n\n\n\n\n\n\n\n\n'; }
text "$M1" > "$TMP/page1"
text "$M7" > "$TMP/page7"

# Each verb of `twshim --help` has its subsection, each option of its --help
# is in the page.
missing=
for verb in run stat top doctor help; do
	grep -q "^   twshim $verb" <(LC_ALL=C groff -man -Tascii -P-cbou "$M1" 2> /dev/null) ||
		missing="$missing verb:$verb"
	[ "$verb" = help ] && continue
	"$TW" "$verb" --help | grep -oE '^ +(-[a-z], )?--?[a-z][a-z-]*' |
		tr -d ' ' | tr ',' '\n' | sort -u > "$TMP/opts"
	[ -s "$TMP/opts" ] || fail "no option parsed from twshim $verb --help"
	while read -r opt; do
		grep -qx -- "$opt" "$TMP/page1" || missing="$missing $verb:$opt"
	done < "$TMP/opts"
	echo "ok: twshim.1 has $verb's $(wc -l < "$TMP/opts") options"
done
[ -z "$missing" ] || fail "not in man/twshim.1:$missing"

# Every variable the code reads ("TWSHIM_..." in a string) is in twshim.7,
# and the command's own two in twshim.1's ENVIRONMENT.
grep -ohE '"TWSHIM_[A-Z_]+' "$SRC"/shim/*.c "$SRC"/policies/*.c "$SRC"/cli/*.c "$SRC"/cli/*/*.c |
	tr -d '"' | sort -u > "$TMP/vars"
[ "$(wc -l < "$TMP/vars")" -ge 15 ] || fail "too few TWSHIM_ variables found: $(cat "$TMP/vars")"
while read -r var; do
	grep -q -- "^$var" "$TMP/page7" || missing="$missing $var"
done < "$TMP/vars"
[ -z "$missing" ] || fail "not in man/twshim.7:$missing"
for var in TWSHIM_LIB TWSHIM_SHM; do
	grep -qx -- "$var" "$TMP/page1" || fail "$var not in man/twshim.1"
done
echo "ok: twshim.7 has the $(wc -l < "$TMP/vars") TWSHIM_* variables the code reads"

# What the command and the shim print points to the pages, not to a README
# the host does not have.
for verb in "" run stat top doctor; do
	# shellcheck disable=SC2086 # no verb: the overview
	! "$TW" $verb --help | grep -q README || fail "twshim $verb --help names README"
done
# Comments (lines opening with /*, * or //) may name the README: developers
# have it.
! grep -nE 'README' "$SRC"/cli/*.c "$SRC"/cli/*/*.c "$SRC"/shim/*.c "$SRC"/policies/*.c |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' ||
	fail "a text in cli/, shim/ or policies/ points to README (above)"
echo "ok: help texts point to the man pages"
