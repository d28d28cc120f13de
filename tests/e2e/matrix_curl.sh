# SPDX-License-Identifier: MIT
# Compatibility matrix, command-line HTTP clients: curl and wget, one
# process per request, against ka_server (see matrix_lib.sh).
#
# curl closes first against a keep-alive server: observing, the ledger's
# active closes are the client's TIME_WAIT; under fin-reset and reset no
# TIME_WAIT is left anywhere, so 210 requests pass through 200 ports.
# Against a server that closes after each response the TIME_WAIT is the
# server's, and peer-first keeps it there. wget exits with its keep-alive
# connection still open: the shim's exit path closes it (DOMAIN 16).
. "$(dirname "$0")/matrix_lib.sh"
need curl wget

program each curl curl -sS http://@HOST@:@PORT@/
crow curl-observe keepalive 60 "" active=N tw_here=N tw_peer=0
crow curl-fin-reset keepalive $NPAST "--close fin-reset" fin_reset=N resets=N tw_here=0 tw_peer=0
crow curl-reset keepalive $NPAST "--close reset" reset=N resets=N tw_here=0 tw_peer=0
crow curl-peer-first close 60 "--close peer-first" passive=N tw_here=0 tw_peer=N

program each wget wget -q -O - http://@HOST@:@PORT@/
crow wget-observe keepalive 60 "" active=N tw_here=N tw_peer=0
crow wget-fin-reset keepalive 60 "--close fin-reset" fin_reset=N resets=N tw_here=0 tw_peer=0
crow wget-reset keepalive 60 "--close reset" reset=N resets=N tw_here=0 tw_peer=0
matrix_done
