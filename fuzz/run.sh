#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each libFuzzer target for SECONDS from its seed corpus, one after the
# other (one core each: the machine is shared), and prints a line per target
# with the inputs it ran. Fails when any target found a crash, a leak, a
# sanitizer report or a broken property: the input is kept in
# BUILD/crashes/TARGET/ and the target's log shown (docs/fuzzing.md says
# how such an input becomes a unit test).
#   fuzz/run.sh BUILD SECONDS TARGET...
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1 seconds=$2
shift 2

# A larger input than the default 4096 bytes for the lists (4095 characters
# at most, then refused), a program's ELF headers and the ledger (a header
# and a few slots).
max_len() {
	case $1 in
	ledger) echo 131072 ;;
	scope | sources | policies | elf) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

failed=()
printf '%-10s %10s %8s  %s\n' TARGET RUNS SECONDS RESULT
for t in "$@"; do
	work=$build/corpus/$t crashes=$build/crashes/$t log=$build/logs/$t.log
	mkdir -p "$work" "$crashes" "$(dirname "$log")"
	# New inputs go to the build's corpus, seeded from the repository's:
	# the tracked seeds change only by hand.
	"$build/$t" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$crashes/" \
		"$work" "fuzz/corpus/$t" >"$log" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	# The ledger target's segment, left behind by an input that crashed it.
	rm -f "/dev/shm/fuzz-ledger.$pid"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		printf '%-10s %10s %8s  %s\n' "$t" "${runs:-?}" "${secs:-?}" ok
	else
		printf '%-10s %10s %8s  %s\n' "$t" "${runs:-?}" "${secs:-?}" "FAILED (exit $rc)"
		failed+=("$t")
		echo "--- $log (last 60 lines):"
		tail -60 "$log"
		echo "--- kept: $(ls "$crashes")"
	fi
done
if [ "${#failed[@]}" -gt 0 ]; then
	echo "fuzz: ${failed[*]} failed; reproduce with $build/TARGET $build/crashes/TARGET/FILE"
	exit 1
fi
