# gzcore — top-level build.
#   make                 build the library, gzcoredump and gzcorefs
#   make check           build and run every test (unit + integration)
#   make check SAN=1     the same, built with ASan + UBSan
#   make tsan            the threaded modules' unit tests under ThreadSanitizer (build-tsan)
#   make ENGINE=zlib     force the zlib-only deflate engine (no ISA-L)
#   make bench           benchmarks against the peers (writes bench/ results)
#   make install         honours PREFIX and DESTDIR (binaries, man pages, systemd unit, docs)
#   make deb             a binary Debian package, $(BUILD)/gzcore_VERSION_ARCH.deb
#   make deps            install build/test dependencies with apt-get
#   make fuzz            run the libFuzzer targets (FUZZ_TIME seconds each; clang)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
VERSION := 0.1.0

CC      ?= cc
PKG     ?= pkg-config
BUILD   ?= build

# ENGINE=auto uses ISA-L when pkg-config finds it; ENGINE=zlib forces zlib only.
ENGINE ?= auto
ifeq ($(ENGINE),auto)
  HAVE_ISAL := $(shell $(PKG) --exists libisal && echo 1)
else ifeq ($(ENGINE),isal)
  HAVE_ISAL := 1
else
  HAVE_ISAL :=
endif

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread \
           -DGZC_VERSION=\"$(VERSION)\" -Isrc
LDFLAGS += -pthread
# extra flags that keep the ones above (the fuzz build passes its own)
CFLAGS  += $(XCFLAGS)
LDFLAGS += $(XLDFLAGS)

ifeq ($(SAN),1)
  # GZC_SAN_LOG_DIR: where the handler the kernel runs (with no environment)
  # writes its sanitizer reports; tests/helpers/kernel_lib.sh checks it
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
             -DGZC_SAN_LOG_DIR=\"/tmp/gzc-san\"
  LDFLAGS += -fsanitize=address,undefined
  BUILD   := $(BUILD)-san
endif
ifeq ($(SAN),thread)
  CFLAGS  += -fsanitize=thread -O1 -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=thread
  BUILD   := $(BUILD)-tsan
  # Criterion cannot start under TSan without it (see the file)
  UNIT_EXTRA := tests/unit/tsan_criterion.c
endif
ifneq ($(ENGINE),auto)
  BUILD := $(BUILD)-$(ENGINE)
endif

# (-lstdc++: its __cxa_demangle names C++ frames in stack traces, src/stack.c)
LIB_PKGS := zlib libelf libdw json-c
ifeq ($(HAVE_ISAL),1)
  LIB_PKGS += libisal
  CFLAGS   += -DGZC_HAVE_ISAL=1
endif
CFLAGS   += $(shell $(PKG) --cflags $(LIB_PKGS))
LIB_LIBS := $(shell $(PKG) --libs $(LIB_PKGS)) -lstdc++ -lm
FUSE_CFLAGS := $(shell $(PKG) --cflags fuse3)
FUSE_LIBS   := $(shell $(PKG) --libs fuse3)
CRIT_LIBS   := $(shell $(PKG) --libs criterion 2>/dev/null || echo -lcriterion)

