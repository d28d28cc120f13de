# SPDX-License-Identifier: MIT
# The first TCP socket of a process made in a signal handler, on a thread
# inside malloc (tests/progs/signal_first.c): the shim's start-up must not
# take the malloc lock, or any other, from there. Regression: it read
# sysctls with fopen and could start its closer thread in the handler; 49
# runs of 50 hung. Each run is bounded; every run must end, connected.
# Under every start-up path: observing only, with the policies that read
# sysctls (spread, sources) and the one that starts a thread (peer-first).
. "$(dirname "$0")/lib.sh"

loopback_ns 10000 60000 1
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
RUNS=${SIGNAL_FIRST_RUNS:-50}
run_all() {
	local hung=0 failed=0 rc
	for i in $(seq "$RUNS"); do
		export TWSHIM_SHM=$LEDGER-$i
		# Odd runs single-threaded, even runs with a second thread.
		rc=$(status timeout -s KILL 10 env "$@" "$TW" run -- \
			"$B/tests/progs/signal_first" 127.0.0.1 8080 $( ((i % 2)) || echo threaded))
		case $rc in
		0) ;;
		137) hung=$((hung + 1)) ;;
		*) failed=$((failed + 1)); echo "run $i: exit $rc: $(cat "$TMP/err")" >&2 ;;
		esac
		rm -f "/dev/shm$TWSHIM_SHM"
	done
	expect "runs hung (${*:-no policy})" $hung -eq 0
	expect "runs failed (${*:-no policy})" $failed -eq 0
}
run_all TWSHIM_HINTS=1
run_all TWSHIM_SOURCE_PORTS=20000-30000 TWSHIM_SPREAD=reuse
run_all TWSHIM_CLOSE=peer-first TWSHIM_CLOSE_WAIT_MS=10
echo "signal_first: every run ended"
