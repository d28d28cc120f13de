# SPDX-License-Identifier: MIT
# Issue 11: doctor names a service that listens on the wildcard address.
# The ledger counts what such a server accepted under the listener's
# address (0.0.0.0:8080, [::]:8081); the kernel's TIME_WAIT entries carry
# the address each client reached (10.88.0.1:8080). Two ka_servers close
# first (--mode close), under the shim, one on 0.0.0.0 and one on :: (which
# takes IPv4 clients too, IPv4-mapped); Python clients read each response
# to EOF, so every TIME_WAIT is the server's. Doctor's JSON must name
# ka_server for each incoming destination, and its finding for the 1,000
# on 10.88.0.1:8080 (without the join by port: no process, and a
# "0.0.0.0:8080" row with no TIME_WAIT beside them).
. "$(dirname "$0")/lib.sh"

loopback_ns 10000 60000 0
ip addr add 10.88.0.1/32 dev lo
start_server "$TW" run -- "$EX/ka_server" -l 0.0.0.0 -p 8080 --mode close
start_server "$TW" run -- "$EX/ka_server" -l :: -p 8081 --mode close

# clients HOST PORT N: N connections, not under the shim, each closed by
# the server first (the client waits for its EOF).
clients() {
	"$PY" - "$@" <<-'PY'
	import socket, sys
	host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	for _ in range(n):
	    s = socket.create_connection((host, port), timeout=5)
	    s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
	    while s.recv(4096):
	        pass
	    s.close()
	PY
}
clients 10.88.0.1 8080 1000
clients 10.88.0.1 8081 15
clients ::1 8081 10

kernel=$(ss_tw)
expect "kernel TIME_WAIT" "$kernel" -eq 1025
expect "all of it the servers' (local port 8080 or 8081)" \
	"$(ss -Htan state time-wait '( sport = :8080 or sport = :8081 )' | wc -l)" -eq 1025
rc=0
"$TW" doctor --json > "$TMP/doctor.json" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "doctor --json exit status $rc"
"$TW" doctor | sed -n '/^Incoming/,/^Host settings/p'

# in_dest ENDPOINT: the incoming destination row of ENDPOINT.
in_dest() { echo "[x for x in d['destinations'] if x['endpoint']=='$1' and x['direction']=='incoming'][0]"; }
# check ENDPOINT KERNEL_TW LEDGER_TW: ka_server named, with its counts.
check() {
	local x
	x=$(in_dest "$1")
	expect "$1: kernel TIME_WAIT" "$(dq "$x['kernel_time_wait']")" -eq "$2"
	[ "$(dq "[p['comm'] for p in $x['processes']]")" = "['ka_server']" ] ||
		fail "$1 does not name ka_server: $(dq "$x")"
	expect "$1: ka_server's TIME_WAIT (ledger)" "$(dq "$x['processes'][0]['time_wait']")" \
		-eq "$3"
	expect "$1: explained (%)" "$(dq "int($x['explained_percent'])")" -eq 100
}
check 10.88.0.1:8080 1000 1000
f="[f for f in d['findings'] if f['id']=='service-closes-first'][0]"
[ "$(dq "$f['title']")" = "the service on 10.88.0.1:8080 closes first: 1000 TIME_WAIT here" ] ||
	fail "finding: $(dq "$f")"
dq "$f['evidence']" | grep -q "Made by (TIME_WAIT now, per the ledger): ka_server (pid [0-9]*, alive) 1000" ||
	fail "the finding does not name ka_server: $(dq "$f['evidence']")"
# The [::]:8081 listener's row counts both families; each local address
# it was reached on is shown with it.
check 10.88.0.1:8081 15 25
check "[::1]:8081" 10 25
# The listeners' own addresses are no rows of their own.
expect "rows for 0.0.0.0:8080 or [::]:8081" \
	"$(dq "len([x for x in d['destinations'] if x['endpoint'] in ('0.0.0.0:8080', '[::]:8081')])")" \
	-eq 0
# --pid: the 0.0.0.0:8080 server's own rows are the kernel's on its port.
pid=$(dq "$(in_dest 10.88.0.1:8080)['processes'][0]['pid']")
rc=0
"$TW" doctor --json --pid "$pid" > "$TMP/doctor.json" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "doctor --json --pid $pid exit status $rc"
check 10.88.0.1:8080 1000 1000
expect "--pid $pid: rows" "$(dq "len(d['destinations'])")" -eq 1
echo "doctor_wildcard: ka_server named for every entry"
