# SPDX-License-Identifier: MIT
# An HTTP/1.0 client that reads each response to end of file (ab, the
# Apache benchmark, unmodified) against a server that closes first, under
# each --close-accepted mode (issue 11, item 8). Regression: reset made ab
# read ECONNRESET and abort at its first request, and peer-first held each
# connection for the whole wait (ab waits for the server's end of file,
# the server's shim for ab's FIN), then reset it. fin-reset: every request
# succeeds, ab reads every response to a clean end of file, and neither
# side keeps a TIME_WAIT.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	note "SAN=$SAN: ab's runs are in the plain build's suite"
	exit 0
fi
command -v ab > /dev/null || fail "ab is needed (Debian package apache2-utils)"
veth_pair
N=200
port=8100
# TIME_WAIT toward or from this run's port, once closes have settled.
server_tw() { ss_tw in_server > /dev/null; in_server ss -Htan state time-wait "( sport = :$port )" | wc -l; }
client_tw() { ss_tw in_client > /dev/null; in_client ss -Htan state time-wait "( dport = :$port )" | wc -l; }
serve() { # MODE: ab's N requests to a closing server under --close-accepted MODE
	port=$((port + 1))
	export TWSHIM_SHM=$LEDGER-$1
	start_server in_server "$TW" run --close-accepted "$1" -- "$EX/ka_server" -l $SRV \
		-p $port --mode close
	set +e
	in_client timeout 60 ab -n $N -c 1 "http://$SRV:$port/" > "$TMP/ab.out" 2>&1
	ab_rc=$?
	set -e
	stat_json
	note "$1: ab exit $ab_rc; $(grep -E 'Complete requests|Failed requests|apr_socket' "$TMP/ab.out" |
		tr -s ' ' | paste -sd';'); server TIME_WAIT $(server_tw), client $(client_tw)"
}

serve kernel
expect "kernel: ab exit status" "$ab_rc" -eq 0
expect "kernel: server TIME_WAIT" "$(server_tw)" -eq $N
expect "kernel: server's active closes = its TIME_WAIT" \
	"$(statq active_closes --comm ka_server)" -eq "$(server_tw)"
kill "$SERVER_PID"; wait "$SERVER_PID" || true

# A reset, while ab still reads: ECONNRESET, and ab gives up.
serve reset
expect "reset: ab exit status (it aborts)" "$ab_rc" -ne 0
grep -q 'Connection reset by peer' "$TMP/ab.out" || fail "reset: no ECONNRESET: $(cat "$TMP/ab.out")"
kill "$SERVER_PID"; wait "$SERVER_PID" || true

serve fin-reset
expect "fin-reset: ab exit status" "$ab_rc" -eq 0
grep -q "Complete requests: *$N" "$TMP/ab.out" || fail "fin-reset: $(cat "$TMP/ab.out")"
grep -q 'Failed requests: *0' "$TMP/ab.out" || fail "fin-reset: $(cat "$TMP/ab.out")"
expect "fin-reset: server TIME_WAIT" "$(server_tw)" -eq 0
expect "fin-reset: client TIME_WAIT" "$(client_tw)" -eq 0
expect "fin-reset: counted" "$(statq policy_actions.fin_reset --comm ka_server)" -eq $N
expect "fin-reset: reset closes" "$(statq reset_closes --comm ka_server)" -eq $N
kill "$SERVER_PID"; wait "$SERVER_PID" || true
