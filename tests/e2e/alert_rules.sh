# SPDX-License-Identifier: MIT
# Issue 14: the shipped alert rules (examples/prometheus/rules.yml) load in
# Prometheus (promtool check rules), pass their unit tests (promtool test
# rules tests/prometheus/rules_test.yml: each alert firing and silent, its
# labels and annotations asserted), and ask only for metrics that exist:
# every twshim_* name a rule uses is in what `twshim stat --prometheus` and
# `twshim doctor --prometheus` write after real exhaustion here (a rule on
# a misspelt or renamed metric is silent forever, and promtool cannot tell).
. "$(dirname "$0")/lib.sh"

PROMTOOL=/usr/bin/promtool
[ -x "$PROMTOOL" ] || fail "$PROMTOOL missing: apt-get install prometheus"
RULES=$HERE/../../examples/prometheus/rules.yml
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
missing=0
for m in $(grep -v '^ *#' "$RULES" | grep -o 'twshim_[a-z_]*[a-z]' | sort -u); do
	if grep -q "^$m[{ ]" "$TMP/metrics"; then
		echo "ok: $m is exported"
	else
		echo "FAIL: the rules use $m, which neither stat nor doctor --prometheus writes" >&2
		missing=$((missing + 1))
	fi
done
expect "metrics the rules use but nothing exports" "$missing" -eq 0
