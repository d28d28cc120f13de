# SPDX-License-Identifier: MIT
# Fail open: a malformed variable or an unusable ledger costs the program
# nothing but one clear line on stderr (naming the variable, the value and
# what is valid); its stdout and its result are as without the shim.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
"$GET" 127.0.0.1 8080 > "$TMP/plain.out" || fail "$GET_COMM without the shim"

# under VAR=VALUE...: runs the client under the shim; stderr kept in $TMP/err.
under() {
	env "$@" "$TW" run -- "$GET" 127.0.0.1 8080 > "$TMP/out" 2> "$TMP/err" ||
		fail "$GET_COMM failed under $*: $(cat "$TMP/err")"
	cmp -s "$TMP/out" "$TMP/plain.out" || fail "stdout changed under $*"
}
one_line() { # WHAT PATTERN...
	local what=$1; shift
	expect "stderr lines ($what)" "$(wc -l < "$TMP/err")" -eq 1
	for p in "$@"; do
		grep -qF -- "$p" "$TMP/err" || fail "$what: stderr lacks '$p': $(cat "$TMP/err")"
	done
	echo "ok: $what: $(cat "$TMP/err")"
}

under TWSHIM_SHM=twshim-no-slash
one_line "bad TWSHIM_SHM" "TWSHIM_SHM='twshim-no-slash'" "'/NAME'" "off for this process"
under TWSHIM_LOG=journal
one_line "bad TWSHIM_LOG" "TWSHIM_LOG='journal'" "'syslog'"
under TWSHIM_LOG_LEVEL=loud
one_line "bad TWSHIM_LOG_LEVEL" "TWSHIM_LOG_LEVEL='loud'" "'debug'"

# A ledger others could write into (planted with mode 0666) is refused.
touch "/dev/shm$TWSHIM_SHM-planted" && chmod 666 "/dev/shm$TWSHIM_SHM-planted"
under TWSHIM_SHM="$TWSHIM_SHM-planted"
one_line "planted ledger" "$TWSHIM_SHM-planted" "mode 666"

# A ledger from another layout version is refused, not written into.
head -c 4096 /dev/zero > "/dev/shm$TWSHIM_SHM-old" && chmod 600 "/dev/shm$TWSHIM_SHM-old"
under TWSHIM_SHM="$TWSHIM_SHM-old"
one_line "foreign ledger" "$TWSHIM_SHM-old" "rm /dev/shm$TWSHIM_SHM-old"

# Off, and quiet: the ledger off is not an error.
under TWSHIM_SHM=off
expect "stderr lines (TWSHIM_SHM=off)" "$(wc -l < "$TMP/err")" -eq 0
under TWSHIM_LOG=off TWSHIM_SHM=bad
expect "stderr lines (TWSHIM_LOG=off)" "$(wc -l < "$TMP/err")" -eq 0

