# SPDX-License-Identifier: MIT
# twshim: plain GNU make. `make` builds, `make test` runs every test,
# `make demo` shows port exhaustion and who caused it, `make bench` measures,
# `make fuzz` runs the libFuzzer targets (fuzz/, docs/fuzzing.md) for
# FUZZ_SECONDS each.
# V=1 shows full commands. SAN=asan|ubsan|tsan builds a sanitizer variant
# into build/SAN/. Local overrides go in config.mak.
# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (a distribution's hardening
# flags: dpkg-buildflags), added to the project's own on every line;
# `make install` takes PREFIX, BINDIR, LIBDIR, MANDIR, DOCDIR, BASHCOMPDIR and
# DESTDIR.
-include config.mak

CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -fno-common -Wformat=2 -Wundef -Wvla $(WERROR)
# The project's own preprocessor flags, apart from CPPFLAGS so that a
# CPPFLAGS given on the command line adds to them instead of replacing them.
TW_CPPFLAGS = -D_GNU_SOURCE -Iinclude
ALLCPPFLAGS = $(TW_CPPFLAGS) $(CPPFLAGS)
ALLCFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
# A multiarch LIBDIR (/usr/lib/x86_64-linux-gnu) works too: twshim run is
# built to look in $(LIBDIR)/twshim (below).
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/twshim
# Where bash-completion looks for a command's completion, loaded on demand.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
TWLIBDIR = $(LIBDIR)/twshim

SAN ?=
ifeq ($(SAN),)
BUILD ?= build
else
BUILD ?= build/$(SAN)
endif
ifeq ($(SAN),asan)
SANFLAGS = -fsanitize=address -fno-omit-frame-pointer
endif
ifeq ($(SAN),ubsan)
SANFLAGS = -fsanitize=undefined -fno-sanitize-recover=undefined
endif
ifeq ($(SAN),tsan)
SANFLAGS = -fsanitize=thread
# Criterion's runner cannot start under TSan (its fixed-address arena
# collides with TSan's shadow memory): the runner is built plain, and TSan
# watches the shim, the CLI and the example programs the scenarios run.
TEST_SANFLAGS =
else
TEST_SANFLAGS = $(SANFLAGS)
endif

ifeq ($(V),1)
Q =
msg = @true
else
Q = @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

# ncurses' header for twshim top: pkg-config's flags where it knows them.
# The library is not linked: top loads it when it draws (cli/curses_dl.c).
NCURSES_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null || pkg-config --cflags ncurses 2>/dev/null)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
TW_CPPFLAGS += -DTW_VERSION='"$(VERSION)"'

