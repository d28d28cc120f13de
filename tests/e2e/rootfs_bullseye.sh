# SPDX-License-Identifier: MIT
# Debian 11 (bullseye, glibc 2.31): the older userland old_userland.sh runs
# its programs in (issue 12). Made once with debootstrap from Debian's
# mirror and cached in the build directory, so a second run only finds it.
# test_e2e.c runs this one as real root with the host's network, in private
# mount and pid namespaces: what debootstrap mounts in the target ends with
# it, even when it is killed at its time limit.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	note "SAN=$SAN: the old userland is checked in the plain build's suite"
	exit 0
fi
R=$B/rootfs/bullseye
MIRROR=${TWSHIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -e "$R/.twshim-complete" ]; then
	note "cached: $R"
	exit 0
fi
command -v debootstrap >/dev/null ||
	fail "debootstrap is needed (Debian package debootstrap; .ci/run installs it)"

# Into a scratch directory, named complete only at the end: an interrupted
# run leaves nothing that a later one would take for a root file system.
rm -rf "$R.tmp"
mkdir -p "$(dirname "$R")"
note "debootstrap bullseye from $MIRROR into $R (once; a few minutes)"
debootstrap --variant=minbase --include=curl,python3-minimal bullseye "$R.tmp" "$MIRROR" \
	> "$TMP/debootstrap.log" 2>&1 ||
	fail "debootstrap failed (is $MIRROR reachable?): $(tail -20 "$TMP/debootstrap.log")"
touch "$R.tmp/.twshim-complete"
rm -rf "$R"
mv "$R.tmp" "$R"
note "made $R"
