# Issue acceptance: a shell loop running curl 1,000 times in a minute must
# show 1,000 connections and their TIME_WAIT, though there are fewer slots
# than processes: exited processes still holding TIME_WAIT are folded into
# the per-command aggregate, visibly, and nothing is lost.
. "$(dirname "$0")/lib.sh"

loopback_ns 20000 29999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
start=$(date +%s)
for i in $(seq 1000); do
	"$TW" run -- curl -sS -o /dev/null http://127.0.0.1:8080/ || fail "curl run $i failed"
done
took=$(( $(date +%s) - start ))
note "1,000 curl runs took ${took} s"
[ "$took" -lt 55 ] || fail "the loop took ${took} s: too slow to check TIME_WAIT of all 1,000"
stat_json
kernel=$(ss_tw)
expect "curl processes in the ledger" "$(statq procs --comm curl)" -eq 1000
expect "connects" "$(statq connects --comm curl --dest 127.0.0.1:8080)" -eq 1000
expect "active closes" "$(statq active_closes --comm curl --dest 127.0.0.1:8080)" -eq 1000
est=$(statq time_wait_estimate --comm curl)
expect "kernel TIME_WAIT" "$kernel" -eq 1000
expect "TIME_WAIT estimate" "$est" -eq "$kernel"
"$TW" stat > "$TMP/stat.txt"
grep -q 'curl\* (' "$TMP/stat.txt" || fail "no aggregate row shown"
grep 'curl\* (' "$TMP/stat.txt"
