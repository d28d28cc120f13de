# SPDX-License-Identifier: MIT
# Shared by the end-to-end scenarios. A scenario runs as pid 1 of its own
# pid, mount, user and network namespaces (see test_e2e.c): every process
# it starts and every namespace it makes end with it, whatever happens.
# It exits 0 when every check held; each failed check says what and why.
set -euo pipefail

B=${TWSHIM_BUILD:?TWSHIM_BUILD must name the build directory}
TW=$B/twshim
EX=$B/examples
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TMP=$(mktemp -d)
export TWSHIM_SHM=${TWSHIM_SHM:?TWSHIM_SHM must name this scenario\'s own ledger}
PY=/usr/bin/python3
LEDGER=$TWSHIM_SHM

cleanup() {
	rm -rf "$TMP"
	rm -f "/dev/shm$LEDGER" "/dev/shm$LEDGER"-*
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

# status CMD...: CMD's exit status; its stdout in $TMP/out, stderr in $TMP/err.
status() { set +e; "$@" > "$TMP/out" 2> "$TMP/err"; echo $?; set -e; }

# expect NAME ACTUAL OP EXPECTED   (OP: -eq -le -ge ...)
expect() {
	[ "$2" "$3" "$4" ] || fail "$1: got $2, expected $3 $4"
	echo "ok: $1 = $2 ($3 $4)"
}

# $GET HOST PORT: one request, one connection, closed by the client, by an
# unmodified third-party program: curl (see http_get). GET_COMM is its name
# in the ledger.
GET=$HERE/http_get
GET_COMM=curl

# Sanitizer builds: a sanitized shim needs the sanitizer runtime loaded
# first in every program it is preloaded into, so $TW becomes a wrapper that
# puts it in LD_PRELOAD (twshim run keeps it first). curl deadlocks at start
# with libasan preloaded, and dash crashes with libtsan: under a sanitizer
# the one-shot client is our own sanitized legacy_client (see http_get).
if [ -n "${SAN:-}" ]; then
	case $SAN in
	asan) SAN_RT=$(gcc -print-file-name=libasan.so)
	      export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 ;;
	ubsan) SAN_RT=$(gcc -print-file-name=libubsan.so) ;;
	tsan) SAN_RT=$(gcc -print-file-name=libtsan.so)
	      # atexit_sleep_ms: TSan sleeps 1 s at exit when other threads run
	      # (the closer thread): 600 client runs would take 10 minutes.
	      export TSAN_OPTIONS=halt_on_error=1:atexit_sleep_ms=0 ;;
	*) fail "SAN=$SAN: expected asan, ubsan or tsan" ;;
	esac
	printf '#!/bin/bash\nexport LD_PRELOAD="%s${LD_PRELOAD:+ $LD_PRELOAD}"\nexec "%s" "$@"\n' \
		"$SAN_RT" "$B/twshim" > "$TMP/twshim"
	chmod +x "$TMP/twshim"
	TW=$TMP/twshim
	GET_COMM=legacy_client
fi

# For the scenarios test_e2e.c runs as real root (tw_scenario_root) that
# act as a second user: real_root_private_shm checks that this is real root
# and not a user namespace, and gives the scenario a /dev/shm of its own
# (real_root_private_shm SIZE: of that size, as tmpfs's size= option takes
# it, 2m for 2 MiB); as_nobody CMD... runs CMD as that user, nobody.
NOBODY=65534
real_root_private_shm() {
	[ "$(id -u)" = 0 ] || fail "needs root"
	[ "$(awk '{ print $1, $2 }' /proc/self/uid_map)" = "0 0" ] ||
		fail "needs real root, not a user namespace"
	command -v setpriv >/dev/null || fail "setpriv is needed (Debian package util-linux)"
	mount -t tmpfs -o "mode=1777${1:+,size=$1}" tmpfs /dev/shm
}
as_nobody() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }

# Scenarios compare the ledger with the kernel's TIME_WAIT count, which
# must then hold every TIME_WAIT made. With tcp_rfc1337=0 (the default) an
# RST ends a TIME_WAIT early, and on loopback one comes now and then
# without any help from the shim: when a server closes the moment it reads
# the client's FIN, its stack may send a pure ACK after its own FIN; the
# client, in TIME_WAIT, answers it; the server, closed by then, answers
# that with RST (2 connections of 1,160 in one run, found with a packet
# capture). rfc_1337 NS...: TIME_WAIT ignores RST in this namespace (in
# NS, given as a command prefix such as in_client).
rfc_1337() { "$@" sh -c 'echo 1 > /proc/sys/net/ipv4/tcp_rfc1337'; }

