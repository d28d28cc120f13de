# SPDX-License-Identifier: MIT
# Issue 3: pooling hints. A client churning through 1,500 short connections
# that it closes itself, 1,000 ports: one hint for the destination, in the
# ledger (stat, --json), with the figures; none with TWSHIM_HINTS=0, and
# none for a client that does not churn. Issue 14: on a service's stderr
# (not a terminal) no hint unless TWSHIM_HINTS=log (they went into cron mail
# and log parsers every minute); `twshim run` on a terminal shows them; a
# hint never advises a policy that is on, and says when the ports are out.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start_server "$EX/ka_server" -l 127.0.0.1 -p 8081

"$TW" run -- "$EX/legacy_client" -q -k -n 1500 127.0.0.1 8080 > /dev/null 2> "$TMP/err" || true
expect "hint lines on a service's stderr (a file)" "$(grep -c 'hint:' "$TMP/err")" -eq 0
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

# Asked for: the line, as a warning (the level a service's log shows).
export TWSHIM_SHM=$LEDGER-log
start_server "$EX/ka_server" -l 127.0.0.1 -p 8083
TWSHIM_HINTS=log "$TW" run -- "$EX/legacy_client" -q -k -n 1500 127.0.0.1 8083 > /dev/null \
	2> "$TMP/err" || true
expect "hint lines with TWSHIM_HINTS=log" "$(grep -c 'warning: hint: 127.0.0.1:8083 churns' "$TMP/err")" -eq 1
grep 'hint:' "$TMP/err"

# twshim run on a terminal (script(1) gives it one): shown there.
export TWSHIM_SHM=$LEDGER-tty
start_server "$EX/ka_server" -l 127.0.0.1 -p 8084
script -qec "$TW run -- $EX/legacy_client -q -k -n 1500 127.0.0.1 8084" /dev/null > "$TMP/tty.out" || true
expect "hint lines on twshim run's terminal" "$(grep -c 'hint: 127.0.0.1:8084 churns' "$TMP/tty.out")" -eq 1

# A policy that is on is not advised: --source-addrs with one address (the
# churn goes on), neither in the line nor in stat.
export TWSHIM_SHM=$LEDGER-src
start_server "$EX/ka_server" -l 127.0.0.1 -p 8085
TWSHIM_HINTS=log "$TW" run --source-addrs 127.0.0.1 -- "$EX/legacy_client" -q -k -n 1500 \
	127.0.0.1 8085 > /dev/null 2> "$TMP/err" || true
grep 'hint: 127.0.0.1:8085' "$TMP/err" > "$TMP/line" || fail "no hint under --source-addrs: $(cat "$TMP/err")"
! grep -q -- '--source-addrs (more addresses' "$TMP/line" || fail "advised what is on: $(cat "$TMP/line")"
grep -q -- '--source-addrs is on already' "$TMP/line" || fail "hint: $(cat "$TMP/line")"
"$TW" stat > "$TMP/stat.txt"
! grep -q -- '--source-addrs (more addresses' "$TMP/stat.txt" || fail "stat advised what is on"
grep -q -- '--source-addrs is on' "$TMP/stat.txt" || fail "stat: $(cat "$TMP/stat.txt")"
echo "ok: a policy that is on is not advised"

export TWSHIM_SHM=$LEDGER-off
TWSHIM_HINTS=0 "$TW" run -- "$EX/legacy_client" -q -k -n 500 127.0.0.1 8081 > /dev/null \
	2> "$TMP/err" || true
expect "hint lines with TWSHIM_HINTS=0" "$(grep -c 'hint:' "$TMP/err")" -eq 0
stat_json
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["processes"][0]["destinations"][0]; assert d["hint"] is None, d["hint"]' "$TMP/stat.json"
echo "ok: no hint with TWSHIM_HINTS=0"

# A client that runs through its ports in a small fraction of a second and
# then only fails (120 ports, 300 connects): regression, it got no hint
# when hints were looked at only after a successful connect, ten times a
# second, and so never once TIME_WAIT had piled up. Now each failure for
# want of a port, and every 64th call, brings a look forward. 120 ports:
# the 64th call sees 63 TIME_WAIT, too few for a hint, and the 128th is a
# failure, so that only the look after a failure can give the hint.
echo "41000 41119" > /proc/sys/net/ipv4/ip_local_port_range
export TWSHIM_SHM=$LEDGER-fast
start_server "$EX/ka_server" -l 127.0.0.1 -p 8082
TWSHIM_HINTS=log "$TW" run -- "$EX/legacy_client" -k -n 300 127.0.0.1 8082 > "$TMP/fast.out" \
	2> "$TMP/err" || true
grep -q 'requests=300 ok=120 failed=180' "$TMP/fast.out" || fail "fast client: $(cat "$TMP/fast.out")"
expect "hint lines, 120 ports run through at once" \
	"$(grep -c 'hint: 127.0.0.1:8082 churns' "$TMP/err")" -eq 1
# Failing now: the hint says so (it said "the ports last at this rate").
grep -q 'hint: 127.0.0.1:8082 .*out of ports now' "$TMP/err" || fail "not out of ports now: $(grep hint: "$TMP/err")"
stat_json
"$PY" -c 'import json,sys; h=json.load(open(sys.argv[1]))["processes"][0]["destinations"][0]["hint"]; assert h and h["advice"] == "urgent" and h["ports"] == 120 and h["out_of_ports_now"], h' "$TMP/stat.json"
echo "ok: a hint for the client that ran out within a fraction of a second"
