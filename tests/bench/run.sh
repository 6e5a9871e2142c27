#!/usr/bin/env bash
# make bench: every benchmark script, one after another, into one report
# ($BUILD/bench/report.md). Copy the report into BENCHMARKS.md by hand.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/bench"
out="$BUILD/bench/report.md"
{
	echo "# gzcore benchmarks — $(date -u +%Y-%m-%d)"
	echo
	echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, Linux $(uname -r); engine: $(pkg-config --exists libisal && echo ISA-L + zlib || echo zlib)."
	echo
	for b in tests/bench/format_bench.sh tests/bench/kernel_capture.sh tests/bench/fs_bench.sh; do
		[ -x "$b" ] || continue
		BUILD=$BUILD bash "$b" || echo "($b failed: exit $?)"
		echo
	done
} | tee "$out"
echo "report: $out" >&2
