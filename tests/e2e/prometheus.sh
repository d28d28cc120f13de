# SPDX-License-Identifier: MIT
# twshim stat --prometheus and doctor --prometheus, as node_exporter's
# textfile collector serves them.
# Real traffic under the shim (the C client, twice, to exhaustion; python3
# under --close reset; a client whose name holds a quote and a backslash;
# the servers themselves), then: promtool finds nothing to say; our own
# parser finds no series twice, cumulative histograms, no pid; every value
# is what `twshim stat --json` says, summed per command and destination;
# both examples (the loop script, the systemd unit's command) write the
# file atomically, and node_exporter serves every sample as written, with
# node_textfile_scrape_error 0.
. "$(dirname "$0")/lib.sh"

PROMTOOL=/usr/bin/promtool
NODE_EXPORTER=/usr/bin/prometheus-node-exporter
EXAMPLES=$HERE/../../examples/prometheus
[ -x "$PROMTOOL" ] || fail "$PROMTOOL missing: apt-get install prometheus"
[ -x "$NODE_EXPORTER" ] || fail "$NODE_EXPORTER missing: apt-get install prometheus-node-exporter"
pc() { "$PY" "$HERE/promcheck.py" "$@"; }
status() { set +e; "$@" > "$TMP/out" 2> "$TMP/err"; echo $?; set -e; }

loopback_ns 40000 40199 0
start_server "$TW" run -- "$EX/ka_server" -l 127.0.0.1 -p 8080
start_server "$TW" run -- "$EX/ka_server" -l ::1 -p 8081

note "traffic"
"$TW" run -- "$EX/legacy_client" -q -n 120 127.0.0.1 8080 > "$TMP/c1.out" ||
	fail "client 1: $(cat "$TMP/c1.out")"
# 200 ports, 120 in TIME_WAIT: 80 more, then EADDRNOTAVAIL.
"$TW" run -- "$EX/legacy_client" -q -k -n 120 127.0.0.1 8080 > "$TMP/c2.out" || true
grep -q 'requests=120 ok=80 failed=40' "$TMP/c2.out" || fail "client 2: $(cat "$TMP/c2.out")"
"$TW" run --close reset -- "$PY" "$HERE/http_client.py" ::1 8081 30 > "$TMP/py.out"
grep -q 'ok=30 ' "$TMP/py.out" || fail "python: $(cat "$TMP/py.out")"
weird="$TMP/lc\"q\\b"
cp "$EX/legacy_client" "$weird"
"$TW" run -- "$weird" -q -n 5 ::1 8081 > /dev/null || fail "$weird failed"
for _ in 1 2 3; do
	"$TW" run -- "$GET" ::1 8081 > /dev/null || fail "$GET_COMM failed"
done
# The servers close after the clients: wait until they have.
for _ in $(seq 100); do
	stat_json
	[ "$(statq open --comm ka_server)" -eq 0 ] && break
	sleep 0.05
done
expect "connections the servers still hold" "$(statq open --comm ka_server)" -eq 0

note "stat --prometheus"
"$TW" stat --prometheus > "$TMP/before.prom"
stat_json
"$TW" stat --prometheus > "$TMP/after.prom"
"$PROMTOOL" check metrics < "$TMP/before.prom" > "$TMP/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$TMP/promtool.out")"
[ ! -s "$TMP/promtool.out" ] || fail "promtool check metrics: $(cat "$TMP/promtool.out")"
echo "ok: promtool check metrics: nothing to say"
pc lint "$TMP/before.prom"
pc json "$TMP/before.prom" "$TMP/stat.json" "$TMP/after.prom"
v() { pc value "$TMP/before.prom" "$@"; }
dest8080="destination=127.0.0.1:8080"
expect "connects_total legacy_client -> 127.0.0.1:8080 (2 processes)" \
	"$(v twshim_connects_total comm=legacy_client $dest8080)" -eq 200
expect "connect_errors_total EADDRNOTAVAIL" \
	"$(v twshim_connect_errors_total comm=legacy_client $dest8080 errno=EADDRNOTAVAIL)" -eq 40
expect "time_wait legacy_client -> 127.0.0.1:8080" \
	"$(v twshim_time_wait comm=legacy_client $dest8080)" -eq 200
expect "processes legacy_client exited" \
	"$(v twshim_processes comm=legacy_client state=exited)" -ge 2
expect "accepts_total ka_server <- 127.0.0.1:8080" \
	"$(v twshim_accepts_total comm=ka_server direction=in $dest8080)" -eq 200
