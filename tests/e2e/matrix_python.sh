# SPDX-License-Identifier: MIT
# Compatibility matrix, Python (see matrix_lib.sh): http.client, requests
# and asyncio streams as clients, each one process making N connections
# that it closes first, against ka_server (keep-alive): observing, the
# ledger's active closes are the client's TIME_WAIT; under fin-reset and
# reset, none anywhere, so 210 connections pass through 200 ports; under
# peer-first, against a server that closes after each response, the
# TIME_WAIT stays with the server.
# socketserver.ForkingTCPServer as a server, under the shim, curl its
# client: it closes first, in a child per connection that shuts down
# (SHUT_WR), closes and leaves with os._exit; the parent closes its copy
# first. Every accepted connection must be counted closed exactly once.
. "$(dirname "$0")/matrix_lib.sh"
need curl
M=$HERE/matrix
"$PY" -c 'import requests' || fail "python3-requests is not installed (see .ci/run)"

for lib in http.client requests asyncio; do
	program loop python3 "$PY" "$M/py_get.py" $lib @HOST@ @PORT@ @N@
	crow $lib-observe keepalive 60 "" active=N tw_here=N tw_peer=0
	crow $lib-fin-reset keepalive $NPAST "--close fin-reset" fin_reset=N resets=N tw_here=0 tw_peer=0
	crow $lib-reset keepalive $NPAST "--close reset" reset=N resets=N tw_here=0 tw_peer=0
	crow $lib-peer-first close 60 "--close peer-first" passive=N tw_here=0 tw_peer=N
done

server python3 "$PY" "$M/forking_server.py" $SRV @PORT@
client curl -sS http://@HOST@:@PORT@/
srow forking-observe 60 "" active=N tw_here=N tw_peer=0
# The child's shutdown() sent its FIN before close(): when curl's FIN is
# back by then, the TIME_WAIT exists already and the close is `late`.
srow forking-fin-reset 60 "--close-accepted fin-reset" late+fin_reset=N active=late resets=fin_reset tw_peer=0
matrix_done
