# SPDX-License-Identifier: MIT
# Issue 4 acceptance: twshim doctor. Across a veth pair with a 200-port
# client range, a legacy client exhausts the range toward the server's port 8080
# and exits; Python's http.client makes 50 connections to :8081. Doctor,
# run in the client's namespace (and from outside with --netns), must count
# what ss counts, name each destination's process (the C client after it
# exited), say how much of the range is used, recommend a policy, and say
# the same in --json.
. "$(dirname "$0")/lib.sh"

veth_pair
in_client sh -c 'echo "40000 40199" > /proc/sys/net/ipv4/ip_local_port_range'
start_server in_server "$EX/ka_server" -l $SRV -p 8080
start_server in_server "$EX/ka_server" -l $SRV -p 8081

# Both churn at the same time, each toward its own destination.
in_client "$TW" run -- "$PY" "$HERE/http_client.py" $SRV 8081 50 > "$TMP/py.out" &
PY_PID=$!
in_client "$TW" run -- "$EX/legacy_client" -k -n 300 $SRV 8080 > "$TMP/c.out" 2>&1 || true
wait $PY_PID || fail "python: $(cat "$TMP/py.out")"
grep -q 'requests=300 ok=200 failed=100' "$TMP/c.out" || fail "C client: $(cat "$TMP/c.out")"
grep -q 'ok=50 ' "$TMP/py.out" || fail "python: $(cat "$TMP/py.out")"

# The kernel's count and doctor's, taken together.
kernel=$(ss_tw in_client)
rc=0
in_client "$TW" doctor --json > "$TMP/doctor.json" || rc=$?
expect "doctor --json exit status (3: critical findings)" "$rc" -eq 3
"$PY" -m json.tool "$TMP/doctor.json" > /dev/null || fail "doctor --json is not JSON"
rc=0
in_client "$TW" doctor > "$TMP/doctor.txt" || rc=$?
expect "doctor exit status" "$rc" -eq 3
sed -n '1,/^Host settings/p' "$TMP/doctor.txt"

grp="[g for g in d['time_wait_groups'] if g.get('destination')=='$SRV:8080'][0]"
dst8080="[x for x in d['destinations'] if x['endpoint']=='$SRV:8080'][0]"
dst8081="[x for x in d['destinations'] if x['endpoint']=='$SRV:8081'][0]"
expect "doctor's TIME_WAIT = ss's" "$(dq "d['kernel']['time_wait']")" -eq "$kernel"
expect "kernel TIME_WAIT" "$kernel" -eq 250
expect "usable ports" "$(dq "d['ports']['usable']")" -eq 200
expect "TIME_WAIT toward :8080" "$(dq "$grp['time_wait']")" -eq 200
[ "$(dq "$grp['source']")" = $CLI ] || fail "source of the :8080 group: $(dq "$grp")"
expect "percent of the range used" "$(dq "int($grp['used_percent'])")" -eq 100
[ "$(dq "$grp['exhausted_in_s']")" = 0 ] || fail "exhausted_in_s: $(dq "$grp")"
[ "$(dq "$dst8080['processes'][0]['comm']")" = legacy_client ] || fail "8080: $(dq "$dst8080")"
[ "$(dq "$dst8080['processes'][0]['state']")" = exited ] || fail "8080: $(dq "$dst8080")"
expect "legacy_client's share" "$(dq "$dst8080['processes'][0]['time_wait']")" -eq 200
expect "EADDRNOTAVAIL toward :8080" "$(dq "$dst8080['eaddrnotavail']")" -eq 100
expect "explained toward :8080 (%)" "$(dq "int($dst8080['explained_percent'])")" -eq 100
# Attribution is per program: :8081 is python3's alone.
[ "$(dq "[p['comm'] for p in $dst8081['processes']]")" = "['python3']" ] ||
	fail "8081: $(dq "$dst8081")"
expect "python3's share" "$(dq "$dst8081['processes'][0]['time_wait']")" -eq 50
# python3 made 50 in a burst and exited: nothing to project.
g81="[g for g in d['time_wait_groups'] if g.get('destination')=='$SRV:8081'][0]"
[ "$(dq "$g81['exhausted_in_s']")" = None ] || fail ":8081 projected: $(dq "$g81")"
first="d['findings'][0]"
[ "$(dq "$first['severity']")" = critical ] || fail "first finding: $(dq "$first")"
[ "$(dq "$first['id']")" = ports-exhausted ] || fail "first finding: $(dq "$first")"
dq "$first['evidence']" | grep -q "legacy_client (pid [0-9]*, exited) 200" ||
	fail "evidence does not name the exited client: $(dq "$first['evidence']")"
dq "$first['fix']" | grep -q -- "--close fin-reset" || fail "no policy in the fix: $(dq "$first['fix']")"

# The text says the same.
grep -q "$CLI -> $SRV:8080 is out of ports" "$TMP/doctor.txt" || fail "text: no finding"
grep -Eq "^  ${CLI//./\\.} +${SRV//./\\.}:8080 +200 +100% .* now +legacy_client\[[0-9]+,exited\] 200" \
	"$TMP/doctor.txt" || fail "text: no row for :8080"

# From outside, by path; and an exited --pid is shown from its ledger rows.
"$TW" doctor --json --netns /proc/$CLIENT_NS/ns/net > "$TMP/netns.json" || true
[ "$("$PY" -c "import json; print(json.load(open('$TMP/netns.json'))['kernel']['time_wait'])")" \
	-ge 249 ] || fail "--netns: $(head -c 400 "$TMP/netns.json")"
pid=$(dq "$dst8080['processes'][0]['pid']")
"$TW" doctor --pid "$pid" > "$TMP/pid.txt" || true
grep -q "process $pid has exited" "$TMP/pid.txt" || fail "--pid: $(head -5 "$TMP/pid.txt")"
grep -q "$SRV:8081" "$TMP/pid.txt" && fail "--pid $pid shows python3's destination"
grep -Eq "^  ${SRV//./\\.}:8080 +200 +100  legacy_client\[$pid,exited\] 200" "$TMP/pid.txt" ||
	fail "--pid $pid: its destination from the ledger: $(cat "$TMP/pid.txt")"

# Wrong input: one line naming the value.
"$TW" doctor --limit 0 2> "$TMP/err" && fail "--limit 0 accepted"
grep -q "'0'" "$TMP/err" || fail "--limit error: $(cat "$TMP/err")"
"$TW" doctor --netns no-such-ns 2> "$TMP/err" && fail "--netns no-such-ns accepted"
grep -q "/run/netns/no-such-ns" "$TMP/err" || fail "--netns error: $(cat "$TMP/err")"
true
