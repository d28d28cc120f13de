# SPDX-License-Identifier: MIT
# The twshim command itself: help that teaches, exit codes as documented,
# warnings for programs the shim cannot reach, LD_PRELOAD kept, and the
# shim's internal names invisible to the host program.
. "$(dirname "$0")/lib.sh"

loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080

expect "twshim (no verb)" "$(status "$TW")" -eq 2
expect "twshim --help" "$(status "$TW" --help)" -eq 0
grep -q 'run \[OPTIONS\]' "$TMP/out" || fail "--help lacks the verbs"
expect "twshim help stat" "$(status "$TW" help stat)" -eq 0
grep -q -- '--json' "$TMP/out" || fail "help stat lacks --json"
expect "twshim --version" "$(status "$TW" --version)" -eq 0
grep -q '^twshim [0-9]' "$TMP/out" || fail "--version: $(cat "$TMP/out")"
expect "twshim -V" "$(status "$TW" -V)" -eq 0
grep -q '^twshim [0-9]' "$TMP/out" || fail "-V: $(cat "$TMP/out")"
# help of a verb that does not exist is a usage error (it exited 0).
expect "twshim help bogus" "$(status "$TW" help bogus)" -eq 2
grep -q "'bogus' is not a verb" "$TMP/err" || fail "help bogus: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "help bogus printed on stdout: $(cat "$TMP/out")"
expect "twshim frobnicate" "$(status "$TW" frobnicate)" -eq 2
grep -q "'frobnicate' is not a verb" "$TMP/err" || fail "unknown verb message: $(cat "$TMP/err")"

