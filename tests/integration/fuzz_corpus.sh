#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/, built by make check with clang, ASan
# and UBSan) over their committed corpora, which hold every input that once
# broke something, plus a fixed number of mutations from a fixed seed: the
# same inputs on every run. Untrusted inputs covered: foreign gzip/zlib
# files (zlib as referee), our own files and indexes damaged anywhere, index
# files, sidecars, the config file, executables and core notes, the store's
# rate-limit history and log of crashes not stored, /proc status and auxv,
# and whole store layouts seen through gzcorefs's view.
. "$(dirname "$0")/lib.sh"
fb=${FUZZ_BUILD:-$TOP/build-fuzz}
# the facility is clang with libFuzzer; where it is, every target must be
# built, and from the current sources
"$TOP/tests/fuzz/have-libfuzzer.sh" "${FUZZ_CC:-clang}" 2>/dev/null ||
	skip "clang with libFuzzer (clang, libclang-rt-dev) is not installed: the fuzz targets cannot be built"
for src in "$TOP"/tests/fuzz/fuzz_*.c; do
	bin=$fb/fuzz/$(basename "$src" .c)
	[ -x "$bin" ] || fail "$bin is missing though clang can build it (make check builds it)"
	for dep in "$src" "$fb/libgzcore.a"; do
		[ ! "$dep" -nt "$bin" ] || fail "$bin is older than $dep: make check rebuilds it"
	done
done
FUZZ_BUILD=$fb "$TOP/tests/fuzz/run.sh" check || fail "a fuzz target failed (see above)"
ok "every fuzz target ran its corpus and ${FUZZ_RUNS:-10000} mutations without a finding"
