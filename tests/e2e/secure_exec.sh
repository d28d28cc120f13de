# SPDX-License-Identifier: MIT
# The shim is inert under secure execution (AT_SECURE): a setuid or setcap
# program that the loader preloads it into anyway (an administrator's
# /etc/ld.so.preload) behaves as if twshim were absent. It opens no ledger,
# counts nothing and says nothing, though the library is mapped in it; the
# same program without privileges, preloaded the same way, is counted.
#
# Needs real root (secure execution needs a second user, and setuid/setcap
# files): test_e2e.c runs this one without a user namespace, in private
# pid, mount and network namespaces. /etc, /dev/shm and the directory of the
# privileged copies are mounted over in the private mount namespace only.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	# From /etc/ld.so.preload a sanitized shim would need its runtime
	# loaded first in setuid programs too; the plain suite covers this.
	note "SAN=$SAN: secure execution is checked in the plain build's suite"
	exit 0
fi
command -v setcap >/dev/null || fail "setcap is needed (Debian package libcap2-bin)"
real_root_private_shm

loopback_ns 40000 40999 0
# The mounts first go, then lib.sh's cleanup removes $TMP.
trap 'umount -l /etc "$SD" 2>/dev/null || true; cleanup' EXIT
# A directory the unprivileged user can read, on a file system that honours
# setuid bits and keeps file capabilities.
SD=$TMP/secure
mkdir "$SD"
chmod 711 "$TMP"
mount -t tmpfs -o mode=755 tmpfs "$SD"
cp "$B/libtwshim.so" "$SD/"
for f in plain suid caps; do cp "$B/tests/progs/secure_probe" "$SD/$f"; done
chmod 4755 "$SD/suid"
setcap cap_net_bind_service+ep "$SD/caps"
# /etc/ld.so.preload, for this mount namespace only: a copy of /etc over /etc.
cp -a /etc "$TMP/etc"
echo "$SD/libtwshim.so" > "$TMP/etc/ld.so.preload"
mount --bind "$TMP/etc" /etc

start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

# probe NAME USER: runs $SD/NAME as USER (root or nobody) with its own
# ledger name; its stdout in $TMP/NAME.out, its stderr in $TMP/NAME.err.
probe() {
	local name=$1 user=$2 rc
	local -a as=()
	[ "$user" = nobody ] && as=(as_nobody)
	set +e
	TWSHIM_SHM=$LEDGER-$name TWSHIM_LOG=stderr "${as[@]}" "$SD/$name" 8080 20 \
		> "$TMP/$name.out" 2> "$TMP/$name.err"
	rc=$?
	set -e
	echo "$name as $user: $(cat "$TMP/$name.out")"
	[ -s "$TMP/$name.err" ] && sed 's/^/    stderr: /' "$TMP/$name.err"
	expect "$name: exit status" "$rc" -eq 0
	grep -q ' shim_loaded=1 connected=20$' "$TMP/$name.out" ||
		fail "$name: the shim was not loaded, or not every connection was made"
}

# connects LEDGER COMMAND: connects the ledger counts for COMMAND (nobody's
# ledger too: --owner, as root reads only its own unless told).
connects() {
	TWSHIM_SHM=$1 "$TW" stat --owner "$NOBODY" --json --all > "$TMP/stat.json" || return 1
	statq connects --comm "$2"
}

note "without privileges the preloaded shim counts: as root, and as nobody"
probe plain root
grep -q '^at_secure=0 ruid=0 euid=0 ' "$TMP/plain.out" || fail "plain as root: not an ordinary exec"
expect "plain as root: connects in its ledger" "$(connects "$LEDGER-plain" plain)" -eq 20
rm -f "/dev/shm$LEDGER-plain"
probe plain nobody
grep -q "^at_secure=0 ruid=$NOBODY euid=$NOBODY " "$TMP/plain.out" ||
	fail "plain as nobody: not an ordinary exec"
expect "plain as nobody: connects in its ledger" "$(connects "$LEDGER-plain" plain)" -eq 20
expect "plain as nobody: its ledger belongs to nobody" "$(stat -c %u "/dev/shm$LEDGER-plain")" -eq $NOBODY

note "setuid root, run by nobody: secure execution, the shim inert"
probe suid nobody
grep -q "^at_secure=1 ruid=$NOBODY euid=0 " "$TMP/suid.out" || fail "suid: not a secure exec"
[ ! -e "/dev/shm$LEDGER-suid" ] || fail "suid: the inert shim opened a ledger"
grep -q twshim "$TMP/suid.err" && fail "suid: the inert shim wrote to stderr"

note "twshim run warns nobody of the setuid program, and not root, its owner"
set +e
as_nobody "$TW" run -- "$SD/suid" 8080 1 > /dev/null 2> "$TMP/run_nobody.err"
"$TW" run -- "$SD/suid" 8080 1 > /dev/null 2> "$TMP/run_root.err"
set -e
grep -q 'is setuid' "$TMP/run_nobody.err" || fail "no setuid warning for nobody: $(cat "$TMP/run_nobody.err")"
grep -q 'is setuid' "$TMP/run_root.err" && fail "root warned of its own setuid program: $(cat "$TMP/run_root.err")"
echo "ok: $(grep 'is setuid' "$TMP/run_nobody.err")"

note "file capabilities, run by nobody: secure execution, the shim inert"
probe caps nobody
grep -q "^at_secure=1 ruid=$NOBODY euid=$NOBODY " "$TMP/caps.out" || fail "caps: not a secure exec"
[ ! -e "/dev/shm$LEDGER-caps" ] || fail "caps: the inert shim opened a ledger"
grep -q twshim "$TMP/caps.err" && fail "caps: the inert shim wrote to stderr"
note "ledgers in this namespace's /dev/shm: $(ls /dev/shm | tr '\n' ' ')"
