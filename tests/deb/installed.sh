#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 12: the Debian package, once installed (make deb, then apt-get
# install ./build/deb/twshim_*.deb), works from its own paths and nothing
# of the build tree's: /usr/bin/twshim preloads the library from
# /usr/lib/MULTIARCH/twshim/, which still loads on glibc 2.17 although the
# package build added Debian's flags; the man pages are where man looks and
# format without a warning; and the demo's scenario (make demo: 200 ports
# exhausted, stat naming the client, doctor's critical finding, 300 of 300
# under --close fin-reset with no TIME_WAIT left) gives the results
# tests/e2e/demo.sh checks, run by the installed twshim and library, and so
# does curl's row of the compatibility matrix (tests/e2e/matrix_curl.sh).
#
# Usage: tests/deb/installed.sh [BUILD]. BUILD (default build) holds only
# the demo's two example programs, which the package ships as source. Runs
# as root (the demo's network namespace) or where unshare -rn works; .ci/run
# runs it between installing the package and removing it.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-build}" && pwd)
export TWSHIM_BUILD=$BUILD TWSHIM_SRC=$SRC
export TWSHIM_SHM=${TWSHIM_SHM:-/twshim-deb-$$}
. "$SRC/tests/e2e/lib.sh"
unset TWSHIM_LIB

command -v dpkg-query > /dev/null || fail "dpkg-query is needed (a Debian system)"
version=$(dpkg-query -W -f '${Version} ${db:Status-Status}' twshim 2> /dev/null) ||
	fail "the twshim package is not installed (make deb; apt-get install ./build/deb/twshim_*.deb)"
[ "$version" = "$(cat "$SRC/VERSION") installed" ] ||
	fail "installed twshim is '$version', this tree is $(cat "$SRC/VERSION")"
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2> /dev/null || gcc -print-multiarch)
LIB=/usr/lib/$MA/twshim/libtwshim.so
[ -x "$EX/ka_server" ] && [ -x "$EX/legacy_client" ] ||
	fail "no example programs in $EX: make, then give the build directory"

# What the package holds, as dpkg knows it.
dpkg -L twshim > "$TMP/files"
for f in /usr/bin/twshim "$LIB" /usr/share/man/man1/twshim.1.gz /usr/share/man/man7/twshim.7.gz \
	/usr/share/doc/twshim/copyright /usr/share/doc/twshim/changelog.gz \
	/usr/share/doc/twshim/CHANGELOG.md.gz /usr/share/doc/twshim/README.md.gz \
	/usr/share/doc/twshim/examples/demo.sh /usr/share/doc/twshim/examples/prometheus/rules.yml \
	/usr/share/doc/twshim/docs/design.md.gz /usr/share/bash-completion/completions/twshim; do
	grep -qx "$f" "$TMP/files" || fail "dpkg -L twshim does not list $f"
	[ -e "$f" ] || fail "$f is listed but absent"
done
echo "ok: dpkg -L twshim lists the $(grep -c . "$TMP/files") paths expected, $LIB among them"

# man finds both pages in the installed place and formats them cleanly.
for page in "1 /usr/share/man/man1/twshim.1.gz" "7 /usr/share/man/man7/twshim.7.gz"; do
	[ "$(man -w "${page% *}" twshim)" = "${page#* }" ] || fail "man -w ${page% *} twshim: $(man -w "${page% *}" twshim)"
	man --warnings -l "${page#* }" 2>&1 > /dev/null | tee "$TMP/warn"
	[ ! -s "$TMP/warn" ] || fail "man --warnings: ${page#* } has warnings"
done
echo "ok: man twshim and man 7 twshim are the installed pages, without a warning"

# The library the installed twshim chooses: the package's, by the LIBDIR
# compiled in (not beside /usr/bin, not /usr/lib/twshim).
/usr/bin/twshim run -- sh -c 'echo "$LD_PRELOAD"' > "$TMP/out" || fail "/usr/bin/twshim run failed"
[ "$(cat "$TMP/out")" = "$LIB" ] || fail "/usr/bin/twshim run preloads '$(cat "$TMP/out")', not $LIB"
echo "ok: /usr/bin/twshim run preloads $LIB"

# The scenarios, pointed at a directory whose twshim is the installed one
# (a symbolic link: /proc/self/exe is /usr/bin/twshim, so its library
# search starts from there) and whose libtwshim.so is the installed one.
INST=$TMP/installed
mkdir -p "$INST"
ln -s /usr/bin/twshim "$INST/twshim"
ln -s "$LIB" "$INST/libtwshim.so"
ln -s "$EX" "$INST/examples"
TWSHIM_BUILD=$INST TWSHIM_SHM=$TWSHIM_SHM-baseline bash "$SRC/tests/e2e/glibc_baseline.sh" ||
	fail "the installed library needs a glibc above the baseline"
TWSHIM_BUILD=$INST TWSHIM_SHM=$TWSHIM_SHM-demo bash "$SRC/tests/e2e/demo.sh" > "$TMP/demo" 2>&1 ||
	fail "the demo with the installed twshim: $(cat "$TMP/demo")"
cat "$TMP/demo"
echo "ok: the demo's scenario with /usr/bin/twshim and $LIB"

# An unmodified third-party program under the installed twshim: curl
# against a local server, observed and under each close policy (the
# compatibility matrix's rows, in namespaces of their own as the suite
# runs them). About 150 s on an idle 2-core machine; the bound leaves room
# for a loaded one (280 s measured with other builds running).
TWSHIM_BUILD=$INST TWSHIM_SHM=$TWSHIM_SHM-curl timeout 600 \
	unshare -rn -p -f -m --mount-proc --kill-child bash "$SRC/tests/e2e/matrix_curl.sh" > "$TMP/curl" 2>&1 ||
	fail "curl and wget under the installed twshim: $(cat "$TMP/curl")"
cat "$TMP/curl"
echo "ok: curl and wget under /usr/bin/twshim and $LIB"
