# SPDX-License-Identifier: MIT
# `make bench` keeps working: bench/run.sh, with a few short blocks of every
# mode, prints a ratio for each, cleans up its ledger and its processes, and
# says which worker failed when one does. Timings are never checked here:
# they belong to the benchmark's own runs (docs/performance.md).
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	# bench/run.sh preloads the shim without a sanitizer runtime first, and a
	# benchmark of a sanitized build measures nothing: the plain suite runs it.
	note "SAN=$SAN: the benchmark runs in the plain build's suite"
	exit 0
fi
RUN=$HERE/../../bench/run.sh
modes="devnull pipe client connect connect-mt"

note "every mode, 6 block pairs of 2 ms"
rc=$(BENCH_BLOCKS=6 BENCH_BLOCK_MS=2 BENCH_MODES="$modes" status "$RUN" "$B")
cat "$TMP/out"
[ -s "$TMP/err" ] && { echo "stderr:"; cat "$TMP/err"; }
expect "bench/run.sh exit status" "$rc" -eq 0
grep -q "shim env  LD_PRELOAD=$B/libtwshim.so TWSHIM_SHM=/twshim-bench-" "$TMP/out" ||
	fail "the header does not show the shim side's environment"
for m in $modes; do
	grep -Eq "^$m +no-shim +[0-9]+\.[0-9] ns +shim +[0-9]+\.[0-9] ns +ratio [0-9]+\.[0-9]{3}" \
		"$TMP/out" || fail "no ratio line for $m"
done
grep -Eq "^floor +no-shim +[0-9]+\.[0-9] ns +peek +[0-9]+\.[0-9] ns +ratio [0-9]+\.[0-9]{3}" \
	"$TMP/out" || fail "no floor line (client with only the peek preloaded)"
# The median's confidence interval brackets the median it is for.
awk '/ ratio [0-9.]+ \(95% CI [0-9.]+\.\.[0-9.]+\)/ {
	for (i = 1; i <= NF; i++) if ($i == "ratio") r = $(i + 1)
	split($0, a, /\(95% CI /); split(a[2], b, /[.][.]|\)/)
	n++; if (b[1] + 0 > r + 0 || b[2] + 0 < r + 0) { print "CI does not hold the ratio: " $0; bad = 1 } }
	END { if (n != 6) { print n + 0 " lines with a 95% CI, expected 6"; bad = 1 }; exit bad }' \
	"$TMP/out" || fail "the ratios' confidence intervals are missing or wrong"
expect "comparisons with 6 block pairs" "$(grep -c '^ *6 block pairs of [0-9]* ops' "$TMP/out")" -eq 6
grep -q "no ledger appeared" "$TMP/out" && fail "the shim side never attached"
expect "ledgers left in /dev/shm" "$(ls /dev/shm | grep -c '^twshim-bench-' || true)" -eq 0
expect "bench_ops processes left" "$(pgrep -c bench_ops || true)" -eq 0

note "a shim side that cannot start is named, and the run fails"
rc=$(BENCH_BLOCKS=2 BENCH_BLOCK_MS=1 BENCH_MODES=client \
	BENCH_SHIM_ENV="TWSHIM_LOG=stderr TWSHIM_STRICT=1 TWSHIM_CLOSE=bogus" status "$RUN" "$B")
cat "$TMP/out" "$TMP/err"
expect "exit status with a failing worker" "$rc" -eq 1
grep -q "^client  *FAILED" "$TMP/out" || fail "the failed mode is not marked FAILED"
grep -q "worker B (pid [0-9]*) exited with status" "$TMP/err" || fail "the failed worker is not named"
grep -q "TWSHIM_CLOSE='bogus'" "$TMP/err" || fail "the shim's own reason is not shown"
expect "bench_ops processes left after a failure" "$(pgrep -c bench_ops || true)" -eq 0

