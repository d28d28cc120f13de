# SPDX-License-Identifier: MIT
# Issue 13, items 4, 5 and 13 (the reader's part): what another local user
# plants in /dev/shm can neither hang nor fool the CLI run by root.
#  - A FIFO at root's default ledger name hung `twshim stat`, `top`,
#    `doctor` and the Prometheus export in open(): each now ends at once
#    with one note that it is a FIFO.
#  - A well-formed segment made by nobody under root's default name was
#    read by root as its own (a command named `$(id>/tmp/p)` then stood in
#    doctor's Fix line as a command to run): refused, the note naming the
#    file and its owner.
#  - Sixteen junk twshim* files made doctor read no ledger at all, silently:
#    it now reads past any number of them and names each.
#  - Root reads another user's ledger only when told to trust that user
#    (--owner), and then still refuses a third user's segment.
#  - Read by its own user, such a segment's names come out escaped: no ESC
#    or C1 byte on the terminal, --json valid UTF-8, the Prometheus label
#    escaped, and the Fix line's name one inert shell word.
#
# Needs real root (a second user): test_e2e.c runs this one without a user
# namespace, in private pid, mount and network namespaces, with a private
# /dev/shm.
. "$(dirname "$0")/lib.sh"

real_root_private_shm
# 100 ports, no reuse: 150 connections exhaust it and doctor has a Fix.
loopback_ns 40000 40099 0
# The build must be reachable by nobody: a copy where it may read it.
UB=$TMP/build
mkdir -p "$UB/examples"
cp "$B/libtwshim.so" "$B/twshim" "$UB/"
cp "$EX/legacy_client" "$UB/examples/"
chmod -R a+rX "$UB"
chmod 711 "$TMP"
UTW=$UB/twshim
[ "$TW" = "$TMP/twshim" ] && { chmod 755 "$TW"; UTW=$TW; sed -i "s|$B/twshim|$UB/twshim|" "$TW"; }
ROOTS=/dev/shm/twshim.0   # root's default ledger, as root's twshim finds it
unset TWSHIM_SHM

# bounded NAME CMD...: runs CMD (stdout in $TMP/NAME.out, stderr in
# $TMP/NAME.err) within 20 s; its exit status in $rc. 124: it hung.
bounded() {
	local name=$1
	shift
	set +e
	timeout 20 "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" < /dev/null
	rc=$?
	set -e
	[ "$rc" -ne 124 ] || fail "$name: still running after 20 s (hangs)"
}

note "a FIFO at root's ledger name: every reader ends at once and says so"
as_nobody mkfifo -m 666 "$ROOTS"
for v in "stat" "stat --prometheus" "top --once" "doctor" "doctor --prometheus"; do
	# shellcheck disable=SC2086 # v is a verb and its options
	bounded fifo "$TW" $v
	echo "twshim $v: exit $rc; $(head -c 300 "$TMP/fifo.err")"
	case $v in
	doctor) expect "twshim $v: exit status (no finding above info)" "$rc" -eq 0
		grep -q 'twshim.0 is a FIFO, not a file: refused' "$TMP/fifo.out" ||
			fail "doctor does not name the FIFO: $(cat "$TMP/fifo.out")" ;;
	doctor*) expect "twshim $v: exit status" "$rc" -eq 0 ;;
	# The export is whole all the same: the ledger is a 0 there.
	"stat --prometheus")
		expect "twshim $v: exit status" "$rc" -eq 0
		grep -qx 'twshim_ledger_up{ledger="/twshim.0"} 0' "$TMP/fifo.out" ||
			fail "twshim $v: no twshim_ledger_up 0: $(head "$TMP/fifo.out")"
		grep -q 'ledger /twshim.0 is a FIFO, not a file: refused' "$TMP/fifo.err" ||
			fail "twshim $v: $(cat "$TMP/fifo.err")" ;;
	*) expect "twshim $v: exit status" "$rc" -eq 1
		expect "twshim $v: stderr lines" "$(wc -l < "$TMP/fifo.err")" -eq 1
		grep -q 'ledger /twshim.0 is a FIFO, not a file: refused' "$TMP/fifo.err" ||
			fail "twshim $v: $(cat "$TMP/fifo.err")" ;;
	esac
done
rm -f "$ROOTS"

