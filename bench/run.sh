#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh BUILD_DIR: what libtwshim.so costs, as ratios.
#
# For each mode of BUILD_DIR/bench/bench_ops (see bench/bench_ops.c for what
# one op is), `bench_ops compare` runs two workers side by side, one without
# the shim (A) and one with LD_PRELOAD=BUILD_DIR/libtwshim.so (B), taking
# turns in blocks of BENCH_BLOCK_MS milliseconds (ABBA order), and this script
# reports each side's median ns/op and the ratio B / A: the median of the
# ratios of the blocks paired in time, with a 95% confidence interval for
# that median and the pairs' interquartile range.
# Blocks milliseconds apart see the same machine, where whole runs seconds
# apart do not (bench_ops.c says why). Absolute timings mean nothing from one
# machine to the next; only the ratio, measured side by side in one run, is
# the result. Nothing is asserted on timings: the script exits 0 whenever
# every comparison ran, 1 when it could not run or a worker failed.
#
# Everything runs in a network namespace of its own (unshare -rn: no root
# needed where unprivileged user namespaces are allowed; as root it falls
# back to unshare -n), where only loopback exists: the connect modes talk to
# 127.0.0.1 and nothing leaves the namespace. In there, lo is brought up,
# ip_local_port_range widened and tcp_tw_reuse set, so that the TIME_WAIT the
# benchmark leaves behind does not run it out of ports.
#
# The shim side gets TWSHIM_SHM=/twshim-bench-PID, a ledger of its own
# (removed at exit), and nothing else from the caller's TWSHIM_* variables:
# these are cleared, so that the shim-side environment is exactly what the
# header prints.
#
# Environment:
#   BENCH_BLOCKS=N         block pairs per mode (default 400)
#   BENCH_BLOCK_MS=N       milliseconds per block (default 5)
#   BENCH_MODES="..."      modes to run (default "devnull pipe client connect";
#                          also available: connect-mt)
#   BENCH_BASELINE=shim    side A runs the shim too, observing only, so that
#                          the ratio is a policy's own cost
#   BENCH_BASELINE=PATH.so side A preloads that library instead, observing
#                          only: another build of the shim (main's, say), so
#                          that the ratio is what a change costs or saves
#   BENCH_SHIM_ENV="V=X .." extra variables for side B only, e.g.
#                          BENCH_SHIM_ENV="TWSHIM_CLOSE=reset" to compare a
#                          policy against observe-only
#   BENCH_FLOOR=0          skip the floor: with client among the modes, client
#                          is run once more with side B preloading only
#                          BUILD_DIR/bench/floor_peek.so, the one system call
#                          the shim adds per connection (bench/floor/peek.c)
#   BENCH_VERBOSE=1        also print every block pair's ns/op
set -u
# ip lives in /usr/sbin; numbers are printed and sorted with a '.' decimal point.
export PATH=$PATH:/usr/sbin:/sbin LC_ALL=C

me=bench/run.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

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
floor=$build/bench/floor_peek.so
[ -f "$lib" ] || die "$lib not found: the shim is not built, there is nothing to measure (make)"
[ -x "$bin" ] || die "$bin not found: build it first (make)"
base=${BENCH_BASELINE:-}
case $base in
'' | shim) ;;
*.so)
	[ -f "$base" ] || die "BENCH_BASELINE=$base: no such file (a libtwshim.so built from the code to compare against)"
	base=$(cd "$(dirname "$base")" && pwd)/$(basename "$base") ;;
*) die "BENCH_BASELINE='$base' is neither 'shim' nor the path of a .so (another build's libtwshim.so)" ;;
esac

