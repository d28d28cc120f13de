#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/doctor.sh BUILD_DIR: how long `twshim doctor` takes over 100,000
# TIME_WAIT entries, against `ss -tan state time-wait | wc -l` on the same
# entries, side by side in one run.
#
# In a network namespace of its own (unshare -rn; as root without user
# namespaces, unshare -n), BUILD_DIR/bench/tw_fill leaves BENCH_TW entries
# on 127.0.0.1 (they last 60 s: the measurement must end well before).
# Then, for BENCH_ROUNDS rounds in ABBA order, it times `twshim doctor
# --json` and ss, and reports each one's median and the ratio doctor / ss;
# it also checks that both counted the same entries. Nothing is asserted on
# timings: exit 0 when every run ran and the counts agree, 1 otherwise.
#
# Environment:
#   BENCH_TW=N       TIME_WAIT entries to make (default 100000, at most 131072:
#                    tcp_max_tw_buckets drops the rest)
#   BENCH_ROUNDS=N   rounds (default 11)
set -u
export PATH=$PATH:/usr/sbin:/sbin LC_ALL=C
me=bench/doctor.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: bench/doctor.sh BUILD_DIR (e.g. build)"
build=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such build directory: run make first"
[ -x "$build/twshim" ] && [ -x "$build/bench/tw_fill" ] || die "$build: twshim or bench/tw_fill missing: run make"
command -v ss > /dev/null || die "ss not found (Debian package iproute2)"
n=${BENCH_TW:-100000}
[[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 131072 ] || die "BENCH_TW='$n' is not a count from 1 to 131072"
rounds=${BENCH_ROUNDS:-11}
[[ $rounds =~ ^[1-9][0-9]?$ ]] || die "BENCH_ROUNDS='$rounds' is not a number of rounds from 1 to 99"

if [ -z "${_TWSHIM_DOCTOR_NETNS:-}" ]; then
	. "$(dirname "$0")/ns.sh"
	bench_ns -n ||
		die "cannot make a network namespace (unshare -rn failed); the entries must be made in one of our own"
	_TWSHIM_DOCTOR_NETNS=1 exec "${ns[@]}" -- "$BASH" "$0" "$@"
fi

# ---- inside the namespace ----
ip link set lo up || die "cannot bring lo up in the namespace"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/twshim-doctor-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
now_ns() { date +%s%N; }

t0=$(now_ns)
"$build/bench/tw_fill" "$n" || die "tw_fill could not make $n entries"
t1=$(now_ns)
# No ledger: doctor reads the kernel and host settings only, as on a host
# where nothing runs under twshim yet.
export TWSHIM_SHM=/twshim-doctor-bench-none-$$

declare -a td ts
for ((r = 0; r < rounds; r++)); do
	for side in $( ((r % 2)) && echo "ss doctor" || echo "doctor ss"); do
		a=$(now_ns)
		if [ "$side" = doctor ]; then
			"$build/twshim" doctor --json > "$tmp/doctor.json"
			rc=$?
			[ $rc -eq 0 ] || [ $rc -eq 3 ] || die "twshim doctor failed (exit $rc)"
		else
			ss -tan state time-wait | wc -l > "$tmp/ss.count" || die "ss failed"
		fi
		b=$(now_ns)
		if [ "$side" = doctor ]; then td+=($(( (b - a) / 1000 ))); else ts+=($(( (b - a) / 1000 ))); fi
	done
done
t2=$(now_ns)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
md=$(median "${td[@]}")
ms=$(median "${ts[@]}")
tw_doctor=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['kernel']['time_wait'])" \
	"$tmp/doctor.json") || die "doctor --json did not parse"
tw_ss=$(( $(cat "$tmp/ss.count") - 1 )) # ss prints a header line

printf 'twshim doctor over %d TIME_WAIT entries (made in %.1f s by tw_fill), %d rounds, ABBA\n' \
	"$n" "$(awk -v d=$((t1 - t0)) 'BEGIN { print d / 1e9 }')" "$rounds"
printf '  %-40s %10s\n' "command" "median ms"
printf '  %-40s %10.1f\n' "twshim doctor --json" "$(awk -v u="$md" 'BEGIN { print u / 1000 }')"
printf '  %-40s %10.1f\n' "ss -tan state time-wait | wc -l" "$(awk -v u="$ms" 'BEGIN { print u / 1000 }')"
printf '  ratio doctor / ss: %.2f\n' "$(awk -v a="$md" -v b="$ms" 'BEGIN { print a / b }')"
printf '  entries counted: doctor %s, ss %s (the last %.1f s of their 60)\n' "$tw_doctor" "$tw_ss" \
	"$(awk -v d=$((t2 - t1)) 'BEGIN { print d / 1e9 }')"
[ "$tw_doctor" = "$tw_ss" ] || die "doctor counted $tw_doctor TIME_WAIT entries, ss $tw_ss"
