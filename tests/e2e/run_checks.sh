# SPDX-License-Identifier: MIT
# Issues 11 and 12: what `twshim run` says about COMMAND before running it.
# A Go program (the Go runtime makes its own system calls) gets one warning
# line and still runs; a program of another class, byte order or machine,
# or one whose loader is not glibc's (musl's), is refused with one line
# naming it and why, exit status 126, and not run; a script is judged by
# its interpreter. The refused programs are made with mkelf.py (ELF headers
# only: no new package); the Go one is built here, offline, from the
# standard library (Debian package golang-go).
. "$(dirname "$0")/lib.sh"

command -v go > /dev/null || fail "go is needed (Debian package golang-go)"
# Should a check regress and run a fixture: execvp hands a file the kernel
# cannot start to /bin/sh as a script, and what its bytes redirect to
# lands here, not in the source tree.
cd "$TMP"
loopback_ns 40000 40999 0
start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
ARCH=$(uname -m)
mkelf() { "$PY" "$HERE/mkelf.py" "$@"; }

# one_line WHAT PATTERN: $TMP/err is that one line, and it matches.
one_line() {
	expect "$1: lines on stderr" "$(wc -l < "$TMP/err")" -eq 1
	grep -q -- "$2" "$TMP/err" || fail "$1: $(cat "$TMP/err")"
	echo "ok: $1: $(cat "$TMP/err")"
}

# A tiny Go HTTP client; it says whether libtwshim.so was mapped into it.
mkdir "$TMP/go"
cat > "$TMP/go/main.go" <<-'GO'
	package main

	import (
		"fmt"
		"io"
		"net/http"
		"os"
		"strings"
	)

	func main() {
		resp, err := http.Get(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		maps, _ := os.ReadFile("/proc/self/maps")
		fmt.Printf("status=%d shim_loaded=%v\n", resp.StatusCode,
			strings.Contains(string(maps), "libtwshim.so"))
	}
GO
(cd "$TMP/go" && env HOME="$TMP/go" GOCACHE="$TMP/go/cache" GOPATH="$TMP/go/path" GOPROXY=off \
	GOFLAGS= GOTOOLCHAIN=local \
	go build -o gohttp main.go) > "$TMP/go/build.out" 2>&1 ||
	fail "go build: $(cat "$TMP/go/build.out")"
rc=$(status timeout 20 "$TW" run -- "$TMP/go/gohttp" http://127.0.0.1:8080/)
one_line "Go program" "run: warning: $TMP/go/gohttp is a Go program: .* will not see the connections it makes (libtwshim.so stays loaded but counts nothing"
if [ -z "${SAN:-}" ]; then
	# (A sanitizer runtime preloaded into the Go runtime is no test of ours.)
	expect "the Go program ran" "$rc" -eq 0
	grep -q "status=200 shim_loaded=true" "$TMP/out" || fail "Go program: $(cat "$TMP/out")"
	# Unseen: nothing in the ledger (made at a first connection, so
	# maybe not made at all).
	if [ -e "/dev/shm$LEDGER" ]; then
		stat_json
		expect "its connection, unseen" "$(statq connects --comm gohttp)" -eq 0
	fi
fi
# A static one, named as such (mkelf: no loader, a .go.buildinfo section),
# not executable: nothing is to run it.
mkelf "$TMP/gostatic" --like "$B/libtwshim.so" --section .text --section .go.buildinfo
chmod 644 "$TMP/gostatic"
expect "static Go program, not executable" "$(status "$TW" run -- "$TMP/gostatic")" -eq 126
grep -q "run: warning: $TMP/gostatic is statically linked (a Go program): nothing can be preloaded" \
	"$TMP/err" || fail "static Go program: $(cat "$TMP/err")"
echo "ok: static Go program: $(head -1 "$TMP/err")"

# Not Go: no warning at all.
if [ -z "${SAN:-}" ]; then
	expect "curl under run" "$(status "$TW" run -- curl -sS http://127.0.0.1:8080/)" -eq 0
else
	expect "legacy_client under run" \
		"$(status "$TW" run -- "$EX/legacy_client" -q -n 1 127.0.0.1 8080)" -eq 0
fi
expect "warnings for a C program" "$(wc -c < "$TMP/err")" -eq 0

# refused NAME FILE PATTERN: run refuses FILE, one line matching PATTERN, 126.
refused() {
	chmod +x "$2"
	expect "$1: exit status" "$(status "$TW" run -- "$2" arg)" -eq 126
	one_line "$1" "$3"
	expect "$1: output" "$(wc -c < "$TMP/out")" -eq 0
}
foreign=aarch64 foreign_em=183
[ "$ARCH" = aarch64 ] && foreign=x86_64 foreign_em=62
mkelf "$TMP/prog32" --class 32 --machine 3 --interp /lib/ld-linux.so.2
refused "32-bit" "$TMP/prog32" \
	"^twshim: run: $TMP/prog32 is a 32-bit program; libtwshim.so is 64-bit $ARCH: it cannot be preloaded there$"
mkelf "$TMP/foreign" --class 64 --machine $foreign_em --interp /lib/ld-linux-$foreign.so.1
refused "$foreign" "$TMP/foreign" \
	"^twshim: run: $TMP/foreign is a program for $foreign; libtwshim.so is for $ARCH: it cannot be preloaded there$"
mkelf "$TMP/musl" --like "$B/libtwshim.so" --interp "/lib/ld-musl-$ARCH.so.1"
refused "musl" "$TMP/musl" \
	"^twshim: run: $TMP/musl is linked against another C library (its loader is /lib/ld-musl-$ARCH.so.1, not glibc's ld-linux-.*); libtwshim.so needs glibc: it cannot be preloaded there$"
# A script is judged by its interpreter.
printf '#!%s -x\necho ran\n' "$TMP/prog32" > "$TMP/script32"
refused "script" "$TMP/script32" \
	"^twshim: run: $TMP/prog32, the interpreter of $TMP/script32, is a 32-bit program"
printf '#!/bin/sh\necho "ran $1"\n' > "$TMP/script"
chmod +x "$TMP/script"
expect "a shell script under run" "$(status "$TW" run -- "$TMP/script" arg)" -eq 0
[ "$(cat "$TMP/out")" = "ran arg" ] || fail "the script: $(cat "$TMP/out")"
expect "warnings for a shell script" "$(wc -c < "$TMP/err")" -eq 0
echo "run_checks: all hold"
