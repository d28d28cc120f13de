#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/facts.sh: measure, on this machine, the TIME_WAIT facts docs/faq.md
# quotes (see ../shared/DOMAIN.md), and print a short report. No argument.
#
# Everything runs in private namespaces (user, net, pid, mount: unshare -rn -p
# -f -m --mount-proc --kill-child; as root without user namespaces, unshare -n
# ...), so every socket and process dies with the script, every sysctl it sets
# is the namespace's own, and all traffic is on 127.0.0.1 of that namespace's
# loopback. Nothing is written to disk. Takes ~20 s here; killed after 300 s.
#
# Needs: bash >= 5, /usr/bin/python3, ss (iproute2), ip, unshare (util-linux).
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin LC_ALL=C

if [ "$$" != 1 ] || [ "${TWFACTS_IN_NS:-}" != 1 ]; then  # not yet pid 1 of our namespaces
	TWFACTS_UID=$(id -u)
	export TWFACTS_IN_NS=1 TWFACTS_UID
	. "$(dirname "$(readlink -f "$0")")/ns.sh"
	bench_ns -n -p -f -m --mount-proc --kill-child ||
		{ echo "facts.sh: user namespaces are not allowed here, and this is not root" >&2; exit 1; }
	# timeout kills unshare; --kill-child then kills our pid 1, and with it the ns.
	exec timeout -k 5 300 "${ns[@]}" bash "$(readlink -f "$0")"
fi

# ---- helper: makes connections that the client closes first (client end -> TIME_WAIT)
read -r -d '' HELPER <<'EOF' || true
import errno, os, socket, sys, time
A = '127.0.0.1'
def listen(port):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((A, port)); l.listen(4096)
    return l
def cycle(l, port):
    """One connection; returns the connect() time in ns, or -ns if it failed."""
    c = socket.socket()
    t = time.perf_counter_ns()
    try:
        c.connect((A, port))
    except OSError as e:
        t = time.perf_counter_ns() - t
        c.close()
        if e.errno != errno.EADDRNOTAVAIL: raise
        return -t
    t = time.perf_counter_ns() - t
    s, _ = l.accept()
    c.close()   # active close: the client sends the first FIN -> TIME_WAIT here
    s.close()   # the server closes from CLOSE_WAIT (LAST_ACK): no TIME_WAIT there
    return t
if sys.argv[1] == 'tw':            # tw N PORT...: N connections, round robin on PORTs
    n, ports = int(sys.argv[2]), [int(p) for p in sys.argv[3:]]
    ls = [listen(p) for p in ports]
    made = 0
    for i in range(n):
        if cycle(ls[i % len(ls)], ports[i % len(ls)]) < 0: break
        made += 1
    for l in ls: l.close()
    print('made', made, os.getpid(), flush=True)
    sys.stdin.read()               # stay alive (fds all closed) until stdin is closed
elif sys.argv[1] == 'lat':         # lat PORT BATCH: connect() time as PORT's tuples fill
    port, batch = int(sys.argv[2]), int(sys.argv[3])
    l, made, base, jump = listen(port), 0, None, None
    print('    TIME_WAIT to 127.0.0.1:%d   mean connect() us   max us' % port)
    while True:
        ts = []
        for _ in range(batch):
            t = cycle(l, port)
            if t < 0: break
            ts.append(t)
        if ts:
            mean = sum(ts) / len(ts) / 1e3
            print('    %6d .. %-6d %22.1f %9.0f' % (made, made + len(ts), mean, max(ts) / 1e3))
            base = base or mean
            if jump is None and mean > 5 * base: jump = made
            made += len(ts)
        if t < 0:
            print('    connect() #%d: EADDRNOTAVAIL, returned synchronously after %.0f us'
                  % (made + 1, -t / 1e3))
            break
    print('    first batch slower than 5x the first one starts at %s TIME_WAIT (%s of %d ports)'
          % (jump, '%.0f%%' % (100 * jump / made) if jump else '-', made))