# Each scenario has addresses of its own, because the kernel's choice of a
# source port is not private to a namespace. connect() starts its search at
# an offset kept in one table for the whole host, indexed by a hash of
# (source address, destination address, destination port), and each
# connect moves it on by 2 to 16, or by as many ports as it had to skip.
# Two scenarios that run at once toward the same address and port share
# that offset: when one of them runs out of ports it moves the offset by
# hundreds at a time, the other's ports jump about, and within a few dozen
# connections a client takes a port again, whose SYN takes over the
# server's TIME_WAIT on that four-tuple. The server then holds fewer
# TIME_WAIT than it closed connections, and the ledger's estimate, rightly
# counting its closes, disagrees with ss. Measured with curl 200 times
# against a server that closes first, in a namespace beside one exhausting
# 200 ports toward the same 127.0.0.1:8113: 199 ports distinct, 199
# TIME_WAIT; with another source address, 200 and 200.
# NET: this scenario's place among tests/e2e/*.sh, its number in those
# addresses: 127.0.NET.1 and fd00:77::NET are its loopback sources
# (own_loopback), and 10.77.NET.0/24 its veth pair's subnet (veth_pair).
# (Asked only by the scenarios that make a network: other scripts source
# this file too, tests/deb/installed.sh among them.)
NET=
scenario_net() {
	[ -z "${NET:-}" ] || return 0
	NET=$(cd "$HERE" && printf '%s\n' *.sh | grep -nxF "$(basename "$0")" | cut -d: -f1) ||
		fail "$0: not a script in $HERE, so no addresses of its own (see NET in lib.sh)"
	[ "$NET" -le 254 ] || fail "NET=$NET: over 254 scenarios, widen the addresses in lib.sh"
}

# own_loopback: loopback up, and connections to 127.0.0.1 or ::1 that bind
# no address come from 127.0.NET.1 or fd00:77::NET (the local route's
# preferred source; IPv6 keeps its route, so it is made again).
own_loopback() {
	scenario_net
	ip link set lo up
	ip route replace local 127.0.0.1 dev lo table local proto kernel scope host \
		src "127.0.$NET.1"
	ip -6 addr add "fd00:77::$NET/128" dev lo nodad
	ip -6 route del local ::1 dev lo table local
	ip -6 route add local ::1 dev lo table local proto kernel src "fd00:77::$NET"
}

# loopback_ns RANGE_LO RANGE_HI TW_REUSE: this namespace's loopback, a
# small port range, TIME_WAIT reuse as given, TIME_WAIT kept from RST.
loopback_ns() {
	own_loopback
	echo "$1 $2" > /proc/sys/net/ipv4/ip_local_port_range
	echo "$3" > /proc/sys/net/ipv4/tcp_tw_reuse
	rfc_1337
}

# Two hosts joined by a veth pair on 10.77.NET.0/24 (VNET): client CLI
# (VNET.2), server SRV (VNET.1). Commands run there with: in_client
# CMD..., in_server CMD...
CLIENT_NS=; SERVER_NS=
veth_pair() {
	own_loopback
	VNET=10.77.$NET SRV=10.77.$NET.1 CLI=10.77.$NET.2
	unshare -n sleep 100000 & CLIENT_NS=$!
	unshare -n sleep 100000 & SERVER_NS=$!
	for _ in $(seq 100); do
		[ "$(readlink /proc/$CLIENT_NS/ns/net)" != "$(readlink /proc/self/ns/net)" ] &&
		[ "$(readlink /proc/$SERVER_NS/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
		sleep 0.02
	done
	ip link add twc type veth peer name tws
	ip link set twc netns "$CLIENT_NS"
	ip link set tws netns "$SERVER_NS"
	in_client sh -c "ip link set lo up; ip addr add $CLI/24 dev twc; ip link set twc up"
	in_server sh -c "ip link set lo up; ip addr add $SRV/24 dev tws; ip link set tws up"
	rfc_1337 in_client
	rfc_1337 in_server
}
in_client() { nsenter -t "$CLIENT_NS" -n -- "$@"; }
in_server() { nsenter -t "$SERVER_NS" -n -- "$@"; }

# start_server [in_server] ka_server ARGS...: waits until it listens.
start_server() {
	rm -f "$TMP/ready"
	"$@" --ready-file "$TMP/ready" > "$TMP/server.out" &
	SERVER_PID=$!
	for _ in $(seq 200); do
		[ -s "$TMP/ready" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || fail "server did not start: $(cat "$TMP/server.out")"
		sleep 0.02
	done
	fail "server not listening after 4 s"
}

# stat_json: the ledger as JSON in $TMP/stat.json (every slot).
stat_json() { "$TW" stat --json --all > "$TMP/stat.json"; }

# statq ARGS: a number from $TMP/stat.json, see statq.py.
statq() { "$PY" "$HERE/statq.py" "$TMP/stat.json" "$@"; }

# dq EXPR: the Python expression EXPR over $TMP/doctor.json (d is the
# document), printed: what `twshim doctor --json` wrote there.
dq() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$TMP/doctor.json"; }

# TIME_WAIT entries in a namespace (the kernel's count), once the closes
# have settled: a client's socket waits in FIN_WAIT2 until the server,
# another process (slow under TSan), reads the FIN and closes. Waits up to
# 5 s for no socket to be half-way closed.
ss_tw() {
	local _
	for _ in $(seq 50); do
		[ "$("$@" ss -Htan state fin-wait-1 state fin-wait-2 state closing state last-ack |
			wc -l)" -eq 0 ] && break
		sleep 0.1
	done
	"$@" ss -Htan state time-wait | wc -l
}
