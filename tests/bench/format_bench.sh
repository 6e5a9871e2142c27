#!/usr/bin/env bash
# Benchmark of the format (issue 2): compression speed and size against the
# peers, decode speed, random 4 KiB reads, writer memory. Side by side in one
# run on one reference core; medians of $RUNS runs; prints a markdown report.
. "$(dirname "$0")/lib.sh"
ref=$(ref_core)
cp "$ref" "$WORK/ref.core"; ref="$WORK/ref.core"
size=$(stat -c %s "$ref")
echo "## Format: compression and reading (reference core $((size / 1048576)) MiB, $RUNS interleaved rounds, medians)"
echo
echo "| tool | time s | MB/s | output bytes | size vs gzip -6 |"
echo "|---|---|---|---|---|"

# Every tool runs once per round, rounds repeated $RUNS times: the machine's
# speed drifts over minutes, and interleaving puts each tool through the same
# drift, so the ratios compare like with like. Outputs are removed before
# each timed run (untimed).
declare -A T S CMD SETUP OUT
NAMES=("gzcoredump (default)" "gzcoredump (default, from a pipe)" "gzcoredump -9"
	"gzip -9" "gzip -6" "pigz -p 2" "zstd -3" "igzip -1")
ours() { CMD[$1]=$2; SETUP[$1]="rm -rf $WORK/st"; OUT[$1]="$WORK/st/*.gz"; }
peer() { CMD[$1]=$2; SETUP[$1]="rm -f $WORK/out"; OUT[$1]="$WORK/out"; }
ours "gzcoredump (default)" "$GZCOREDUMP -c -q -p $WORK/st < $ref"
# the kernel hands the core over a pipe: the same through one (cat's own
# copy into the pipe shares the 2 CPUs, as the kernel's dumping would)
ours "gzcoredump (default, from a pipe)" "cat $ref | $GZCOREDUMP -c -q -p $WORK/st"
ours "gzcoredump -9" "$GZCOREDUMP -9 -c -q -p $WORK/st < $ref"
peer "gzip -9" "gzip -9 -c < $ref > $WORK/out"
peer "gzip -6" "gzip -6 -c < $ref > $WORK/out"
peer "pigz -p 2" "pigz -p 2 -c < $ref > $WORK/out"
peer "zstd -3" "zstd -q -3 -c < $ref > $WORK/out"
peer "igzip -1" "igzip -1 -c < $ref > $WORK/out"
declare -A ALL
for ((r = 0; r < RUNS; r++)); do
	for n in "${NAMES[@]}"; do
		ALL[$n]+=" $(RUNS=1 median_time "${CMD[$n]}" "${SETUP[$n]}")"
	done
done
for n in "${NAMES[@]}"; do
	T[$n]=$(printf '%s\n' ${ALL[$n]} | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	bash -c "${SETUP[$n]}; ${CMD[$n]}" >/dev/null 2>&1
	S[$n]=$(stat -c %s ${OUT[$n]})
	[ "$n" = "gzcoredump (default)" ] && cp ${OUT[$n]} "$WORK/ours.gz"
done
rm -rf "$WORK/st"
/usr/bin/time -o "$WORK/.rss" -f %M "$GZCOREDUMP" -c -q -p "$WORK/rss" < "$ref"
RSS=$(tail -n1 "$WORK/.rss")
for n in "${NAMES[@]}"; do
	echo "| $n | ${T[$n]} | $(mbps $size ${T[$n]}) | ${S[$n]} | $(ratio ${S[$n]} ${S["gzip -6"]}) |"
done
d="gzcoredump (default)"; b="gzcoredump -9"
echo
echo "| ratio (ours / peer) | time | size |"
echo "|---|---|---|"
for p in "gzip -9" "gzip -6" "pigz -p 2" "zstd -3" "igzip -1"; do
	echo "| default vs $p | $(ratio ${T[$d]} ${T[$p]}) | $(ratio ${S[$d]} ${S[$p]}) |"
done
echo "| -9 vs gzip -9 | $(ratio ${T[$b]} ${T["gzip -9"]}) | $(ratio ${S[$b]} ${S["gzip -9"]}) |"
echo

# reading
ours="$WORK/ours.gz"
gzip -dc "$ours" | cmp -s - "$ref" || { echo "BUG: our file does not decode to the reference" >&2; exit 1; }
"$HELPERS/bench_read" "$ours" sequential >/dev/null   # builds nothing: index exists
echo "| decode (to /dev/null) | time s | MB/s |"
echo "|---|---|---|"
for c in "$GZCOREDUMP -d -f $ours -o /dev/null" "$HELPERS/bench_read $ours sequential" "gzip -dc < $ours > /dev/null" "pigz -dc < $ours > /dev/null" "igzip -dc < $ours > /dev/null" "cat $ref > /dev/null"; do
	t=$(median_time "$c")
	name=${c%% <*}; name=${name//$WORK\//}; name=${name//$BUILD\//}
	echo "| \`$name\` | $t | $(mbps $size $t) |"
done
echo
u=$("$HELPERS/bench_read" "$ours" random-uncached 2000)
c=$("$HELPERS/bench_read" "$ours" random-cached 2000)
echo "| random 4 KiB read (library) | median µs | p90 µs |"
echo "|---|---|---|"
echo "| span not cached | $(sed 's/.*median_us=\([0-9.]*\).*/\1/' <<<"$u") | $(sed 's/.*p90_us=\([0-9.]*\).*/\1/' <<<"$u") |"
echo "| span cached | $(sed 's/.*median_us=\([0-9.]*\).*/\1/' <<<"$c") | $(sed 's/.*p90_us=\([0-9.]*\).*/\1/' <<<"$c") |"
echo
echo "Writer peak RSS at default settings: $((RSS / 1024)) MiB (target <= 64 MiB)."
echo
speed=$(mbps $size ${T[$d]})
echo "Targets: default >= 1500 MB/s: $speed MB/s ($(mbps $size ${T["gzcoredump (default, from a pipe)"]}) MB/s from a pipe); default size <= 1.15 x gzip -6: $(ratio ${S[$d]} ${S["gzip -6"]}); -9 size <= gzip -9: $(ratio ${S[$b]} ${S["gzip -9"]}); -9 at least 2x faster than gzip -9: $(ratio ${T["gzip -9"]} ${T[$b]})x."
