# SPDX-License-Identifier: MIT
# Issue 12 in a real older userland: Debian 11's own curl and python3, on
# its glibc 2.31, run under the libtwshim.so built here. Built on glibc
# 2.34+ without shim/compat.h, the library needed GLIBC_2.32 to 2.34 and
# the loader skipped it there with one "cannot be preloaded" line on stderr,
# the program running on uncounted. So: stderr stays empty, output and exit
# status are those without the shim, every connection is counted, and
# --close reset leaves no TIME_WAIT.
#
# The CLI is built for this host's glibc: it runs outside, and only the
# programs run inside the chroot (twshim run -- chroot ROOT PROGRAM), which
# sees the build directory at the same path, so that LD_PRELOAD's path
# holds there, and the same /dev/shm, so that the ledger they write is the
# one twshim stat reads. Real root for chroot and mounts; the mounts are in
# this scenario's mount namespace and end with it. rootfs_bullseye.sh makes
# the root file system, once.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	# A sanitizer runtime from this host needs this host's glibc.
	note "SAN=$SAN: the old userland is checked in the plain build's suite"
	exit 0
fi
R=$B/rootfs/bullseye
[ -e "$R/.twshim-complete" ] || fail "no root file system in $R (rootfs_bullseye.sh makes it)"

# Only a glibc without the versions the library used to need proves anything.
glibc=$(chroot "$R" /lib/x86_64-linux-gnu/libc.so.6 | sed -n '1s/.*release version \([0-9.]*\)\.$/\1/p')
note "userland: Debian $(cat "$R/etc/debian_version"), glibc $glibc"
[ -n "$glibc" ] && [ "$(printf '%s\n' "$glibc" 2.32 | sort -V | head -1)" != 2.32 ] ||
	fail "glibc '$glibc' in $R: expected one older than 2.32"

loopback_ns 40000 40999 0
mkdir -p "$R$B"
mount --bind "$B" "$R$B"
mount -o remount,bind,ro "$R$B"
mount --bind /dev/shm "$R/dev/shm"
mount -t proc proc "$R/proc"
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

URL=http://127.0.0.1:8080/
# The Python client: python3-minimal has no http.client, so a plain socket,
# one connection per request, closed by the client once the reply's
# Content-Length is read. Exits 3 on purpose: its status must pass through.
PYGET='
import socket, sys
for _ in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
    while len(body) < n:
        body += s.recv(4096)
    s.close()
    sys.stdout.write(body.decode())
sys.exit(3)
'

# same WHAT WANT_STATUS [TWSHIM-RUN-OPTIONS] -- PROGRAM...: PROGRAM in the
# chroot without the shim, then under it: the same exit status
# (WANT_STATUS), the same stdout, and the same stderr (nothing added by the
# shim or by the loader). ADDED_TW: the kernel's TIME_WAIT entries added by
# the run under the shim.
ADDED_TW=
same() {
	local what=$1 want=$2 opts=() got before
	shift 2
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	got=$(status chroot "$R" "$@")
	expect "$what without the shim: exit status" "$got" -eq "$want"
	mv "$TMP/out" "$TMP/plain.out"
	mv "$TMP/err" "$TMP/plain.err"
	before=$(ss_tw)
	got=$(status "$TW" run "${opts[@]}" -- chroot "$R" "$@")
	ADDED_TW=$(($(ss_tw) - before))
	[ "$got" -eq "$want" ] ||
		fail "$what under the shim: exit status $got, expected $want; stderr: $(head -c 2000 "$TMP/err")"
	echo "ok: $what under the shim: exit status = $got"
	cmp -s "$TMP/out" "$TMP/plain.out" || fail "$what: stdout changed under the shim"
	cmp -s "$TMP/err" "$TMP/plain.err" ||
		fail "$what: stderr changed under the shim: $(cat "$TMP/err")"
}

N=20
# Observe only: N curl runs (one connection each), N connections in one
# python3 run, a curl that cannot connect (port 9: exit status 7).
same curl 0 -- /bin/bash -c "for i in \$(seq $N); do curl -sS $URL || exit; done"
expect "curl: kernel TIME_WAIT added" "$ADDED_TW" -eq $N
same python3 3 -- /usr/bin/python3 -c "$PYGET" 8080 $N
expect "python3: kernel TIME_WAIT added" "$ADDED_TW" -eq $N
same "curl refused" 7 -- /usr/bin/curl -sS http://127.0.0.1:9/
stat_json
expect "curl connects counted" "$(statq connects --comm curl)" -eq $N
expect "curl refused counted" "$(statq connect_errors.ECONNREFUSED --comm curl)" -eq 1
expect "curl active closes" "$(statq active_closes --comm curl)" -eq $N
expect "python3 connects counted" "$(statq connects --comm python3)" -eq $N
expect "python3 active closes" "$(statq active_closes --comm python3)" -eq $N

# --close reset: the same programs add no TIME_WAIT, and the ledger says why.
export TWSHIM_SHM=$LEDGER-reset
same "curl --close reset" 0 --close reset -- /bin/bash -c "for i in \$(seq $N); do curl -sS $URL || exit; done"
expect "curl --close reset: kernel TIME_WAIT added" "$ADDED_TW" -eq 0
same "python3 --close reset" 3 --close reset -- /usr/bin/python3 -c "$PYGET" 8080 $N
expect "python3 --close reset: kernel TIME_WAIT added" "$ADDED_TW" -eq 0
stat_json
expect "curl reset closes" "$(statq reset_closes --comm curl)" -eq $N
expect "python3 reset closes" "$(statq reset_closes --comm python3)" -eq $N
expect "resets counted" "$(statq policy_actions.reset)" -eq $((2 * N))