expect "policy_actions_total python3 reset" \
	"$(v twshim_policy_actions_total comm=python3 action=reset)" -eq 30
expect "closes_total python3 reset" \
	"$(v twshim_closes_total comm=python3 'destination=[::1]:8081' side=reset)" -eq 30
expect "connect_duration_seconds_count legacy_client -> 127.0.0.1:8080" \
	"$(v twshim_connect_duration_seconds_count comm=legacy_client $dest8080)" -eq 240
# The name is escaped as in every output (twshim(1), SECURITY: the
# backslash doubled, so that no two names collide), then for the label.
expect "connects_total of the quoted command" \
	"$(v twshim_connects_total 'comm=lc"q\\b')" -eq 5
grep -qF 'comm="lc\"q\\\\b"' "$TMP/before.prom" || fail "quote and backslash not escaped"
grep -q 'pid=' "$TMP/before.prom" && fail "a pid label in the exposition"

note "usage"
expect "stat --json --prometheus" "$(status "$TW" stat --json --prometheus)" -eq 2
grep -q -- '--json and --prometheus' "$TMP/err" || fail "message: $(cat "$TMP/err")"
expect "stat --prometheus PID" "$(status "$TW" stat --prometheus 1)" -eq 2
grep -q "takes no PID" "$TMP/err" || fail "message: $(cat "$TMP/err")"
# A ledger not there is a 0 in a whole file, not a failed collector (issue
# 14: the timer failed while one of a host's ledgers was missing).
expect "stat --prometheus, no ledger" "$(status "$TW" stat --prometheus --shm /twshim-none-$$)" -eq 0
grep -qx "twshim_ledger_up{ledger=\"/twshim-none-$$\"} 0" "$TMP/out" ||
	fail "no twshim_ledger_up 0: $(cat "$TMP/out")"
grep -q "/twshim-none-$$" "$TMP/err" || fail "the missing ledger not named on stderr"
"$PROMTOOL" check metrics < "$TMP/out" || fail "promtool: the file with a ledger down"
"$TW" stat --help > "$TMP/help"
grep -q -- '--prometheus' "$TMP/help" || fail "stat --help lacks --prometheus"

note "textfile-loop.sh"
# node_exporter runs as a user of its own: the file must be readable
# whatever the umask of the writer.
umask 077
mkdir -m 755 "$TMP/textfile"
TWSHIM=$TW sh "$EXAMPLES/textfile-loop.sh" "$TMP/textfile" 1 & LOOP=$!
for _ in $(seq 100); do [ -s "$TMP/textfile/twshim.prom" ] && break; sleep 0.05; done
[ -s "$TMP/textfile/twshim.prom" ] || fail "textfile-loop.sh wrote nothing in 5 s"
kill "$LOOP"
wait "$LOOP" || true
expect "files in the textfile directory (no temporary left)" "$(ls -A "$TMP/textfile" | wc -l)" -eq 1
expect "its mode" "$(stat -c %a "$TMP/textfile/twshim.prom")" -eq 644
"$PROMTOOL" check metrics < "$TMP/textfile/twshim.prom" || fail "promtool: the loop's file"
# Written later: TIME_WAIT may have begun to expire.
pc same "$TMP/textfile/twshim.prom" "$TMP/before.prom" --except twshim_time_wait
# A ledger that cannot be read: the last file is replaced by one that says
# so (twshim_ledger_up 0), not left to look current.
mkdir "$TMP/gone"
echo 'stale 1' > "$TMP/gone/twshim.prom"
TWSHIM=$TW TWSHIM_SHM=/twshim-none-$$ sh "$EXAMPLES/textfile-loop.sh" --once "$TMP/gone" 2> /dev/null ||
	fail "textfile-loop.sh --once failed without a ledger"
grep -qx "twshim_ledger_up{ledger=\"/twshim-none-$$\"} 0" "$TMP/gone/twshim.prom" ||
	fail "the file without a ledger: $(cat "$TMP/gone/twshim.prom")"
! grep -q '^stale' "$TMP/gone/twshim.prom" || fail "the old file was left"

note "twshim-textfile.service's command"
# ExecStart as systemd runs it: $$ is a literal $, the Environment= lines
# set for the ledger and directory under test.
mkdir "$TMP/unit"
cmd=$(sed -n 's/^ExecStart=//p' "$EXAMPLES/twshim-textfile.service" | sed 's/\$\$/$/g')
[ -n "$cmd" ] || fail "no ExecStart in twshim-textfile.service"
(
	export PATH=$(dirname "$TW"):$PATH TEXTFILE_DIR=$TMP/unit TEXTFILE_NAME=twshim-test.prom
	eval "$cmd"
) || fail "the unit's command failed"
expect "files the unit's command left" "$(ls -A "$TMP/unit" | wc -l)" -eq 1
expect "its mode" "$(stat -c %a "$TMP/unit/twshim-test.prom")" -eq 644
umask 022
pc same "$TMP/unit/twshim-test.prom" "$TMP/before.prom" --except twshim_time_wait

