# SPDX-License-Identifier: MIT
# The shim's own log lines never raise SIGPIPE in the program (issue 13).
# What broke: a line written to a stderr that is a pipe whose reader has
# gone (a service logging to `| logger`, an s6 or runit log pipe after the
# logger died) raised SIGPIPE, and a program that had not ignored it died
# at the shim's first warning (a bad TWSHIM_* value, a pooling hint, a
# retry warning): status 141. Now the write is made with SIGPIPE blocked,
# and the SIGPIPE it raised is taken back; the program's own SIGPIPE, its
# disposition, mask and pending signals, are as it left them.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

# broken CMD...: CMD under the shim with a bad TWSHIM_CLOSE (one line at its
# first TCP socket) and its stderr a pipe nobody reads; its exit status.
broken() {
	set +e
	TWSHIM_CLOSE=bogus "$TW" run -- "$PY" "$HERE/broken_stderr.py" "$@" > "$TMP/out" 2> "$TMP/err"
	echo $?
	set -e
}

note "the line is written: with stderr a file, it is there"
TWSHIM_CLOSE=bogus "$TW" run -- "$PY" "$HERE/sigpipe_modes.py" default 8080 > "$TMP/out" 2> "$TMP/err" ||
	fail "sigpipe_modes.py default, stderr a file: $(cat "$TMP/out" "$TMP/err")"
grep -qF "TWSHIM_CLOSE='bogus'" "$TMP/err" || fail "no line about TWSHIM_CLOSE: $(cat "$TMP/err")"
echo "ok: $(cat "$TMP/err")"

note "stderr a pipe with no reader: each program as it left SIGPIPE"
for mode in default ignored handler blocked pending; do
	rc=$(broken "$PY" "$HERE/sigpipe_modes.py" "$mode" 8080)
	[ "$rc" -ne 141 ] || fail "$mode: killed by SIGPIPE (status 141)"
	expect "$mode: exit status" "$rc" -eq 0
	grep -qx "$mode ok" "$TMP/out" || fail "$mode: $(cat "$TMP/out")"
done

runs=6
if [ -z "${SAN:-}" ]; then
	# Under a sanitizer bash may not start with the runtime preloaded.
	note "bash's /dev/tcp, an unmodified program that leaves SIGPIPE alone"
	rc=$(broken bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080
		printf "GET / HTTP/1.1\r\nHost: x\r\n\r\n" >&3
		while read -r line <&3; do [ "$line" = ok ] && exit 0; done; exit 1')
	expect "bash /dev/tcp: exit status" "$rc" -eq 0
	runs=7
fi

stat_json
expect "connections counted (the ledger works on)" "$(statq connects)" -eq $runs
