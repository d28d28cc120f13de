# SPDX-License-Identifier: MIT
# Issue acceptance: when the range runs out, the C client and Python's
# http.client fail with EADDRNOTAVAIL, and the ledger counts those
# failures per destination. Exhaustion is per destination: the two
# clients use two server ports and each gets the whole 200-port range.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40199 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start_server "$EX/ka_server" -l 127.0.0.1 -p 8081

"$TW" run -- "$EX/legacy_client" -k -n 300 127.0.0.1 8080 > "$TMP/c.out" 2> "$TMP/c.err" || true
grep -q 'requests=300 ok=200 failed=100' "$TMP/c.out" || fail "C client: $(cat "$TMP/c.out" "$TMP/c.err")"
grep -q EADDRNOTAVAIL "$TMP/c.err" || fail "C client did not report EADDRNOTAVAIL"

"$TW" run -- "$PY" "$HERE/http_client.py" 127.0.0.1 8081 300 > "$TMP/py.out" || true
grep -q 'ok=200 eaddrnotavail=100' "$TMP/py.out" || fail "python: $(cat "$TMP/py.out")"

stat_json
"$TW" stat
for c in legacy_client:8080 python3:8081; do
	comm=${c%:*} dest=127.0.0.1:${c#*:}
	expect "$comm connects to $dest" "$(statq connects --comm "$comm" --dest "$dest")" -eq 200
	expect "$comm EADDRNOTAVAIL to $dest" \
		"$(statq connect_errors.EADDRNOTAVAIL --comm "$comm" --dest "$dest")" -eq 100
	expect "$comm active closes" "$(statq active_closes --comm "$comm" --dest "$dest")" -eq 200
	expect "$comm TIME_WAIT estimate" "$(statq time_wait_estimate --comm "$comm" --dest "$dest")" -eq 200
done
expect "kernel TIME_WAIT" "$(ss_tw)" -eq 400
