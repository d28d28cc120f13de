# SPDX-License-Identifier: MIT
# Issue 14, item 1: one exporter per host. Three services with ledgers of
# their own and a fourth whose ledger is missing: one scrape of `twshim
# export` shows all four (twshim_ledger_up 1, 1, 1 and 0), promtool finds
# nothing to say, and a real Prometheus server scraping it answers a query
# with them. The server stays up for everyone: a client that sends half a
# request, or forty that connect and say nothing, do not keep a scrape out;
# a request too long, a path or method it does not serve, get their status.
. "$(dirname "$0")/lib.sh"

PROMETHEUS=/usr/bin/prometheus
PROMTOOL=/usr/bin/promtool
[ -x "$PROMETHEUS" ] && [ -x "$PROMTOOL" ] || fail "prometheus missing: apt-get install prometheus"
PORT=19477
URL=http://127.0.0.1:$PORT/metrics
loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
n=0
for svc in a b c; do
	n=$((n + 2))
	TWSHIM_SHM=$LEDGER-$svc "$TW" run -- "$EX/legacy_client" -q -n $n 127.0.0.1 8080 > /dev/null ||
		fail "service $svc's client failed"
done
SHMS=(--shm "$LEDGER-a" --shm "$LEDGER-b" --shm "$LEDGER-c" --shm "$LEDGER-gone")

expect "export --listen nonsense" "$(status "$TW" export --listen nonsense)" -eq 2
grep -q "is not ADDR:PORT" "$TMP/err" || fail "export --listen nonsense: $(cat "$TMP/err")"

"$TW" export --listen 127.0.0.1:$PORT "${SHMS[@]}" 2> "$TMP/export.err" & EXPORTER=$!
for _ in $(seq 100); do curl -s -o /dev/null "$URL" && break; sleep 0.05; done
expect "the port taken twice" "$(status "$TW" export --listen 127.0.0.1:$PORT)" -eq 1

note "one scrape: every ledger, up or not"
curl -sf "$URL" > "$TMP/m.prom" || fail "GET /metrics failed"
"$PROMTOOL" check metrics < "$TMP/m.prom" > "$TMP/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$TMP/promtool.out")"
[ ! -s "$TMP/promtool.out" ] || fail "promtool check metrics: $(cat "$TMP/promtool.out")"
echo "ok: promtool check metrics: nothing to say"
# The value of the sample whose series (up to the space) is $1.
sample() { awk -v s="$1" 'index($0, s " ") == 1 { print $NF }' "$TMP/m.prom"; }
up() { sample "twshim_ledger_up{ledger=\"$1\"}"; }
for svc in a b c; do expect "twshim_ledger_up $LEDGER-$svc" "$(up "$LEDGER-$svc")" -eq 1; done
expect "twshim_ledger_up $LEDGER-gone" "$(up "$LEDGER-gone")" -eq 0
n=0
for svc in a b c; do
	n=$((n + 2))
	got=$(sample "twshim_connects_total{ledger=\"$LEDGER-$svc\",comm=\"legacy_client\",direction=\"out\",destination=\"127.0.0.1:8080\"}")
	expect "connects of service $svc" "$got" -eq $n
done
grep -q '^twshim_kernel_time_wait{' "$TMP/m.prom" || fail "doctor's part missing"
grep -q "$LEDGER-gone" "$TMP/export.err" || fail "the missing ledger not said on stderr"

note "a real Prometheus scrapes it"
if [ -n "${SAN:-}" ]; then
	# A sanitized exporter can take longer to answer than the 1 s scrape
	# interval (and timeout) this scrape uses: the plain build checks it.
	note "SAN=$SAN: the real Prometheus scrape is checked on the plain build"
else
	cat > "$TMP/prometheus.yml" <<-YML
	global: {scrape_interval: 1s, evaluation_interval: 1s}
	scrape_configs:
	  - job_name: twshim
	    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
	YML
	"$PROMETHEUS" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address=127.0.0.1:19090 > "$TMP/prometheus.log" 2>&1 & PROM=$!
	q() { curl -sf --get --data-urlencode "query=$1" http://127.0.0.1:19090/api/v1/query; }
	for _ in $(seq 300); do
		q 'count(twshim_ledger_up)' 2> /dev/null | grep -q '"4"' && break
		kill -0 "$PROM" 2> /dev/null || fail "prometheus exited: $(tail "$TMP/prometheus.log")"
		sleep 0.1
	done
	q 'twshim_ledger_up' > "$TMP/q.json" || fail "no answer from prometheus"
	"$PY" - "$TMP/q.json" "$LEDGER" <<-'PY' || fail "prometheus' answer: $(cat "$TMP/q.json")"
	import json, sys
	r = json.load(open(sys.argv[1]))["data"]["result"]
	up = {x["metric"]["ledger"]: x["value"][1] for x in r}
	base = sys.argv[2]
	assert up == {base + "-a": "1", base + "-b": "1", base + "-c": "1", base + "-gone": "0"}, up
	assert all(x["metric"]["instance"] == "127.0.0.1:19477" for x in r)
	PY
	q 'sum(twshim_connects_total)' | grep -q '"12"' || fail "sum of connects: $(q 'sum(twshim_connects_total)')"
	echo "ok: prometheus' /api/v1/query: twshim_ledger_up 1, 1, 1, 0 from $URL; 12 connects"
	kill "$PROM"
	wait "$PROM" || true

fi

note "one client cannot keep the others out"
# Half a request, held open; then forty connections that say nothing,
# more than the server's 32 slots.
"$PY" - "$PORT" "$TMP/held.ready" <<'PY' & HOLDER=$!
import socket, sys, time
port = int(sys.argv[1])
half = socket.create_connection(("127.0.0.1", port))
half.sendall(b"GET /metr")
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
open(sys.argv[2], "w").close()
time.sleep(30)
PY
for _ in $(seq 100); do [ -e "$TMP/held.ready" ] && break; sleep 0.05; done
t0=$(date +%s%N)
curl -sf --max-time 5 "$URL" > /dev/null || fail "a scrape failed while others held connections"
expect "ms for a scrape past 41 held connections" $(( ($(date +%s%N) - t0) / 1000000 )) -lt 5000
kill "$HOLDER"
wait "$HOLDER" 2> /dev/null || true

note "what it does not serve"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect "GET /nope" "$(code http://127.0.0.1:$PORT/nope)" -eq 404
expect "POST /metrics" "$(code -X POST http://127.0.0.1:$PORT/metrics)" -eq 405
expect "HEAD /metrics" "$(code -I http://127.0.0.1:$PORT/metrics)" -eq 200
expect "a request of 10 KiB of headers" \
	"$(code -H "X-Big: $(head -c 10000 /dev/zero | tr '\0' x)" "$URL")" -eq 431

kill -TERM "$EXPORTER"
rc=0
wait "$EXPORTER" || rc=$?
expect "export's exit status on SIGTERM" "$rc" -eq 0
