# SPDX-License-Identifier: MIT
# Issues 11 and 12: what `twshim run` says about COMMAND before running it.
# A Go program (the Go runtime makes its own system calls) gets one warning
# line and still runs; a program of another class, byte order or machine,
# one whose loader is not glibc's (musl's), or one that would run with a
# glibc older than the library needs, is refused with one line naming it
# and why, exit status 126, and not run; a script is judged by its
# interpreter. The refused programs are made with mkelf.py (ELF headers
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
# A glibc older than the library needs (issue 12): the loader would stop
# the program before main() ("version `GLIBC_2.17' not found (required by
# libtwshim.so)"), so run refuses it, naming the libc.so.6 found where the
# loader would find it: through the program's DT_RUNPATH ($ORIGIN), or
# beside a loader of the program's own. The old libc is made with mkelf.py
# (the version definitions of glibc 2.12's, a CentOS 6's, up to
# GLIBC_2.12); the programs are real, built here, and the loader stops
# them (exit status 127) when they run without twshim run; the library's
# own need is read from it.
command -v cc > /dev/null || fail "cc is needed (Debian package build-essential)"
readelf -V -W "$B/libtwshim.so" | sed -n 's/.*Name: GLIBC_\([0-9.]*\) .*/\1/p' | sort -V |
	tail -1 > "$TMP/needs"
needs=$(cat "$TMP/needs")
self_interp=$(readelf -l -W "$B/twshim" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ -n "$needs" ] && [ -n "$self_interp" ] || fail "readelf: GLIBC_$needs, loader '$self_interp'"
mkdir "$TMP/old" "$TMP/new"
mkelf "$TMP/old/libc.so.6" --like "$B/libtwshim.so" --verdef libc.so.6 \
	$(for v in 2.2.5 2.2.6 2.3 2.3.2 2.3.3 2.3.4 2.4 2.5 2.6 2.7 2.8 2.9 2.10 2.11 2.12; do
		echo --verdef GLIBC_$v; done)
mkelf "$TMP/old/$(basename "$self_interp")" --like "$B/libtwshim.so"
printf '#include <stdio.h>\nint main(void) { puts("ran"); return 0; }\n' > "$TMP/hello.c"
cc -o "$TMP/old/hello" "$TMP/hello.c" -Wl,--enable-new-dtags,-rpath,'$ORIGIN'
cc -o "$TMP/ownloader" "$TMP/hello.c" -Wl,--dynamic-linker="$TMP/old/$(basename "$self_interp")"
expect "hello with the old libc, without twshim run" "$(status "$TMP/old/hello")" -eq 127
old_glibc="has versions up to GLIBC_2.12, libtwshim.so needs GLIBC_$needs; it cannot be preloaded there\$"
refused "old glibc through DT_RUNPATH" "$TMP/old/hello" \
	"^twshim: run: $TMP/old/hello would run with an older glibc than libtwshim.so needs: its libc.so.6 ($TMP/old/libc.so.6) $old_glibc"
refused "old glibc beside its own loader" "$TMP/ownloader" \
	"^twshim: run: $TMP/ownloader would run with an older glibc .* its libc.so.6 ($TMP/old/libc.so.6) $old_glibc"
# The system's libc, found the same ways, is new enough: the program runs.
# (LD_LIBRARY_PATH is searched too, as the loader does; this command runs
# with the same one, so what it finds there is new enough.)
ln -s "$(readlink -f "$(ldd "$TMP/ownloader" | awk '$1 == "libc.so.6" { print $3 }')")" \
	"$TMP/new/libc.so.6"
cc -o "$TMP/new/hello" "$TMP/hello.c" -Wl,--enable-new-dtags,-rpath,'$ORIGIN'
if [ -z "${SAN:-}" ]; then
	expect "hello with the system's libc" "$(status "$TW" run -- "$TMP/new/hello")" -eq 0
	expect "hello with the system's libc: stderr" "$(wc -c < "$TMP/err")" -eq 0
	[ "$(cat "$TMP/out")" = ran ] || fail "hello: $(cat "$TMP/out")"
	expect "curl, the system's libc in LD_LIBRARY_PATH" \
		"$(LD_LIBRARY_PATH="$TMP/new" status "$TW" run -- curl -sS http://127.0.0.1:8080/)" -eq 0
	expect "curl, the system's libc in LD_LIBRARY_PATH: stderr" "$(wc -c < "$TMP/err")" -eq 0
fi

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
