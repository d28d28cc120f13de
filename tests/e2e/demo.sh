# SPDX-License-Identifier: MIT
# `make demo`, the README's first command (its transcript is there), keeps showing what it says:
# the failure (EADDRNOTAVAIL after 200 requests), stat naming the process,
# doctor's critical finding, and the fix (300 of 300 under --close fin-reset,
# no TIME_WAIT left). Run as the demo runs, in namespaces of its own
# (nested in this scenario's).
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	# The demo preloads the shim without a sanitizer runtime first; the
	# plain suite covers it.
	note "SAN=$SAN: the demo runs in the plain build's suite"
	exit 0
fi
bash "$HERE/../../examples/demo.sh" "$B" > "$TMP/demo.out" 2>&1 || fail "demo: $(cat "$TMP/demo.out")"
cat "$TMP/demo.out"
grep -q 'requests=300 ok=200 failed=1' "$TMP/demo.out" || fail "demo: no exhaustion shown"
grep -Eq '^[0-9]+ +legacy_client +exited +200 +1 ' "$TMP/demo.out" || fail "demo: stat row missing"
grep -q '1\. critical: 127.0.0.1 -> 127.0.0.1:8080 is out of ports' "$TMP/demo.out" ||
	fail "demo: doctor's finding missing"
grep -q 'requests=300 ok=300 failed=0' "$TMP/demo.out" || fail "demo: the fix did not work"
grep -q "dport = :8081 )' | wc -l   ->  0" "$TMP/demo.out" || fail "demo: TIME_WAIT left after the fix"
