#!/bin/sh
# SPDX-License-Identifier: MIT
# Exports twshim's ledger to node_exporter's textfile collector every
# INTERVAL seconds: for hosts without systemd (with systemd, use
# twshim-textfile.service and .timer beside this script).
#
#   TWSHIM_SHM=/twshim.myservice textfile-loop.sh [--once] DIR [INTERVAL [NAME]]
#
# DIR is node_exporter's --collector.textfile.directory, INTERVAL 15 s by
# default, NAME the file's name there (default twshim.prom; it must end in
# .prom, and each ledger needs its own). TWSHIM_SHM names the ledger as for
# `twshim stat`; TWSHIM the twshim command (default: twshim on PATH);
# TWSHIM_EXPORT=doctor exports `twshim doctor --prometheus` (the kernel's
# TIME_WAIT per destination, in this network namespace) instead of the
# ledger (stat, the default): give it a NAME of its own. Run it
# as the user whose programs write the ledger (it is mode 0600), or as root
# with LEDGER_OWNER naming that user (twshim reads only the ledgers of the
# user running it and of root unless --owner names another: man twshim,
# SECURITY).
# --once: one export, then exit with its status.
#
# Each export goes to a temporary file in DIR, then is renamed over the
# last one: a rename within one filesystem is atomic, so the collector never
# reads a half-written file (and it skips the temporary, whose name does
# not end in .prom). When the ledger cannot be read, the last file is
# removed rather than left to look current; the error goes to stderr.
set -u

once=0
if [ "${1:-}" = --once ]; then
	once=1
	shift
fi
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: textfile-loop.sh [--once] DIR [INTERVAL [NAME]]" >&2
	exit 2
fi
dir=$1
interval=${2:-15}
name=${3:-twshim.prom}
tw=${TWSHIM:-twshim}
what=${TWSHIM_EXPORT:-stat}
case $what in
stat | doctor) ;;
*) echo "textfile-loop.sh: TWSHIM_EXPORT='$what' is not an export: expected stat or doctor" >&2; exit 2 ;;
esac
case $name in
*/*) echo "textfile-loop.sh: NAME '$name' must be a file name, not a path" >&2; exit 2 ;;
*.prom) ;;
*) echo "textfile-loop.sh: NAME '$name': the collector reads only *.prom files" >&2; exit 2 ;;
esac
if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then
	echo "textfile-loop.sh: $dir is not a directory this user can write to" >&2
	exit 1
fi
tmp="$dir/.$name.$$"
trap 'rm -f "$tmp"; [ -n "${sleeper:-}" ] && kill "$sleeper" 2> /dev/null; exit 143' TERM
trap 'rm -f "$tmp"; [ -n "${sleeper:-}" ] && kill "$sleeper" 2> /dev/null; exit 130' INT

export_once() {
	if "$tw" "$what" --prometheus ${LEDGER_OWNER:+--owner "$LEDGER_OWNER"} > "$tmp"; then
		# readable by node_exporter's own user, whatever the umask
		chmod 0644 "$tmp" && mv -f "$tmp" "$dir/$name" && return 0
	fi
	rm -f "$tmp" "$dir/$name"
	return 1
}

if [ "$once" = 1 ]; then
	export_once
	exit
fi
while :; do
	export_once
	# In the background, so that TERM ends the wait at once.
	sleep "$interval" &
	sleeper=$!
	wait "$sleeper"
done
