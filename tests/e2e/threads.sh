# SPDX-License-Identifier: MIT
# Issue acceptance: 8 threads making 10,000 loopback connections; the
# counters must be exact (no lost updates), on the client (active closes)
# and on the server, also under the shim (passive closes).
. "$(dirname "$0")/lib.sh"

loopback_ns 10000 60999 0
export TWSHIM_SHM
start_server "$TW" run -- "$EX/ka_server" -l 127.0.0.1 -p 8080
"$TW" run -- "$EX/legacy_client" -q -t 8 -n 10000 127.0.0.1 8080 > "$TMP/client.out" ||
	fail "client: $(cat "$TMP/client.out")"
sleep 0.5 # the server reads the last FINs
stat_json
expect "client connects" "$(statq connects --comm legacy_client)" -eq 10000
expect "client active closes" "$(statq active_closes --comm legacy_client)" -eq 10000
expect "client errors" "$(statq connect_errors.EADDRNOTAVAIL --comm legacy_client)" -eq 0
expect "client open" "$(statq open --comm legacy_client)" -eq 0
expect "client TIME_WAIT estimate" "$(statq time_wait_estimate --comm legacy_client)" -eq 10000
expect "server accepts" "$(statq accepts --comm ka_server)" -eq 10000
expect "server passive closes" "$(statq passive_closes --comm ka_server)" -eq 10000
expect "server TIME_WAIT estimate" "$(statq time_wait_estimate --comm ka_server)" -eq 0
expect "server open" "$(statq open --comm ka_server)" -eq 0
expect "kernel TIME_WAIT" "$(ss_tw)" -eq 10000
