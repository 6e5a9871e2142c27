#!/usr/bin/env bash
# kernel_capture.sh — time from the fatal signal to the core handler's exit,
# for a real kernel dump of a process holding a few hundred MB (a quarter
# each zeros, heap objects, text, random bytes), with three handlers in the
# same run: a discard handler (the limit), gzcoredump at default settings,
# and `gzip -9` (the original tool). Prints a markdown table of medians.
# Needs root (writes core_pattern; restored on every exit path).
# Env: MB (default 300), RUNS (default 5), BUILD.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}; case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD";; esac
MB=${MB:-300}; RUNS=${RUNS:-5}
[ "$(id -u)" = 0 ] || { echo "kernel_capture: needs root, skipped"; exit 0; }
W=$(mktemp -d /tmp/gzc-bench.XXXXXX); chmod 755 "$W"
ORIG=$(cat /proc/sys/kernel/core_pattern)
cleanup() { printf '%s\n' "$ORIG" > /proc/sys/kernel/core_pattern; rm -rf "$W"; }
trap cleanup EXIT; trap 'exit 130' INT TERM

# each handler is wrapped so it records its exit time (ns) after it finishes
cat > "$W/h" <<EOS
#!/bin/sh
# \$1: mode
case "\$1" in
discard) cat > /dev/null ;;
discard1m) "$BUILD/tests/helpers/discard" ;;
gzip9) gzip -9 > "$W/out.gz" ;;
gzcore) "$BUILD/gzcoredump" --kernel -S "$W/store" \$2 \$3 \$4 \$5 \$6 \$7 \$8 \$9 \${10} \${11} ;;
esac
date +%s%N > "$W/done"
EOS
chmod 755 "$W/h"
run_one() { # mode -> seconds from signal to handler exit
	rm -f "$W/done" "$W/ready"; rm -rf "$W/store"
	case $1 in
	gzcore) printf '%s\n' "|$W/h gzcore %P %I %u %g %s %t %c %d %h %e" ;;
	*) printf '%s\n' "|$W/h $1" ;;
	esac > /proc/sys/kernel/core_pattern
	( ulimit -c unlimited; "$BUILD/tests/helpers/crash_segv" --mb "$MB" --ready "$W/ready" ) >/dev/null 2>&1 &
	# the helper touches --ready right before it crashes (after filling)
	local t0
	while [ ! -e "$W/ready" ]; do sleep 0.01; done
	t0=$(date +%s%N)
	wait 2>/dev/null
	while [ ! -e "$W/done" ]; do sleep 0.01; done
	echo "scale=3; ($(cat "$W/done") - $t0) / 1000000000" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A med
for mode in discard discard1m gzcore gzip9; do
	for _ in $(seq 1 "$RUNS"); do run_one $mode; done > "$W/times.$mode"
	med[$mode]=$(median < "$W/times.$mode")
done
echo "### Kernel capture: ${MB} MB process, signal to handler exit (median of $RUNS)"
echo
echo "| handler | seconds | vs discard |"
echo "|---|---|---|"
declare -A label=([discard]='discard (`cat > /dev/null`)' [discard1m]='discard with a 1 MiB pipe (tests/helpers/discard)'
	[gzcore]='gzcoredump (defaults)' [gzip9]='gzip -9 (the original tool)')
best=${med[discard]}
[ "$(echo "${med[discard1m]} < $best" | bc)" = 1 ] && best=${med[discard1m]}
for mode in discard discard1m gzcore gzip9; do
	printf '| %s | %s | %.2f× |\n' "${label[$mode]}" "${med[$mode]}" "$(echo "${med[$mode]} / $best" | bc -l)"
done
echo
echo "Ratios are to the faster of the two discard handlers."
