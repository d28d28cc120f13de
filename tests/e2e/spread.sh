# SPDX-License-Identifier: MIT
# Issue 3 acceptance: --source-ports with --spread reuse on a 100-port range
# sustains connections far beyond 100 per minute (each explicit bind with
# SO_REUSEADDR takes over its port's TIME_WAIT at once: TCP timestamps),
# and another program's automatic ports are not starved (the range is kept
# out of automatic choice by ip_local_reserved_ports). tcp_tw_reuse is 0:
# this is the explicit-bind path, not the kernel's reuse.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
echo "50000-50099" > /proc/sys/net/ipv4/ip_local_reserved_ports
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

# Without spread, 100 automatic ports (IP_LOCAL_PORT_RANGE must lie inside
# the namespace's range, and outside the reserved one, to be used at all).
"$TW" run --source-ports 40000-40099 -- "$EX/legacy_client" -q -k -n 300 127.0.0.1 8080 \
	> "$TMP/a.out" || true
note "100 ports, no spread: $(cat "$TMP/a.out")"
grep -q 'ok=100 failed=200' "$TMP/a.out" || fail "expected 100 to succeed"

export TWSHIM_SHM=$LEDGER-spread
start=$(date +%s%N)
"$TW" run --source-ports 50000-50099 --spread reuse -- "$EX/legacy_client" -q -n 3000 \
	127.0.0.1 8080 > "$TMP/b.out" || fail "spread: $(cat "$TMP/b.out")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "100 ports, --spread reuse: $(cat "$TMP/b.out") in $ms ms ($(( 3000 * 1000 / (ms + 1) )) connections/s)"
expect "kernel TIME_WAIT from 50000-50099 (at most the 100 ports)" \
	"$(ss -Htan state time-wait '( sport >= :50000 and sport <= :50099 )' | wc -l)" -le 100
stat_json
expect "spread binds" "$(statq policy_actions.spread --comm legacy_client)" -eq 3000

# Another program, automatic ports: not starved, and never in 50000-50099.
"$EX/legacy_client" -q -n 500 127.0.0.1 8080 > "$TMP/c.out" || fail "starved: $(cat "$TMP/c.out")"
expect "TIME_WAIT in the reserved range (the spread's own, nobody else's)" \
	"$(ss -Htan state time-wait '( sport >= :50000 and sport <= :50099 )' | wc -l)" -le 100
expect "TIME_WAIT outside it (the first run's 100, the other program's 500)" \
	"$(ss -Htan state time-wait '( sport >= :40000 and sport <= :40999 )' | wc -l)" -eq 600

# A port that a live connection of the program's holds: binding it again
# succeeds (SO_REUSEADDR on both), and connect() to the same destination
# would fail with EADDRNOTAVAIL. The spread passes over it: two ports, one
# held by a connection kept open, 20 requests through the other. Blocking
# sockets: each request comes round to the same port as the server may
# still be closing the last one (FIN_WAIT2, see below).
export TWSHIM_SHM=$LEDGER-keep
"$TW" run --source-ports 50000-50001 --spread reuse -- "$PY" "$HERE/http_client.py" \
	127.0.0.1 8080 20 keep blocking > "$TMP/keep.out" || fail "keep: $(cat "$TMP/keep.out")"
note "2 ports, one held open: $(cat "$TMP/keep.out")"
grep -q 'ok=20 eaddrnotavail=0 other=0' "$TMP/keep.out" ||
	fail "a port held by an open connection was spread onto: $(cat "$TMP/keep.out")"

# A port whose last connection is closed but not yet in TIME_WAIT: the
# server closes 5 ms after the client, so the client's socket waits in
# FIN_WAIT2 and the four-tuple is refused until then. A blocking connect()
# waits for it (one port: every connection after the first does).
rm -f "$TMP/ready"
"$PY" "$HERE/lingering_server.py" 8090 5 "$TMP/ready" > /dev/null 2>&1 &
for _ in $(seq 200); do [ -s "$TMP/ready" ] && break; sleep 0.02; done
[ -s "$TMP/ready" ] || fail "lingering_server.py did not start"
export TWSHIM_SHM=$LEDGER-linger
"$TW" run --source-ports 50010-50010 --spread reuse -- "$EX/legacy_client" -n 20 \
	127.0.0.1 8090 > "$TMP/linger.out" 2>&1 || fail "linger: $(cat "$TMP/linger.out")"
note "1 port, a peer that closes 5 ms late: $(cat "$TMP/linger.out")"
grep -q 'ok=20 failed=0' "$TMP/linger.out" ||
	fail "a connect() on a port in FIN_WAIT2 failed: $(cat "$TMP/linger.out")"
stat_json
expect "EADDRNOTAVAIL attempts waited out (counted)" \
	"$(statq connect_errors.EADDRNOTAVAIL --comm legacy_client)" -ge 1

# Four loops of one-shot curl runs in parallel on one 50-port range
# (issue 11, item 7): every process takes the next port from one cursor
# in the ledger that they all share. Regression: each process began at the
# range's first port, so processes started together collided on it (16 of
# 100 failed with EADDRNOTAVAIL).
export TWSHIM_SHM=$LEDGER-parallel
loop() { # OUT: 25 runs; the number that failed goes to OUT
	local f=0
	for _ in $(seq 25); do
		"$TW" run --source-ports 50020-50069 --spread reuse -- "$GET" 127.0.0.1 8080 \
			> /dev/null 2>> "$TMP/parallel.err" || f=$((f + 1))
	done
	echo $f > "$1"
}
pids=()
for i in 1 2 3 4; do
	loop "$TMP/p$i" &
	pids+=($!)
done
wait "${pids[@]}"
failed=$(( $(cat "$TMP/p1") + $(cat "$TMP/p2") + $(cat "$TMP/p3") + $(cat "$TMP/p4") ))
note "4 parallel loops of 25 one-shot runs, 50 ports: $failed failed"
expect "parallel one-shot runs that failed" "$failed" -eq 0
stat_json
expect "spread binds, all processes" "$(statq policy_actions.spread --comm $GET_COMM)" -eq 100
