#!/usr/bin/env bash
# bench/run.sh BUILD_DIR: what libtwshim.so costs, as ratios.
#
# For each mode of BUILD_DIR/bench/bench_ops (see bench/bench_ops.c for what
# one op is), runs the same binary with the same iteration count without and
# with LD_PRELOAD=BUILD_DIR/libtwshim.so, alternately, for BENCH_ROUNDS rounds
# (ABBA order: odd rounds run without the shim first, even rounds with it
# first, so that drift and order effects cancel), and reports the median
# ns/op of each side and their ratio, shim / no-shim. Absolute timings mean
# nothing from one machine to the next; only the ratio, measured side by side
# in one run, is the result. Nothing is asserted on timings: the script exits
# 0 whenever every run ran, 1 when it could not run or a run failed.
#
# Everything runs in a network namespace of its own (unshare -rn: no root
# needed where unprivileged user namespaces are allowed; as root it falls
# back to unshare -n), where only loopback exists: the connect modes talk to
# 127.0.0.1 and nothing leaves the namespace. In there, lo is brought up,
# ip_local_port_range widened and tcp_tw_reuse set, so that the TIME_WAIT the
# benchmark leaves behind does not run it out of ports.
#
# The shim-side runs get TWSHIM_SHM=/twshim-bench-PID, a ledger of their own
# (removed at exit), and nothing else from the caller's TWSHIM_* variables:
# these are cleared, so that the shim-side environment is exactly what the
# header prints.
#
# Environment:
#   BENCH_ROUNDS=N         rounds per mode (default 25)
#   BENCH_SCALE=X          scales the time of each run (default 1: ~0.25 s)
#   BENCH_MODES="..."      modes to run (default "devnull pipe client connect";
#                          also available: connect-mt)
#   BENCH_BASELINE=shim    the baseline runs the shim too, observing only, so
#                          that the ratio is a policy's own cost
#   BENCH_SHIM_ENV="V=X .." extra variables for the shim-side runs only, e.g.
#                          BENCH_SHIM_ENV="TWSHIM_CLOSE=reset" to compare a
#                          policy against observe-only
#   BENCH_VERBOSE=1        also print every run's ns/op
set -u
# ip lives in /usr/sbin; numbers are printed and sorted with a '.' decimal point.
export PATH=$PATH:/usr/sbin:/sbin LC_ALL=C

me=bench/run.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

# Iteration counts are calibrated on this machine: a short pilot run without
# the shim measures ns/op, and each run is then sized to take about
# RUN_SECONDS * BENCH_SCALE (the same count on both sides, of course).
RUN_SECONDS=0.25
declare -A PILOT=([devnull]=20000 [pipe]=10000 [client]=1000 [connect]=1000 [connect-mt]=1000)
declare -A WHAT=(
	[devnull]='open("/dev/null") + close()'
	[pipe]='pipe2() + close() x2'
	[client]='socket + connect + close; the server is another process, without the shim'
	[connect]='socket + connect + accept + close(client) + close(accepted), one thread'
	[connect-mt]='socket + connect + close by the client; accept + close in a 2nd thread'
)
# What the project aims at; printed next to the ratio, never checked.
# client is the issue's "connect+close over loopback"; connect puts both ends
# under the shim, so it pays twice: shown for information.
declare -A TARGET=([devnull]='<= 1.02' [pipe]='<= 1.02' [client]='<= 1.05')

