# SPDX-License-Identifier: MIT
# Issue acceptance: a shell loop running curl 1,000 times in a minute must
# show 1,000 connections and their TIME_WAIT, though there are fewer slots
# than processes: exited processes still holding TIME_WAIT are folded into
# the per-command aggregate, visibly, and nothing is lost.
. "$(dirname "$0")/lib.sh"

# More processes than the ledger's 256 slots; sanitized processes start
# ten times slower, so those builds run 400 (still more than the slots).
N=1000
[ -n "${SAN:-}" ] && N=400
loopback_ns 20000 29999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start=$(date +%s)
for i in $(seq $N); do
	"$TW" run -- "$GET" 127.0.0.1 8080 > /dev/null || fail "$GET_COMM run $i failed"
done
took=$(( $(date +%s) - start ))
note "$N $GET_COMM runs took ${took} s"
[ "$took" -lt 55 ] || fail "the loop took ${took} s: too slow to check the TIME_WAIT of all $N"
stat_json
kernel=$(ss_tw)
expect "$GET_COMM processes in the ledger" "$(statq procs --comm $GET_COMM)" -eq $N
expect "connects" "$(statq connects --comm $GET_COMM --dest 127.0.0.1:8080)" -eq $N
expect "active closes" "$(statq active_closes --comm $GET_COMM --dest 127.0.0.1:8080)" -eq $N
est=$(statq time_wait_estimate --comm $GET_COMM)
expect "kernel TIME_WAIT" "$kernel" -eq $N
expect "TIME_WAIT estimate" "$est" -eq "$kernel"
"$TW" stat > "$TMP/stat.txt"
grep "$GET_COMM\\* (" "$TMP/stat.txt" || fail "no aggregate row shown"
