# lib.sh — shared by the benchmark scripts in tests/bench/.
# Gives $TOP, $BUILD, $GZCOREDUMP, $HELPERS, $WORK (a tmpfs scratch dir when
# /dev/shm exists, so disk noise stays out), median_time CMD... (median wall
# seconds over $RUNS runs), and ref_core (a reference core of a few hundred
# MB made once with gcore from tests/helpers/memhog, cached in $BUILD/bench).
set -u
TOP=${GZC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD";; esac
GZCOREDUMP="$BUILD/gzcoredump"
HELPERS="$BUILD/tests/helpers"
RUNS=${RUNS:-5}
REF_MIB=${REF_MIB:-300}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; else base=${TMPDIR:-/tmp}; fi
WORK=$(mktemp -d "$base/gzc-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# median_time CMD [SETUP]: runs the shell string CMD $RUNS times, each after
# the untimed shell string SETUP (e.g. removing the last run's output, which
# is not part of the work measured), and prints the median wall time in
# seconds (microsecond clock, bash's own $EPOCHREALTIME).
median_time() {
	local i s e times=()
	for ((i = 0; i < RUNS; i++)); do
		[ -n "${2:-}" ] && bash -c "$2" >/dev/null 2>&1
		s=$EPOCHREALTIME
		bash -c "$1" >/dev/null 2>&1
		e=$EPOCHREALTIME
		times+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')")
	done
	printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# ref_core: prints the path of the reference core (made on first use).
ref_core() {
	local dir="$BUILD/bench" core="$BUILD/bench/ref-$REF_MIB.core"
	if [ ! -s "$core" ]; then
		mkdir -p "$dir"
		command -v gcore >/dev/null || { echo "gcore (gdb) is needed" >&2; exit 1; }
		"$HELPERS/memhog" "$REF_MIB" > "$dir/memhog.out" &
		local pid=$!
		for _ in $(seq 1 100); do grep -q ready "$dir/memhog.out" 2>/dev/null && break; sleep 0.1; done
		gcore -o "$dir/gcore" "$pid" >/dev/null 2>&1
		kill "$pid"; wait "$pid" 2>/dev/null
		mv "$dir/gcore.$pid" "$core"
	fi
	echo "$core"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
mbps() { awk -v s="$1" -v t="$2" 'BEGIN { if (t == 0) print "inf"; else printf "%.0f", s / t / 1e6 }'; }
