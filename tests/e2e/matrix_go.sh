# SPDX-License-Identifier: MIT
# Compatibility matrix, Go (see matrix_lib.sh): a net/http client built
# here (tests/e2e/matrix/get.go), dynamically linked (cgo), so the loader
# preloads the shim into it, and yet the shim sees none of its
# connections: the Go runtime makes its socket system calls itself,
# without libc (DOMAIN 16; docs/limits.md says so). Its row checks that:
# the kernel holds the client's TIME_WAIT, the ledger has nothing, and a
# close policy changes nothing.
. "$(dirname "$0")/matrix_lib.sh"
need go readelf
grep -q 'the Go runtime does, even in a dynamically linked Go binary' "$HERE/../../docs/limits.md" ||
	fail "docs/limits.md no longer says why Go programs are not seen"

# No network: the standard library is all it needs.
mkdir "$TMP/go"
cp "$HERE/matrix/get.go" "$TMP/go/"
printf 'module matrix/goget\n\ngo 1.19\n' > "$TMP/go/go.mod"
(cd "$TMP/go" && HOME=$TMP/go GOCACHE=$TMP/go/cache GOPATH=$TMP/go/path GOFLAGS=-mod=mod \
	GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=1 go build -o goget .) > "$TMP/go.err" 2>&1 ||
	fail "go build: $(cat "$TMP/go.err")"
readelf -l "$TMP/go/goget" | grep -q 'program interpreter' ||
	fail "goget is statically linked: the row would test the loader, not the runtime"

# shellcheck disable=SC2034 # judge's
UNSEEN=1
program loop goget "$TMP/go/goget" @HOST@ @PORT@ @N@
crow go-observe keepalive 60 "" tw_here=N tw_peer=0
crow go-fin-reset keepalive 60 "--close fin-reset" tw_here=N tw_peer=0
matrix_done
