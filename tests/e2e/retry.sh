# SPDX-License-Identifier: MIT
# Issue 3 acceptance: --retry-ms. A client that would fail on exhaustion
# waits and succeeds within the bound (here TIME_WAIT ports come back after
# tcp_tw_reuse_delay, 1 s on loopback with tcp_tw_reuse=1); a non-blocking
# client never sleeps and fails as it would.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40009 1
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

"$EX/legacy_client" -q -k -n 15 127.0.0.1 8080 > "$TMP/a.out" || true
note "without retry: $(cat "$TMP/a.out")"
grep -q 'failed=0' "$TMP/a.out" && fail "expected failures without retry"
sleep 1.5

start=$(date +%s%N)
"$TW" run --retry-ms 5000 -- "$EX/legacy_client" -q -n 15 127.0.0.1 8080 > "$TMP/b.out" \
	2> "$TMP/b.err" || fail "with --retry-ms: $(cat "$TMP/b.out" "$TMP/b.err")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "with --retry-ms 5000: $(cat "$TMP/b.out") in ${ms} ms"
stat_json
expect "retried connects that succeeded" "$(statq policy_actions.retry_ok --comm legacy_client)" -ge 1
expect "within the bound (ms)" "$ms" -lt 5000
expect "log lines (one per destination per minute)" "$(grep -c 'retrying for up to 5000 ms' "$TMP/b.err")" -eq 1
grep 'retrying' "$TMP/b.err"
sleep 1.5

export TWSHIM_SHM=$LEDGER-nb
start=$(date +%s%N)
"$TW" run --retry-ms 5000 -- "$EX/legacy_client" -q -k --nonblock -n 15 127.0.0.1 8080 \
	> "$TMP/c.out" 2> "$TMP/c.err" || true
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "non-blocking, --retry-ms 5000: $(cat "$TMP/c.out") in ${ms} ms"
grep -q 'failed=0' "$TMP/c.out" && fail "a non-blocking client must not be made to wait"
stat_json
expect "retries of a non-blocking client" "$(statq policy_actions.retry --comm legacy_client)" -eq 0
# Regression: it said "retrying" all the same.
expect "retry log lines for a non-blocking client" "$(grep -c 'retrying' "$TMP/c.err" || true)" -eq 0
