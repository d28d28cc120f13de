# SPDX-License-Identifier: MIT
# Compatibility matrix, Node.js and the JVM (see matrix_lib.sh): each one
# process making N connections against ka_server. Node's http.get with
# agent:false (a connection per request) and a java.net.Socket client
# (Get.java, compiled here) half-close before they close (DOMAIN 16):
# observing, their active closes are their TIME_WAIT. Under fin-reset or
# reset the close becomes fin-reset, unless the server's FIN is back by
# the time of close(): the TIME_WAIT exists already and the ledger counts
# the close as active and `late`. Which of the two wins is the network's
# timing, so the rows check late + fin_reset == N and the estimate
# against the kernel, not that no TIME_WAIT is left.
. "$(dirname "$0")/matrix_lib.sh"
need node javac java curl
M=$HERE/matrix

javac -d "$TMP" "$M/Get.java" || fail "javac Get.java"
for p in node java; do
	case $p in
	node) program loop node node "$M/get.js" @HOST@ @PORT@ @N@ ;;
	java) program loop java java -cp "$TMP" Get @HOST@ @PORT@ @N@ ;;
	esac
	crow $p-observe keepalive 60 "" active=N tw_here=N tw_peer=0
	crow $p-fin-reset keepalive 60 "--close fin-reset" late+fin_reset=N active=late resets=fin_reset tw_peer=0
	crow $p-reset keepalive 60 "--close reset" late+fin_reset+reset=N active=late tw_peer=0
	crow $p-peer-first close 60 "--close peer-first" tw_here=active tw_peer=passive
done
matrix_done