LIB_SRC  := $(sort $(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
HND_SRC  := $(sort $(wildcard handler/*.c))
HND_OBJ  := $(HND_SRC:%.c=$(BUILD)/%.o)
FS_SRC   := $(sort $(wildcard fs/*.c))
FS_OBJ   := $(FS_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELP_SRC := $(sort $(wildcard tests/helpers/*.c))
HELP_BIN := $(HELP_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

LIBA     := $(BUILD)/libgzcore.a
PROGS    := $(BUILD)/gzcoredump $(BUILD)/gzcorefs

.PHONY: all check unit tsan tsan-run integration bench install uninstall deb clean deps demo fuzz fuzz-build fuzz-bins

all: $(PROGS)

# The compiler and flags a build directory was made with, rewritten (at
# parse time, so make -n tells the truth) only when they change: ISA-L
# installed or removed, another CC, XCFLAGS. Every object depends on it.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(CFLAGS) $(LDFLAGS) $(LIB_LIBS)
ifeq ($(filter clean deps,$(MAKECMDGOALS)),)
  $(shell mkdir -p $(BUILD) && { echo '$(FLAGS_NOW)' | cmp -s - $(FLAGS_STAMP) || echo '$(FLAGS_NOW)' > $(FLAGS_STAMP); })
endif

$(BUILD)/%.o: %.c $(wildcard src/*.h handler/*.h fs/*.h) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(if $(filter fs/%,$<),$(FUSE_CFLAGS)) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/gzcoredump: $(HND_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(HND_OBJ) $(LIBA) $(LIB_LIBS)

$(BUILD)/gzcorefs: $(FS_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(FS_OBJ) $(LIBA) $(FUSE_LIBS) $(LIB_LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(UNIT_EXTRA) $(LIBA) $(wildcard tests/unit/*.h) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(UNIT_EXTRA) $(LIBA) $(CRIT_LIBS) $(LIB_LIBS) $(LDFLAGS)

$(BUILD)/tests/helpers/%: tests/helpers/%.c $(LIBA) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBA) $(LIB_LIBS) $(LDFLAGS)

# the one helper that is a FUSE file system (a passthrough for tests)
$(BUILD)/tests/helpers/passfs: tests/helpers/passfs.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(FUSE_CFLAGS) -o $@ $< $(FUSE_LIBS) $(LDFLAGS)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_util.h $(LIBA) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBA) $(LIB_LIBS) $(LDFLAGS)

# libFuzzer targets: their own build (clang, ASan + UBSan) in $(FUZZ_BUILD),
# from its own flags (none of this build's CFLAGS, SAN or ENGINE leak in);
# nothing is built, with a note, where clang's libFuzzer is missing (the
# fuzz_corpus test then skips)
FUZZ_CC    ?= clang
FUZZ_BUILD ?= build-fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz-build:
	@if tests/fuzz/have-libfuzzer.sh $(FUZZ_CC); then \
	  CFLAGS="-O2 -g" LDFLAGS= $(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) ENGINE=auto SAN= CC=$(FUZZ_CC) \
	    XCFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" XLDFLAGS="$(FUZZ_SAN)" fuzz-bins; fi

fuzz-bins: $(FUZZ_BIN)

fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh long

# Unit tests first, then the integration scripts (each one at a time: several
# touch /proc/sys/kernel/core_pattern or mount FUSE).
check: all $(UNIT_BIN) $(HELP_BIN) fuzz-build
	@BUILD=$(BUILD) tests/run-tests.sh $(UNIT_BIN)

unit: $(UNIT_BIN)
	@BUILD=$(BUILD) ONLY=unit tests/run-tests.sh $(UNIT_BIN)

# The unit tests of the threaded modules under ThreadSanitizer: a report
# ends the test (halt_on_error), so a race fails it.
TSAN_UNITS := cache reader writer view extract
tsan:
	@$(MAKE) --no-print-directory SAN=thread tsan-run
tsan-run: $(TSAN_UNITS:%=$(BUILD)/tests/test_%)
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" BUILD=$(BUILD) ONLY=unit tests/run-tests.sh $^

integration: all $(HELP_BIN) fuzz-build
	@BUILD=$(BUILD) ONLY=integration tests/run-tests.sh

bench: all $(HELP_BIN)
	@BUILD=$(BUILD) tests/bench/run.sh

demo: all
	@BUILD=$(BUILD) scripts/demo.sh

deps:
	scripts/install-deps.sh

# Man pages go to man<section>, the section being the page's suffix. The
# systemd unit is installed, never enabled; its ExecStart names gzcorefs
# where this install puts it. Nothing goes to /etc: the example config is a
# doc (tests/integration/packaging.sh checks the exact list of files).
MANS      := docs/man/gzcorefs.1 docs/man/gzcoredump.conf.5 docs/man/gzcoredump.8
man_dest   = $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(1)))/$(notdir $(1))
MAN_FILES  = $(foreach m,$(MANS),$(call man_dest,$(m)))
UNIT      := packaging/systemd/gzcorefs.service

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILD)/gzcoredump $(DESTDIR)$(SBINDIR)/gzcoredump
	install -m 0755 $(BUILD)/gzcorefs $(DESTDIR)$(BINDIR)/gzcorefs
	install -d $(sort $(dir $(MAN_FILES)))
	$(foreach m,$(MANS),install -m 0644 $(m) $(call man_dest,$(m)) && ) true
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/bin/gzcorefs|$(BINDIR)/gzcorefs|' $(UNIT) > $(DESTDIR)$(UNITDIR)/gzcorefs.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/gzcorefs.service
	install -d $(DESTDIR)$(PREFIX)/share/doc/gzcore
	install -m 0644 README.md docs/FORMAT.md docs/HANDLER.md $(DESTDIR)$(PREFIX)/share/doc/gzcore/
	if [ -f packaging/gzcoredump.conf ]; then install -d $(DESTDIR)$(PREFIX)/share/doc/gzcore/examples && \
	   install -m 0644 packaging/gzcoredump.conf $(DESTDIR)$(PREFIX)/share/doc/gzcore/examples/; fi

# Uninstalling from the running system (no DESTDIR) first gives the kernel
# its core_pattern back if this gzcoredump installed itself there.
uninstall:
	if [ -z "$(DESTDIR)" ]; then sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/remove-hook.sh.in | sh -s remove; fi
	rm -f $(DESTDIR)$(SBINDIR)/gzcoredump $(DESTDIR)$(BINDIR)/gzcorefs
	rm -f $(MAN_FILES) $(DESTDIR)$(UNITDIR)/gzcorefs.service
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/gzcore

# A binary Debian package without debhelper: this build staged by `make
# install` in the debhelper layout (debian/gzcore under DEB_DIR, where
# dpkg-shlibdeps wants a debian/control), binaries stripped as dh_strip
# does, man pages and docs gzipped as Debian policy asks; Depends from
# dpkg-shlibdeps plus fuse3 (the unit's fusermount3, fstab's mount.fuse3),
# gdb recommended (debug); a copyright file (packaging/deb/copyright) and a
# one-entry changelog.Debian.gz as policy wants. No conffiles, and installing it changes no
# core_pattern and enables no unit (`gzcoredump install --persist` and
# `systemctl enable gzcorefs` stay explicit); removing it gives a
# core_pattern it installed back (prerm: packaging/remove-hook.sh.in) and
# purging drops its state (postrm).
DEB_ARCH        = $(shell dpkg --print-architecture)
DEB_DIR        := $(BUILD)/deb
DEB_ROOT       := $(DEB_DIR)/debian/gzcore
DEB_MAINTAINER ?= $(or $(shell git log -1 --format='%an <%ae>' 2>/dev/null),gzcore maintainers <root@localhost>)
DEB_DATE       ?= $(or $(shell git log -1 --format=%aD 2>/dev/null),$(shell date -R))
DEB_COMMIT     ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)

deb: all
	rm -rf $(DEB_DIR)
	$(MAKE) --no-print-directory install BUILD=$(BUILD) DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr \
	  BINDIR=/usr/bin SBINDIR=/usr/sbin MANDIR=/usr/share/man UNITDIR=/usr/lib/systemd/system
	strip --remove-section=.comment --remove-section=.note $(DEB_ROOT)/usr/sbin/gzcoredump $(DEB_ROOT)/usr/bin/gzcorefs
	gzip -9n $(DEB_ROOT)/usr/share/man/man*/* $(DEB_ROOT)/usr/share/doc/gzcore/*.md
	install -m 0644 packaging/deb/copyright $(DEB_ROOT)/usr/share/doc/gzcore/copyright
	printf 'gzcore (%s) unstable; urgency=medium\n\n  * Built from the source tree%s.\n\n -- %s  %s\n' \
	  '$(VERSION)' '$(if $(DEB_COMMIT), at commit $(DEB_COMMIT))' '$(DEB_MAINTAINER)' '$(DEB_DATE)' \
	  | gzip -9n > $(DEB_ROOT)/usr/share/doc/gzcore/changelog.Debian.gz
	install -d -m 0755 $(DEB_ROOT)/DEBIAN
	sed 's|@SBINDIR@|/usr/sbin|g' packaging/remove-hook.sh.in > $(DEB_ROOT)/DEBIAN/prerm
	install -m 0755 packaging/deb/postinst packaging/deb/postrm $(DEB_ROOT)/DEBIAN/
	chmod 0755 $(DEB_ROOT)/DEBIAN/prerm
	: > $(DEB_DIR)/debian/control
	cd $(DEB_DIR) && dpkg-shlibdeps -O debian/gzcore/usr/sbin/gzcoredump debian/gzcore/usr/bin/gzcorefs \
	  | sed -n 's/^shlibs:Depends=//p' > shlibs
	test -s $(DEB_DIR)/shlibs
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' -e 's|@MAINTAINER@|$(DEB_MAINTAINER)|' \
	    -e "s|@INSTALLED_SIZE@|$$(du -sk $(DEB_ROOT) | cut -f1)|" -e "s|@SHLIBS@|$$(cat $(DEB_DIR)/shlibs)|" \
	    packaging/deb/control.in > $(DEB_ROOT)/DEBIAN/control
	cd $(DEB_ROOT) && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
	  | xargs -0 md5sum > DEBIAN/md5sums
	chmod 0644 $(DEB_ROOT)/DEBIAN/control $(DEB_ROOT)/DEBIAN/md5sums
	dpkg-deb --root-owner-group --build $(DEB_ROOT) $(BUILD)/gzcore_$(VERSION)_$(DEB_ARCH).deb

clean:
	rm -rf build build-*
