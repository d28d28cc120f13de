# SPDX-License-Identifier: MIT
# Issue 3 acceptance: --close peer-first. Against a server that closes
# after each response, every request succeeds and the TIME_WAIT lands on
# the server only. Against a server that never closes, the fallback comes
# when the wait runs out. Non-blocking (epoll) clients alike.
. "$(dirname "$0")/lib.sh"

veth_pair
in_client sh -c 'echo "40000 40199" > /proc/sys/net/ipv4/ip_local_port_range'
start_server in_server "$EX/ka_server" -l $SRV -p 8081 --mode close
start_server in_server "$EX/ka_server" -l $SRV -p 8080

in_client "$TW" run --close peer-first -- "$EX/legacy_client" -q -n 300 $SRV 8081 \
	> "$TMP/a.out" || fail "blocking client: $(cat "$TMP/a.out")"
in_client "$TW" run --close peer-first -- "$EX/legacy_client" -q --nonblock -t 2 -n 300 \
	$SRV 8081 > "$TMP/b.out" || fail "epoll client: $(cat "$TMP/b.out")"
expect "client TIME_WAIT (server closes first)" "$(ss_tw in_client)" -eq 0
# The client's ports are free again at once (no TIME_WAIT there), so they
# come round within the test, and each new SYN replaces the server's
# TIME_WAIT of that pair, as it should: the server holds some, not all.
expect "server TIME_WAIT" "$(ss_tw in_server)" -ge 50
stat_json
expect "passive closes" "$(statq passive_closes --dest $SRV:8081)" -eq 600
expect "active closes" "$(statq active_closes --dest $SRV:8081)" -eq 0

# A server that never closes: each connection is held, then the fallback
# (reset: nothing is unacknowledged by then) when 300 ms have passed.
export TWSHIM_SHM=$LEDGER-never
start=$(date +%s%N)
in_client "$TW" run --close peer-first --close-wait-ms 300 -- \
	"$EX/legacy_client" -q -n 5 $SRV 8080 > "$TMP/c.out" || fail "$(cat "$TMP/c.out")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "5 requests to a server that never closes, wait 300 ms: the program ran ${ms} ms"
stat_json
expect "peer_timeout fallbacks" "$(statq policy_actions.peer_timeout --comm legacy_client)" -eq 5
expect "reset closes (the fallback)" "$(statq reset_closes --comm legacy_client)" -eq 5
expect "client TIME_WAIT to 8080" "$(in_client ss -Htan state time-wait '( dport = :8080 )' | wc -l)" -eq 0
# Bounded: the held connections end at exit within the wait, not later.
expect "run time, ms (bounded by the wait)" "$ms" -lt 5000

# Held connections live in the closer thread's own fd table, not in the
# program's: the program's holds one fd of the shim's (the hand-over
# socket), the closer's holds the 20 (+2: its epoll and its end of the
# hand-over socket), and both are back once the wait is over, none leaked;
# a fork child (which drops its copy) changes nothing.
export TWSHIM_SHM=$LEDGER-fds
in_client "$TW" run --close peer-first --close-wait-ms 1500 -- \
	"$PY" "$HERE/held_fds.py" $SRV 8080 20 1500 > "$TMP/fds.out" || fail "$(cat "$TMP/fds.out")"
note "fds: $(cat "$TMP/fds.out")"
read -r before held after closer_held closer_after < <(sed 's/[a-z_]*=//g' "$TMP/fds.out")
expect "program's fds while 20 are held" "$held" -eq $((before + 1))
expect "program's fds after the wait" "$after" -eq $((before + 1))
expect "closer's fds while 20 are held" "$closer_held" -eq 22
expect "closer's fds after the wait" "$closer_after" -eq 2
stat_json
expect "peer_timeout fallbacks (python)" "$(statq policy_actions.peer_timeout --comm python3)" -eq 20

# A program that closes every fd it does not know (os.closerange, as
# daemons do) while connections are held: the shim's fds are not its to
# close; they survive and end as the policy says.
export TWSHIM_SHM=$LEDGER-closerange
in_client "$TW" run --close peer-first --close-wait-ms 1500 -- \
	"$PY" "$HERE/held_fds.py" $SRV 8080 20 1500 closerange > "$TMP/cr.out" ||
	fail "$(cat "$TMP/cr.out")"
note "fds with closerange: $(cat "$TMP/cr.out")"
read -r before held after closer_held closer_after < <(sed 's/[a-z_]*=//g' "$TMP/cr.out")
expect "closer's fds held across closerange" "$closer_held" -eq 22
# 0, 1, 2, the listing's own fd, and the hand-over socket.
expect "the program's fds after closerange" "$held" -eq 5
stat_json
expect "peer_timeout fallbacks (after closerange)" \
	"$(statq policy_actions.peer_timeout --comm python3)" -eq 20

# The closer's own table has the process's RLIMIT_NOFILE: with 64, room
# for 62 connections beside its epoll and its end of the hand-over socket.
# Past that, a connection handed over is closed by the kernel at once
# (FIN) and counted as hold_full; the program sees nothing of it.
export TWSHIM_SHM=$LEDGER-nofile
in_client sh -c 'ulimit -n 64 && exec "$@"' sh "$TW" run --close peer-first \
	--close-wait-ms 2000 --close-hold-max 100 -- "$EX/legacy_client" -q -n 80 $SRV 8080 \
	> "$TMP/nofile.out" || fail "RLIMIT_NOFILE 64: $(cat "$TMP/nofile.out")"
grep -q 'ok=80 failed=0' "$TMP/nofile.out" || fail "RLIMIT_NOFILE 64: $(cat "$TMP/nofile.out")"
stat_json
held=$(statq policy_actions.peer_timeout --comm legacy_client)
full=$(statq policy_actions.hold_full --comm legacy_client)
note "RLIMIT_NOFILE 64, 80 connections: $held held, $full closed by the kernel"
expect "held within the closer's table" "$held" -le 62
expect "held at all" "$held" -ge 1
expect "held or closed by the kernel, each once" "$((held + full))" -eq 80
expect "connections open" "$(statq open --comm legacy_client)" -eq 0
