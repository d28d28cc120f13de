# SPDX-License-Identifier: MIT
# Issue 13, item 14: with the shim in /etc/ld.so.preload, a setuid-root
# helper that becomes root for good (real uid 0 too, as su(1) does) and
# exec's a program passed the user's TWSHIM_* on: the new image has no
# AT_SECURE, so the shim there honoured them, and the user made root
# create a file in a root-only directory through TWSHIM_LOG=file:. Now the
# shim, inert under AT_SECURE, also removes every TWSHIM_* variable from
# that process's environment at start, as ld.so does with LD_PRELOAD there:
# nothing of the user's reaches what it runs.
#
# Needs real root (a second user, a setuid file): test_e2e.c runs this one
# without a user namespace, in private pid, mount and network namespaces.
# /etc and the directory of the setuid copy are mounted over in the private
# mount namespace only.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	# As in secure_exec.sh: from /etc/ld.so.preload a sanitized shim would
	# need its runtime first in setuid programs too.
	note "SAN=$SAN: secure execution is checked in the plain build's suite"
	exit 0
fi
real_root_private_shm
loopback_ns 40000 40999 0
trap 'umount -l /etc "$SD" 2>/dev/null || true; cleanup' EXIT
SD=$TMP/secure
mkdir "$SD" "$TMP/rootonly"
chmod 711 "$TMP"
chmod 700 "$TMP/rootonly"
mount -t tmpfs -o mode=755 tmpfs "$SD"
cp "$B/libtwshim.so" "$B/tests/progs/secure_probe" "$SD/"
cp "$B/tests/progs/become_root" "$SD/become_root"
chmod 4755 "$SD/become_root"
cp -a /etc "$TMP/etc"
echo "$SD/libtwshim.so" > "$TMP/etc/ld.so.preload"
mount --bind "$TMP/etc" /etc

start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

# as_user CMD...: CMD as nobody through the setuid helper, with the
# user's TWSHIM_*: a log file in root's private directory, a ledger name.
as_user() {
	TWSHIM_LOG="file:$TMP/rootonly/pwned" TWSHIM_SHM=$LEDGER-user TWSHIM_CLOSE=bogus \
		as_nobody "$SD/become_root" "$@"
}

note "the helper's program runs as root, loaded with the shim, without AT_SECURE"
rc=0
as_user "$SD/secure_probe" 8080 3 > "$TMP/probe.out" 2> "$TMP/probe.err" || rc=$?
echo "probe: $(cat "$TMP/probe.out")"
[ -s "$TMP/probe.err" ] && sed 's/^/    stderr: /' "$TMP/probe.err"
expect "probe: exit status" "$rc" -eq 0
grep -q '^at_secure=0 ruid=0 euid=0 shim_loaded=1 connected=3$' "$TMP/probe.out" ||
	fail "not the case under test: $(cat "$TMP/probe.out")"

note "none of the user's TWSHIM_* reached it"
[ ! -e "$TMP/rootonly/pwned" ] || fail "root created the user's file: $(cat "$TMP/rootonly/pwned")"
[ ! -e "/dev/shm$LEDGER-user" ] || fail "root opened the ledger the user named"
grep -q "TWSHIM_CLOSE='bogus'" "$TMP/probe.err" && fail "root read the user's TWSHIM_CLOSE"
as_user /usr/bin/env > "$TMP/env.out"
grep -q '^TWSHIM_' "$TMP/env.out" && fail "passed on: $(grep '^TWSHIM_' "$TMP/env.out")"
grep -q '^HOME=\|^PATH=' "$TMP/env.out" || fail "the rest of the environment went too"
echo "ok: no TWSHIM_* in the environment of the program root ran"
# execve() takes any strings as the environment: entries with no '=' (which
# unsetenv() cannot remove) must go too, and not hang the helper.
as_nobody timeout 20 "$PY" -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
argv = (ctypes.c_char_p * 3)(sys.argv[1].encode(), b"/usr/bin/env", None)
envp = (ctypes.c_char_p * 5)(b"TWSHIM_NOEQ", sys.argv[2].encode(), b"PATH=/usr/bin:/bin",
                             b"TWSHIM_X", None)
libc.execve(argv[0], argv, envp)
sys.exit("execve: errno %d" % ctypes.get_errno())
' "$SD/become_root" "TWSHIM_LOG=file:$TMP/rootonly/pwned" > "$TMP/env.out" ||
	fail "crafted environment: status $?"
grep -q '^TWSHIM_' "$TMP/env.out" && fail "passed on: $(grep '^TWSHIM_' "$TMP/env.out")"
grep -q '^PATH=' "$TMP/env.out" || fail "crafted environment: PATH went too"
echo "ok: entries without '=' removed as well"

note "root's own settings, given by the helper's caller as root, still apply"
rc=0
TWSHIM_LOG="file:$TMP/rootonly/root.log" TWSHIM_CLOSE=bogus "$SD/secure_probe" 8080 1 \
	> /dev/null 2>&1 || rc=$?
expect "root's probe: exit status" "$rc" -eq 0
grep -q "TWSHIM_CLOSE='bogus'" "$TMP/rootonly/root.log" || fail "root's own TWSHIM_LOG ignored"
echo "ok: $(cat "$TMP/rootonly/root.log")"