EOF
py() { /usr/bin/python3 -c "$HELPER" "$@"; }

# ---- readers; no fork in tw_now, so that its timing in (7) is the read itself
sc() { echo "$2" >"/proc/sys/net/$1"; }                       # set a sysctl of this netns
tw_now() {                                    # TW := "tw" of sockstat's TCP line; one read()
	local buf
	read -r -d '' buf </proc/net/sockstat || true
	[[ $buf =~ TCP:[^$'\n']*\ tw\ ([0-9]+) ]] && TW=${BASH_REMATCH[1]}
}
tcpext() { awk -v k="$1" '$1 == "TcpExt:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == k) c = i } else print $c }' /proc/net/netstat; }
slab() { awk '$1 == "tw_sock_TCP" { print $2, $4 }' /proc/slabinfo 2>/dev/null || true; } # objs size
slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
ctr() { cat "/proc/sys/net/netfilter/nf_conntrack_$1" 2>/dev/null || echo n/a; }

echo "== twshim facts: kernel $(uname -r), $(nproc) CPUs, run by uid $TWFACTS_UID (uid $(id -u) in the namespace)"
ip link set lo up
sc ipv4/tcp_tw_reuse 0                   # default 2 would reuse loopback TIME_WAIT after 1 s
sc ipv4/ip_local_port_range "1024 65535" # listeners below 1024, never an ephemeral port
max_tw=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)
echo "   netns defaults: tcp_max_tw_buckets=$max_tw tcp_fin_timeout=$(cat /proc/sys/net/ipv4/tcp_fin_timeout);" \
	"set here: tcp_tw_reuse=0 ip_local_port_range=1024-65535"

echo "(6) tcp_tw_recycle"
if [ -e /proc/sys/net/ipv4/tcp_tw_recycle ]; then
	echo "    /proc/sys/net/ipv4/tcp_tw_recycle exists = $(cat /proc/sys/net/ipv4/tcp_tw_recycle)"
else
	echo "    /proc/sys/net/ipv4/tcp_tw_recycle does not exist (removed in Linux 4.12)"
fi

echo "(5) tcp_fin_timeout=5 does not shorten TIME_WAIT"
sc ipv4/tcp_fin_timeout 5
py tw 1 901 </dev/null >/dev/null
timer() { ss -tano state time-wait '( dport = :901 )' | grep -o 'timer:([^)]*)' || echo "(gone)"; }
echo "    just after the close: $(timer)"
sleep 6
echo "    6 s later:            $(timer)   (tcp_fin_timeout only times orphaned FIN_WAIT_2)"
sc ipv4/tcp_fin_timeout 60

echo "(4) tcp_max_tw_buckets=1000 (per netns), then 2,000 active closes"
sc ipv4/tcp_max_tw_buckets 1000
tw_now; tw0=$TW; ov0=$(tcpext TCPTimeWaitOverflow)
py tw 2000 902 </dev/null >/dev/null
tw_now; ov1=$(tcpext TCPTimeWaitOverflow)
echo "    sockstat tw: $tw0 -> $TW; TcpExtTCPTimeWaitOverflow: $ov0 -> $ov1 (+$((ov1 - ov0)));" \
	"the overflowing ones were closed at once, without TIME_WAIT"
sc ipv4/tcp_max_tw_buckets "$max_tw"

echo "(3) connect() to ONE destination as its ports fill (ip_local_port_range 40000-49999, batches of 500)"
sc ipv4/ip_local_port_range "40000 49999"
py lat 903 500 </dev/null
echo "    ss count of TIME_WAIT to :903 afterwards: $(ss -tan state time-wait '( dport = :903 )' | tail -n +2 | wc -l)"
sc ipv4/ip_local_port_range "1024 65535"