blocks=${BENCH_BLOCKS:-400}
[[ $blocks =~ ^[1-9][0-9]{0,4}$ ]] || die "BENCH_BLOCKS='$blocks' is not a number of block pairs from 1 to 99999"
block_ms=${BENCH_BLOCK_MS:-5}
[[ $block_ms =~ ^[1-9][0-9]{0,2}$ ]] || die "BENCH_BLOCK_MS='$block_ms' is not a number of milliseconds from 1 to 999"
read -r -a modes <<<"${BENCH_MODES:-devnull pipe client connect}"
[ ${#modes[@]} -gt 0 ] || die "BENCH_MODES is empty"
for m in "${modes[@]}"; do
	[ -n "${WHAT[$m]+x}" ] || die "BENCH_MODES: '$m' is not a mode (devnull pipe client connect connect-mt)"
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
	. "$(dirname "$0")/ns.sh"
	bench_ns -n ||
		die "cannot make a network namespace (unshare -rn failed: are unprivileged user namespaces disabled?); the benchmark only runs inside one of its own"
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

# Side B, the shim: the ledger of its own first, so BENCH_SHIM_ENV may override.
# TWSHIM_LOG=off: the hints a churning benchmark earns are computed, not printed.
with=("LD_PRELOAD=$lib" "TWSHIM_SHM=$shm" TWSHIM_LOG=off "${shim_env[@]}")
without=()
# BENCH_BASELINE=shim: side A is the shim observing only, so that the ratio
# is a policy's own cost (make bench-policies).
# BENCH_BASELINE=PATH.so: side A is that build observing only, so that the
# ratio is a change's cost.
alabel=no-shim
if [ "$base" = shim ]; then
	without=("LD_PRELOAD=$lib" "TWSHIM_SHM=$shm-base" TWSHIM_LOG=off)
elif [ -n "$base" ]; then
	without=("LD_PRELOAD=$base" "TWSHIM_SHM=$shm-base" TWSHIM_LOG=off)
	alabel=base
fi

# compare NAME MODE VAR=VALUE...: the block pairs of MODE, side B with the
# variables given, into $tmp/pairs.NAME ("A B" ns/op per line); the header
# into $tmp/head.NAME. Returns 1 saying why on failure.
compare() {
	local n=$1 m=$2 rc
	shift 2
	"$bin" compare "$m" "$blocks" "$block_ms" A "${without[@]}" B "$@" \
		>"$tmp/out.$n" 2>"$tmp/stderr.$n"
	rc=$?
	head -n 1 "$tmp/out.$n" >"$tmp/head.$n"
	tail -n +2 "$tmp/out.$n" >"$tmp/pairs.$n"
	if [ $rc -ne 0 ] || ! grep -q "^compare $m blocks=$blocks " "$tmp/head.$n" ||
		[ "$(grep -cE '^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+$' "$tmp/pairs.$n")" -ne "$blocks" ]; then
		printf '%s: comparing %s failed (exit %d)\n' "$me" "$n" "$rc" >&2
		sed 's/^/    /' "$tmp/stderr.$n" >&2
		return 1
	fi
}

# quartiles: the 25th, 50th and 75th percentiles of the numbers on stdin.
quartiles() {
	sort -g | awk '{ v[NR] = $1 }
	function q(f,   i) { i = f * (NR - 1) + 1; return v[int(i)] + (i - int(i)) * (v[int(i) + 1] - v[int(i)]) }
	END { printf "%.6f %.6f %.6f\n", q(.25), q(.5), q(.75) }'
}

# median_ci: a 95% confidence interval for the median of the numbers on
# stdin, distribution-free: the order statistics n/2 -+ 0.98 sqrt(n) (the
# binomial's normal approximation). How far the ratio itself may be off,
# where the interquartile range says how much single pairs scatter.
median_ci() {
	sort -g | awk '{ v[NR] = $1 }
	END { h = 0.98 * sqrt(NR); j = int(NR / 2 - h); k = int(NR / 2 + 1 + h + 0.999999)
		if (j < 1) j = 1; if (k > NR) k = NR
		printf "%.6f %.6f\n", v[j], v[k] }'
}

# summary NAME TARGET [LABEL]: the medians of each side (B called LABEL,
# "shim" by default) and of the pairs' ratios.
summary() {
	local p=$tmp/pairs.$1 k qa qb qr ci label=${3:-shim}
	k=$(sed -n 's/.* ops_per_block=\([0-9]*\).*/\1/p' "$tmp/head.$1")
	qa=$(cut -d ' ' -f 1 "$p" | quartiles)
	qb=$(cut -d ' ' -f 2 "$p" | quartiles)
	qr=$(awk '{ printf "%.6f\n", $2 / $1 }' "$p" | quartiles)
	ci=$(awk '{ printf "%.6f\n", $2 / $1 }' "$p" | median_ci)
	awk -v m="$1" -v t="$2" -v al="$alabel" -v l="$label" -v n="$(wc -l <"$p")" -v k="$k" -v qa="$qa" -v qb="$qb" -v qr="$qr" -v ci="$ci" 'BEGIN {
		split(qa, a, " "); split(qb, b, " "); split(qr, r, " "); split(ci, c, " ")
		printf "%-10s %-7s %9.1f ns  %-4s %9.1f ns  ratio %.3f (95%% CI %.3f..%.3f)", m, al, a[2], l, b[2], r[2], c[1], c[2]
		if (t != "") printf "  (target %s)", t
		printf "\n           %d block pairs of %d ops; pairs'"'"' ratios: interquartile %.3f..%.3f; ratio of medians %.3f\n",
			n, k, r[1], r[3], b[2] / a[2] }'
}

printf 'twshim benchmark: shim / no-shim, measured side by side in this run\n'
printf '  kernel    %s (%s), nproc %s, load average %s\n' "$(uname -r)" "$(uname -m)" "$(nproc)" \
	"$(cut -d ' ' -f 1-3 /proc/loadavg)"
printf '  shim      %s\n' "$lib"
printf '  shim env  %s\n' "${with[*]}"
printf '  extra     BENCH_SHIM_ENV=%s\n' "${BENCH_SHIM_ENV:-(none: observe-only defaults)}"
[ "$base" = shim ] &&
	printf '  baseline  the shim observing only (BENCH_BASELINE=shim): "no-shim" below means that\n'
[ -n "$base" ] && [ "$base" != shim ] &&
	printf '  baseline  %s observing only (BENCH_BASELINE): "base" below\n' "$base"
:
printf '  netns     %s, lo only; ip_local_port_range %s, tcp_tw_reuse %s\n' \
	"$_TWSHIM_BENCH_NETNS" "$(tr '\t' ' ' </proc/sys/net/ipv4/ip_local_port_range)" \
	"$(cat /proc/sys/net/ipv4/tcp_tw_reuse)"
printf '  blocks    %s pairs per mode of ~%s ms each side, ABBA order; ratio: the median of the pairs'"'"' ratios\n' \
	"$blocks" "$block_ms"
printf '  one op    %-10s %s\n' "${modes[0]}" "${WHAT[${modes[0]}]}"
for m in "${modes[@]:1}"; do printf '            %-10s %s\n' "$m" "${WHAT[$m]}"; done
echo

failed=0
ledger_seen=0
for m in "${modes[@]}"; do
	if ! compare "$m" "$m" "${with[@]}"; then
		printf '%-10s FAILED: see above\n' "$m"
		failed=1
		rm -f "$tmp/stderr.$m" # shown already
		continue
	fi
	[ -e "/dev/shm$shm" ] && ledger_seen=1
	target=${TARGET[$m]:-}
	# A policy's own cost has no target: it buys something. A change's
	# cost has none either.
	[ -n "$base" ] && target=
	summary "$m" "$target"
	if [ "${BENCH_VERBOSE:-0}" = 1 ]; then
		sed 's/^/           pair: /' "$tmp/pairs.$m"
	fi
done

# The floor: client again, side B preloading only floor_peek.so, the one
# system call the shim adds per connection (bench/floor/peek.c). Not for a
# policy's own cost or a change's, where both sides pay it.
if [[ " ${modes[*]} " == *" client "* ]] && [ "${BENCH_FLOOR:-1}" != 0 ] && [ -z "$base" ]; then
	if [ ! -f "$floor" ]; then
		printf 'floor      skipped: %s not found (make builds it)\n' "$floor"
	elif compare floor client "LD_PRELOAD=$floor"; then
		summary floor "" peek
		printf '           (client with only the shim'"'"'s one added system call, a 1-byte peek before\n'
		printf '           each close, preloaded alone: what that call costs on this machine)\n'
	else
		printf 'floor      FAILED: see above\n'
		failed=1
		rm -f "$tmp/stderr.floor"
	fi
fi

echo
for m in "${modes[@]}" floor; do
	if [ -s "$tmp/stderr.$m" ]; then
		printf 'note: the %s comparison wrote to stderr (first lines):\n' "$m"
		head -n 6 "$tmp/stderr.$m" | sed 's/^/    /'
	fi
done
if [ $failed -eq 0 ] && [ $ledger_seen -eq 0 ] && [[ " ${with[*]} " != *" TWSHIM_SHM=off "* ]]; then
	printf 'note: no ledger appeared at /dev/shm%s: the shim did not attach (inert, or not the real shim?), so these ratios may not measure it\n' "$shm"
fi
printf 'Ratios only. The 95%% CI is how far this run'"'"'s median may be off; the interquartile\n'
printf 'range, how much single pairs scatter. Whole runs can differ by more than their CIs\n'
printf 'say: repeat, and compare the runs'"'"' medians.\n'
exit $failed
