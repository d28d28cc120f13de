# SPDX-License-Identifier: MIT
# Compatibility matrix, openssl (see matrix_lib.sh): TLS over plain TCP
# with a self-signed certificate made here.
# s_client, one process per connection, against s_server (without the
# shim; -www): it reads end of file on stdin at once, sends close_notify
# and half-closes (DOMAIN 16) while s_server, reading the close_notify,
# closes too: who is first varies per connection. The rows check that the
# ledger tells them apart as the kernel does (its estimate is the client's
# TIME_WAIT), and under fin-reset and reset, late + fin_reset (+ reset)
# == the connections the client closed first. Its stdout and stderr are
# compared with a run without the shim.
# s_server as a server under the shim (-WWW, one file, HTTP/1.0), curl -k
# its client: s_server sends close_notify and half-closes too, curl closes
# on reading it, and either may be first (both, now and then: a
# simultaneous close leaves a TIME_WAIT on each side). The same checks.
. "$(dirname "$0")/matrix_lib.sh"
need openssl curl
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=matrix \
	-days 2 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2> "$TMP/req.err" ||
	fail "openssl req: $(cat "$TMP/req.err")"
mkdir "$TMP/www"
echo ok > "$TMP/www/ok.txt"

# s_server_at OPTION: an s_server (-www or -WWW) on a new port, no shim.
s_server_at() {
	next_port
	(cd "$TMP/www" && exec nsenter -t "$SERVER_NS" -n openssl s_server -quiet "-$1" -accept $SRV:$PORT \
		-cert "$TMP/cert.pem" -key "$TMP/key.pem") > "$TMP/srv.out" 2>&1 &
	KA_PID=$!
	await_listen in_server $KA_PID s_server
}
# shellcheck disable=SC2034 # crow's
CSERVER=s_server_at
program each openssl sh -c 'exec openssl s_client -brief -connect "$0" 2>&1' @HOST@:@PORT@
crow s_client-observe www 60 "" active+passive=N
crow s_client-fin-reset www 60 "--close fin-reset" late+fin_reset+passive=N active=late resets=fin_reset
crow s_client-reset www 60 "--close reset" late+fin_reset+reset+passive=N active=late

server openssl sh -c 'cd "$0" && exec openssl s_server -quiet -WWW -accept "$1" -cert ../cert.pem -key ../key.pem' \
	@TMP@/www $SRV:@PORT@
client curl -sSk https://@HOST@:@PORT@/ok.txt
srow s_server-observe 60 "" active+passive=N
srow s_server-fin-reset 60 "--close-accepted fin-reset" late+fin_reset+passive=N active=late resets=fin_reset
matrix_done
