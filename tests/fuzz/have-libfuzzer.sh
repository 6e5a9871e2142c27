#!/usr/bin/env bash
# Exit 0 if the compiler $1 can link a libFuzzer target with ASan, else say
# why on stderr and exit 1 (scripts/install-deps.sh installs clang and its
# runtime, libclang-rt-*-dev).
cc=${1:-clang}
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$t/t.c"
if ! "$cc" -fsanitize=fuzzer,address "$t/t.c" -o "$t/t" 2>/dev/null; then
	echo "note: $cc cannot build libFuzzer targets: the fuzz targets are not built" >&2
	exit 1
fi
