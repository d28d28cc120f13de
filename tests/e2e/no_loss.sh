# SPDX-License-Identifier: MIT
# Issue 3 acceptance: no data lost. A client writes 16 MB and closes at
# once through a rate-limited link (tc tbf, 40 mbit), so megabytes are
# still unacknowledged at its close(); under --close reset, peer-first and
# fin-reset the server's checksum matches the client's.
# The link must stay the bottleneck even for a sanitized client on a slow
# machine (TSan's sends about 35 MB/s here), or the queue is empty at
# close and there is nothing to lose; 5 MB/s leaves a wide margin.
. "$(dirname "$0")/lib.sh"

veth_pair
in_client tc qdisc add dev twc root tbf rate 40mbit burst 64kb latency 500ms
start_server in_server "$EX/ka_server" -l $SRV -p 9000 --mode sink
BYTES=$((16 * 1024 * 1024))

# send_through MODE OPTIONS...: one client writes $BYTES and closes at once
# under twshim run --close MODE OPTIONS; $sent is what it says it sent,
# $got the line the server printed for that connection.
send_through() {
	local mode=$1 lines_before
	shift
	export TWSHIM_SHM=$LEDGER-$mode
	lines_before=$(wc -l < "$TMP/server.out")
	in_client "$TW" run --close "$mode" "$@" -- "$EX/legacy_client" --mode send --bytes $BYTES \
		-n 1 $SRV 9000 > "$TMP/client.out" || fail "$mode: client: $(cat "$TMP/client.out")"
	for _ in $(seq 100); do
		[ "$(wc -l < "$TMP/server.out")" -gt "$lines_before" ] && break
		sleep 0.1
	done
	sent=$(grep -o 'bytes=[0-9]* fnv1a=[0-9a-f]*' "$TMP/client.out")
	got=$(tail -n +$((lines_before + 1)) "$TMP/server.out" | head -1)
	note "$mode: client $sent; server $got"
}

# reset: wait long enough for the queue to drain, so the reset is the
# policy's and the count below is exact; peer-first: the sink never closes
# first, so the default 2 s bound ends it (FIN if data is still queued).
for mode in reset peer-first; do
	wait_ms=2000
	[ "$mode" = reset ] && wait_ms=10000
	send_through "$mode" --close-wait-ms $wait_ms
	[ -n "$sent" ] && [[ "$got" == "sink $sent"* ]] || fail "$mode: the server did not get what was sent"
	stat_json
	"$TW" stat --all > "$TMP/stat.txt"
	sed -n 2,3p "$TMP/stat.txt"
done
# fin-reset (TCP_LINGER2 -1, DOMAIN fact 15): the program's close() sends
# the FIN after the queued data; once the server has acknowledged it, every
# byte arrived, and the orphaned socket answers with RST. The server reads
# it all and then a clean end of file (no error=), and neither side keeps a
# TIME_WAIT: no thread, no wait.
tw_client=$(ss_tw in_client); tw_server=$(ss_tw in_server)
send_through fin-reset
[ "sink $sent" = "$got" ] || fail "fin-reset: the server did not read all that was sent, then EOF"
expect "fin-reset: client TIME_WAIT added" "$(( $(ss_tw in_client) - tw_client ))" -eq 0
expect "fin-reset: server TIME_WAIT added" "$(( $(ss_tw in_server) - tw_server ))" -eq 0
stat_json
expect "fin-reset counted" "$(statq policy_actions.fin_reset --comm legacy_client)" -eq 1
expect "fin-reset: a reset close" "$(statq reset_closes --comm legacy_client)" -eq 1
# Under reset the closer had to wait for the data to drain first.
export TWSHIM_SHM=$LEDGER-reset
stat_json
expect "resets after draining" "$(statq policy_actions.reset_drained --comm legacy_client)" -eq 1
