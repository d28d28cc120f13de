# Issue 3: pooling hints. A client churning through 1,500 short connections
# that it closes itself, 1,000 ports: one hint for the destination, in the
# log (stderr) and in the ledger (stat, --json), with the figures; none
# with TWSHIM_HINTS=0, and none for a client that does not churn.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start_server "$EX/ka_server" -l 127.0.0.1 -p 8081

"$TW" run -- "$EX/legacy_client" -q -k -n 1500 127.0.0.1 8080 > /dev/null 2> "$TMP/err" || true
expect "hint lines in the log" "$(grep -c 'hint: 127.0.0.1:8080 churns' "$TMP/err")" -eq 1
grep 'hint:' "$TMP/err"
stat_json
"$PY" - "$TMP/stat.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["processes"][0]["destinations"][0]
h = d["hint"]
assert h is not None, "no hint in the ledger"
assert h["advice"] == "urgent", h
assert h["ports"] == 1000, h
assert 100 <= h["time_wait"] <= 1000, h
assert h["seconds_to_exhaustion"] >= 1, h
print("ok: hint in the ledger:", h)
PY
"$TW" stat > "$TMP/stat.txt"
grep -q 'keep connections alive or pool them' "$TMP/stat.txt" || fail "no hint in stat"

export TWSHIM_SHM=$LEDGER-off
TWSHIM_HINTS=0 "$TW" run -- "$EX/legacy_client" -q -k -n 500 127.0.0.1 8081 > /dev/null \
	2> "$TMP/err" || true
expect "hint lines with TWSHIM_HINTS=0" "$(grep -c 'hint:' "$TMP/err")" -eq 0
stat_json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["processes"][0]["destinations"][0]; assert d["hint"] is None, d["hint"]' "$TMP/stat.json"
echo "ok: no hint with TWSHIM_HINTS=0"
