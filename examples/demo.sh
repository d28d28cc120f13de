#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: port exhaustion in seconds, and twshim naming who caused it.
#
# In a private network namespace (loopback only) whose ephemeral port range
# is cut to 200 ports, a legacy client (one connection per request, closed
# by the client) talks to a keep-alive server. Each of its closes leaves a
# TIME_WAIT on the client's side for 60 s; after 200 requests connect()
# fails with EADDRNOTAVAIL. Then `twshim stat` shows the process, the
# destination and the TIME_WAIT it holds, which no kernel tool can name.
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)

if [ "${TWSHIM_DEMO_INSIDE:-}" != 1 ]; then
	# Own user, pid, mount and network namespaces: everything started
	# here ends with it. Where user namespaces are not allowed, root can
	# still make the network namespace.
	if unshare -rn -p -f -m --mount-proc --kill-child true 2>/dev/null; then
		exec env TWSHIM_DEMO_INSIDE=1 unshare -rn -p -f -m --mount-proc --kill-child \
			bash "$0" "$BUILD"
	elif [ "$(id -u)" = 0 ]; then
		exec env TWSHIM_DEMO_INSIDE=1 unshare -n -p -f -m --mount-proc --kill-child \
			bash "$0" "$BUILD"
	fi
	echo "demo: needs user namespaces (unshare -rn) or root for a private network namespace" >&2
	exit 1
fi

TW=$BUILD/twshim
EX=$BUILD/examples
export TWSHIM_SHM=/twshim-demo-$$
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; rm -f "/dev/shm$TWSHIM_SHM"' EXIT

if [ -t 1 ]; then B='\033[1m' N='\033[0m'; else B= N=; fi
say() { printf "\n${B}== %s${N}\n" "$*"; }

ip link set lo up
echo "40000 40199" > /proc/sys/net/ipv4/ip_local_port_range
# On loopback, Linux reuses TIME_WAIT ports after a second by default
# (tcp_tw_reuse=2); on a real interface it does not. Show the real case.
echo 0 > /proc/sys/net/ipv4/tcp_tw_reuse

say "A private network namespace: ip_local_port_range = $(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' '-') (200 ports), tcp_tw_reuse = 0"
"$EX/ka_server" -l 127.0.0.1 -p 8080 --ready-file "$TMP/ready" > /dev/null &
for _ in $(seq 100); do [ -s "$TMP/ready" ] && break; sleep 0.05; done
echo "a keep-alive HTTP server listens on 127.0.0.1:8080 (it never closes first)"

say "A legacy client: 300 requests, one connection each, closed by the client"
echo "\$ twshim run -- legacy_client -n 300 127.0.0.1 8080"
"$TW" run -- "$EX/legacy_client" -n 300 127.0.0.1 8080 || true

say "What the kernel shows: TIME_WAIT entries, with no process and no fd (ino 0)"
echo "\$ ss -tan state time-wait | wc -l   ->  $(ss -Htan state time-wait | wc -l)"
echo "\$ ss -tanpe state time-wait | head -3"
ss -tanpe state time-wait | sed -n 1,3p

say "What twshim shows: the process, the destination, the TIME_WAIT it holds, the failures"
echo "\$ twshim stat"
"$TW" stat
cat <<'TXT'

The client closed every connection first (ACTIVE), so every TIME_WAIT is
on its side; each lasts 60 s, so 200 ports allow ~3 new connections per
second to this destination, and connect() failed with EADDRNOTAVAIL.
TXT

say "What twshim doctor concludes: the kernel's count joined with the ledger"
echo "\$ twshim doctor    (its findings; the full report adds the host's settings)"
# Exit status 3: a critical finding, which is the point here.
"$TW" doctor > "$TMP/doctor.txt" || [ $? -eq 3 ] || { echo "demo: twshim doctor failed" >&2; exit 1; }
sed -n '/^Outgoing/,/^Host settings/p' "$TMP/doctor.txt" | sed '$d'

# The ports to 127.0.0.1:8080 stay taken for 60 s: show the fix on 8081.
"$EX/ka_server" -l 127.0.0.1 -p 8081 --ready-file "$TMP/ready2" > /dev/null &
for _ in $(seq 100); do [ -s "$TMP/ready2" ] && break; sleep 0.05; done
say "The same unmodified client under a policy: FIN after the data, then RST once acknowledged"
echo "\$ twshim run --close fin-reset -- legacy_client -n 300 127.0.0.1 8081"
"$TW" run --close fin-reset -- "$EX/legacy_client" -n 300 127.0.0.1 8081 || true
echo "\$ ss -tan state time-wait '( dport = :8081 )' | wc -l   ->  $(ss -Htan state time-wait '( dport = :8081 )' | wc -l)"
echo "\$ twshim stat"
"$TW" stat --all > "$TMP/stat.txt"
cat "$TMP/stat.txt"
cat <<'TXT'

All 300 succeeded and no TIME_WAIT was left on either side: each close
sent its FIN after the data, and the kernel ended the connection with RST
once the server had acknowledged that FIN (counted as "fin_reset" under
the policy actions); the server read every byte, then end of file. The
fix that removes the cause is still in the program: keep connections
alive (the server offers it) or pool them. `man 7 twshim`, POLICIES,
says what each policy costs.
TXT