note "bad settings are named"
rc=$(BENCH_BLOCKS=0 status "$RUN" "$B")
expect "BENCH_BLOCKS=0 exit status" "$rc" -eq 1
grep -q "BENCH_BLOCKS='0' is not a number of block pairs" "$TMP/err" || fail "BENCH_BLOCKS=0: $(cat "$TMP/err")"
rc=$(BENCH_MODES=conect status "$RUN" "$B")
expect "BENCH_MODES=conect exit status" "$rc" -eq 1
grep -q "'conect' is not a mode" "$TMP/err" || fail "BENCH_MODES=conect: $(cat "$TMP/err")"

note "BENCH_BASELINE=PATH.so: side A is another build, and the floor is left out"
rc=$(BENCH_BLOCKS=2 BENCH_BLOCK_MS=1 BENCH_MODES=client BENCH_BASELINE="$B/libtwshim.so" \
	status "$RUN" "$B")
cat "$TMP/out" "$TMP/err"
expect "BENCH_BASELINE=PATH.so exit status" "$rc" -eq 0
grep -q "^  baseline  $B/libtwshim.so observing only" "$TMP/out" || fail "the header does not name the baseline"
grep -Eq "^client +base +[0-9]+\.[0-9] ns +shim +[0-9]+\.[0-9] ns +ratio [0-9]+\.[0-9]{3} \(95% CI [0-9.]+\.\.[0-9.]+\)$" \
	"$TMP/out" || fail "no base/shim ratio line without a target"
grep -q "^floor" "$TMP/out" && fail "a floor against another build measures nothing, yet it ran"
rc=$(BENCH_BASELINE=$TMP/none.so status "$RUN" "$B")
expect "BENCH_BASELINE=missing exit status" "$rc" -eq 1
grep -q "BENCH_BASELINE=$TMP/none.so: no such file" "$TMP/err" || fail "missing baseline: $(cat "$TMP/err")"
rc=$(BENCH_BASELINE=main status "$RUN" "$B")
expect "BENCH_BASELINE=main exit status" "$rc" -eq 1
grep -q "BENCH_BASELINE='main' is neither 'shim' nor the path of a .so" "$TMP/err" ||
	fail "BENCH_BASELINE=main: $(cat "$TMP/err")"

# make bench-change: the shim of a git revision built aside and compared.
SRC=$(cd "$HERE/../.." && pwd)
if command -v git >/dev/null && git -C "$SRC" rev-parse --verify --quiet HEAD >/dev/null 2>&1; then
	note "bench/change.sh: HEAD's shim built in a temporary directory, compared, removed"
	mkdir "$TMP/tmpdir"
	rc=$(TMPDIR=$TMP/tmpdir BENCH_BLOCKS=2 BENCH_BLOCK_MS=1 status "$SRC/bench/change.sh" "$B" HEAD)
	cat "$TMP/out" "$TMP/err"
	expect "bench/change.sh exit status" "$rc" -eq 0
	grep -Eq "^client +base +[0-9]+\.[0-9] ns +shim +[0-9]+\.[0-9] ns +ratio [0-9]+\.[0-9]{3}" "$TMP/out" ||
		fail "bench/change.sh printed no base/shim ratio"
	grep -q "^  baseline  $TMP/tmpdir/twshim-change\.[^/]*/build/libtwshim.so" "$TMP/out" ||
		fail "the baseline is not the build made from HEAD"
	expect "temporary directories left by bench/change.sh" "$(ls "$TMP/tmpdir" | wc -l)" -eq 0
	rc=$(status "$SRC/bench/change.sh" "$B" no-such-revision)
	expect "bench/change.sh with a bad revision" "$rc" -eq 1
	grep -q "BASE 'no-such-revision' is not a revision" "$TMP/err" || fail "bad revision: $(cat "$TMP/err")"
else
	note "no git, or $SRC is not a git checkout: bench/change.sh has no revision to build, not run"
fi