# A bad policy value: that policy stays off, the rest works as usual.
under TWSHIM_CLOSE=rst
one_line "bad TWSHIM_CLOSE" "TWSHIM_CLOSE='rst'" "'peer-first'" "the close policy stays off"
under TWSHIM_ONLY=10.0.0.0/40
one_line "bad TWSHIM_ONLY" "TWSHIM_ONLY: '10.0.0.0/40'" "CIDR[:PORT]" "every policy stays off"
# ... unless TWSHIM_STRICT=1 asks to refuse to start at all, in one line
# (issue 13: it took two, the complaint and then "the configuration above
# is bad"; and a value with a newline took one more).
# strict VAR=VALUE... PATTERN: the client refused under TWSHIM_STRICT=1.
strict() {
	local pattern=${*: -1} what rc=0
	what="TWSHIM_STRICT=1 $(printf %q "$1")"
	env TWSHIM_STRICT=1 "${@:1:$#-1}" "$TW" run -- "$GET" 127.0.0.1 8080 \
		> "$TMP/out" 2> "$TMP/err" || rc=$?
	expect "$what: exit status" "$rc" -eq 1
	expect "$what: stdout" "$(wc -c < "$TMP/out")" -eq 0
	one_line "$what" "$pattern" "; TWSHIM_STRICT=1: not starting "
}
strict TWSHIM_CLOSE=rst "TWSHIM_CLOSE='rst' is not a close mode"
strict TWSHIM_SHM=bad "TWSHIM_SHM='bad' is not a shared-memory name"
strict TWSHIM_ONLY=, "TWSHIM_ONLY=',' lists no destination"
strict TWSHIM_SOURCE_PORTS=-18446744073709551615-5 "TWSHIM_SOURCE_PORTS='-18446744073709551615-5'"
strict TWSHIM_RETRY_MS=$'5\nforged' "TWSHIM_RETRY_MS='5\\nforged'"
strict TWSHIM_CLOSE=rst TWSHIM_RETRY_MS=x "TWSHIM_CLOSE='rst'"
# This user's own ledger gone wrong stops it too (a planted one does not:
# planted_ledger.sh).
strict TWSHIM_SHM="$TWSHIM_SHM-old" "rm /dev/shm$TWSHIM_SHM-old"
under TWSHIM_STRICT=1 TWSHIM_CLOSE=reset
expect "stderr lines (TWSHIM_STRICT=1, good values)" "$(wc -l < "$TMP/err")" -eq 0
rm -f "/dev/shm$TWSHIM_SHM"

# Logging to a file: nothing on stderr, the lines in the file.
under TWSHIM_LOG="file:$TMP/tw.log" TWSHIM_LOG_LEVEL=debug
expect "stderr lines (TWSHIM_LOG=file:)" "$(wc -l < "$TMP/err")" -eq 0
grep -q "twshim\[$GET_COMM [0-9]*\]: debug: active, ledger $TWSHIM_SHM" "$TMP/tw.log" ||
	fail "no debug line in the log file: $(cat "$TMP/tw.log" 2>&1)"
under TWSHIM_LOG="file:$TMP/tw.log" TWSHIM_SHM=bad
expect "stderr lines (error to file)" "$(wc -l < "$TMP/err")" -eq 0
grep -q "TWSHIM_SHM='bad'" "$TMP/tw.log" || fail "the error did not reach the log file"
rm -f "/dev/shm$TWSHIM_SHM"

# A program whose fd 2 is no longer its stderr (closed, the number reused
# by a data file): the shim's line goes nowhere rather than into the data.
env TWSHIM_CLOSE=bogus "$TW" run -- "$PY" "$HERE/stderr_reused.py" "$TMP/data" ||
	fail "stderr_reused.py failed under the shim"
printf 'RECORD-1\nRECORD-2\n' | cmp -s - "$TMP/data" ||
	fail "the program's data file holds more than its records: $(cat "$TMP/data")"
echo "ok: nothing written into a file that took fd 2"

# A program that puts its own log on fd 2 (dup2, or freopen of stderr):
# the shim's line goes there too, as the program's own lines do. One that
# puts a socket there (inetd-style: its client's connection): no line.
for how in dup2 freopen; do
	rm -f "$TMP/moved.log"
	env TWSHIM_CLOSE=bogus "$TW" run -- "$PY" "$HERE/stderr_moved.py" $how "$TMP/moved.log" ||
		fail "stderr_moved.py $how failed under the shim"
	grep -q "TWSHIM_CLOSE='bogus'" "$TMP/moved.log" ||
		fail "stderr moved by $how: the shim's line did not follow it: $(cat "$TMP/moved.log")"
	echo "ok: the shim's line followed stderr moved by $how"
done
env TWSHIM_CLOSE=bogus "$TW" run -- "$PY" "$HERE/stderr_moved.py" socket "$TMP/moved.sock" ||
	fail "stderr_moved.py socket failed under the shim"
expect "bytes written into a socket on fd 2" "$(wc -c < "$TMP/moved.sock")" -eq 0

# And working as usual: no line at all.
under
expect "stderr lines (good configuration)" "$(wc -l < "$TMP/err")" -eq 0
stat_json
expect "connects counted" "$(statq connects --comm $GET_COMM)" -eq 1
