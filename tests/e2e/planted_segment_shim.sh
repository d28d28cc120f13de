# SPDX-License-Identifier: MIT
# Issue 13, item 10: any local user could stop a TWSHIM_STRICT=1 service by
# putting something at its ledger's predictable name (/dev/shm/twshim.UID,
# or the name its unit sets): the shim refused the segment, rightly, and
# STRICT then refused to start the program. Without STRICT the same plant
# turned the service's policies off. Now what another user can plant (a
# segment of theirs, a copy of a real ledger, a FIFO, a symbolic link) is
# "unavailable": never joined, one line saying so, and the program runs
# with its policies, uncounted. STRICT still stops it for what only its
# own user can have done (its own segment with the wrong mode or layout).
# Also item 6: a log file that another user owns is not written.
#
# Needs real root (a second user): test_e2e.c runs this one without a user
# namespace, in private pid, mount and network namespaces, with a private
# /dev/shm.
. "$(dirname "$0")/lib.sh"

real_root_private_shm
loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
chmod 711 "$TMP"

# client [VAR=VALUE...]: 20 connections by legacy_client as root under
# TWSHIM_STRICT=1 and TWSHIM_CLOSE=reset (no TIME_WAIT when the policy
# applies), its ledger $LEDGER; exit status in $rc, stderr in $TMP/err,
# the TIME_WAIT entries it added in $added.
client() {
	local before
	before=$(ss_tw)
	rc=0
	env TWSHIM_STRICT=1 TWSHIM_CLOSE=reset "$@" "$TW" run -- \
		"$EX/legacy_client" -n 20 127.0.0.1 8080 > "$TMP/out" 2> "$TMP/err" || rc=$?
	added=$(($(ss_tw) - before))
}
# survives WHAT PATTERN: the client ran, the policy applied (no TIME_WAIT
# added), and one line said why the ledger is off.
survives() {
	expect "$1: exit status" "$rc" -eq 0
	expect "$1: TIME_WAIT added (the reset policy applies)" "$added" -le 0
	expect "$1: stderr lines" "$(wc -l < "$TMP/err")" -eq 1
	grep -qF "ledger $LEDGER" "$TMP/err" || fail "$1: the line does not name the ledger"
	grep -qF "$2" "$TMP/err" || fail "$1: no '$2': $(cat "$TMP/err")"
	grep -qF "the policies apply uncounted" "$TMP/err" || fail "$1: $(cat "$TMP/err")"
	echo "ok: $1: $(cat "$TMP/err")"
}

note "a segment of nobody's under root's ledger name, mode 0600"
as_nobody sh -c "umask 077; head -c 4096 /dev/zero > /dev/shm$LEDGER"
client
survives "nobody's segment" "is a file of uid $NOBODY, not a segment of this user's (uid 0)"
expect "nobody's segment: its size" "$(stat -c %s "/dev/shm$LEDGER")" -eq 4096
rm -f "/dev/shm$LEDGER"

note "a copy of a real ledger, given to nobody: right magic, layout and size"
TWSHIM_SHM="$LEDGER-real" TWSHIM_CLOSE=reset "$TW" run -- \
	"$EX/legacy_client" -n 1 127.0.0.1 8080 > /dev/null
cp "/dev/shm$LEDGER-real" "/dev/shm$LEDGER"
chown $NOBODY:$NOBODY "/dev/shm$LEDGER"
before=$(md5sum < "/dev/shm$LEDGER")
client
survives "nobody's copy" "is a file of uid $NOBODY"
[ "$(md5sum < "/dev/shm$LEDGER")" = "$before" ] || fail "root counted into nobody's copy"
rm -f "/dev/shm$LEDGER"

note "a FIFO of nobody's: no hang, not joined"
as_nobody mkfifo -m 666 "/dev/shm$LEDGER"
client
survives "nobody's FIFO" "is no regular file of uid $NOBODY"
rm -f "/dev/shm$LEDGER"

note "a symbolic link of nobody's to root's real ledger: not followed"
as_nobody ln -s "/dev/shm$LEDGER-real" "/dev/shm$LEDGER"
before=$(md5sum < "/dev/shm$LEDGER-real")
client
survives "nobody's symbolic link" "cannot open it"
[ "$(md5sum < "/dev/shm$LEDGER-real")" = "$before" ] || fail "the link was followed"
rm -f "/dev/shm$LEDGER"

note "root's own segment gone wrong (mode 0644): STRICT still stops, in one line"
install -m 644 /dev/null "/dev/shm$LEDGER"
client
expect "own segment, mode 0644: exit status" "$rc" -eq 1
expect "own segment, mode 0644: stderr lines" "$(wc -l < "$TMP/err")" -eq 1
grep -qF "mode 644" "$TMP/err" && grep -qF "TWSHIM_STRICT=1: not starting" "$TMP/err" ||
	fail "own segment: $(cat "$TMP/err")"
echo "ok: $(cat "$TMP/err")"
rm -f "/dev/shm$LEDGER"

note "the control: the ledger usable, the policy off: 20 TIME_WAIT"
client TWSHIM_CLOSE=kernel
expect "control: exit status" "$rc" -eq 0
expect "control: stderr lines" "$(wc -l < "$TMP/err")" -eq 0
expect "control: TIME_WAIT added" "$added" -eq 20

note "item 6: a log file nobody owns, named in root's TWSHIM_LOG: not written"
mkdir -m 1777 "$TMP/shared"
as_nobody sh -c "umask 022; echo nobody > $TMP/shared/tw.log"
client TWSHIM_CLOSE=bogus TWSHIM_STRICT=0 TWSHIM_LOG="file:$TMP/shared/tw.log"
expect "nobody's log file: exit status" "$rc" -eq 0
expect "nobody's log file: stderr lines" "$(wc -l < "$TMP/err")" -eq 2
grep -qF "TWSHIM_LOG=file:$TMP/shared/tw.log refused: it belongs to uid $NOBODY" "$TMP/err" ||
	fail "nobody's log file: $(cat "$TMP/err")"
[ "$(cat "$TMP/shared/tw.log")" = nobody ] || fail "root wrote into nobody's log file"
echo "ok: $(head -1 "$TMP/err")"
