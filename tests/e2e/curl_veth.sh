# SPDX-License-Identifier: MIT
# Issue acceptance: an unmodified curl, 150 times in a shell loop, against a
# keep-alive server across a veth pair, client range 40000-40199. The
# ledger must show 150 connects and 150 active closes for the destination,
# and a TIME_WAIT estimate within 2% of what the kernel holds (ss); 60 s
# later, both ~0 (TIME_WAIT lasts 60 s).
. "$(dirname "$0")/lib.sh"

veth_pair
in_client sh -c 'echo "40000 40199" > /proc/sys/net/ipv4/ip_local_port_range'
start_server in_server "$EX/ka_server" -l $SRV -p 8080

for i in $(seq 150); do
	in_client "$TW" run -- "$GET" $SRV 8080 > /dev/null || fail "$GET_COMM run $i failed"
done
stat_json
kernel=$(ss_tw in_client)
dest=$SRV:8080
expect "connects to $dest" "$(statq connects --comm $GET_COMM --dest $dest)" -eq 150
expect "active closes to $dest" "$(statq active_closes --comm $GET_COMM --dest $dest)" -eq 150
expect "$GET_COMM processes" "$(statq procs --comm $GET_COMM)" -eq 150
est=$(statq time_wait_estimate --comm $GET_COMM --dest $dest)
expect "kernel TIME_WAIT in the client namespace" "$kernel" -ge 147
diff=$(( est > kernel ? est - kernel : kernel - est ))
expect "|estimate $est - ss $kernel|" "$diff" -le $(( kernel * 2 / 100 ))
"$TW" stat > "$TMP/stat.txt"; head -4 "$TMP/stat.txt"

note "waiting 61 s for TIME_WAIT to expire"
sleep 61
stat_json
expect "estimate after 60 s" "$(statq time_wait_estimate --comm $GET_COMM --dest $dest)" -le 2
# The kernel's 60 s timers sit on the coarse levels of its timer wheel
# (with seconds of granularity at that range): entries may linger a little.
for _ in $(seq 16); do [ "$(ss_tw in_client)" -le 2 ] && break; sleep 0.5; done
expect "kernel TIME_WAIT 60-69 s after" "$(ss_tw in_client)" -le 2
