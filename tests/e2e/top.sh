# SPDX-License-Identifier: MIT
# twshim top. Piped: plain snapshots, each under a timestamped header, with
# the connect rate between two reads and the TIME_WAIT that stat counts. In
# a terminal (tmux): the live view shows the ledger, takes its keys,
# follows a resize, and gives the terminal back on q, SIGTERM and SIGINT.
. "$(dirname "$0")/lib.sh"

loopback_ns 20000 29999 0
start_server "$TW" run -- "$EX/ka_server" -l 127.0.0.1 -p 8080

# wait_for SECONDS CMD...: until CMD succeeds, or fail after SECONDS.
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
# is NUMBER AWK-CONDITION: e.g. is "$rate" 'x > 0'
is() { awk -v x="$1" "BEGIN { exit !($2) }"; }

# One process connecting at most 100 times a second and closing first
# (TIME_WAIT here); every 10th connect goes to a closed port
# (ECONNREFUSED). It stops when the file $4 exists.
cat > "$TMP/paced.py" <<'PY'
import os, socket, sys, time
host, port, refused, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
n = 0
while not os.path.exists(stop):
    s = socket.socket()
    try:
        s.connect((host, refused if n % 10 == 9 else port))
    except ConnectionRefusedError:
        pass
    s.close()
    n += 1
    time.sleep(0.01)
PY
# The running python3 with at least $1 connects: its pid in $TMP/client.pid.
client_running() {
	stat_json
	"$PY" - "$TMP/stat.json" "$1" > "$TMP/client.pid" <<-'PY'
	import json, sys
	ps = [p for p in json.load(open(sys.argv[1]))["processes"]
	      if p["comm"] == "python3" and p["alive"] and p["connects"] >= int(sys.argv[2])]
	if not ps:
	    sys.exit(1)
	print(ps[0]["pid"])
	PY
}
# start_client N: the client started, and pid its pid once it has N connects.
start_client() {
	rm -f "$TMP/stop"
	"$TW" run -- "$PY" "$TMP/paced.py" 127.0.0.1 8080 8099 "$TMP/stop" & CLIENT=$!
	wait_for 20 client_running "$1" || fail "the client made no connections"
	pid=$(cat "$TMP/client.pid")
}
stop_client() { touch "$TMP/stop"; wait "$CLIENT"; }

# Usage: the value at fault named, exit 2; help that teaches the columns.
expect "top -d abc" "$(status "$TW" top -d abc)" -eq 2
grep -q "'abc' is not a delay in seconds" "$TMP/err" || fail "bad -d: $(cat "$TMP/err")"
expect "top -d 0" "$(status "$TW" top -d 0)" -eq 2
expect "top -n 0" "$(status "$TW" top -n 0)" -eq 2
grep -q "'0' is not a number of snapshots" "$TMP/err" || fail "bad -n: $(cat "$TMP/err")"
expect "top --sort size" "$(status "$TW" top --sort size)" -eq 2
grep -q "'size' is not a sort order" "$TMP/err" || fail "bad --sort: $(cat "$TMP/err")"
expect "twshim help top" "$(status "$TW" help top)" -eq 0
grep -q 'CONN/S' "$TMP/out" && grep -q 'q quit' "$TMP/out" || fail "help top: $(cat "$TMP/out")"

# Plain, with no ledger: said in each snapshot, then exit 1 naming it.
none=/twshim-none-$$
expect "top of a missing ledger" "$(status "$TW" top --shm "$none" -n 2 -d 0.1)" -eq 1
expect "snapshots saying so" "$(grep -c "^twshim top  $none .* no ledger yet" "$TMP/out")" -eq 2
grep -q "$none" "$TMP/err" || fail "missing ledger not named: $(cat "$TMP/err")"

