# SPDX-License-Identifier: MIT
# A full or small /dev/shm costs the program nothing (issue 13). What broke:
# the ledger was sized with ftruncate (a sparse file) and mapped, and the
# first touch of a page tmpfs could not back raised SIGBUS in the host. On a
# 2 MiB /dev/shm the 47th client died (status 135); with an existing ledger
# and the rest of /dev/shm filled by another file, the next client died.
# Docker gives a container 64 MB. Now the segment's pages are reserved
# (fallocate) before the mapping is used: when tmpfs cannot back them the
# program says so in one line and runs untracked.
#
# Needs real root (a /dev/shm of a chosen size): test_e2e.c runs this one
# without a user namespace, in private pid, mount and network namespaces.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
"$GET" 127.0.0.1 8080 > "$TMP/plain.out" || fail "$GET_COMM without the shim"

# clients N LEDGER: N clients in turn under the shim, each counting into
# LEDGER. Fails naming the first killed by a signal, or failing, or whose
# stdout changed; every client's stderr is appended to $TMP/clients.err.
clients() {
	local rc
	: > "$TMP/clients.err"
	for i in $(seq "$1"); do
		set +e
		TWSHIM_SHM=$2 "$TW" run -- "$GET" 127.0.0.1 8080 > "$TMP/out" 2> "$TMP/err"
		rc=$?
		set -e
		cat "$TMP/err" >> "$TMP/clients.err"
		[ "$rc" -lt 128 ] || fail "client $i of $1 killed by signal $((rc - 128)): $(cat "$TMP/err")"
		[ "$rc" -eq 0 ] || fail "client $i of $1 failed (status $rc): $(cat "$TMP/err")"
		cmp -s "$TMP/out" "$TMP/plain.out" || fail "client $i of $1: stdout changed"
	done
	echo "ok: $1 clients exited 0, none killed by a signal"
}

# connects LEDGER: connects the ledger counts for the client.
connects() {
	TWSHIM_SHM=$1 "$TW" stat --json --all > "$TMP/stat.json"
	statq connects --comm "$GET_COMM"
}

note "a 2 MiB /dev/shm: smaller than the ledger"
real_root_private_shm 2m
clients 60 "$LEDGER"
expect "stderr lines of 60 clients" "$(wc -l < "$TMP/clients.err")" -eq 60
grep -qF "ledger $LEDGER: cannot reserve" "$TMP/clients.err" ||
	fail "no fail-open line naming the ledger: $(head -3 "$TMP/clients.err")"
grep -qF "No space left on device" "$TMP/clients.err" ||
	fail "the fail-open line does not say ENOSPC: $(head -3 "$TMP/clients.err")"
grep -q "off for this process" "$TMP/clients.err" || fail "the line does not say the ledger is off"
echo "ok: $(head -1 "$TMP/clients.err")"
[ ! -e "/dev/shm$LEDGER" ] || fail "a ledger that could not be reserved was left in /dev/shm"
umount /dev/shm

note "an existing ledger, the rest of /dev/shm filled by another file"
real_root_private_shm 16m
clients 1 "$LEDGER"
expect "stderr lines (the ledger fits)" "$(wc -l < "$TMP/clients.err")" -eq 0
dd if=/dev/zero of=/dev/shm/filler bs=64k 2> /dev/null || true
note "/dev/shm: $(df -h /dev/shm | tail -1)"
clients 60 "$LEDGER"
expect "stderr lines (reserved when made)" "$(wc -l < "$TMP/clients.err")" -eq 0
expect "connects counted in the reserved ledger" "$(connects "$LEDGER")" -eq 61

note "a sparse ledger (as an older libtwshim.so made them), /dev/shm full"
rm -f /dev/shm/filler
cp --sparse=always "/dev/shm$LEDGER" "/dev/shm$LEDGER-sparse"
note "sparse copy: $(du -k "/dev/shm$LEDGER-sparse" | cut -f1) KiB in use of $(stat -c %s "/dev/shm$LEDGER-sparse") bytes"
dd if=/dev/zero of=/dev/shm/filler bs=64k 2> /dev/null || true
clients 60 "$LEDGER-sparse"
expect "stderr lines (sparse ledger, full /dev/shm)" "$(wc -l < "$TMP/clients.err")" -eq 60
grep -qF "ledger $LEDGER-sparse: cannot reserve" "$TMP/clients.err" ||
	fail "no fail-open line naming the sparse ledger: $(head -3 "$TMP/clients.err")"
echo "ok: $(head -1 "$TMP/clients.err")"

note "a ledger truncated while no program maps it: refused before mapping"
truncate -s 65536 "/dev/shm$LEDGER"
clients 1 "$LEDGER"
grep -qF "ledger $LEDGER is 65536 bytes" "$TMP/clients.err" ||
	fail "no line for the truncated ledger: $(cat "$TMP/clients.err")"
echo "ok: $(cat "$TMP/clients.err")"