# The shim: wrappers.c holds the exported symbols; everything else is
# internal and is also linked into the test runner (without the wrappers,
# so the runner itself is never interposed).
SHIM_SRC     := $(sort $(wildcard shim/*.c) $(wildcard policies/*.c))
SHIM_WRAP    := shim/wrappers.c
SHIM_CORE    := $(filter-out $(SHIM_WRAP),$(SHIM_SRC))
CLI_SRC      := $(sort $(wildcard cli/*.c cli/doctor/*.c cli/top/*.c))
# Only the command loads ncurses: the test runner takes the rest of cli/
# (top's rows and rates included), not the verb that opens the screen, nor
# the command's start (cli/start_compat.c).
CLI_TTY      := cli/top/top.c cli/top/screen.c cli/curses_dl.c
CLI_CORE     := $(filter-out cli/main.c cli/start_compat.c $(CLI_TTY),$(CLI_SRC))
# The shim's pure parsers (numbers, CIDR[:PORT] patterns) the command uses
# too: built again for the command (the test runner has them from the shim).
CLI_SHARED   := shim/parse.c
TEST_SRC     := $(sort $(wildcard tests/unit/*.c) $(wildcard tests/e2e/*.c))
EXAMPLE_SRC  := $(sort $(wildcard examples/*.c))
BENCH_SRC    := $(sort $(wildcard bench/*.c))
PROG_SRC     := $(sort $(wildcard tests/progs/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
SHIM_PIC_OBJ  = $(patsubst %.c,$(BUILD)/pic/%.o,$(SHIM_SRC))
# Every shim and policy source, in the library and in the test runner,
# starts with shim/compat.h: the glibc baseline (2.17) held in one place.
$(SHIM_PIC_OBJ) $(patsubst %.c,$(BUILD)/tobj/%.o,$(SHIM_CORE)): COMPAT = -include shim/compat.h
# What compat.h pins to GLIBC_2.2.5 lives in these before glibc 2.34, in
# libc.so.6 after (where these are stubs, and -ldl would find an empty
# libdl.a): by run-time name, kept even by a linker that drops unused ones.
SHIM_LIBS = -Wl,--push-state,--no-as-needed -l:libdl.so.2 -l:libpthread.so.0 -l:librt.so.1 \
	-Wl,--pop-state
# The command keeps to the same baseline (cli/compat.h), in every source of
# it, in the command and in the test runner; it links the same libraries,
# and calls its start through cli/start_compat.c.
$(call obj,$(CLI_SRC) $(CLI_SHARED)) $(patsubst %.c,$(BUILD)/tobj/%.o,$(CLI_CORE)): COMPAT = -include cli/compat.h
CLI_LIBS = -Wl,--wrap=__libc_start_main $(SHIM_LIBS)

LIB      = $(BUILD)/libtwshim.so
CLI      = $(BUILD)/twshim
TESTBIN  = $(BUILD)/tests/twshim-tests
EXAMPLES = $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))
BENCHES  = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
PROGS    = $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(PROG_SRC))
# What the one system call the shim adds per connection costs alone (bench/run.sh).
FLOOR    = $(BUILD)/bench/floor_peek.so
# What a user would preload instead of a close policy (make bench-policies).
NAIVE    = $(BUILD)/bench/naive_linger0.so

.PHONY: all test check-san layers fuzz demo bench bench-doctor bench-policies bench-change install uninstall \
	deb clean format deps test-deps FORCE

# The git revision bench-change measures against and format formats since.
BASE ?= HEAD
all: $(LIB) $(CLI) $(EXAMPLES) $(BENCHES) $(FLOOR) $(NAIVE)

$(BUILD)/pic/%.o: %.c Makefile
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCPPFLAGS) -Ishim -Ipolicies $(COMPAT) $(ALLCFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(BUILD)/tobj/%.o: %.c Makefile
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCPPFLAGS) -Ishim -Ipolicies -Icli $(COMPAT) -std=gnu11 $(WARN) $(CFLAGS) $(TEST_SANFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.c Makefile
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCPPFLAGS) -Ishim -Ipolicies -Icli $(COMPAT) $(ALLCFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(SHIM_PIC_OBJ) shim/libtwshim.map
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCFLAGS) $(LDFLAGS) -shared -Wl,--version-script=shim/libtwshim.map \
		-Wl,-z,defs -Wl,-z,now -o $@ $(SHIM_PIC_OBJ) $(SHIM_LIBS)

$(BUILD)/obj/cli/top/screen.o $(BUILD)/obj/cli/curses_dl.o: TW_CPPFLAGS += $(NCURSES_CFLAGS)

# twshim run looks for the library in $(TWLIBDIR) too, after its own
# directory and ../lib/twshim/ from it. $(BUILD)/libdir holds the directory
# it was compiled with: another LIBDIR or PREFIX (make install PREFIX=/usr
# after a plain make) recompiles it rather than install a twshim that
# looks in the wrong place.
$(BUILD)/obj/cli/run.o $(BUILD)/tobj/cli/run.o: $(BUILD)/libdir
$(BUILD)/obj/cli/run.o $(BUILD)/tobj/cli/run.o: TW_CPPFLAGS += -DTW_LIBDIR='"$(TWLIBDIR)"'
$(BUILD)/libdir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(TWLIBDIR)' | cmp -s - $@ || echo '$(TWLIBDIR)' > $@
FORCE:

$(CLI): $(call obj,$(CLI_SRC) $(CLI_SHARED))
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(FLOOR): bench/floor/peek.c Makefile
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(LDFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $< -ldl

$(NAIVE): bench/floor/naive_linger0.c Makefile
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(LDFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $< -ldl

# Programs the end-to-end tests run under the shim.
$(BUILD)/tests/progs/%: $(BUILD)/obj/tests/progs/%.o
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(TESTBIN): $(patsubst %.c,$(BUILD)/tobj/%.o,$(TEST_SRC) $(SHIM_CORE) $(CLI_CORE))
	$(call msg,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(TEST_SANFLAGS) $(LDFLAGS) -o $@ $^ -lcriterion -ldl -lpthread

# The tests spawn build products by path: tell them where the build is.
test: all $(TESTBIN) $(PROGS)
	tests/arch/layers.sh $(BUILD)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp TWSHIM_SRC=$(CURDIR) TWSHIM_BUILD=$(abspath $(BUILD)) SAN=$(SAN) $(TESTBIN) $(TESTFLAGS)

# The architecture (HACKING.md, "Layers"): no cycle between the shim's files,
# none over 400 lines, policies reach the shim through policies/services.h.
# make test runs it first.
layers: all
	tests/arch/layers.sh $(BUILD)

# Sanitizer variants: the same suite against an ASan, UBSan and TSan build.
check-san:
	$(MAKE) SAN=asan test
	$(MAKE) SAN=ubsan test
	$(MAKE) SAN=tsan test

# libFuzzer targets, one per parser of an untrusted input (fuzz/*.c,
# docs/fuzzing.md): built with clang, instrumented with ASan and UBSan, into
# build/fuzz/ whatever SAN says; each links the shim's and the CLI's code as
# the test runner does. `make fuzz` runs each for FUZZ_SECONDS from its seed
# corpus (fuzz/corpus/TARGET/) and fails naming any crash it finds.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD    = build/fuzz
FUZZ_SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
# clang's own warning about a GNU extension gcc takes as it is: shim/diag.c's
# netlink request (a header with a flexible array member, then its payload).
FUZZ_CFLAGS   = -std=gnu11 $(WARN) -Wno-gnu-variable-sized-type-not-at-end -O1 -g \
	$(FUZZ_SANFLAGS)
FUZZ_SRC     := $(sort $(wildcard fuzz/*.c))
FUZZ_TARGETS  = $(patsubst fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ  = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(SHIM_CORE) $(CLI_CORE))

$(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(SHIM_CORE)): COMPAT = -include shim/compat.h
$(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(CLI_CORE)): COMPAT = -include cli/compat.h
$(FUZZ_BUILD)/obj/%.o: %.c Makefile
	$(call msg,CC,$@)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(ALLCPPFLAGS) -Ishim -Ipolicies -Icli $(COMPAT) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/fuzz/%.o $(FUZZ_LIB_OBJ)
	$(call msg,LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ -ldl -lpthread -lrt

fuzz: $(FUZZ_TARGETS)
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(notdir $(FUZZ_TARGETS))

demo: all
	examples/demo.sh $(BUILD)

bench: all
	bench/run.sh $(BUILD)
	bench/doctor.sh $(BUILD)

# doctor over 100,000 TIME_WAIT entries, against ss.
bench-doctor: all
	bench/doctor.sh $(BUILD)

# Each policy's own cost: the client loop, against the shim observing only;
# then the close policies against the preload a user would write instead
# (SO_LINGER {1,0} at every close: bench/floor/naive_linger0.c).
bench-policies: all
	for env in TWSHIM_CLOSE=fin-reset TWSHIM_CLOSE=reset TWSHIM_SOURCE_PORTS=10000-65001 \
	           TWSHIM_SOURCE_ADDRS=127.0.0.1-127.0.0.8; do \
		BENCH_BASELINE=shim BENCH_MODES=client BENCH_SHIM_ENV=$$env bench/run.sh $(BUILD) || exit 1; \
	done
	for env in TWSHIM_CLOSE=fin-reset TWSHIM_CLOSE=reset; do \
		BENCH_BASELINE=$(NAIVE) BENCH_MODES=client BENCH_SHIM_ENV=$$env bench/run.sh $(BUILD) || exit 1; \
	done

# What your change costs or saves: this tree's shim against the one built
# from git revision BASE (default HEAD), side by side (bench/change.sh).
bench-change: all
	bench/change.sh $(BUILD) $(BASE)

# Formats the lines you changed since BASE (default HEAD), not whole files:
# much of the code is wrapped by hand where clang-format would wrap it
# otherwise, and a whole-tree run would bury a change under re-wrapping.
format:
	git clang-format --force $(BASE) -- $(SHIM_SRC) $(CLI_SRC) $(TEST_SRC) $(EXAMPLE_SRC) $(BENCH_SRC) \
		include/twshim/*.h shim/*.h cli/*.h cli/doctor/*.h cli/top/*.h policies/*.h $(PROG_SRC) tests/progs/*.h \
		$(FUZZ_SRC) fuzz/*.h

# What `make install` puts where; uninstall takes the same away. The
# library has a directory of its own: it is preloaded by path, never linked
# against, so it stays out of the loader's search path.
# The README links to docs/*.md: they go beside it, in DOCDIR/docs.
DOCS      := $(sort $(wildcard docs/*.md))
INSTALLED = $(BINDIR)/twshim $(TWLIBDIR)/libtwshim.so $(MANDIR)/man1/twshim.1 \
	$(MANDIR)/man7/twshim.7 $(DOCDIR)/README.md $(DOCDIR)/CHANGELOG.md $(DOCDIR)/LICENSE \
	$(addprefix $(DOCDIR)/,$(DOCS)) $(BASHCOMPDIR)/twshim

install: $(LIB) $(CLI)
	install -D -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/twshim
	install -D -m 0644 $(LIB) $(DESTDIR)$(TWLIBDIR)/libtwshim.so
	install -D -m 0644 man/twshim.1 $(DESTDIR)$(MANDIR)/man1/twshim.1
	install -D -m 0644 man/twshim.7 $(DESTDIR)$(MANDIR)/man7/twshim.7
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 README.md CHANGELOG.md LICENSE $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/docs
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/docs/
	install -D -m 0644 cli/completion/twshim.bash $(DESTDIR)$(BASHCOMPDIR)/twshim

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(TWLIBDIR) $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# The Debian package (debian/, docs/packaging.md), built from a copy of
# this tree in $(DEBDIR) so that the .deb, .changes and build log land there
# and not in the parent directory, where dpkg-buildpackage puts them. Then
# checked: lintian fails on an error, a warning or an info tag (its
# hardening-no-* tags, the binaries' own evidence of the flags, are info),
# blhc on a compile or link line without Debian's hardening flags. dpkg-buildpackage runs without
# this make's MAKEFLAGS: a variable given here (CFLAGS=...) would override
# debian/rules' and dpkg-buildflags' in the package's build.
DEBDIR = $(BUILD)/deb
deb:
	rm -rf $(DEBDIR)
	mkdir -p $(DEBDIR)/twshim-$(VERSION)
	tar -c --exclude=./build --exclude=./$(BUILD) --exclude=./.git --exclude=./config.mak --exclude=./debian/build . | \
		tar -x -C $(DEBDIR)/twshim-$(VERSION)
	cd $(DEBDIR)/twshim-$(VERSION) && { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -b -us -uc > ../build.log 2>&1; \
		s=$$?; tail -n 20 ../build.log; exit $$s; }
	lintian --fail-on error,warning,info -I --pedantic $(DEBDIR)/twshim_$(VERSION)_*.changes
	blhc --bindnow $(DEBDIR)/build.log
	@ls $(DEBDIR)/*.deb

clean:
	rm -rf build

# Debian's packages, listed once: `make deps` for the build and the demo,
# `make test-deps` for those and the tests' (what .ci/run installs).
# build-essential: gcc (with the ASan/UBSan/TSan runtimes) and make;
# libncurses-dev: twshim top's screen (the header; the library is loaded
# at run time); curl, python3: unmodified programs
# run under the shim; iproute2 (ip, ss), util-linux (unshare, nsenter),
# procps: namespaces, veth pairs and checks.
DEPS = build-essential libncurses-dev curl python3 iproute2 util-linux procps
# libcriterion-dev: the test runner; coreutils; tmux: a terminal for top's
# live view; prometheus (promtool), prometheus-node-exporter: stat
# --prometheus checked and served as node_exporter's textfile collector
# would; libcap2-bin (setcap): a setcap program, where the shim must stay
# inert; git: make bench-change builds a revision to compare against, and
# its test does, and tests/e2e/licence.sh lists the tracked files;
# debootstrap: the Debian 11 (glibc 2.31) userland of old_userland.sh;
# golang-go: a Go program (its runtime bypasses libc), which twshim run must
# recognise and warn about (tests/e2e/run_checks.sh builds one);
# apache2-utils: ab, an HTTP/1.0 client that reads each response to end of
# file, under --close-accepted (tests/e2e/http10_client.sh); man-db (man,
# lexgrog), groff-base (groff): the man pages must format without a warning
# (tests/e2e/man_pages.sh). The compatibility matrix (tests/e2e/matrix_*.sh)
# runs these unmodified under the shim: wget; python3-requests; nodejs;
# default-jdk-headless (javac and java: a Socket client compiled in the
# test); openssl (s_client, s_server); socat; nginx (a server and a proxy);
# golang-go's Go client, which the shim cannot see. The Debian package
# (make deb, then tests/deb/installed.sh): dpkg-dev (dpkg-buildpackage),
# debhelper (dh, debian/rules), lintian and blhc (its checks: the package
# and the hardening flags in the build log); no fakeroot, since
# debian/control says Rules-Requires-Root: no. clang, libclang-rt-dev:
# `make fuzz` (libFuzzer, its ASan and UBSan runtimes: libclang-rt-14-dev
# holds them, only recommended by clang's packages).
TEST_DEPS = libcriterion-dev coreutils tmux prometheus prometheus-node-exporter libcap2-bin git \
	debootstrap golang-go apache2-utils man-db groff-base \
	wget python3-requests nodejs default-jdk-headless openssl socat nginx \
	dpkg-dev debhelper lintian blhc clang libclang-rt-dev
# As root directly (a container has no sudo), else through sudo.
SUDO = $(if $(filter 0,$(shell id -u)),,sudo)
APT  = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

deps:
	$(APT) update
	$(APT) install -y --no-install-recommends $(DEPS)

# prometheus, prometheus-node-exporter and nginx start their services when
# installed, which the tests do not use: a policy-rc.d that refuses every
# start (exit 101, invoke-rc.d(8)) is in place for the install, unless the
# host has one already. They are still enabled: they start at the next boot
# (`systemctl disable prometheus prometheus-node-exporter` if unwanted).
test-deps:
	$(APT) update
	$(SUDO) sh -c 'p=/usr/sbin/policy-rc.d; if [ ! -e $$p ]; then \
		trap "rm -f $$p" EXIT; printf "#!/bin/sh\nexit 101\n" > $$p; chmod 755 $$p; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		$(DEPS) $(TEST_DEPS)'

# Only where the objects are: $(BUILD)/rootfs (tests/e2e/rootfs_bullseye.sh)
# holds a Debian system, with directories such as etc/rc2.d.
-include $(shell find $(BUILD)/pic $(BUILD)/obj $(BUILD)/tobj $(FUZZ_BUILD)/obj -type f -name '*.d' 2>/dev/null)
.SECONDARY:
