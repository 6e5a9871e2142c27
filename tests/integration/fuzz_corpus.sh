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
ls "$fb"/fuzz/fuzz_* >/dev/null 2>&1 ||
	skip "no fuzz targets in $fb: clang with libFuzzer (clang, libclang-rt-dev) is not installed"
FUZZ_BUILD=$fb "$TOP/tests/fuzz/run.sh" check || fail "a fuzz target failed (see above)"
ok "every fuzz target ran its corpus and ${FUZZ_RUNS:-10000} mutations without a finding"
