# SPDX-License-Identifier: MIT
# Issue 3 acceptance: --source-addrs with 10 addresses: 1,500 connections
# with normal closes (TIME_WAIT on the client) succeed where 200 did; and
# --source-ports confines one program's automatic ports without starving
# another program's.
. "$(dirname "$0")/lib.sh"

veth_pair
in_client sh -c "echo 40000 40199 > /proc/sys/net/ipv4/ip_local_port_range;
	for i in \$(seq 3 11); do ip addr add $VNET.\$i/24 dev twc; done"
start_server in_server "$EX/ka_server" -l $SRV -p 8080
start_server in_server "$EX/ka_server" -l $SRV -p 8081

in_client "$TW" run -- "$EX/legacy_client" -q -k -n 1500 $SRV 8080 > "$TMP/a.out" || true
note "one source address: $(cat "$TMP/a.out")"
grep -q 'ok=200 ' "$TMP/a.out" || fail "expected 200 to succeed: $(cat "$TMP/a.out")"

export TWSHIM_SHM=$LEDGER-spread
in_client "$TW" run --source-addrs $CLI-$VNET.11 -- \
	"$EX/legacy_client" -q -k -n 1500 $SRV 8081 > "$TMP/b.out" || true
note "ten source addresses: $(cat "$TMP/b.out")"
grep -q 'ok=1500 failed=0' "$TMP/b.out" || fail "expected all 1500 to succeed"
stat_json
expect "source_addr actions" "$(statq policy_actions.source_addr --comm legacy_client)" -eq 1500
expect "active closes (TIME_WAIT on the client)" "$(statq active_closes --comm legacy_client)" -eq 1500
for i in 2 6 11; do
	n=$(in_client ss -Htan state time-wait "( src $VNET.$i and dport = :8081 )" | wc -l)
	expect "TIME_WAIT from $VNET.$i" "$n" -ge 140
done

# Ports: a churning program confined to 40000-40049 runs out there, and
# another program (not under the shim) still connects, outside that range.
export TWSHIM_SHM=$LEDGER-ports
in_client sh -c 'echo "40000 40999" > /proc/sys/net/ipv4/ip_local_port_range'
start_server in_server "$EX/ka_server" -l $SRV -p 8082
in_client "$TW" run --source-ports 40000-40049 -- "$EX/legacy_client" -q -k -n 100 \
	$SRV 8082 > "$TMP/c.out" || true
note "confined to 50 ports: $(cat "$TMP/c.out")"
grep -q 'ok=50 failed=50' "$TMP/c.out" || fail "expected 50 to succeed"
in_client "$EX/legacy_client" -q -n 100 $SRV 8082 > "$TMP/d.out" ||
	fail "the other program was starved: $(cat "$TMP/d.out")"
outside=$(in_client ss -Htan state time-wait '( dport = :8082 and sport > :40049 )' | wc -l)
expect "the other program's TIME_WAIT, all outside 40000-40049" "$outside" -eq 100
stat_json
expect "source_ports actions" "$(statq policy_actions.source_ports --comm legacy_client)" -eq 100

# One-shot processes (issue 11, item 7): 250 runs of curl, each a process
# of its own, with two source addresses through 200 ports. Each process
# asks the kernel which address holds fewer ports toward the destination
# (every process's connections and TIME_WAIT entries), so the loop spreads
# as one long-lived process would. Regression: each process chose from its
# own empty memory, always the first address: 200 ok, 50 EADDRNOTAVAIL.
export TWSHIM_SHM=$LEDGER-oneshot
in_client sh -c 'echo "40000 40199" > /proc/sys/net/ipv4/ip_local_port_range'
start_server in_server "$EX/ka_server" -l $SRV -p 8083
failed=0
for _ in $(seq 250); do
	in_client "$TW" run --source-addrs $CLI-$VNET.3 -- "$GET" $SRV 8083 \
		> /dev/null 2>> "$TMP/oneshot.err" || failed=$((failed + 1))
done
note "250 one-shot runs, two source addresses: $failed failed"
expect "one-shot runs that failed" "$failed" -eq 0
# Spread evenly: each address holds at least 40% of the TIME_WAIT toward
# the destination (a slow, sanitized loop outlasts 60 s, and its first
# TIME_WAIT entries are gone by now: a share, not a count).
n2=$(in_client ss -Htan state time-wait "( src $CLI and dport = :8083 )" | wc -l)
n3=$(in_client ss -Htan state time-wait "( src $VNET.3 and dport = :8083 )" | wc -l)
note "TIME_WAIT from $CLI: $n2, from $VNET.3: $n3"
expect "$CLI's share, in tenths" "$((n2 * 10 / (n2 + n3)))" -ge 4
expect "$VNET.3's share, in tenths" "$((n3 * 10 / (n2 + n3)))" -ge 4