echo "(1)(2) 100,000 TIME_WAIT (5 listener ports x 20,000: each destination stays below half its range)"
tw_now; tw0=$TW; { read -r o0 sz < <(slab) || true; }; k0=$(slab_kb); ct0=$(ctr count)
t0=${EPOCHREALTIME/./}
coproc MK { py tw 100000 911 912 913 914 915; }
read -r _ made pid <&"${MK[0]}"
t1=${EPOCHREALTIME/./}
tw_now; { read -r o1 _ < <(slab) || true; }; k1=$(slab_kb); ct1=$(ctr count)
echo "    made $made connections in $(((t1 - t0) / 1000)) ms; sockstat tw: $tw0 -> $TW (+$((TW - tw0)))"
# The slab is global: other namespaces' TIME_WAIT coming and going add noise.
if [ -n "${o0:-}" ] && [ -n "${o1:-}" ]; then
	echo "    tw_sock_TCP slab (global): objsize $sz B; active objs $o0 -> $o1 (+$((o1 - o0)))" \
		"= +$(((o1 - o0) * sz / 1024)) KiB; our $((TW - tw0)) x $sz B = $(((TW - tw0) * sz / 1024)) KiB"
else
	echo "    /proc/slabinfo: not readable here (root of the host only), slab cost not measured"
fi
echo "    /proc/meminfo Slab (global, other processes too): $k0 -> $k1 kB (+$(((k1 - k0) / 1024)) MiB)"
# Its fds: whatever it inherited (stdio, the caller's), and no socket.
fds=(/proc/"$pid"/fd/*) socks=0 list=
for f in "${fds[@]}"; do
	l=$(readlink "$f"); list+=" ${f##*/}:$l"
	[[ $l == socket:* ]] && socks=$((socks + 1))
done
echo "    fds open in the process that made them (pid $pid, its sockets all closed):" \
	"${#fds[@]}, of which sockets: $socks  [$list ]"
echo "    a TIME_WAIT entry as ss -tanpe shows it (no users:, ino 0 = no fd, no owner):"
echo "      $(ss -tanpe state time-wait '( dport = :911 )' | sed -n 2p | tr -s ' ')"
# conntrack only tracks in a netns whose ruleset uses it (none here: count stays 0);
# where it does, each connection also holds an entry for tcp_timeout_time_wait.
echo "    conntrack in this netns: nf_conntrack_count $ct0 -> $ct1 (no ruleset uses it here);" \
	"nf_conntrack_max $(ctr max), nf_conntrack_tcp_timeout_time_wait $(ctr tcp_timeout_time_wait) s"

echo "(7) counting them: ss vs /proc/net/sockstat (best of 3, same moment)"
best_ss=0 best_st=0 best_pt=0
for _ in 1 2 3; do
	# "$EPOCHREALTIME" in place: a command substitution would fork and time the fork
	a=${EPOCHREALTIME/./}; n=$(ss -tan state time-wait | tail -n +2 | wc -l); b=${EPOCHREALTIME/./}
	read -r -d '' _ </proc/net/sockstat || true; c=${EPOCHREALTIME/./}
	p=$(wc -l </proc/net/tcp); d=${EPOCHREALTIME/./}
	((best_ss == 0 || b - a < best_ss)) && best_ss=$((b - a))
	((best_st == 0 || c - b < best_st)) && best_st=$((c - b))
	((best_pt == 0 || d - c < best_pt)) && best_pt=$((d - c))
done
echo "    ss -tan state time-wait | wc -l: $n lines in $((best_ss / 1000)) ms"
echo "    wc -l < /proc/net/tcp:           $((p - 1)) lines in $((best_pt / 1000)) ms"
tw_now
echo "    read /proc/net/sockstat (bash read): tw $TW in $best_st us  (ss / sockstat = $((best_ss / (best_st > 0 ? best_st : 1)))x)"

fd=${MK[1]}
exec {fd}>&-
wait "$MK_PID"
echo "== done in ${SECONDS} s (inside the namespace); all sockets die with it"