note "nobody's segment with planted names, under root's default name"
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
# Two of nobody's clients: 20 TIME_WAIT, then 80 and 70 EADDRNOTAVAIL.
for n in 20 150; do
	TWSHIM_SHM=/twshim-nobody as_nobody "$UTW" run -- "$UB/examples/legacy_client" -k -n $n \
		127.0.0.1 8080 >> "$TMP/clients.out" 2>&1 || true
done
# Renamed in the segment as a process can name itself (prctl
# PR_SET_NAME): an escape sequence, a byte that is not UTF-8 and a C1
# control (CSI); a command substitution. Then copied to root's name.
as_nobody "$PY" - /dev/shm/twshim-nobody "$ROOTS" <<'PYEOF'
import os, sys
d = open(sys.argv[1], "rb").read()
for name in (b"\x1b[31mred\xe9\xc2\x9b", b"$(id>/tmp/p)"):
    i = d.index(b"legacy_client\0")
    d = d[:i] + name.ljust(16, b"\0") + d[i + 16:]
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, d)
os.close(fd)
PYEOF
expect "kernel TIME_WAIT" "$(ss_tw)" -eq 100
ls -l /dev/shm

note "root's stat and top refuse it, naming the file and its owner"
for v in "stat" "stat --json" "stat --prometheus" "top --once"; do
	# shellcheck disable=SC2086
	bounded planted "$TW" $v
	cat "$TMP/planted.err"
	# The export reads every twshim* ledger there, and names each refused.
	if [ "$v" = "stat --prometheus" ]; then
		expect "twshim $v: exit status" "$rc" -eq 0
		expect "twshim $v: stderr lines" "$(wc -l < "$TMP/planted.err")" -eq \
			"$(find /dev/shm -maxdepth 1 -name 'twshim*' | wc -l)"
	else
		expect "twshim $v: exit status" "$rc" -eq 1
		expect "twshim $v: stderr lines" "$(wc -l < "$TMP/planted.err")" -eq 1
	fi
	grep -q 'ledger /twshim.0 belongs to uid 65534 (nobody), not to you (uid 0) or root: refused' \
		"$TMP/planted.err" || fail "twshim $v: $(cat "$TMP/planted.err")"
	grep -q 'id>' "$TMP/planted.out" && fail "twshim $v showed the planted name"
done

note "root names nobody as a ledger owner it trusts: read; a segment of uid 4242's still refused"
bounded owner "$TW" stat --all --owner nobody
expect "stat --owner nobody: exit status" "$rc" -eq 0
grep -qF '$(id>/tmp/p)' "$TMP/owner.out" || fail "stat --owner nobody: $(cat "$TMP/owner.out")"
setpriv --reuid=4242 --regid=4242 --clear-groups sh -c 'umask 077; cat > /dev/shm/twshim-svc' \
	< /dev/shm/twshim-nobody
bounded owner "$TW" stat --owner nobody --shm /twshim-svc
cat "$TMP/owner.err"
expect "stat --owner nobody on uid 4242's: exit status" "$rc" -eq 1
grep -q 'ledger /twshim-svc belongs to uid 4242 (no such user).*refused' "$TMP/owner.err" ||
	fail "uid 4242's segment: $(cat "$TMP/owner.err")"
rm -f /dev/shm/twshim-svc

note "root's doctor: the kernel's TIME_WAIT, no planted name; both ledgers named as refused"
bounded doctor "$TW" doctor --json
expect "doctor --json exit status (3: critical)" "$rc" -eq 3
cp "$TMP/doctor.out" "$TMP/doctor.json"
expect "doctor's TIME_WAIT" "$(dq "d['kernel']['time_wait']")" -eq 100
expect "ledgers read" "$(dq "len(d['ledgers'])")" -eq 0
refused="[e for e in d['ledger_errors'] if 'belongs to uid 65534 (nobody)' in e]"
expect "ledgers refused as nobody's" "$(dq "len($refused)")" -eq 2
grep -q 'id>' "$TMP/doctor.json" && fail "root's doctor shows the planted name"

