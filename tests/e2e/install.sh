# SPDX-License-Identifier: MIT
# Issue 12: `make install` as a distribution's package build runs it: into
# DESTDIR, with PREFIX=/usr and a multiarch LIBDIR, which is not
# ../lib/twshim/ from /usr/bin. The installed twshim must find the installed
# library there (its LIBDIR is compiled in), and `make uninstall` must take
# every file away again.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN:-}" ]; then
	note "SAN=$SAN: installing is checked on the plain build only"
	exit 0
fi
SRC=${TWSHIM_SRC:?TWSHIM_SRC must name the source tree}
command -v make > /dev/null || fail "make is needed (Debian package make)"
ROOT=$TMP/root
LIBDIR=/usr/lib/x86_64-linux-gnu
DIRS=(DESTDIR="$ROOT" PREFIX=/usr LIBDIR="$LIBDIR")

# The build of this run, copied (times kept) into a directory of our own:
# the other LIBDIR makes make recompile cli/run.c and relink twshim, which
# must not happen to the binary the other scenarios are running.
mkdir -p "$TMP/build"
cp -a "$B/pic" "$B/obj" "$B/libtwshim.so" "$B/twshim" "$TMP/build/"
make -C "$SRC" --no-print-directory BUILD="$TMP/build" "${DIRS[@]}" install > "$TMP/make.log" 2>&1 ||
	fail "make install: $(cat "$TMP/make.log")"
grep -q 'CC .*/obj/cli/run.o' "$TMP/make.log" || fail "LIBDIR did not recompile run.o: $(cat "$TMP/make.log")"

(cd "$ROOT" && find . -type f -printf '%m %p\n' | sort) > "$TMP/files"
cat > "$TMP/want" <<LIST
644 ./usr/lib/x86_64-linux-gnu/twshim/libtwshim.so
644 ./usr/share/doc/twshim/CHANGELOG.md
644 ./usr/share/doc/twshim/LICENSE
644 ./usr/share/doc/twshim/README.md
$(cd "$SRC" && for f in docs/*.md; do echo "644 ./usr/share/doc/twshim/$f"; done)
644 ./usr/share/bash-completion/completions/twshim
644 ./usr/share/man/man1/twshim.1
644 ./usr/share/man/man7/twshim.7
755 ./usr/bin/twshim
LIST
sort -o "$TMP/want" "$TMP/want"
diff "$TMP/want" "$TMP/files" > "$TMP/diff" || fail "installed files differ: $(cat "$TMP/diff")"
echo "ok: installed $(wc -l < "$TMP/files") files"
if command -v man > /dev/null; then
	MANPATH=$ROOT/usr/share/man man -w 7 twshim > "$TMP/out" || fail "man -w 7 twshim: nothing"
	echo "ok: man finds $(cat "$TMP/out")"
fi

# The installed twshim looks in LIBDIR/twshim, says so, and finds nothing
# there while the library is only under DESTDIR.
TWI=$ROOT/usr/bin/twshim
unset TWSHIM_LIB
"$TWI" run --help | grep -qF "$LIBDIR/twshim/" || fail "run --help does not name $LIBDIR/twshim/"
if [ ! -e "$LIBDIR/twshim/libtwshim.so" ]; then
	expect "installed twshim before the library is in place" "$(status "$TWI" run -- true)" -eq 1
	grep -qF "nor in $LIBDIR/twshim/" "$TMP/err" || fail "the error does not name $LIBDIR: $(cat "$TMP/err")"
fi

# Then with the library in place: an overlay of DESTDIR's LIBDIR on the
# host's, in this scenario's own mount namespace (no one else sees it).
if mount -t overlay overlay -o "lowerdir=$ROOT$LIBDIR:$LIBDIR" "$LIBDIR" 2> "$TMP/err"; then
	"$TWI" run -- sh -c 'echo "$LD_PRELOAD"' > "$TMP/out" || fail "installed twshim run failed"
	grep -qx "$LIBDIR/twshim/libtwshim.so" "$TMP/out" || fail "preloaded: $(cat "$TMP/out")"
	loopback_ns 40000 40999 0
	start_server "$EX/ka_server" -l 127.0.0.1 -p 8080
	"$TWI" run -- "$EX/legacy_client" -n 3 127.0.0.1 8080 > /dev/null || fail "client under it failed"
	stat_json
	expect "connects counted by the installed library" "$(statq connects --comm legacy_client)" -eq 3
	# Lazily: programs started since map their libraries through it.
	umount -l "$LIBDIR"
else
	note "no overlay mount here ($(cat "$TMP/err")): the installed library's use not checked"
fi

make -C "$SRC" --no-print-directory BUILD="$TMP/build" "${DIRS[@]}" uninstall > "$TMP/make.log" 2>&1 ||
	fail "make uninstall: $(cat "$TMP/make.log")"
find "$ROOT" -type f > "$TMP/left"
[ ! -s "$TMP/left" ] || fail "left after uninstall: $(cat "$TMP/left")"
[ ! -e "$ROOT$LIBDIR/twshim" ] && [ ! -e "$ROOT/usr/share/doc/twshim" ] ||
	fail "twshim's own directories left after uninstall"
echo "ok: uninstall leaves no file"
