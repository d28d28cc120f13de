# SPDX-License-Identifier: MIT
# Issue 14, item 6: `twshim doctor --check` for Nagios and Icinga. One line
# on stdout, "TWSHIM STATUS - text | perfdata", with the plugin exit codes:
# 0 OK (nothing found), 1 WARNING (tcp_tw_reuse on without timestamps), 2
# CRITICAL (a destination out of ports, after real exhaustion here), 3
# UNKNOWN (a usage error, a namespace that cannot be entered). The
# performance data follow the plugin format ('label'=value[UOM];warn;crit;
# min;max) and carry the kernel's figures (time_wait = ss's count).
. "$(dirname "$0")/lib.sh"

# check WANT_STATUS WANT_WORD ARGS...: runs doctor --check, checks the
# status, the one line and its format.
check() {
	local want=$1 word=$2
	shift 2
	local got
	got=$(status "$TW" doctor --check "$@")
	[ "$(wc -l < "$TMP/out")" -eq 1 ] || fail "not one line: $(cat "$TMP/out")"
	grep -q "^TWSHIM $word - " "$TMP/out" || fail "not TWSHIM $word: $(cat "$TMP/out")"
	expect "doctor --check $* ($word)" "$got" -eq "$want"
	if [ "$word" != UNKNOWN ]; then
		"$PY" - "$TMP/out" <<'PY' || fail "perfdata: $(cat "$TMP/out")"
import re, sys
line = open(sys.argv[1]).read().rstrip("\n")
text, perf = line.split(" | ")
assert "|" not in text
item = re.compile(r"^[a-z_]+=-?[0-9.]+(%|s|B|c)?(;[0-9.]*){0,4}$")
for p in perf.split(" "):
    assert item.match(p), p
PY
	fi
}
perf() { sed 's/.* | //' "$TMP/out" | tr ' ' '\n' | sed -n "s/^$1=\([^;]*\).*/\1/p"; }

loopback_ns 40000 40199 0
check 0 OK
expect "perfdata time_wait with nothing made" "$(perf time_wait)" -eq 0

# A warning: reuse asked for without the timestamps it needs (per namespace).
echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse
echo 0 > /proc/sys/net/ipv4/tcp_timestamps
check 1 WARNING
grep -q 'timestamps' "$TMP/out" || fail "the warning does not name timestamps: $(cat "$TMP/out")"
echo 0 > /proc/sys/net/ipv4/tcp_tw_reuse
echo 1 > /proc/sys/net/ipv4/tcp_timestamps

# Critical: a client out of ports toward one destination.
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
"$TW" run -- "$EX/legacy_client" -q -k -n 250 127.0.0.1 8080 > "$TMP/c.out" || true
grep -q 'ok=200 failed=50' "$TMP/c.out" || fail "client: $(cat "$TMP/c.out")"
check 2 CRITICAL
grep -q '127.0.0.1:8080 is out of ports' "$TMP/out" || fail "text: $(cat "$TMP/out")"
expect "perfdata time_wait = ss's count" "$(perf time_wait)" -eq "$(ss -Htan state time-wait | wc -l)"
expect "perfdata ports_used (percent)" "$(perf ports_used | tr -d %)" = 100.0

# Unknown: usage errors and a namespace that is not there, on stdout.
check 3 UNKNOWN --bogus
check 3 UNKNOWN --json
check 3 UNKNOWN --netns /nonexistent/ns
