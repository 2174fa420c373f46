# pops: prompts as code. `make demo` and `make check` are the two commands
# a new contributor needs; see README.md.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SHARED ?= ../shared

CC ?= cc
PKGS := libgit2 libcurl libcjson yaml-0.1 libpcre2-8
# Deferred (=): evaluated in recipes, after `deps` has installed the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
# libcurl is loaded with dlopen on first use (lib/curlapi.h): headers only
PKG_LIBS = $(shell pkg-config --libs $(filter-out libcurl,$(PKGS))) -lm -lpthread -ldl

WARN := -Wall -Wextra -Werror -Werror=vla -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wno-missing-field-initializers
BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
               -Ilib -Ilib/util -Icmd -Iinclude -Ibuild/gen $(WARN)
REL_CFLAGS := -O2 -g
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS ?=
LDFLAGS ?=

LIB_SRC := $(sort $(wildcard lib/*.c lib/util/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
FAKELLM_SRC := $(sort $(wildcard tests/fakellm/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
MAN_SRC := $(sort $(wildcard man/*.scd))
MAN_OUT := $(patsubst man/%.scd,build/man/%,$(MAN_SRC))

# Debian packages for building, testing and the manual: everything
# `make demo` and `make check` call (tests/cli/t0005-deps.sh keeps this
# list honest by checking every command the tests run against it)
DEB_PKGS := gcc make pkg-config git libgit2-dev libcurl4-openssl-dev \
            libcjson-dev libyaml-dev libpcre2-dev scdoc valgrind \
            libxml2-utils man-db python3 curl time clang chromium

# node and npm run the reference dotprompt library against `pops export`
# (tests/cli/t0635). Debian's packages are installed only when node or npm
# is missing: a NodeSource nodejs bundles npm and conflicts with Debian's.
NODE_DEB_PKGS := nodejs npm
# the pinned dotprompt (tests/node/package-lock.json), installed by `make
# deps` into the gitignored tests/node/node_modules; npm writes this file last
NODE_STAMP := tests/node/node_modules/.package-lock.json

.PHONY: lib all deps deps-deb deps-node deps-node-tools deps-node-deb print-deps have-libs \
        check demo install uninstall bench fuzz clean man test-binaries analyze
.DEFAULT_GOAL := all
# objects of pattern-rule chains are kept, so relinking does not recompile
.SECONDARY:

all: pops lib man

# $(call apt_install,PACKAGES): apt-get the ones that are not installed
define apt_install
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "pops: no dpkg-query: install by hand: $(1)"; exit 0; fi; \
	have=$$(dpkg-query -W -f='$${Package} $${db:Status-Abbrev}\n' $(1) 2>/dev/null | \
	        awk '$$2 ~ /^ii/ { print $$1 }'); \
	missing=""; \
	for p in $(1); do \
	  case " $$(echo $$have) " in *" $$p "*) ;; *) missing="$$missing $$p";; esac; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	echo "pops: installing missing packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1; then \
	  if [ -t 0 ]; then SUDO="sudo"; else SUDO="sudo -n"; fi; \
	else \
	  echo "error: missing packages:$$missing; run 'make deps' as root or install them with apt-get" >&2; \
	  exit 1; \
	fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$SUDO apt-get install -y -q --no-install-recommends $$missing || \
	{ $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends $$missing; } || \
	{ echo "error: could not install:$$missing (need root, sudo, and apt-get)" >&2; exit 1; }
endef

# Everything `make check` needs: the Debian packages, then node's.
deps: deps-deb deps-node

deps-deb:
	$(call apt_install,$(DEB_PKGS))

deps-node: $(NODE_STAMP)

deps-node-tools: | deps-deb
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory deps-node-deb; fi

deps-node-deb:
	$(call apt_install,$(NODE_DEB_PKGS))

# npm ci installs exactly the lock file and never rewrites it (npm install
# may), so the tree stays clean; it runs again only when the lock changes
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json | deps-node-tools
	@echo "pops: installing the reference dotprompt library into tests/node/node_modules"
	$(Q)cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

print-deps:
	@echo $(DEB_PKGS) $(NODE_DEB_PKGS)

# ---- objects: build/rel (release) and build/asan (sanitizers) ----
# A plain `make` only builds: installing packages is `make deps` (which
# `make check`, `make demo` and `make bench` run first).

# V=1 shows the full commands
Q := $(if $(V),,@)

# the libraries are there, or say how to get them (never install them here)
have-libs:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
	  echo "error: missing build libraries ($(PKGS)); run 'make deps' (as root or with sudo)" >&2; \
	  exit 1; }

build/rel/%.o: %.c | have-libs
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c | have-libs
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(ASAN_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# the HTML report's stylesheet and script, embedded as C strings (lib/report_html_assets.c):
# sed escapes backslashes, quotes and '?' (no trigraphs), one string per line
ASSETS := lib/assets/report.css lib/assets/report.js
build/gen/report_assets.h: $(ASSETS)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  GEN     $@")
	$(Q){ for f in $(ASSETS); do n=$$(basename $$f | tr . _); \
	  echo "static const char pops_asset_$$n[] ="; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/  "/' -e 's/$$/\\n"/' $$f; \
	  echo ";"; done; } >$@.tmp && mv $@.tmp $@
build/rel/lib/report_html_assets.o build/asan/lib/report_html_assets.o \
build/analyze/lib/report_html_assets.ok: build/gen/report_assets.h

REL_LIB := $(patsubst %.c,build/rel/%.o,$(LIB_SRC))
ASAN_LIB := $(patsubst %.c,build/asan/%.o,$(LIB_SRC))

pops: $(REL_LIB) $(patsubst %.c,build/rel/%.o,$(CMD_SRC))
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(REL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/pops: $(ASAN_LIB) $(patsubst %.c,build/asan/%.o,$(CMD_SRC))
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/%/unit-tests: $(patsubst %.c,build/\%/%.o,$(UNIT_SRC)) $(patsubst %.c,build/\%/%.o,$(LIB_SRC))
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(if $(filter asan,$*),$(ASAN_CFLAGS),$(REL_CFLAGS)) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/%/fakellm: $(patsubst %.c,build/\%/%.o,$(FAKELLM_SRC)) $(patsubst %.c,build/\%/%.o,$(LIB_SRC))
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(if $(filter asan,$*),$(ASAN_CFLAGS),$(REL_CFLAGS)) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# fuzz targets replayed by a plain driver (no libFuzzer) in `make check`
build/%/fuzz-replay: build/%/tests/fuzz/replay.o $(patsubst %.c,build/\%/%.o,$(FUZZ_SRC)) $(patsubst %.c,build/\%/%.o,$(LIB_SRC))
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(if $(filter asan,$*),$(ASAN_CFLAGS),$(REL_CFLAGS)) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- libpops: the runtime library (include/pops/runtime.h, pops-runtime(3)) ----
# Only the modules that load and render a bundle, compiled position
# independent into build/pic; -Wl,--no-undefined proves the list is
# complete, lib/runtime.map exports pops_runtime_* and pops_variant_* alone.

RT_VERSION := 0.1.0
RT_SONAME := libpops.so.0
RT_SRC := lib/runtime.c lib/runtime_load.c lib/rollout.c \
          lib/promptfile.c lib/promptfile_render.c lib/picoschema.c lib/jsonschema.c \
          lib/template.c lib/template_compile.c lib/template_lex.c lib/template_value.c \
          lib/template_vars.c \
          lib/util/buf.c lib/util/error.c lib/util/strutil.c lib/util/fileio.c \
          lib/util/confine.c lib/util/yamldoc.c lib/util/yamldoc_json.c lib/util/jsonget.c \
          lib/util/sha256.c lib/util/sha1.c
RT_PKGS := libcjson yaml-0.1 libpcre2-8
RT_LIBS = $(shell pkg-config --libs $(RT_PKGS)) -lm -lpthread
RT_PIC := $(patsubst %.c,build/pic/%.o,$(RT_SRC))
RT_LIBFILES := build/lib/libpops.so.$(RT_VERSION) build/lib/$(RT_SONAME) build/lib/libpops.so \
               build/lib/libpops.a

lib: $(RT_LIBFILES)

build/pic/%.o: %.c | have-libs
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) -fPIC $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

build/lib/libpops.so.$(RT_VERSION): $(RT_PIC) lib/runtime.map
	@mkdir -p $(@D)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) -shared -Wl,-soname,$(RT_SONAME) -Wl,--no-undefined \
	  -Wl,--version-script=lib/runtime.map $(LDFLAGS) -o $@ $(RT_PIC) $(RT_LIBS)

build/lib/$(RT_SONAME) build/lib/libpops.so: build/lib/libpops.so.$(RT_VERSION)
	$(Q)ln -sf libpops.so.$(RT_VERSION) $@

# the static library: one relocatable object whose only global symbols
# are the API's, so an application's own names never clash with ours
build/lib/libpops.a: $(RT_PIC)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  AR      $@")
	$(Q)ld -r -o build/lib/libpops-all.o $(RT_PIC)
	$(Q)objcopy -w --keep-global-symbol='pops_runtime_*' --keep-global-symbol='pops_variant_*' \
	  build/lib/libpops-all.o build/lib/libpops-all.o
	$(Q)rm -f $@ && ar rcs $@ build/lib/libpops-all.o && rm -f build/lib/libpops-all.o

# pops.pc, written by `make install` for the paths it installs to
define pops_pc
prefix=$(PREFIX)
libdir=$(LIBDIR)
includedir=$(INCLUDEDIR)

Name: pops
Description: serve the prompts of a pops export bundle (pops-runtime(3))
Version: $(RT_VERSION)
Requires.private: $(RT_PKGS)
Cflags: -I$${includedir}
Libs: -L$${libdir} -lpops
Libs.private: -lm -lpthread
endef
export pops_pc

# the thread test, built with ThreadSanitizer against the library's own sources
TSAN_CFLAGS := -O1 -g -fsanitize=thread
build/tsan/%.o: %.c | have-libs
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(TSAN_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

build/tsan/runtime-threads: build/tsan/tests/runtime/threads.o $(patsubst %.c,build/tsan/%.o,$(RT_SRC))
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(TSAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(RT_LIBS)

# a bundle's prompt rendered through the shared library (tests/cli/t0660)
build/lib/rt-render: tests/runtime/render.c include/pops/runtime.h build/lib/libpops.so
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(LDFLAGS) -o $@ $< -Lbuild/lib -lpops

build/rel/runtime-bench: build/rel/bench/runtime_bench.o build/lib/libpops.a
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(REL_CFLAGS) $(LDFLAGS) -o $@ $^ $(RT_LIBS)

# ---- manual ----

man: $(MAN_OUT)

build/man/%: man/%.scd
	@mkdir -p $(@D)
	@if command -v scdoc >/dev/null 2>&1; then scdoc < $< > $@.tmp && mv $@.tmp $@; \
	 else echo "pops: scdoc not found; skipping $@ (make deps installs it)"; fi

# ---- tests ----

TEST_BINARIES := pops build/asan/pops build/asan/unit-tests build/rel/unit-tests \
                 lib build/lib/rt-render build/tsan/runtime-threads
ifneq ($(FAKELLM_SRC),)
TEST_BINARIES += build/asan/fakellm build/rel/fakellm
endif
ifneq ($(FUZZ_SRC),)
TEST_BINARIES += build/asan/fuzz-replay
endif

test-binaries: $(TEST_BINARIES) man

check: deps
	@$(MAKE) --no-print-directory test-binaries analyze
	@SHARED="$(SHARED)" tests/run.sh

demo: deps-deb
	@$(MAKE) --no-print-directory all
	@POPS="$(CURDIR)/pops" prompts-example/demo.sh

bench: deps-deb
	@$(MAKE) --no-print-directory pops build/rel/fakellm
	@POPS="$(CURDIR)/pops" bench/run.sh

# ---- static analysis: clang --analyze, one stamp per file ----
# A stamp per source lets `make -j2 analyze` run files in parallel and
# re-analyse only what changed (or any header, since the analyser follows
# inline code across them). Any finding fails the build unless
# tests/analyze.supp accepts it: 'FILE [checker] `code` reason', one line
# each, for a false positive the code cannot reasonably avoid; `code` is
# part of the flagged line (tests/analyze-filter.sh), so an entry names one
# statement without line numbers, which move with every edit.
ANALYZE_SUPP := tests/analyze.supp
ANALYZE_STAMPS := $(patsubst %.c,build/analyze/%.ok,$(LIB_SRC) $(CMD_SRC))
ANALYZE_HDRS := $(wildcard lib/*.h lib/util/*.h cmd/*.h)

analyze: $(ANALYZE_STAMPS)

build/analyze/%.ok: %.c $(ANALYZE_HDRS) $(wildcard $(ANALYZE_SUPP)) tests/analyze-filter.sh | have-libs
	@mkdir -p $(@D)
	@$(if $(V),,echo "  ANALYZE $<")
	$(Q)command -v clang >/dev/null 2>&1 || { \
	  echo "error: clang not found; run 'make deps' (as root or with sudo)" >&2; exit 1; }
	$(Q)clang --analyze -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
	  -Ilib -Ilib/util -Icmd -Ibuild/gen $(PKG_CFLAGS) -o /dev/null $< 2>$@.log || { cat $@.log >&2; exit 1; }
	$(Q)found=$$(sh tests/analyze-filter.sh $@.log $(ANALYZE_SUPP)); \
	  if [ -n "$$found" ]; then cat $@.log >&2; \
	    echo "error: $<: clang --analyze findings above; fix them (or, for a false positive, add '$< [checker] \`code\` reason' to $(ANALYZE_SUPP))" >&2; \
	    exit 1; fi
	@touch $@

# clang (libFuzzer) is also what `make fuzz` builds with
FUZZ_SECONDS ?= 60
fuzz: deps-deb
	@FUZZ_SECONDS="$(FUZZ_SECONDS)" tests/fuzz/run.sh $(FUZZ_TARGETS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(LIBDIR) \
	  $(DESTDIR)$(INCLUDEDIR)/pops $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 pops $(DESTDIR)$(BINDIR)/pops
	@for f in $(MAN_OUT); do [ -f $$f ] || continue; \
	  s=$${f##*.}; echo "install -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s/"; \
	  install -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s/; done
	install -m 644 completions/pops.bash $(DESTDIR)$(BASHCOMPDIR)/pops
	install -m 644 completions/_pops $(DESTDIR)$(ZSHCOMPDIR)/_pops
	install -m 644 completions/pops.fish $(DESTDIR)$(FISHCOMPDIR)/pops.fish
	install -m 755 build/lib/libpops.so.$(RT_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libpops.so.$(RT_VERSION) $(DESTDIR)$(LIBDIR)/$(RT_SONAME)
	ln -sf libpops.so.$(RT_VERSION) $(DESTDIR)$(LIBDIR)/libpops.so
	install -m 644 build/lib/libpops.a $(DESTDIR)$(LIBDIR)/
	install -m 644 include/pops/runtime.h $(DESTDIR)$(INCLUDEDIR)/pops/
	printf '%s\n' "$$pops_pc" >$(DESTDIR)$(PKGCONFIGDIR)/pops.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pops $(DESTDIR)$(BASHCOMPDIR)/pops \
	  $(DESTDIR)$(ZSHCOMPDIR)/_pops $(DESTDIR)$(FISHCOMPDIR)/pops.fish
	@for f in $(MAN_OUT); do n=$${f##*/}; s=$${n##*.}; \
	  rm -f $(DESTDIR)$(MANDIR)/man$$s/$$n; done
	rm -f $(DESTDIR)$(LIBDIR)/libpops.so.$(RT_VERSION) $(DESTDIR)$(LIBDIR)/$(RT_SONAME) \
	  $(DESTDIR)$(LIBDIR)/libpops.so $(DESTDIR)$(LIBDIR)/libpops.a \
	  $(DESTDIR)$(INCLUDEDIR)/pops/runtime.h $(DESTDIR)$(PKGCONFIGDIR)/pops.pc
	-rmdir $(DESTDIR)$(INCLUDEDIR)/pops 2>/dev/null

clean:
	rm -rf build pops

-include $(shell find build -name '*.d' 2>/dev/null)