note "a second ledger in the same directory"
# Another service's ledger, its own file: the ledger label keeps every
# series apart, and the families' HELP and TYPE lines agree.
TWSHIM_SHM=$LEDGER-2 "$TW" run -- "$EX/legacy_client" -q -n 3 ::1 8081 > /dev/null ||
	fail "client on the second ledger failed"
TWSHIM=$TW TWSHIM_SHM=$LEDGER-2 sh "$EXAMPLES/textfile-loop.sh" --once "$TMP/textfile" 1 \
	twshim-2.prom || fail "textfile-loop.sh --once on the second ledger failed"

note "doctor --prometheus"
# The kernel's side, in the same directory: family names apart from stat's.
TWSHIM=$TW TWSHIM_EXPORT=doctor sh "$EXAMPLES/textfile-loop.sh" --once "$TMP/textfile" 1 \
	twshim-doctor.prom || fail "textfile-loop.sh with TWSHIM_EXPORT=doctor failed"
"$PROMTOOL" check metrics < "$TMP/textfile/twshim-doctor.prom" > "$TMP/promtool.out" 2>&1 ||
	fail "promtool check metrics (doctor): $(cat "$TMP/promtool.out")"
[ ! -s "$TMP/promtool.out" ] || fail "promtool check metrics (doctor): $(cat "$TMP/promtool.out")"
echo "ok: promtool check metrics (doctor): nothing to say"
pc lint "$TMP/textfile/twshim-doctor.prom"
dv() { pc value "$TMP/textfile/twshim-doctor.prom" "$@"; }
expect "doctor: TIME_WAIT in the namespace = ss" "$(dv twshim_kernel_time_wait)" -eq "$(ss_tw)"
expect "doctor: TIME_WAIT toward 127.0.0.1:8080" \
	"$(dv twshim_kernel_destination_time_wait $dest8080)" -eq 200
expect "doctor: ports used toward 127.0.0.1:8080 (ratio)" \
	"$(dv twshim_kernel_destination_ports_used_ratio $dest8080)" -eq 1
expect "doctor: explained by the ledger toward 127.0.0.1:8080" \
	"$(dv twshim_doctor_destination_time_wait_explained $dest8080)" -eq 200
expect "doctor: critical findings" "$(dv twshim_doctor_findings severity=critical)" -ge 1
expect "doctor --json --prometheus" "$(status "$TW" doctor --json --prometheus)" -eq 2

note "node_exporter"
port=19100
"$NODE_EXPORTER" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TMP/textfile" --web.listen-address="127.0.0.1:$port" \
	> "$TMP/node_exporter.log" 2>&1 & NE_PID=$!
for _ in $(seq 100); do
	curl -sf --max-time 2 "http://127.0.0.1:$port/metrics" > "$TMP/scrape.txt" && break
	kill -0 "$NE_PID" 2> /dev/null || fail "node_exporter exited: $(cat "$TMP/node_exporter.log")"
	sleep 0.1
done
kill "$NE_PID"
wait "$NE_PID" || true
[ -s "$TMP/scrape.txt" ] || fail "no scrape from node_exporter in 10 s: $(cat "$TMP/node_exporter.log")"
grep -qx 'node_textfile_scrape_error 0' "$TMP/scrape.txt" ||
	fail "textfile scrape error: $(grep textfile "$TMP/scrape.txt"; cat "$TMP/node_exporter.log")"
echo "ok: node_textfile_scrape_error 0"
pc same "$TMP/textfile/twshim.prom" "$TMP/textfile/twshim-2.prom" \
	"$TMP/textfile/twshim-doctor.prom" "$TMP/scrape.txt"
expect "ledgers served" "$(grep -c '^twshim_ledger_info{' "$TMP/scrape.txt")" -eq 2
grep -E '^twshim_(connects_total|time_wait)\{.*legacy_client.*8080' "$TMP/scrape.txt"
grep -E '^twshim_kernel_destination_time_wait\{' "$TMP/scrape.txt" | grep 8080 ||
	fail "node_exporter does not serve doctor's TIME_WAIT toward 127.0.0.1:8080"
