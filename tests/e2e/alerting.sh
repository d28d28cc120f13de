# SPDX-License-Identifier: MIT
# Issue 14: the shipped alert rules (examples/prometheus/rules.yml) load in
# Prometheus (promtool check rules), pass their unit tests (promtool test
# rules tests/prometheus/rules_test.yml: each alert firing and silent, its
# labels and annotations asserted), and ask only for metrics that exist:
# every twshim_* name a rule uses is in what `twshim stat --prometheus` and
# `twshim doctor --prometheus` write after real exhaustion here (a rule on
# a misspelt or renamed metric is silent forever, and promtool cannot tell).
# The same for the Grafana dashboard (examples/grafana/twshim-dashboard.json):
# valid JSON, every panel with a query, every metric a query reads exported.
. "$(dirname "$0")/lib.sh"

PROMTOOL=/usr/bin/promtool
[ -x "$PROMTOOL" ] || fail "$PROMTOOL missing: apt-get install prometheus"
RULES=$HERE/../../examples/prometheus/rules.yml
DASHBOARD=$HERE/../../examples/grafana/twshim-dashboard.json
TESTS=$HERE/../prometheus/rules_test.yml

"$PROMTOOL" check rules "$RULES" > "$TMP/out" 2>&1 || fail "promtool check rules: $(cat "$TMP/out")"
grep -q SUCCESS "$TMP/out" || fail "promtool check rules: $(cat "$TMP/out")"
echo "ok: $(grep SUCCESS "$TMP/out" | sed 's/^ *//')"
# promtool test rules reads rule_files relative to the test file.
(cd "$(dirname "$TESTS")" && "$PROMTOOL" test rules "$(basename "$TESTS")") > "$TMP/out" 2>&1 ||
	fail "promtool test rules: $(cat "$TMP/out")"
n_alerts=$(grep -c '^ *- alert:' "$RULES")
# Each alert is tested both silent (exp_alerts: []) and firing (a label set).
for a in $(sed -n 's/^ *- alert: *//p' "$RULES"); do
	"$PY" - "$TESTS" "$a" <<'PY' || fail "alert $a is not tested both firing and silent"
import sys, re
text = open(sys.argv[1]).read()
name = sys.argv[2]
cases = re.findall(r'alertname: %s\n\s+exp_alerts:(.*?)(?=\n\s+- eval_time|\n\s+- interval|\Z)' % re.escape(name), text, re.S)
silent = any(c.strip().startswith('[]') for c in cases)
firing = any('exp_labels' in c for c in cases)
sys.exit(0 if silent and firing else 1)
PY
done
echo "ok: promtool test rules passes; $n_alerts alerts, each tested firing and silent"

# The metrics, from real traffic: a client out of ports (EADDRNOTAVAIL).
loopback_ns 40000 40049 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
"$TW" run -- "$EX/legacy_client" -q -k -n 60 127.0.0.1 8080 > "$TMP/c.out" || true
grep -q 'failed=10' "$TMP/c.out" || fail "client: $(cat "$TMP/c.out")"
"$TW" stat --prometheus > "$TMP/metrics" || fail "stat --prometheus failed"
"$TW" doctor --prometheus >> "$TMP/metrics" || fail "doctor --prometheus failed"
# The dashboard's queries: every panel has one; the metric names they read.
"$PY" - "$DASHBOARD" > "$TMP/dash_exprs" <<'PY' || fail "$DASHBOARD: $(cat "$TMP/dash_exprs")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d.get("title") and d.get("uid"), "no title or uid"
panels = d["panels"]
assert panels, "no panels"
for p in panels:
    exprs = [t["expr"] for t in p.get("targets", []) if t.get("expr")]
    assert exprs, "panel %r has no query" % p.get("title")
    for e in exprs:
        print(e)
for v in d.get("templating", {}).get("list", []):
    if v.get("type") == "query":
        print(v["definition"])
PY
echo "ok: $DASHBOARD: $(wc -l < "$TMP/dash_exprs") queries"
# Their PromQL parses: each, with Grafana's variables given values, as a
# recording rule that promtool checks (label_values() is Grafana's, not
# PromQL: its metric is checked below, not its syntax).
{
	echo "groups: [{name: dashboard, rules: ["
	grep -v '^label_values(' "$TMP/dash_exprs" | sed 's/\$__rate_interval/5m/g; s/\$instance/.*/g' |
		"$PY" -c 'import json, sys
print(",\n".join("{record: dashboard_q%d, expr: %s}" % (i, json.dumps(l.strip())) for i, l in enumerate(sys.stdin)))'
	echo "]}]"
} > "$TMP/dash_rules.yml"
"$PROMTOOL" check rules "$TMP/dash_rules.yml" > "$TMP/out" 2>&1 ||
	fail "the dashboard's PromQL: $(cat "$TMP/out")"
echo "ok: the dashboard's queries parse (promtool: $(grep -o 'SUCCESS.*' "$TMP/out"))"

missing=0
check_exported() { # WHAT FILE: each twshim_* metric FILE names is exported
	for m in $(grep -v '^ *#' "$2" | grep -o 'twshim_[a-z_]*[a-z]' | sort -u); do
		if grep -q "^$m[{ ]" "$TMP/metrics"; then
			echo "ok: $1: $m is exported"
		else
			echo "FAIL: $1: $m is written by neither stat nor doctor --prometheus" >&2
			missing=$((missing + 1))
		fi
	done
}
check_exported "the rules" "$RULES"
check_exported "the dashboard" "$TMP/dash_exprs"
expect "metrics the rules and the dashboard read but nothing exports" "$missing" -eq 0
