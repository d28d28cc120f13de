# SPDX-License-Identifier: MIT
# Forking servers (issue 11, item 6): the parent accepts, forks, closes its
# copy; the child answers and ends holding the last reference, with exit()
# or with _exit() (which no shim code sees). Regression: such connections
# were never counted (accepts=N, closes=0, open=N for ever), and
# --close-accepted did nothing. Now the parent asks the kernel what became
# of the connections it handed on (handed.h) and counts each once; and
# fin-reset, which acts only when the last holder lets go, is set by the
# first holder to close.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
N=30
port=9100
serve() { # END POLICY...: N requests to a fork server under the shim
	local end=$1; shift
	port=$((port + 1))
	export TWSHIM_SHM=$LEDGER-$end-$port
	rm -f "$TMP/ready"
	"$TW" run "$@" -- "$PY" "$HERE/fork_server.py" $port $N "$end" "$TMP/ready" &
	local pid=$!
	for _ in $(seq 100); do [ -s "$TMP/ready" ] && break; sleep 0.05; done
	[ -s "$TMP/ready" ] || fail "fork_server did not start"
	# Unmodified clients, outside the shim; they close second: the server
	# side holds the TIME_WAIT unless a policy moves it. Each from a source
	# port of its own: a client that happened to reuse a port would take
	# over the server's TIME_WAIT for it (a SYN may end a TIME_WAIT), and
	# the kernel's count would come out short of what was made.
	for i in $(seq $N); do
		"$PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),source_address=("127.0.0.1",int(sys.argv[2]))); d=s.makefile().read(); s.close(); sys.exit(d != "ok\n")' $port $((port * 4 + i)) ||
			fail "$end $*: a request failed"
	done
	wait "$pid" || fail "$end $*: the server failed"
	stat_json
}
# The server side's TIME_WAIT on this run's port, once closes have settled.
server_tw() { ss_tw > /dev/null; ss -Htan state time-wait "( sport = :$port )" | wc -l; }

for end in exit _exit; do
	serve $end
	note "$end, observe only: $(statq accepts --comm python3) accepted, $(statq active_closes --comm python3) active, kernel $(server_tw)"
	expect "$end: accepts" "$(statq accepts --comm python3)" -eq $N
	expect "$end: active closes" "$(statq active_closes --comm python3)" -eq $N
	expect "$end: open" "$(statq open --comm python3)" -eq 0
	expect "$end: estimate = kernel" "$(statq time_wait_estimate --comm python3)" -eq "$(server_tw)"

	serve $end --close-accepted fin-reset
	note "$end, fin-reset: $(statq reset_closes --comm python3) reset, kernel $(server_tw)"
	expect "$end fin-reset: accepts" "$(statq accepts --comm python3)" -eq $N
	expect "$end fin-reset: reset closes" "$(statq reset_closes --comm python3)" -eq $N
	expect "$end fin-reset: counted" "$(statq policy_actions.fin_reset --comm python3)" -eq $N
	expect "$end fin-reset: open" "$(statq open --comm python3)" -eq 0
	expect "$end fin-reset: server TIME_WAIT" "$(server_tw)" -eq 0
	expect "$end fin-reset: client TIME_WAIT" \
		"$(ss -Htan state time-wait "( dport = :$port )" | wc -l)" -eq 0
done
