# `make bench` keeps working: bench/run.sh, with a few short blocks of every
# mode, prints a ratio for each, cleans up its ledger and its processes, and
# says which worker failed when one does. Timings are never checked here:
# they belong to the benchmark's own runs (README, "What it costs").
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
