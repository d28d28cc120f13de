# SPDX-License-Identifier: MIT
# Issue 13, item 6: TWSHIM_LOG=file:PATH followed a symbolic link at PATH
# (root's program appended to whatever file another user's link named)
# and hung for good on a FIFO with no reader (open for writing blocks).
# Now only a regular file is written: anything else at PATH costs one line
# on stderr naming TWSHIM_LOG and the path, and the lines go to stderr.
# Also item 13: a value with a newline in it made a two-line message, the
# second free text (log injection); it is escaped on its one line.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
"$GET" 127.0.0.1 8080 > "$TMP/plain.out" || fail "$GET_COMM without the shim"

# logs_to PATH: the client under the shim with a bad TWSHIM_CLOSE (one
# line to log), its log at file:PATH, bounded in time: before the fix a
# FIFO hung it. stdout in $TMP/out, stderr in $TMP/err.
logs_to() {
	local rc=0
	TWSHIM_CLOSE=bogus TWSHIM_LOG="file:$1" timeout 20 "$TW" run -- "$GET" 127.0.0.1 8080 \
		> "$TMP/out" 2> "$TMP/err" || rc=$?
	[ "$rc" -ne 124 ] || fail "file:$1: the program hung in the shim's log line"
	expect "file:$1: exit status" "$rc" -eq 0
	cmp -s "$TMP/out" "$TMP/plain.out" || fail "file:$1: stdout changed"
}
# refused PATH WHY: PATH was refused, once, and the line went to stderr.
refused() {
	expect "file:$1: stderr lines" "$(wc -l < "$TMP/err")" -eq 2
	grep -qF "TWSHIM_LOG=file:$1 refused: $2; logging to stderr instead" "$TMP/err" ||
		fail "file:$1: no refusal naming it: $(cat "$TMP/err")"
	grep -qF "TWSHIM_CLOSE='bogus'" "$TMP/err" || fail "file:$1: the line itself is lost"
	echo "ok: $(head -1 "$TMP/err")"
}

note "a regular file: the line in it, nothing on stderr"
logs_to "$TMP/tw.log"
expect "stderr lines (regular file)" "$(wc -l < "$TMP/err")" -eq 0
grep -qF "TWSHIM_CLOSE='bogus'" "$TMP/tw.log" || fail "no line in the file: $(cat "$TMP/tw.log")"
expect "the file's mode" "$(stat -c %a "$TMP/tw.log")" -eq 600

note "a symbolic link: not followed"
echo precious > "$TMP/target"
ln -s "$TMP/target" "$TMP/link.log"
logs_to "$TMP/link.log"
refused "$TMP/link.log" "it is a symbolic link"
[ "$(cat "$TMP/target")" = precious ] || fail "the link's target was written: $(cat "$TMP/target")"
ln -s "$TMP/nowhere" "$TMP/dangling.log"
logs_to "$TMP/dangling.log"
refused "$TMP/dangling.log" "it is a symbolic link"
[ ! -e "$TMP/nowhere" ] || fail "a dangling link's target was created"

note "a FIFO with no reader: no hang"
mkfifo "$TMP/fifo.log"
logs_to "$TMP/fifo.log"
refused "$TMP/fifo.log" "it is a FIFO or socket, not a regular file"

note "a FIFO with a reader: refused too (not a regular file)"
mkfifo "$TMP/read.fifo"
cat "$TMP/read.fifo" > "$TMP/fifo.read" &
READER=$!
exec 9> "$TMP/read.fifo" # keeps the reader from ending at our close
logs_to "$TMP/read.fifo"
refused "$TMP/read.fifo" "it is a FIFO, not a regular file"
exec 9>&-
wait "$READER"
expect "bytes the FIFO's reader got" "$(wc -c < "$TMP/fifo.read")" -eq 0

note "a hard link to another file: refused"
echo precious > "$TMP/target2"
ln "$TMP/target2" "$TMP/hard.log"
logs_to "$TMP/hard.log"
refused "$TMP/hard.log" "it has 2 hard links"
[ "$(cat "$TMP/target2")" = precious ] || fail "the hard link's file was written"

note "a directory: refused with the reason"
mkdir "$TMP/dir.log"
logs_to "$TMP/dir.log"
refused "$TMP/dir.log" "Is a directory"

note "a value with a newline: one line, the newline escaped"
rc=0
TWSHIM_CLOSE=$'bogus\ntwshim[sshd 1]: error: forged' TWSHIM_LOG="file:$TMP/inj.log" \
	"$TW" run -- "$GET" 127.0.0.1 8080 > "$TMP/out" 2> "$TMP/err" || rc=$?
expect "newline value: exit status" "$rc" -eq 0
expect "lines in the log" "$(wc -l < "$TMP/inj.log")" -eq 1
grep -qF "TWSHIM_CLOSE='bogus\\ntwshim[sshd 1]: error: forged'" "$TMP/inj.log" ||
	fail "the newline is not escaped: $(cat "$TMP/inj.log")"
TWSHIM_ONLY=$'10.0.0.1\x1b[2J\r' "$TW" run -- "$GET" 127.0.0.1 8080 > "$TMP/out" 2> "$TMP/err" ||
	fail "escape sequence value: the client failed"
expect "stderr lines (escape sequence)" "$(wc -l < "$TMP/err")" -eq 1
grep -qF "'10.0.0.1\\x1b[2J\\r'" "$TMP/err" || fail "not escaped: $(cat -v "$TMP/err")"
echo "ok: $(cat "$TMP/inj.log")"
