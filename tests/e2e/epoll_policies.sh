# SPDX-License-Identifier: MIT
# Issue 3 acceptance: an epoll (non-blocking) client works under every
# policy: all requests succeed and the policy's action is counted.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
echo "50000-50199" > /proc/sys/net/ipv4/ip_local_reserved_ports
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start_server "$EX/ka_server" -l 127.0.0.1 -p 8081 --mode close

# under NAME PORT ACTION-FIELD EXPECTED OPTIONS...
under() {
	local name=$1 port=$2 field=$3 want=$4
	shift 4
	export TWSHIM_SHM=$LEDGER-$name
	"$TW" run "$@" -- "$EX/legacy_client" --nonblock -t 2 -n 200 127.0.0.1 "$port" \
		> "$TMP/out" 2> "$TMP/err" || fail "$name: $(cat "$TMP/out" "$TMP/err")"
	grep -q 'ok=200 failed=0' "$TMP/out" || fail "$name: $(cat "$TMP/out" "$TMP/err")"
	stat_json
	expect "$name: $field" "$(statq "$field" --comm legacy_client)" -eq "$want"
}

under reset 8080 policy_actions.reset 200 --close reset
under peer-first 8081 passive_closes 200 --close peer-first
under source-addrs 8080 policy_actions.source_addr 200 --source-addrs 127.0.0.2-127.0.0.5
under source-ports 8080 policy_actions.source_ports 200 --source-ports 40000-40999
# 200 ports for 200 requests: a non-blocking connect() onto a port whose
# last connection waits for the server's FIN (FIN_WAIT2) fails, and a
# loaded machine can delay that FIN by 100 connections (spread.sh tests
# the reuse itself, blocking).
under spread 8080 policy_actions.spread 200 --source-ports 50000-50199 --spread reuse
under retry 8080 connects 200 --retry-ms 1000
under scoped-out 8080 policy_actions.reset 0 --close reset --except 127.0.0.0/8
