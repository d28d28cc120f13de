# SPDX-License-Identifier: MIT
# Compatibility matrix, nginx (see matrix_lib.sh), under the shim, curl
# its client (tests/e2e/matrix/nginx.sh writes the configuration).
# As a server with keepalive_timeout 0 it closes right after the response,
# but curl, reading the response's length, closes as soon: either FIN may
# be first (a few in 20 are curl's). Observing, the ledger's active closes
# are its TIME_WAIT, whichever they are; under --close-accepted fin-reset
# each close that would have been first is fin-reset: no TIME_WAIT here.
# As a proxy without upstream keep-alive, in the client namespace (200
# ports) in front of ka_server: it closes each upstream connection itself,
# so its TIME_WAIT toward ka_server is what runs out; --close fin-reset
# leaves none there, --close-accepted fin-reset none toward its clients,
# and 210 requests pass.
. "$(dirname "$0")/matrix_lib.sh"
need nginx curl
M=$HERE/matrix

server nginx "$M/nginx.sh" @TMP@/nginx-@PORT@ $SRV:@PORT@
client curl -sS http://@HOST@:@PORT@/
srow nginx-observe 60 "" active+passive=N
srow nginx-fin-reset 60 "--close-accepted fin-reset" fin_reset+passive=N resets=fin_reset tw_here=0

# up_start: the proxy's own ka_server (keep-alive), on UPORT.
up_start() {
	ka keepalive
	UPORT=$PORT
}
# up_judge ROW: the proxy's connections to it, checked as a client row's,
# with UP_EXPECT.
up_judge() {
	judge "$1-upstream" nginx $SRV:$UPORT "in_client dst $SRV:$UPORT" \
		"in_server sport = :$UPORT" connects=N "${UP_EXPECT[@]}"
}
SUPSTREAM=up_start
SROW_MORE=up_judge
server_in client
server nginx "$M/nginx.sh" @TMP@/nginx-@PORT@ $CLI:@PORT@ $SRV:@UP@
UP_EXPECT=(active=N tw_here=N tw_peer=0)
srow proxy-observe 60 "" active+passive=N
UP_EXPECT=(fin_reset=N resets=N tw_here=0 tw_peer=0)
srow proxy-fin-reset $NPAST "--close fin-reset --close-accepted fin-reset" \
	fin_reset+passive=N resets=fin_reset tw_here=0
matrix_done
