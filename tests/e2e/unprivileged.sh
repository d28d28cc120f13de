# SPDX-License-Identifier: MIT
# The CLI run by an ordinary user, as operators often do: twshim doctor
# still reads the kernel's view whole, names the processes in the ledgers
# it may read, and says in one finding which ledgers it may not (another
# user's, mode 0600) instead of failing; twshim stat on another user's
# ledger fails with one line naming it.
#
# Needs real root (a second user): test_e2e.c runs this one without a user
# namespace, in private pid, mount and network namespaces, with a private
# /dev/shm.
. "$(dirname "$0")/lib.sh"

real_root_private_shm
loopback_ns 40000 40999 0
# The build must be reachable by nobody: a copy where it may read it.
UB=$TMP/build
mkdir -p "$UB/examples"
cp "$B/libtwshim.so" "$B/twshim" "$UB/"
cp "$EX/legacy_client" "$UB/examples/"
chmod -R a+rX "$UB"
chmod 711 "$TMP"
UTW=$UB/twshim
# Under a sanitizer the wrapper $TW puts its runtime first; nobody uses the
# same wrapper, made readable.
[ "$TW" = "$TMP/twshim" ] && { chmod 755 "$TW"; UTW=$TW; sed -i "s|$B/twshim|$UB/twshim|" "$TW"; }

start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

note "root's client makes 50 TIME_WAIT, nobody's 30, each in its own ledger"
TWSHIM_SHM=/twshim-root "$TW" run -- "$UB/examples/legacy_client" -n 50 127.0.0.1 8080 > "$TMP/root.out" ||
	fail "root's client: $(cat "$TMP/root.out")"
TWSHIM_SHM=/twshim-nobody as_nobody "$UTW" run -- "$UB/examples/legacy_client" -n 30 127.0.0.1 8080 \
	> "$TMP/nobody.out" || fail "nobody's client: $(cat "$TMP/nobody.out")"
expect "root's ledger mode" "$(stat -c %a /dev/shm/twshim-root)" -eq 600
expect "nobody's ledger owner" "$(stat -c %u /dev/shm/twshim-nobody)" -eq $NOBODY
kernel=$(ss_tw)
expect "kernel TIME_WAIT" "$kernel" -eq 80

note "doctor as nobody: the kernel whole, nobody's ledger, root's named as unreadable"
rc=0
as_nobody env -u TWSHIM_SHM "$UTW" doctor --json > "$TMP/doctor.json" 2> "$TMP/doctor.err" || rc=$?
[ -s "$TMP/doctor.err" ] && sed 's/^/    stderr: /' "$TMP/doctor.err"
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "doctor as nobody: exit status $rc (0 or 3 expected)"
"$PY" -m json.tool "$TMP/doctor.json" > /dev/null || fail "doctor --json as nobody is not JSON"
expect "doctor's TIME_WAIT as nobody = ss's" "$(dq "d['kernel']['time_wait']")" -eq "$kernel"
unread="[f for f in d['findings'] if f['id']=='ledger-unreadable']"
expect "ledger-unreadable findings" "$(dq "len($unread)")" -eq 1
dq "$unread[0]['evidence']" | grep -q '/twshim-root' || fail "root's ledger not named: $(dq "$unread")"
dq "$unread[0]['evidence']" | grep -q '/twshim-nobody' && fail "nobody's own ledger named unreadable"
dst="[x for x in d['destinations'] if x['endpoint']=='127.0.0.1:8080'][0]"
[ "$(dq "[p['comm'] for p in $dst['processes']]")" = "['legacy_client']" ] ||
	fail "127.0.0.1:8080 as nobody sees: $(dq "$dst")"
expect "nobody's client's share" "$(dq "$dst['processes'][0]['time_wait']")" -eq 30
rc=0
as_nobody env -u TWSHIM_SHM "$UTW" doctor > "$TMP/doctor.txt" 2>&1 || rc=$?
grep -q 'could not be read' "$TMP/doctor.txt" || fail "text report: $(cat "$TMP/doctor.txt")"
grep 'could not be read' -A3 "$TMP/doctor.txt"

note "stat as nobody on root's ledger: one line naming it"
rc=0
TWSHIM_SHM=/twshim-root as_nobody "$UTW" stat > "$TMP/stat.out" 2> "$TMP/stat.err" || rc=$?
cat "$TMP/stat.err"
[ "$rc" -ne 0 ] || fail "stat as nobody on root's ledger succeeded: $(cat "$TMP/stat.out")"
expect "stat's stderr lines" "$(wc -l < "$TMP/stat.err")" -eq 1
grep -q '/twshim-root.*Permission denied' "$TMP/stat.err" || fail "stat's message does not name the ledger and why"
