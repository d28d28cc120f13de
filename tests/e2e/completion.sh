# SPDX-License-Identifier: MIT
# Issue 14, item 4: bash completion (cli/completion/twshim.bash), installed
# by make install. It offers every verb and every option each verb's --help
# lists (a new option without its completion fails here, named), the values
# an option takes, COMMAND after `twshim run --`, and the ledgers in
# /dev/shm for --shm.
. "$(dirname "$0")/lib.sh"

COMPLETION=$HERE/../../cli/completion/twshim.bash
[ -r "$COMPLETION" ] || fail "$COMPLETION missing"
# complete WORD...: what the completion offers for the command line WORD...
# (the last word being completed), one per line.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_twshim; printf "%s\n" "${COMPREPLY[@]}"' sh "$COMPLETION" "$@"
}
offers() { # WHAT WANT WORD...: fail unless WANT is among the offers
	local what=$1 want=$2
	shift 2
	complete_words "$@" > "$TMP/offers"
	grep -qxF -- "$want" "$TMP/offers" || fail "$what: '$want' not offered for '$*'"
}

# The verbs: the "Verbs:" block of twshim --help, up to its blank line.
for verb in $("$TW" --help | sed -n '/^Verbs:/,/^$/s/^  \([a-z]*\) .*/\1/p' | sort -u); do
	offers "verbs" "$verb" twshim ""
	[ "$verb" = help ] && continue
	n=0
	for opt in $("$TW" "$verb" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '-[-a-zA-Z]+'); do
		offers "twshim $verb" "$opt" twshim "$verb" "-"
		n=$((n + 1))
	done
	echo "ok: twshim $verb: all $n options of its --help offered"
done

offers "--close" fin-reset twshim run --close ""
offers "--close-accepted" peer-first twshim run --close-accepted ""
offers "top --sort" time_wait twshim top -s ""
offers "COMMAND after run --" bash twshim run -- ba
offers "COMMAND after run's options" bash twshim run --close reset ba
# COMMAND's own options are its own: none of run's after COMMAND.
[ -z "$(complete_words twshim run --close reset curl --cl)" ] || fail "run's options offered after COMMAND"
offers "help VERB" doctor twshim help ""
echo "ok: values, COMMAND and help offered"

# The ledgers there are, for --shm.
loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
"$TW" run -- "$EX/legacy_client" -q -n 1 127.0.0.1 8080 > /dev/null
offers "--shm" "$TWSHIM_SHM" twshim stat --shm ""
echo "ok: --shm offers $TWSHIM_SHM"