# (a) Piped, while the client runs.
start_client 50
"$TW" top -n 2 -d 0.5 | cat > "$TMP/top.txt"
cat "$TMP/top.txt"
expect "snapshots" "$(grep -c "^twshim top  $LEDGER  20[0-9-]*T[0-9:]*Z  sort: pressure (P)  procs: " "$TMP/top.txt")" -eq 2
if grep -q $'\e' "$TMP/top.txt"; then fail "escape codes in the piped output"; fi
grep -q '^twshim top .* procs: 2 alive' "$TMP/top.txt" || fail "header: processes alive"
# Each snapshot has its rates: the earlier read was one interval before.
grep -E "^$pid +python3 +alive " "$TMP/top.txt" > "$TMP/rows" || fail "no row for python3 $pid"
expect "python3 rows" "$(wc -l < "$TMP/rows")" -eq 2
while read -r _ _ _ rate tw errs errrate errno _; do
	# At most 100 connects/s (10 ms sleeps), 9 in 10 to 8080: a rate out
	# of that is made up, not measured; the tenth fails.
	is "$rate" 'x > 0 && x <= 120' || fail "python3's rate: $rate"
	is "$errrate" 'x > 0 && x <= 15' || fail "python3's errors/s: $errrate"
	expect "python3 TIME_WAIT" "$tw" -gt 0
	expect "python3 errors" "$errs" -gt 0
	[ "$errno" = ECONNREFUSED ] || fail "python3's most frequent errno: $errno"
	echo "ok: python3 at $rate connects/s, $errrate errors/s"
done < "$TMP/rows"
rate=$(awk '$1 == "->" && $2 == "127.0.0.1:8080" { print $3 }' "$TMP/top.txt" | tail -1)
is "$rate" 'x > 0' || fail "rate to 127.0.0.1:8080: '$rate'"
awk '$1 == "->" && $2 == "127.0.0.1:8099" { print $7 }' "$TMP/top.txt" | tail -1 |
	grep -qx ECONNREFUSED || fail "no ECONNREFUSED row for 127.0.0.1:8099"
errrate=$(awk '$1 == "->" && $2 == "127.0.0.1:8099" { print $6 }' "$TMP/top.txt" | tail -1)
is "$errrate" 'x > 0' || fail "errors/s to 127.0.0.1:8099: '$errrate'"

# Stopped: what top says TIME_WAIT is, stat --json says too, to the entry.
stop_client
"$TW" top -n 1 -d 0.2 | cat > "$TMP/top.txt"
stat_json
cat "$TMP/top.txt"
set -- $(grep -E "^$pid +python3 " "$TMP/top.txt")
expect "python3 state" "$3" = exited
expect "python3 rate, stopped" "$4" = 0.0
expect "python3 TIME_WAIT as stat" "$5" -eq "$(statq time_wait_estimate --comm python3)"
expect "python3 errors as stat" "$6" -eq "$(statq connect_errors.ECONNREFUSED --comm python3)"
expect "python3 errors/s, stopped" "$7" = 0.0
set -- $(awk '$1 == "->" && $2 == "127.0.0.1:8080"' "$TMP/top.txt")
expect "TIME_WAIT to 127.0.0.1:8080 as stat" "$4" -eq \
	"$(statq time_wait_estimate --comm python3 --dest 127.0.0.1:8080)"
total=$(sed -n 's/.* total: .* connects\/s, \([0-9]*\) TIME_WAIT.*/\1/p' "$TMP/top.txt")
expect "total TIME_WAIT as stat" "$total" -eq "$(statq time_wait_estimate)"

# No ncurses to load (issue 12: twshim linked it, for every verb): on a
# terminal (a pty), top says so in one line, naming the library, and prints
# its plain snapshot instead. ncurses is hidden under /dev/null in a mount
# namespace of top's own (libtinfo stays: under a sanitizer $TW is a bash
# script; old_userland.sh hides it too).
find /lib/ /usr/lib/ /usr/local/lib/ -maxdepth 2 -name 'libncurses*.so*' -type f \
	-exec readlink -f {} \; | sort -u > "$TMP/curses"
[ -s "$TMP/curses" ] || fail "no ncurses library to hide: is libncurses-dev installed?"
printf 'while read -r f; do mount --bind /dev/null "$f"; done < "%s"\nexec "%s" top -n 1 -d 0.2\n' \
	"$TMP/curses" "$TW" > "$TMP/hidden.sh"
PTY='import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))'
expect "top without ncurses, on a terminal" \
	"$(TERM=xterm status "$PY" -c "$PTY" unshare -m sh "$TMP/hidden.sh" < /dev/null)" -eq 0
