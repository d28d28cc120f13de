# SPDX-License-Identifier: MIT
# bash completion for twshim(1): verbs, each verb's options, and the values
# an option takes (close modes, sort orders, ledgers in /dev/shm, network
# namespaces, PIDs of the ledger). Installed as
# $(PREFIX)/share/bash-completion/completions/twshim; tests/e2e/completion.sh
# checks that every option `twshim VERB --help` lists is offered here.

_twshim_ledgers()
{
	local f
	for f in /dev/shm/twshim*; do
		[ -f "$f" ] && printf '/%s\n' "${f#/dev/shm/}"
	done
}

# Whether run's option $1 takes a value (the word after it is not COMMAND).
_twshim_run_takes_value()
{
	case $1 in
	--shm | --log | --log-level | --lib | --close | --close-accepted | --close-wait-ms | \
		--close-fallback | --close-hold-max | --source-addrs | --source-ports | --spread | \
		--retry-ms | --only | --except) return 0 ;;
	esac
	return 1
}

_twshim()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verb=${COMP_WORDS[1]} opts i
	COMPREPLY=()

	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W 'run stat top doctor export help --help --version -V' -- "$cur")
		return
	fi

	# Values of the option just typed.
	case $prev in
	--shm) mapfile -t COMPREPLY < <(compgen -W "$(_twshim_ledgers) off" -- "$cur"); return ;;
	--close | --close-accepted)
		mapfile -t COMPREPLY < <(compgen -W 'kernel fin-reset reset peer-first' -- "$cur"); return ;;
	--close-fallback) mapfile -t COMPREPLY < <(compgen -W 'reset kernel' -- "$cur"); return ;;
	--spread) mapfile -t COMPREPLY < <(compgen -W 'reuse off' -- "$cur"); return ;;
	--log) mapfile -t COMPREPLY < <(compgen -W 'stderr syslog file: off' -- "$cur"); return ;;
	--log-level) mapfile -t COMPREPLY < <(compgen -W 'error warn info debug' -- "$cur"); return ;;
	--lib) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
	--owner) mapfile -t COMPREPLY < <(compgen -u -- "$cur"); return ;;
	-s | --sort)
		[ "$verb" = top ] &&
			mapfile -t COMPREPLY < <(compgen -W 'pressure time_wait rate errors latency command pid' -- "$cur")
		return ;;
	--netns)
		mapfile -t COMPREPLY < <(compgen -W "$(ip netns list 2> /dev/null | cut -d' ' -f1)" -- "$cur")
		[ ${#COMPREPLY[@]} -eq 0 ] && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	--pid | -p) mapfile -t COMPREPLY < <(compgen -W "$(ps -e -o pid= 2> /dev/null)" -- "$cur"); return ;;
	--comm) mapfile -t COMPREPLY < <(compgen -W "$(ps -e -o comm= 2> /dev/null | sort -u)" -- "$cur"); return ;;
	--listen | --dest) return ;; # ADDR:PORT, CIDR[:PORT]
	--close-wait-ms | --close-hold-max | --source-addrs | --source-ports | --retry-ms | --only | \
		--except | --limit | -d | --delay | -n | --iterations)
		return ;; # a number, an address or a list: nothing to offer
	esac

	case $verb in
	run)
		# After COMMAND (or --), complete COMMAND's own words.
		for ((i = 2; i < COMP_CWORD; i++)); do
			if [ "${COMP_WORDS[i]}" = -- ] ||
				{ [[ ${COMP_WORDS[i]} != -* ]] && ! _twshim_run_takes_value "${COMP_WORDS[i - 1]}"; }; then
				[ "${COMP_WORDS[i]}" = -- ] && i=$((i + 1))
				if [ "$i" -eq "$COMP_CWORD" ]; then
					mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
				else
					mapfile -t COMPREPLY < <(compgen -f -- "$cur")
				fi
				return
			fi
		done
		opts='--shm --log --log-level --lib --close --close-accepted --close-wait-ms
			--close-fallback --close-hold-max --reuseaddr --reuseport --source-addrs
			--source-ports --spread --retry-ms --only --except --strict -h --help --'
		if [[ $cur != -* ]]; then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
			return
		fi ;;
	stat) opts='--json --prometheus --all --by-command --no-header --comm --dest --shm --owner -h
		--help' ;;
	top) opts='-d --delay -n --iterations --once -s --sort -b --batch --json --no-header
		--by-command -p --pid --comm --dest --shm --owner -h --help' ;;
	export) opts='--listen --shm --owner -h --help' ;;
	doctor) opts='--json --prometheus --check --pid --comm --dest --netns --shm --owner --limit -h
		--help' ;;
	help) [ "$COMP_CWORD" -eq 2 ] && mapfile -t COMPREPLY < <(compgen -W 'run stat top doctor export' -- "$cur")
		return ;;
	*) return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -F _twshim twshim