[ $# -eq 1 ] || die "usage: bench/run.sh BUILD_DIR (e.g. build)"
[ -d "$1" ] || die "$1: no such build directory: run make first"
build=$(cd "$1" && pwd) || die "$1: cannot enter"
lib=$build/libtwshim.so
bin=$build/bench/bench_ops
[ -f "$lib" ] || die "$lib not found: the shim is not built, there is nothing to measure (make)"
[ -x "$bin" ] || die "$bin not found: build it first (make)"

rounds=${BENCH_ROUNDS:-25}
[[ $rounds =~ ^[1-9][0-9]?$ ]] || die "BENCH_ROUNDS='$rounds' is not a number of rounds from 1 to 99"
scale=${BENCH_SCALE:-1}
if ! [[ $scale =~ ^[0-9]*\.?[0-9]+$ ]] || ! awk -v s="$scale" 'BEGIN { exit !(s > 0 && s <= 100) }'; then
	die "BENCH_SCALE='$scale' is not a factor above 0, up to 100"
fi
read -r -a modes <<<"${BENCH_MODES:-devnull pipe client connect}"
[ ${#modes[@]} -gt 0 ] || die "BENCH_MODES is empty"
for m in "${modes[@]}"; do
	[ -n "${PILOT[$m]+x}" ] || die "BENCH_MODES: '$m' is not a mode (devnull pipe client connect connect-mt)"
done
read -r -a shim_env <<<"${BENCH_SHIM_ENV:-}"
for kv in "${shim_env[@]}"; do
	[[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "BENCH_SHIM_ENV: '$kv' is not VAR=VALUE"
	[[ $kv != LD_PRELOAD=* ]] || die "BENCH_SHIM_ENV: LD_PRELOAD is the benchmark's to set"
done

# Only what the header shows reaches the runs.
unset LD_PRELOAD
for v in $(compgen -e); do
	case $v in TWSHIM_*) unset "$v" ;; esac
done

# ---- outside: make the namespace, run this script again in it ----
if [ -z "${_TWSHIM_BENCH_NETNS:-}" ]; then
	shm=/twshim-bench-$$
	trap 'rm -f "/dev/shm$shm" "/dev/shm$shm-base"' EXIT
	if unshare -rn true 2>/dev/null; then
		ns=(unshare -rn)
	elif [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
		ns=(unshare -n)
	else
		die "cannot make a network namespace (unshare -rn failed: are unprivileged user namespaces disabled?); the benchmark only runs inside one of its own"
	fi
	# In the background, so that a signal to this shell (timeout, make on
	# Ctrl-C) is passed on at once rather than after the whole benchmark.
	_TWSHIM_BENCH_NETNS="${ns[*]}" _TWSHIM_BENCH_SHM=$shm "${ns[@]}" -- "$BASH" "$0" "$@" &
	child=$!
	trap 'kill -TERM "$child" 2>/dev/null' HUP INT TERM
	while :; do
		wait "$child"
		rc=$?
		# > 128: the child was killed, or wait was interrupted by a trap.
		if [ $rc -gt 128 ] && kill -0 "$child" 2>/dev/null; then continue; fi
		break
	done
	exit "$rc"
fi

# ---- inside the namespace ----
shm=$_TWSHIM_BENCH_SHM
tmp=$(mktemp -d "${TMPDIR:-/tmp}/twshim-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"; rm -f "/dev/shm$shm" "/dev/shm$shm-base"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

command -v ip >/dev/null || die "ip (iproute2) is needed to bring lo up in the namespace"
ip link set lo up || die "cannot bring lo up in the namespace"
sysctl_set() {
	if ! printf '%s\n' "$2" >"/proc/sys/net/ipv4/$1" 2>/dev/null; then
		printf '%s: warning: could not set net.ipv4.%s=%s (left at %s)\n' \
			"$me" "$1" "$2" "$(tr '\t' ' ' <"/proc/sys/net/ipv4/$1")" >&2
	fi
}
# An odd end: the kernel wants the two ends of different parity.
sysctl_set ip_local_port_range "10000 65001"
sysctl_set tcp_tw_reuse 1

# The shim side: the ledger of its own first, so BENCH_SHIM_ENV may override.
# TWSHIM_LOG=off: the hints a churning benchmark earns are computed, not printed.
with=(env "LD_PRELOAD=$lib" "TWSHIM_SHM=$shm" TWSHIM_LOG=off "${shim_env[@]}")
without=(env)
# BENCH_BASELINE=shim: the baseline is the shim observing only, so that the
# ratio is a policy's own cost (make bench-policies).
if [ "${BENCH_BASELINE:-}" = shim ]; then
	without=(env "LD_PRELOAD=$lib" "TWSHIM_SHM=$shm-base" TWSHIM_LOG=off)
fi

# run SIDE MODE N: one run; prints its ns/op, or returns 1 saying why.
run() {
	local side=$1 mode=$2 n=$3 out rc
	local -a cmd
	if [ "$side" = shim ]; then cmd=("${with[@]}"); else cmd=("${without[@]}"); fi
	out=$("${cmd[@]}" "$bin" "$mode" "$n" 2>"$tmp/err")
	rc=$?
	if [ -s "$tmp/err" ]; then
		{ printf '%s\n' "--- $side $mode:"; cat "$tmp/err"; } >>"$tmp/stderr.$mode"
	fi
	if [ $rc -ne 0 ] || ! [[ $out =~ ^$mode\ iterations=$n\ ns_per_op=([0-9]+\.[0-9]+)$ ]]; then
		printf '%s: %s run of %s failed (exit %d): %s\n' "$me" "$side" "$mode" "$rc" "${out:-no output}" >&2
		sed 's/^/    /' "$tmp/err" >&2
		return 1
	fi
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# Two significant digits, at least 100.
iterations_for() {
	awk -v ns="$1" -v t="$RUN_SECONDS" -v s="$scale" 'BEGIN {
		n = t * s * 1e9 / ns; if (n < 100) n = 100
		e = 1; while (n >= 100) { n /= 10; e *= 10 }
		printf "%d\n", int(n + 0.5) * e }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf 'twshim benchmark: shim / no-shim, measured side by side in this run\n'
printf '  kernel    %s (%s), nproc %s, load average %s\n' "$(uname -r)" "$(uname -m)" "$(nproc)" \
	"$(cut -d ' ' -f 1-3 /proc/loadavg)"
printf '  shim      %s\n' "$lib"
printf '  shim env  %s\n' "${with[*]:1}"
printf '  extra     BENCH_SHIM_ENV=%s\n' "${BENCH_SHIM_ENV:-(none: observe-only defaults)}"
[ "${BENCH_BASELINE:-}" = shim ] &&
	printf '  baseline  the shim observing only (BENCH_BASELINE=shim): "no-shim" below means that\n'
:
printf '  netns     %s, lo only; ip_local_port_range %s, tcp_tw_reuse %s\n' \
	"$_TWSHIM_BENCH_NETNS" "$(tr '\t' ' ' </proc/sys/net/ipv4/ip_local_port_range)" \
	"$(cat /proc/sys/net/ipv4/tcp_tw_reuse)"
printf '  rounds    %s per mode, ABBA order; each run ~%s s (BENCH_SCALE %s); medians of ns/op\n' \
	"$rounds" "$(awk -v t="$RUN_SECONDS" -v s="$scale" 'BEGIN { print t * s }')" "$scale"
printf '  one op    %-10s %s\n' "${modes[0]}" "${WHAT[${modes[0]}]}"
for m in "${modes[@]:1}"; do printf '            %-10s %s\n' "$m" "${WHAT[$m]}"; done
echo

failed=0
ledger_seen=0
for m in "${modes[@]}"; do
	if ! pilot=$(run no-shim "$m" "${PILOT[$m]}"); then
		failed=1
		continue
	fi
	n=$(iterations_for "$pilot")
	: >"$tmp/no-shim" && : >"$tmp/shim" && : >"$tmp/ratios"
	ok=1
	for ((r = 1; r <= rounds; r++)); do
		if ((r % 2)); then order=(no-shim shim); else order=(shim no-shim); fi
		for side in "${order[@]}"; do
			if ! v=$(run "$side" "$m" "$n"); then ok=0; break 2; fi
			printf '%s\n' "$v" >>"$tmp/$side"
		done
		paste "$tmp/shim" "$tmp/no-shim" | tail -n 1 | awk '{ printf "%.3f\n", $1 / $2 }' >>"$tmp/ratios"
	done
	[ -e "/dev/shm$shm" ] && ledger_seen=1
	if [ $ok -eq 0 ]; then
		printf '%-10s FAILED (iterations=%s): see above\n' "$m" "$n"
		failed=1
		continue
	fi
	a=$(median <"$tmp/no-shim")
	b=$(median <"$tmp/shim")
	# The rounds' own ratios (shim / no-shim of the same round): their
	# median is a second estimate, their range shows the noise.
	spread="$(median <"$tmp/ratios") $(sort -g "$tmp/ratios" | sed -n '1p;$p' | paste -s -d ' ')"
	target=${TARGET[$m]:-}
	# A policy's own cost has no target: it buys something.
	[ "${BENCH_BASELINE:-}" = shim ] && target=
	awk -v m="$m" -v n="$n" -v a="$a" -v b="$b" -v sp="$spread" -v t="$target" 'BEGIN {
		split(sp, s, " ")
		printf "%-10s no-shim %9.1f ns  shim %9.1f ns  ratio %.3f", m, a, b, b / a
		if (t != "") printf "  (target %s)", t
		printf "\n           iterations %d; rounds'"'"' ratios: median %.3f, range %.3f..%.3f\n", n, s[1], s[2], s[3] }'
	if [ "${BENCH_VERBOSE:-0}" = 1 ]; then
		printf '           no-shim: %s\n' "$(paste -s -d ' ' "$tmp/no-shim")"
		printf '           shim:    %s\n' "$(paste -s -d ' ' "$tmp/shim")"
		printf '           ratios:  %s\n' "$(paste -s -d ' ' "$tmp/ratios")"
	fi
done

echo
for m in "${modes[@]}"; do
	if [ -s "$tmp/stderr.$m" ]; then
		printf 'note: the %s runs wrote to stderr (first lines):\n' "$m"
		head -n 6 "$tmp/stderr.$m" | sed 's/^/    /'
	fi
done
if [ $ledger_seen -eq 0 ] && [[ " ${with[*]} " != *" TWSHIM_SHM=off "* ]]; then
	printf 'note: no ledger appeared at /dev/shm%s: the shim did not attach (inert, or not the real shim?), so these ratios may not measure it\n' "$shm"
fi
printf 'Ratios only: per-run noise on a shared or virtual machine is often several percent;\n'
printf 'compare the per-round spread with the ratio before reading anything into it.\n'
exit $failed
