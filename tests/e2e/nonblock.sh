# SPDX-License-Identifier: MIT
# Non-blocking (epoll) programs: connect() returns EINPROGRESS and the
# outcome is learned later (SO_ERROR). Counts as exact as for blocking
# ones; EADDRNOTAVAIL still comes from connect() itself, synchronously.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40199 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start_server "$EX/ka_server" -l ::1 -p 8081

"$TW" run -- "$EX/legacy_client" --nonblock -q -t 2 -n 150 127.0.0.1 8080 > "$TMP/a.out" ||
	fail "nonblocking client: $(cat "$TMP/a.out")"
"$TW" run -- "$EX/legacy_client" --nonblock -q -k -n 250 ::1 8081 > "$TMP/b.out" || true
grep -q 'ok=200 failed=50' "$TMP/b.out" || fail "IPv6 client: $(cat "$TMP/b.out")"
stat_json
"$TW" stat
expect "connects to 127.0.0.1:8080" "$(statq connects --dest 127.0.0.1:8080)" -eq 150
expect "active closes to 127.0.0.1:8080" "$(statq active_closes --dest 127.0.0.1:8080)" -eq 150
expect "connects to [::1]:8081" "$(statq connects --dest '[::1]:8081')" -eq 200
expect "EADDRNOTAVAIL to [::1]:8081" "$(statq connect_errors.EADDRNOTAVAIL --dest '[::1]:8081')" -eq 50
expect "TIME_WAIT estimate" "$(statq time_wait_estimate)" -eq "$(ss_tw)"
expect "open" "$(statq open)" -eq 0