tr -d '\r' < "$TMP/out" > "$TMP/pty.out"
expect "top without ncurses: lines from twshim" "$(grep -c '^twshim: ' "$TMP/pty.out")" -eq 1
grep -q '^twshim: top: the live view needs ncurses, which cannot be loaded (.*libncursesw.so.6: .*; Debian package libncursesw6); plain snapshots instead$' \
	"$TMP/pty.out" || fail "top without ncurses: $(cat "$TMP/pty.out")"
echo "ok: $(grep '^twshim: ' "$TMP/pty.out")"
grep -qE "^$pid +python3 +exited " "$TMP/pty.out" || fail "top without ncurses: $(cat "$TMP/pty.out")"
if grep -q $'\e' "$TMP/pty.out"; then fail "escape codes without ncurses"; fi

# (b) The live view, in tmux: a terminal of 160x40 of its own.
export TERM=xterm-256color TMUX_TMPDIR=$TMP
tmx() { tmux -L twtop -f /dev/null "$@"; }
trap 'tmx kill-server 2> /dev/null || true; cleanup' EXIT
# pane.sh NAME: top in the pane; when it ends, its status to $TMP/NAME.status.
cat > "$TMP/pane.sh" <<EOF
"$TW" top -d 0.5 "\${@:2}"
st=\$?
echo "top exited \$st"
echo \$st > "$TMP/\$1.status"
exec sleep 1000
EOF
screen() { tmx capture-pane -p -t "$1" > "$TMP/screen"; }
shows() { screen "$1" && grep -qE -- "$2" "$TMP/screen"; }
see() { wait_for 10 shows "$@" || fail "$1 does not show /$2/:$(echo; cat "$TMP/screen")"; }
flags() { tmx display -p -t "$1" '#{alternate_on} #{cursor_flag}'; }
ended() {
	wait_for 10 test -s "$TMP/$1.status" || fail "top in $1 did not end"
	expect "top's status in $1" "$(cat "$TMP/$1.status")" -eq "$2"
	# The terminal given back: main screen, cursor shown.
	expect "$1: alternate screen, cursor" "$(flags "$1")" = "0 1"
}

start_client 1
tmx new-session -d -s live -x 160 -y 40 bash "$TMP/pane.sh" live
see live "^twshim top  $LEDGER .* sort: pressure \(P\)"
see live "^PID +COMMAND +STATE +CONN/S +TIME_WAIT"
see live "^$pid +python3 +alive +[0-9]+\.[0-9]"
see live '^ +-> 127\.0\.0\.1:8080 '
expect "live: alternate screen, cursor" "$(flags live)" = "1 0"
screen live
rate=$(awk -v p="$pid" '$1 == p { print $4 }' "$TMP/screen")
is "$rate" 'x > 0 && x <= 120' || fail "live rate: '$rate'"
cat "$TMP/screen"

tmx send-keys -t live r
see live 'sort: rate \(r\)'
tmx send-keys -t live d
wait_for 5 eval '! shows live "127\.0\.0\.1:8080 "' || fail "d did not hide the destinations"
tmx send-keys -t live d
see live '^ +-> 127\.0\.0\.1:8080 '
# A resize reaches the view: 6 lines leave room for 2 rows.
tmx resize-window -t live -x 100 -y 6
see live '^rows 1-2 of [0-9]+, every 0.5s'
tmx resize-window -t live -x 160 -y 40
see live '^rows 1-[0-9]+ of [0-9]+, every 0.5s'
tmx send-keys -t live q
ended live 0
see live '^top exited 0'

# SIGTERM, SIGINT: the terminal given back, and the status says the signal.
for sig in TERM:143 INT:130; do
	tmx new-session -d -s "${sig%:*}" -x 160 -y 40 bash "$TMP/pane.sh" "${sig%:*}"
	see "${sig%:*}" "^$pid +python3 "
	top_pid=$(pgrep -P "$(tmx display -p -t "${sig%:*}" '#{pane_pid}')")
	kill "-${sig%:*}" "$top_pid"
	ended "${sig%:*}" "${sig#*:}"
done

# No ledger yet: the live view waits and says so.
tmx new-session -d -s none -x 160 -y 40 bash "$TMP/pane.sh" none --shm "$none"
see none '^no ledger yet'
tmx send-keys -t none q
ended none 0

stop_client
tmx kill-server
kill "$SERVER_PID"
