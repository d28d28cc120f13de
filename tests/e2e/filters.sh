# SPDX-License-Identifier: MIT
# Issue 14, item 4: narrowing a report. stat --comm, doctor --comm, top
# --comm and top -p PID keep one command's (or one process's) rows, and
# every total is over what is kept; a name that cannot be a command's is a
# usage error, and doctor says when no ledger has the command. top --json
# writes one JSON object per snapshot, one per line, with rates (null only
# where the table shows '-'). --no-header: rows only, for scripts.
# --dest CIDR[:PORT] keeps some destinations, in stat, top and doctor.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start_server "$EX/ka_server" -l 127.0.0.1 -p 8081
"$TW" run -- "$EX/legacy_client" -q -n 30 127.0.0.1 8080 > /dev/null
"$TW" run -- "$PY" "$HERE/http_client.py" 127.0.0.1 8081 20 > /dev/null

# stat --comm: only the command's processes.
"$TW" stat --json --comm legacy_client > "$TMP/stat.json"
"$PY" - "$TMP/stat.json" <<'PY' || fail "stat --comm: $(cat "$TMP/stat.json")"
import json, sys
ps = json.load(open(sys.argv[1]))["processes"]
assert ps and all(p["comm"] == "legacy_client" for p in ps), ps
assert sum(p["connects"] for p in ps) == 30
PY
echo "ok: stat --comm legacy_client: its 30 connects, nobody else's"
expect "stat --comm of a name longer than the kernel keeps" \
	"$(status "$TW" stat --comm a_name_longer_than_15)" -eq 2
grep -q "1 to 15 bytes" "$TMP/err" || fail "stat --comm: $(cat "$TMP/err")"

# doctor --comm: only the command's destinations.
"$TW" doctor --json --comm python3 > "$TMP/doctor.json" || true
"$PY" - "$TMP/doctor.json" <<'PY' || fail "doctor --comm: $(cat "$TMP/doctor.json")"
import json, sys
d = json.load(open(sys.argv[1]))
eps = {x["endpoint"] for x in d["destinations"]}
assert "127.0.0.1:8081" in eps and "127.0.0.1:8080" not in eps, eps
PY
echo "ok: doctor --comm python3: 127.0.0.1:8081, not legacy_client's 8080"
expect "doctor --comm of a command no ledger has" "$(status "$TW" doctor --comm nosuchcmd)" -eq 1
grep -q "no process of nosuchcmd is in the" "$TMP/err" || fail "doctor --comm: $(cat "$TMP/err")"

# top --json while a client runs, narrowed to it by --comm, then by -p.
rm -f "$TMP/stop"
cat > "$TMP/paced.py" <<'PY'
import os, socket, sys, time
while not os.path.exists(sys.argv[1]):
    s = socket.create_connection(("127.0.0.1", 8080)); s.close(); time.sleep(0.01)
PY
"$TW" run -- "$PY" "$TMP/paced.py" "$TMP/stop" & client=$!
sleep 0.5
"$TW" top --json --comm python3 -d 0.3 -n 2 > "$TMP/top.jsonl"
"$TW" top --json -p "$client" -d 0.3 -n 1 > "$TMP/top1.jsonl"
touch "$TMP/stop"
wait "$client"
expect "top --json lines for 2 snapshots" "$(wc -l < "$TMP/top.jsonl")" -eq 2
"$PY" - "$TMP/top.jsonl" "$TMP/top1.jsonl" "$client" <<'PY' || fail "top --json: $(cat "$TMP/top.jsonl")"
import json, sys
for line in open(sys.argv[1]):
    snap = json.loads(line)
    ps = snap["processes"]
    assert ps and all(p["comm"] == "python3" for p in ps), ps
    live = [p for p in ps if p["state"] == "alive"]
    assert live and live[0]["connects_per_second"] > 0, live
    assert live[0]["destinations"][0]["addr"] == "127.0.0.1:8080", live
    assert snap["totals"]["connects_per_second"] > 0, snap["totals"]
[snap] = [json.loads(l) for l in open(sys.argv[2])]
assert [p["pid"] for p in snap["processes"]] == [int(sys.argv[3])], snap
PY
echo "ok: top --json: one object per snapshot, python3 only, with its rate; -p keeps one pid"

# --no-header: the rows and nothing else.
"$TW" stat --no-header --comm legacy_client > "$TMP/rows.txt"
read -r pid comm _ connects _ < "$TMP/rows.txt"
[ "$comm" = legacy_client ] && [ "$connects" = 30 ] || fail "stat --no-header: $(cat "$TMP/rows.txt")"
expect "stat --no-header lines (process, destination)" "$(wc -l < "$TMP/rows.txt")" -eq 2
"$TW" top --no-header --comm legacy_client -d 0.2 -n 2 > "$TMP/rows.txt"
! grep -qE '^(twshim top|PID) ' "$TMP/rows.txt" || fail "top --no-header: $(cat "$TMP/rows.txt")"
grep -q "^$pid  *legacy_client " "$TMP/rows.txt" || fail "top --no-header: $(cat "$TMP/rows.txt")"
echo "ok: --no-header: rows only, in stat and top"

# --dest: one destination's rows; the process's totals are theirs.
"$TW" stat --json --dest 127.0.0.1:8081 > "$TMP/stat.json"
"$PY" - "$TMP/stat.json" <<'PY' || fail "stat --dest: $(cat "$TMP/stat.json")"
import json, sys
ps = json.load(open(sys.argv[1]))["processes"]
assert ps and all(d["addr"] == "127.0.0.1:8081" for p in ps for d in p["destinations"]), ps
assert {p["comm"] for p in ps if p["connects"]} == {"python3"}, ps
assert all(p["connects"] == sum(d["connects"] for d in p["destinations"]) for p in ps)
PY
echo "ok: stat --dest 127.0.0.1:8081: its rows only, each total theirs"
"$TW" doctor --json --dest '*:8080' > "$TMP/doctor.json" || true
"$PY" - "$TMP/doctor.json" <<'PY' || fail "doctor --dest: $(cat "$TMP/doctor.json")"
import json, sys
d = json.load(open(sys.argv[1]))
eps = {x["endpoint"] for x in d["destinations"]}
assert eps and all(e.endswith(":8080") for e in eps), eps
assert all(g["destination"].endswith(":8080") for g in d["time_wait_groups"]), d["time_wait_groups"]
PY
echo "ok: doctor --dest *:8080: the kernel's groups and the ledgers' rows toward :8080 only"
expect "stat --dest nonsense" "$(status "$TW" stat --dest 10.0.0.0/33)" -eq 2
grep -q "'10.0.0.0/33' is not a destination" "$TMP/err" || fail "stat --dest: $(cat "$TMP/err")"
