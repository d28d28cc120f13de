#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/change.sh BUILD_DIR [BASE]: what the shim in BUILD_DIR costs or saves
# against the shim built from git revision BASE (default HEAD: your
# uncommitted changes), side by side in one run.
#
# BASE's tree is exported (git archive) to a temporary directory and only
# its libtwshim.so is built there (with this tree's config.mak, if any, and
# whatever variables make was given, which reach the inner make); then
# bench/run.sh runs with BENCH_BASELINE set to it: side A preloads BASE's
# shim, side B BUILD_DIR's, both observing only, each with a ledger of its
# own. The ratio is B / A: under 1, the change saves. The temporary
# directory is removed at exit.
#
# A change's cost is a fraction of a percent where the run-to-run spread of
# `make bench` is a few percent: the defaults are more pairs than
# `make bench` takes, of the client mode only. Repeat, and swap the sides
# (check out BASE, build, and compare against the change's build with
# BENCH_BASELINE) before believing a difference under half a percent.
#
# Environment: as bench/run.sh (BENCH_BASELINE is this script's to set);
# defaults here BENCH_MODES=client BENCH_BLOCKS=2000.
set -u
export LC_ALL=C
me=bench/change.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: bench/change.sh BUILD_DIR [BASE] (BASE: a git revision, default HEAD)"
[ -d "$1" ] || die "$1: no such build directory: run make first"
build=$(cd "$1" && pwd) || die "$1: cannot enter"
rev=${2:-HEAD}
src=$(cd "$(dirname "$0")/.." && pwd)
command -v git >/dev/null || die "git not found: BASE is a git revision (Debian package git)"
git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	die "$src is not a git checkout: there is no revision to compare against"
commit=$(git -C "$src" rev-parse --verify --quiet "$rev^{commit}") ||
	die "BASE '$rev' is not a revision of $src (try HEAD, main, or a commit id)"
[ -z "${BENCH_BASELINE:-}" ] || die "BENCH_BASELINE is set: this script sets it to BASE's build"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/twshim-change.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

git -C "$src" archive "$commit" | tar -x -C "$tmp" || die "cannot export $rev ($commit) from $src"
[ ! -f "$src/config.mak" ] || cp "$src/config.mak" "$tmp/" || die "cannot copy config.mak"
printf '%s: building the shim of %s (%s) in %s\n' "$me" "$rev" "${commit:0:12}" "$tmp" >&2
# Only the library: the harness is BUILD_DIR's, the same for both sides.
make -s -C "$tmp" BUILD="$tmp/build" "$tmp/build/libtwshim.so" >"$tmp/make.log" 2>&1 || {
	sed 's/^/    /' "$tmp/make.log" >&2
	die "building $rev failed (above)"
}

BENCH_MODES=${BENCH_MODES:-client} BENCH_BLOCKS=${BENCH_BLOCKS:-2000} \
	BENCH_BASELINE="$tmp/build/libtwshim.so" "$src/bench/run.sh" "$build"
