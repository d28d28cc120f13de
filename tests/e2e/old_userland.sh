# SPDX-License-Identifier: MIT
# Issue 12 in a real older userland: Debian 11's own curl and python3, on
# its glibc 2.31, run under the libtwshim.so built here. Built on glibc
# 2.34+ without shim/compat.h, the library needed GLIBC_2.32 to 2.34 and
# the loader skipped it there with one "cannot be preloaded" line on stderr,
# the program running on uncounted. So: stderr stays empty, output and exit
# status are those without the shim, every connection is counted, and
# --close reset leaves no TIME_WAIT.
#
# The twshim command from the build tree runs inside too (issue 12, item 2:
# built on glibc 2.36 it needed 2.34, and ncurses for every verb): twshim
# run starts the programs there, twshim stat, doctor and top read the
# ledger they wrote, with no ncurses nor terminfo library to be found, and
# top on a terminal says so in one line and falls back to plain snapshots.
# This is the recipe of docs/containers.md: the library and the command
# copied into an older image. The chroot sees the build directory at the
# same path, so that LD_PRELOAD's path holds there, and the same /dev/shm.
# Real root for chroot and mounts; the mounts are in this scenario's mount
# namespace and end with it. rootfs_bullseye.sh makes the root file system,
# once.
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
# No ncurses, no terminfo: whatever the image has of them is hidden under
# /dev/null (bullseye's minbase has libtinfo for bash; the shell loops
# below are dash's), so that a command needing them could not start.
find "$R/lib/" "$R/usr/lib/" \( -name 'libncurses*.so*' -o -name 'libtinfo*.so*' \) -type f \
	-exec readlink -f {} \; | sort -u > "$TMP/curses"
while read -r f; do mount --bind /dev/null "$f"; done < "$TMP/curses"
note "hidden in the chroot: $(sed "s|^$R||" "$TMP/curses" | tr '\n' ' ')"
# In the chroot: the twshim command of the build tree.
tw() { chroot "$R" "$TW" "$@"; }
stat_json() { tw stat --json --all > "$TMP/stat.json"; }
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
	got=$(status tw run "${opts[@]}" -- "$@")
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
same curl 0 -- /bin/sh -c "for i in \$(seq $N); do curl -sS $URL || exit; done"
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

# doctor there: the kernel's TIME_WAIT as ss counts it; toward the server,
# the runs without the shim's and with it (2N each), and of those the
# ledger's (2N: curl's, one each, and python3's N).
kernel=$(ss_tw)
rc=0
tw doctor --json > "$TMP/doctor.json" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "doctor in the chroot: exit status $rc"
dst="[x for x in d['destinations'] if x['endpoint']=='127.0.0.1:8080'][0]"
expect "doctor's TIME_WAIT = ss's" "$(dq "d['kernel']['time_wait']")" -eq "$kernel"
expect "doctor: kernel TIME_WAIT toward the server" "$(dq "$dst['kernel_time_wait']")" -eq $((4 * N))
expect "doctor: ledger TIME_WAIT toward it" "$(dq "$dst['ledger_time_wait']")" -eq $((2 * N))
expect "doctor: connects toward it" "$(dq "$dst['connects']")" -eq $((2 * N))
expect "doctor: python3's TIME_WAIT" \
	"$(dq "[p['time_wait'] for p in $dst['processes'] if p['comm'] == 'python3'][0]")" -eq $N

# top there: piped, a snapshot with python3's row; on a terminal (a pty),
# one line saying ncurses is missing, then the same plain snapshot.
expect "top -n 1, piped" "$(status tw top -n 1 -d 0.1)" -eq 0
grep -qE '^[0-9]+ +python3 +exited ' "$TMP/out" || fail "top, piped: $(cat "$TMP/out")"
expect "top -n 1, piped: stderr" "$(wc -c < "$TMP/err")" -eq 0
PTY='import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))'
expect "top -n 1 on a terminal" \
	"$(TERM=xterm status "$PY" -c "$PTY" chroot "$R" "$TW" top -n 1 -d 0.1 < /dev/null)" -eq 0
tr -d '\r' < "$TMP/out" > "$TMP/pty.out"
expect "top on a terminal: lines from twshim" "$(grep -c '^twshim: ' "$TMP/pty.out")" -eq 1
grep -q '^twshim: top: the live view needs ncurses, which cannot be loaded (libncursesw.so.6: .*; Debian package libncursesw6); plain snapshots instead$' \
	"$TMP/pty.out" || fail "top on a terminal: $(cat "$TMP/pty.out")"
echo "ok: $(grep '^twshim: ' "$TMP/pty.out")"
grep -qE '^[0-9]+ +python3 +exited ' "$TMP/pty.out" || fail "top on a terminal: $(cat "$TMP/pty.out")"

# --close reset: the same programs add no TIME_WAIT, and the ledger says why.
export TWSHIM_SHM=$LEDGER-reset
same "curl --close reset" 0 --close reset -- /bin/sh -c "for i in \$(seq $N); do curl -sS $URL || exit; done"
expect "curl --close reset: kernel TIME_WAIT added" "$ADDED_TW" -eq 0
same "python3 --close reset" 3 --close reset -- /usr/bin/python3 -c "$PYGET" 8080 $N
expect "python3 --close reset: kernel TIME_WAIT added" "$ADDED_TW" -eq 0
stat_json
expect "curl reset closes" "$(statq reset_closes --comm curl)" -eq $N
expect "python3 reset closes" "$(statq reset_closes --comm python3)" -eq $N
expect "resets counted" "$(statq policy_actions.reset)" -eq $((2 * N))
