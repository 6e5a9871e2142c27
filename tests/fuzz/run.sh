#!/usr/bin/env bash
# Runs the libFuzzer targets built in $FUZZ_BUILD/fuzz (make fuzz-build).
#   run.sh check   each target over its committed corpus (tests/fuzz/corpus/
#                  <target>) plus FUZZ_RUNS mutations from a fixed seed: the
#                  same inputs every time, for make check
#   run.sh long    each target for FUZZ_TIME seconds (default 300) with a
#                  corpus kept in $FUZZ_BUILD/corpus/<target> (make fuzz)
# A crash leaves its input in $FUZZ_BUILD/crash-<target>-*; reproduce it
# with: $FUZZ_BUILD/fuzz/fuzz_<target> FILE. Exit 1 if any target failed.
set -u
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
mode=${1:-check}
bins=$(ls "$FUZZ_BUILD"/fuzz/fuzz_* 2>/dev/null)
[ -n "$bins" ] || { echo "no fuzz targets in $FUZZ_BUILD/fuzz (make fuzz-build needs clang with libFuzzer)"; exit 2; }
fail=0
for b in $bins; do
	t=${b##*/fuzz_}
	seeds=tests/fuzz/corpus/$t
	case $mode in
	check)
		# libFuzzer adds what it finds to its first directory: a scratch copy
		work=$FUZZ_BUILD/corpus-check/$t
		rm -rf "$work" && mkdir -p "$work"
		[ -d "$seeds" ] && cp "$seeds"/* "$work"/
		# fuzz_view builds a store per input: a fifth of the runs
		runs=${FUZZ_RUNS:-10000}
		[ "$t" = view ] && runs=$((runs / 5))
		args=(-seed=1 -runs="$runs" "$work")
		;;
	long)
		work=$FUZZ_BUILD/corpus/$t
		mkdir -p "$work"
		args=(-max_total_time="${FUZZ_TIME:-300}" "$work")
		[ -d "$seeds" ] && args+=("$seeds")
		;;
	*) echo "usage: $0 check|long"; exit 2;;
	esac
	[ "$t" = view ] && args=(-max_len=600 "${args[@]}")
	log=$FUZZ_BUILD/fuzz-$t.log
	start=$(date +%s)
	if "$b" -artifact_prefix="$FUZZ_BUILD/crash-$t-" -print_final_stats=1 "${args[@]}" >"$log" 2>&1; then
		echo "fuzz_$t: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') inputs, $(( $(date +%s) - start ))s)"
	else
		fail=1
		echo "fuzz_$t: FAILED (log $log)"
		grep -E 'check failed|ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -8
	fi
done
exit $fail
