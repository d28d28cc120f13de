# SPDX-License-Identifier: MIT
# Compatibility matrix, socat (see matrix_lib.sh).
# As a client, one process per connection (`socat - TCP:...`, the request
# on stdin) against ka_server: at end of stdin it half-closes, the server
# closes in answer, and socat exits with the socket still open (DOMAIN
# 16): the shim's exit path counts it, as the active close it was (its
# TIME_WAIT exists by then: `late` under a policy, or fin-reset when the
# server's FIN is not back yet).
# As a server, `TCP-LISTEN,fork` under the shim, curl its client: a child
# per connection runs the reply (HTTP/1.0, no length: the server closes
# first), half-closes, and exits with the socket open; the parent closed
# its copy after the fork. Every accepted connection must be counted
# closed exactly once, and --close-accepted must reach the child's close.
. "$(dirname "$0")/matrix_lib.sh"
need socat curl

printf 'GET / HTTP/1.1\r\nHost: matrix\r\n\r\n' > "$TMP/request"
PROG_STDIN=$TMP/request
program each socat socat - TCP:@HOST@:@PORT@
crow socat-observe keepalive 60 "" active=N tw_here=N tw_peer=0
crow socat-fin-reset keepalive 60 "--close fin-reset" late+fin_reset=N active=late resets=fin_reset tw_peer=0
crow socat-reset keepalive 60 "--close reset" late+fin_reset+reset=N active=late tw_peer=0
PROG_STDIN=

server socat socat TCP-LISTEN:@PORT@,bind=$SRV,fork,reuseaddr \
	'SYSTEM:read -r line; printf "HTTP/1.0 200 OK\r\n\r\nok\n"'
client curl -sS http://@HOST@:@PORT@/
srow socat-fork-observe 60 "" active=N tw_here=N tw_peer=0
srow socat-fork-fin-reset 60 "--close-accepted fin-reset" late+fin_reset=N active=late tw_peer=0
matrix_done
