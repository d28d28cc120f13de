# SPDX-License-Identifier: MIT
# What a program can do to the shim at run time without meaning to (issue
# 13): bad pointers, a failed dup2 over a reset socket, fd numbers closed
# inside glibc coming back as other files, sockets shared and left open at
# exit, no fd or no /proc left at the first connect(). The cases are in
# tests/progs/fdcases.c, each saying what broke.
. "$(dirname "$0")/lib.sh"

loopback_ns 10000 60000 1
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
BASE=$TWSHIM_SHM
FD=$B/tests/progs/fdcases

# one CASE [VAR=VALUE...]: runs CASE under the shim, in a ledger of its own.
one() {
	local c=$1
	shift
	export TWSHIM_SHM=$BASE-$c
	rm -f "/dev/shm$TWSHIM_SHM"
	env "$@" "$TW" run -- "$FD" "$c" 127.0.0.1 8080 > "$TMP/$c.out" 2>&1 ||
		fail "$c: the program failed under the shim (status $?): $(cat "$TMP/$c.out")"
	stat_json
}
# TIME_WAIT on the client's side (not the server's port 8080).
client_tw() { ss -Htan state time-wait '( sport != :8080 )' | wc -l; }
# until_tw N: waits (boundedly) for N client TIME_WAIT entries.
until_tw() {
	for _ in $(seq 100); do
		[ "$(client_tw)" -ge "$1" ] && return 0
		sleep 0.1
	done
}

# Item 12: EFAULT, not SIGSEGV (observing, and with a policy on).
if [ -n "${SAN:-}" ]; then
	# The sanitizers' own accept() reads the length before the call, and
	# crashes on the bad one, as the shim did: the plain suite runs it.
	note "SAN=$SAN: bad_pointers runs in the plain suite"
else
	one bad_pointers
	one bad_pointers TWSHIM_CLOSE=reset
	expect "bad_pointers open" "$(statq open --comm fdcases)" -eq 0
fi
# Item 12: the failed dup2/dup3 leaves the reset socket's ECONNRESET.
one dup2_fail_pending
one dup2_fail_pending TWSHIM_CLOSE=fin-reset
expect "dup2_fail_pending open" "$(statq open --comm fdcases)" -eq 0

# Item 7: the fclose'd connection counted as the close it is (active; no
# policy acts on an fclose), the three closed unseen as other; the socket
# pairs, the pipe and the file made on their numbers are not connections:
# nothing held, reset or counted for them.
one stale_reused TWSHIM_CLOSE=peer-first TWSHIM_CLOSE_WAIT_MS=60000
expect "stale_reused connects" "$(statq connects --comm fdcases)" -eq 4
expect "stale_reused active_closes (the fclose)" "$(statq active_closes --comm fdcases)" -eq 1
expect "stale_reused other_closes" "$(statq other_closes --comm fdcases)" -eq 3
for k in passive_closes reset_closes policy_actions.peer_first \
	policy_actions.peer_timeout policy_actions.hold_full policy_actions.fin_reset; do
	expect "stale_reused $k" "$(statq $k --comm fdcases)" -eq 0
done
expect "stale_reused open" "$(statq open --comm fdcases)" -eq 0

# Item 8: left open at exit, shared by dup2, or by fork with a child that
# exited first, or last (the orphan, which ends on its own after the run):
# one active close each, as the kernel's TIME_WAIT says.
for c in exit_shared_dup exit_shared_fork exit_shared_orphan; do
	before=$(client_tw)
	one $c
	until_tw $((before + 1))
	stat_json # the orphan counts as it exits, after the run
	expect "$c: kernel TIME_WAIT added" $(( $(client_tw) - before )) -eq 1
	expect "$c active_closes" "$(statq active_closes --comm fdcases)" -eq 1
	expect "$c open" "$(statq open --comm fdcases)" -eq 0
done

# Item 9: the first connect() with no fd to spare for /proc, and with no
# /proc at all: alive in the ledger, under its name, with its connection.
# alive_check LABEL CMD...: runs CMD (fdcases fd_exhausted, waiting for its
# stdin to close) and reads the ledger while it runs.
alive_check() {
	local label=$1 pid
	shift
	export TWSHIM_SHM=$BASE-$label
	rm -f "$TMP/in" && mkfifo "$TMP/in"
	"$@" < "$TMP/in" > "$TMP/$label.out" 2>&1 &
	pid=$!
	exec 7> "$TMP/in"
	for _ in $(seq 100); do
		grep -q ready "$TMP/$label.out" && break
		kill -0 $pid 2> /dev/null || break
		sleep 0.1
	done
	grep -q ready "$TMP/$label.out" || fail "$label: never ready: $(cat "$TMP/$label.out")"
	stat_json
	exec 7>&-
	wait $pid || fail "$label: the program failed under the shim: $(cat "$TMP/$label.out")"
	expect "$label: alive while it ran" "$(statq alive --comm fdcases)" -eq 1
	expect "$label: its connection open" "$(statq open --comm fdcases)" -eq 1
	expect "$label: connects" "$(statq connects --comm fdcases)" -eq 1
}
alive_check fd_exhausted "$TW" run -- "$FD" fd_exhausted 127.0.0.1 8080
# /proc hidden under a tmpfs in a mount namespace of the program's own; the
# ledger is read from here, where /proc is whole.
if [ "${SAN:-}" = asan ]; then
	note "SAN=asan: its runtime needs /proc at exit; the no_proc case runs in the other suites"
else
	alive_check no_proc unshare -m sh -c 'mount -t tmpfs none /proc && exec "$@"' sh \
		"$TW" run --lib "$B/libtwshim.so" -- "$FD" fd_exhausted 127.0.0.1 8080
fi
echo "runtime_hazards: all cases hold"
