# SPDX-License-Identifier: MIT
# Issue 3 acceptance: a server that binds without SO_REUSEADDR, restarted
# while its port holds TIME_WAIT (it closes first), fails with EADDRINUSE;
# run under --reuseaddr it restarts. (SO_REUSEADDR helps only when the
# sockets holding the port had it too: both runs are under the shim.)
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
served() { # run the server, make 20 requests, stop it: TIME_WAIT on port 8090
	start_server "$@" -l 127.0.0.1 -p 8090 --mode close --no-reuseaddr
	"$EX/legacy_client" -q -n 20 127.0.0.1 8090 > /dev/null || fail "requests to 8090"
	kill "$SERVER_PID"; wait "$SERVER_PID" || true
}

served "$EX/ka_server"
expect "TIME_WAIT on the server's port" "$(ss -Htan state time-wait '( sport = :8090 )' | wc -l)" -ge 20
set +e
"$EX/ka_server" -l 127.0.0.1 -p 8090 --no-reuseaddr > /dev/null 2> "$TMP/err" &
wait $!; rc=$?
set -e
expect "restart without the shim: exit status" "$rc" -eq 1
grep -q 'Address already in use' "$TMP/err" || fail "no EADDRINUSE: $(cat "$TMP/err")"
echo "ok: $(cat "$TMP/err")"

# The same on a fresh port, under --reuseaddr both times.
export TWSHIM_SHM
start_server "$TW" run --reuseaddr -- "$EX/ka_server" -l 127.0.0.1 -p 8091 --mode close --no-reuseaddr
"$EX/legacy_client" -q -n 20 127.0.0.1 8091 > /dev/null || fail "requests to 8091"
kill "$SERVER_PID"; wait "$SERVER_PID" || true
expect "TIME_WAIT on 8091" "$(ss -Htan state time-wait '( sport = :8091 )' | wc -l)" -ge 20
start_server "$TW" run --reuseaddr -- "$EX/ka_server" -l 127.0.0.1 -p 8091 --mode close --no-reuseaddr
echo "ok: restarted under --reuseaddr: $(head -1 "$TMP/server.out")"
stat_json
expect "reuseaddr set by the shim" "$(statq policy_actions.reuseaddr --comm ka_server)" -ge 2