note "sixteen junk twshim* files and a FIFO before root's own ledger: doctor still reads it"
for i in $(seq -w 1 16); do as_nobody sh -c "echo junk > /dev/shm/twshim-a$i"; done
as_nobody mkfifo -m 666 /dev/shm/twshim-a17
TWSHIM_SHM=/twshim-root "$TW" run -- "$EX/legacy_client" -n 3 127.0.0.1 8081 > /dev/null 2>&1 || true
bounded junk "$TW" doctor --json
cp "$TMP/junk.out" "$TMP/doctor.json"
[ "$(dq "[l['name'] for l in d['ledgers']]")" = "['/twshim-root']" ] ||
	fail "ledgers read: $(dq "d['ledgers']")"
expect "ledger notes (16 junk, a FIFO, 2 of nobody's)" "$(dq "d['ledger_errors_total']")" -eq 19
expect "junk named, as nobody's" "$(dq "len([e for e in d['ledger_errors'] if '/twshim-a' in e and 'belongs to uid 65534' in e])")" -eq 16
expect "the FIFO named" "$(dq "len([e for e in d['ledger_errors'] if '/twshim-a17 is a FIFO' in e])")" -eq 1
rm -f /dev/shm/twshim-a* /dev/shm/twshim-root

note "nobody reads its own: names escaped in the table, --json, --prometheus and the Fix line"
as_nobody "$UTW" stat --all --shm /twshim.0 > "$TMP/stat.txt"
cat -v "$TMP/stat.txt"
grep -qF '\x1b[31mred\xe9\xc2\x9b' "$TMP/stat.txt" || fail "stat: the ESC name not escaped"
grep -qF '$(id>/tmp/p)' "$TMP/stat.txt" || fail "stat: the other name is missing"
# No ESC, no C1, no byte that is not UTF-8 in anything the CLI printed.
clean() {
	"$PY" -c 'import sys; t = open(sys.argv[1], "rb").read().decode("utf-8")
bad = [c for c in t if ord(c) < 32 and c not in "\n" or 0x7f <= ord(c) <= 0x9f]
sys.exit("%s: %r" % (sys.argv[1], bad) if bad else 0)' "$1" || fail "$1 is not clean text"
}
clean "$TMP/stat.txt"
as_nobody "$UTW" stat --all --json --shm /twshim.0 > "$TMP/stat.json"
clean "$TMP/stat.json"
[ "$("$PY" -c 'import json,sys; print(sorted(p["comm"] for p in json.load(open(sys.argv[1]))["processes"]))' \
	"$TMP/stat.json")" = "['\$(id>/tmp/p)', '\\\\x1b[31mred\\\\xe9\\\\xc2\\\\x9b']" ] ||
	fail "stat --json names: $(grep comm "$TMP/stat.json")"
as_nobody "$UTW" stat --prometheus --shm /twshim.0 > "$TMP/stat.prom"
clean "$TMP/stat.prom"
"$PY" "$HERE/promcheck.py" lint "$TMP/stat.prom" || fail "stat --prometheus: $(head "$TMP/stat.prom")"
grep -qF 'comm="\\x1b[31mred\\xe9\\xc2\\x9b"' "$TMP/stat.prom" ||
	fail "prometheus label: $(grep -m1 comm= "$TMP/stat.prom")"
rc=0
as_nobody "$UTW" doctor --json --shm /twshim.0 > "$TMP/doctor.json" || rc=$?
expect "nobody's doctor exit status" "$rc" -eq 3
clean "$TMP/doctor.json"
as_nobody "$UTW" doctor --shm /twshim.0 > "$TMP/doctor.txt" || true
clean "$TMP/doctor.txt"
fix=$(dq "[f['fix'] for f in d['findings'] if f['id']=='ports-exhausted'][0]")
echo "Fix: $fix"
cmd=$(printf '%s\n' "$fix" | sed -n 's/^[^`]*`\([^`]*\)`.*/\1/p')
[ "$cmd" = "twshim run --close fin-reset -- '\$(id>/tmp/p)' ARGS..." ] || fail "Fix's command: $cmd"
# Pasted into a shell, the name is one word, and nothing runs.
rm -f /tmp/p
got=$(id() { echo ran; }; eval "set -- $cmd"; echo "$6")
[ "$got" = '$(id>/tmp/p)' ] || fail "the shell took the name as: $got"
[ ! -e /tmp/p ] || { rm -f /tmp/p; fail "the Fix line's name ran"; }
rm -f "$ROOTS" /dev/shm/twshim-nobody
