# SPDX-License-Identifier: MIT
# Issue 3 acceptance: an unmodified client loop of 1,000 requests to a
# keep-alive server across a veth pair, client range 200 ports. Without a
# policy ~800 fail ("Couldn't connect"); with --close reset all succeed and
# the client's namespace holds ~0 TIME_WAIT (and the server's none).
. "$(dirname "$0")/lib.sh"

# Sanitized clients start ten times slower: those builds make 300 requests.
N=1000
[ -n "${SAN:-}" ] && N=300
veth_pair
in_client sh -c 'echo "40000 40199" > /proc/sys/net/ipv4/ip_local_port_range'
start_server in_server "$EX/ka_server" -l $SRV -p 8080
start_server in_server "$EX/ka_server" -l $SRV -p 8081

loop() { # N PORT twshim-run-options...: prints how many failed
	local n=$1 port=$2 failed=0; shift 2
	for _ in $(seq "$n"); do
		in_client "$TW" run "$@" -- "$GET" $SRV "$port" > /dev/null 2>&1 ||
			failed=$((failed + 1))
	done
	echo "$failed"
}

t0=$SECONDS
failed=$(loop $N 8080)
secs=$((SECONDS - t0))
note "observe only: $failed of $N failed in $secs s; TIME_WAIT in the client namespace: $(ss_tw in_client)"
# 200 ports, each free again only 60 s after its TIME_WAIT began: at most
# 200 successes per started minute (a slow, loaded machine takes longer
# than one), and 50 to spare for the ports of the loop's first second.
expect "failures without a policy" "$failed" -ge $((N - 200 * (1 + secs / 60) - 50))
# Exhaustion is per destination: the second run goes to port 8081, whose
# 200 ports are all free, rather than waiting a minute for 8080's.
export TWSHIM_SHM=$LEDGER-reset
failed=$(loop $N 8081 --close reset)
stat_json
kernel_c=$(in_client ss -Htan state time-wait '( dport = :8081 )' | wc -l) kernel_s=$(ss_tw in_server)
note "--close reset: $failed of $N failed; TIME_WAIT: client $kernel_c, server $kernel_s"
expect "failures with --close reset" "$failed" -eq 0
expect "client TIME_WAIT" "$kernel_c" -le 5
expect "server TIME_WAIT" "$kernel_s" -eq 0
expect "resets counted" "$(statq policy_actions.reset --comm $GET_COMM)" -eq $N
expect "reset closes" "$(statq reset_closes --comm $GET_COMM)" -eq $N
expect "TIME_WAIT estimate" "$(statq time_wait_estimate --comm $GET_COMM)" -eq 0