# A wrong flag: one line naming it and where to read more, for every verb
# (stat, top and run printed 40-58 lines of usage).
for args in "stat --bogus" "top --bogus" "run --bogus -- true" "doctor --bogus" \
	"stat --shm" "top -d" "run --close" "doctor --limit"; do
	# shellcheck disable=SC2086 # the words are the arguments
	expect "twshim $args" "$(status "$TW" $args)" -eq 2
	verb=${args%% *} opt=${args#* } opt=${opt%% *}
	[ "$(wc -l < "$TMP/err")" -eq 1 ] || fail "twshim $args: not one line: $(cat "$TMP/err")"
	grep -qF -- "'$opt'" "$TMP/err" && grep -qF "try 'twshim $verb --help'" "$TMP/err" ||
		fail "twshim $args: $(cat "$TMP/err")"
done
# doctor --pid of a process no ledger has: exit 1 and say so (it said the
# process "has exited" and exited 0, with a report about everything else).
expect "doctor --pid of a pid that never ran" "$(status "$TW" doctor --pid 999999)" -eq 1
grep -q "process 999999 is not running, and none of the" "$TMP/err" ||
	fail "doctor --pid 999999: $(cat "$TMP/err")"
sleep 30 & other=$!
expect "doctor --pid of a process not under twshim" "$(status "$TW" doctor --pid "$other")" -eq 1
grep -q "process $other runs, and none of the" "$TMP/err" || fail "doctor --pid $other: $(cat "$TMP/err")"
kill "$other"; wait "$other" 2> /dev/null || true
# Every value checked before COMMAND starts, by the library's own parsers:
# `run --close rest` ran the program with no policy (the complaint came at
# its first socket, the status was the program's), `--retry-ms abc -- true`
# exited 0 without a word.
expect "run --close rest" "$(status "$TW" run --close rest -- echo ran)" -eq 2
[ ! -s "$TMP/out" ] || fail "run --close rest ran the program: $(cat "$TMP/out")"
expect "its lines" "$(wc -l < "$TMP/err")" -eq 1
grep -q "run: --close rest: TWSHIM_CLOSE='rest' is not a close mode" "$TMP/err" ||
	fail "run --close rest: $(cat "$TMP/err")"
expect "run --retry-ms abc" "$(status "$TW" run --retry-ms abc -- true)" -eq 2
grep -q "run: --retry-ms abc: TWSHIM_RETRY_MS='abc'" "$TMP/err" || fail "run --retry-ms abc: $(cat "$TMP/err")"
# A bad value from the environment is the service's own: the program runs,
# and the shim in it fails open (tests/e2e/failopen.sh), as without run.
expect "run with a bad TWSHIM_ONLY in the environment" \
	"$(TWSHIM_ONLY=10.0.0.0/33 status "$TW" run -- echo ran)" -eq 0
grep -qx ran "$TMP/out" || fail "TWSHIM_ONLY from the environment: $(cat "$TMP/out" "$TMP/err")"
expect "run --except ," "$(status "$TW" run --except , -- true)" -eq 2
grep -q "run: --except ,: TWSHIM_EXCEPT" "$TMP/err" || fail "run --except ,: $(cat "$TMP/err")"
expect "run with good values" "$(status "$TW" run --close fin-reset --retry-ms 100 -- echo ran)" -eq 0
grep -qx ran "$TMP/out" || fail "run with good values: $(cat "$TMP/out")"
expect "run with no command" "$(status "$TW" run)" -eq 2
expect "run of a missing command" "$(status "$TW" run -- /nonexistent/cmd)" -eq 127
expect "run passes the exit status" "$(status "$TW" run -- bash -c 'exit 7')" -eq 7
expect "run with a missing --lib" "$(status "$TW" run --lib /nonexistent.so -- true)" -eq 1
grep -q "/nonexistent.so" "$TMP/err" || fail "missing --lib not named: $(cat "$TMP/err")"

# An LD_PRELOAD already set is kept, ours added.
LD_PRELOAD="${LD_PRELOAD:-} /nonexistent-other.so" "$TW" run -- bash -c 'echo "$LD_PRELOAD"' \
	> "$TMP/out" 2> /dev/null
grep -q 'libtwshim.so' "$TMP/out" && grep -q 'nonexistent-other.so' "$TMP/out" ||
	fail "LD_PRELOAD not kept: $(cat "$TMP/out")"

# Programs the loader will not preload into: warned about, still run.
if [ -x /sbin/ldconfig ] && [[ "$(ldd /sbin/ldconfig 2>&1 || true)" == *"not a dynamic"* || "$(ldd /sbin/ldconfig 2>&1 || true)" == *"statically linked"* ]]; then
	status "$TW" run -- /sbin/ldconfig --version > /dev/null
	grep -q 'statically linked' "$TMP/err" || fail "no static warning: $(cat "$TMP/err")"
	echo "ok: static warning: $(cat "$TMP/err")"
fi
# A setuid program run by its owner is an ordinary exec: no warning then
# (regression: root was told a setuid-root program was out of reach).
# secure_exec.sh checks the warning for another user.
if [ -u /usr/bin/passwd ]; then
	status "$TW" run -- /usr/bin/passwd --help > /dev/null
	if [ "$(stat -c %u /usr/bin/passwd)" = "$(id -u)" ]; then
		! grep -q 'is setuid' "$TMP/err" || fail "setuid warning to its owner: $(cat "$TMP/err")"
		echo "ok: no setuid warning to the program's owner"
	else
		grep -q 'is setuid' "$TMP/err" || fail "no setuid warning: $(cat "$TMP/err")"
		echo "ok: setuid warning: $(cat "$TMP/err")"
	fi
fi

# stat: a ledger that does not exist, bad arguments.
expect "stat of a missing ledger" "$(status "$TW" stat --shm /twshim-none-$$)" -eq 1
grep -q "/twshim-none-$$" "$TMP/err" || fail "missing ledger not named"
expect "stat with a bad pid" "$(status "$TW" stat 12x)" -eq 2
grep -q "'12x' is not a process id" "$TMP/err" || fail "bad pid message: $(cat "$TMP/err")"

# The shim exports the wrapped calls and nothing else.
nm -D --defined-only "$B/libtwshim.so" | awk '$2 == "T" || $2 == "D" || $2 == "B" { print $3 }' |
	grep -v '^_' | sort > "$TMP/exports"
printf '%s\n' accept accept4 bind close close_range closefrom connect dup dup2 dup3 fclose fcntl \
	fcntl64 freopen freopen64 getsockopt sendmmsg sendmsg setsockopt shutdown socket syscall \
	twshim_check_environment vfork wait wait3 wait4 waitid waitpid |
	sort > "$TMP/wanted"
diff "$TMP/wanted" "$TMP/exports" > "$TMP/diff" || fail "exported symbols differ: $(cat "$TMP/diff")"
echo "ok: exports are the $(wc -l < "$TMP/wanted") wrapped calls"

# The shim's internal names stay inside it.
"$TW" run -- "$B/tests/progs/collide" 127.0.0.1 8080 > "$TMP/out" || fail "collide failed"
grep -q 'collide: ok 1 2 3 4 5 6' "$TMP/out" || fail "collide: $(cat "$TMP/out")"
stat_json
expect "collide counted" "$(statq connects --comm collide)" -eq 1
expect "collide active close" "$(statq active_closes --comm collide)" -eq 1

# stat PID selects one process.
pid=$("$PY" -c 'import json,sys; print([p["pid"] for p in json.load(open(sys.argv[1]))["processes"] if p["comm"]=="collide"][0])' "$TMP/stat.json")
"$TW" stat --all "$pid" > "$TMP/out"
expect "rows for stat PID" "$(grep -c '^[0-9]' "$TMP/out")" -eq 1
