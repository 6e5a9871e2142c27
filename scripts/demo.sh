#!/usr/bin/env bash
# demo.sh — the whole main job on this machine, with local defaults
# (`make demo`): build, crash a sample program, store its core through
# gzcoredump exactly as the kernel would feed it, mount the store with
# gzcorefs, run gdb's bt on the mounted core, unmount.
#
# By default the "crash" is a gcore of a running sample (no change to the
# kernel's core_pattern); DEMO_KERNEL=1 takes the kernel path instead: it
# installs gzcoredump as core_pattern for the demo, crashes the sample for
# real and restores the previous pattern on every exit path.
# Needs root (the FUSE mount, and gcore/ptrace of the sample).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
say() { printf '\n==> %s\n' "$*"; }

say "1. build"
$MAKE -s all "$BUILD/tests/helpers/fs_sample"
case $BUILD in /*) bin=$BUILD ;; *) bin=$PWD/$BUILD ;; esac
# DEMO_SAMPLE: another build of the sample (the tests give a sanitizer build
# a plain one: gcore would dump the terabytes of shadow memory ASan maps)
GZCOREDUMP=$bin/gzcoredump GZCOREFS=$bin/gzcorefs SAMPLE=${DEMO_SAMPLE:-$bin/tests/helpers/fs_sample}
for t in gdb fusermount3; do command -v $t >/dev/null || { echo "demo: $t is needed" >&2; exit 1; }; done
[ -c /dev/fuse ] || { echo "demo: /dev/fuse is missing" >&2; exit 1; }

work=$(mktemp -d /tmp/gzcore-demo.XXXXXX)
chmod 755 "$work"
store=$work/store mnt=$work/mnt
mkdir -p "$store" "$mnt"
chmod 700 "$store"
steps=()
cleanup() {
	local i
	for ((i=${#steps[@]}-1; i>=0; i--)); do eval "${steps[$i]}" || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${DEMO_KERNEL:-0}" = 1 ]; then
	say "2+3. crash the sample for real; the kernel pipes its core to gzcoredump"
	old=$(cat /proc/sys/kernel/core_pattern)
	# its install and uninstall would replace, then undo, a real installation
	if [[ "$old" == *gzcoredump* ]] || [ -e /var/lib/gzcoredump/.core_pattern.prev ]; then
		echo "demo: gzcoredump is installed already (core_pattern: $old): DEMO_KERNEL=1 would replace" \
		     "and then uninstall it; run the default demo, or 'gzcoredump uninstall' first" >&2
		exit 1
	fi
	steps+=("printf '%s\n' '$old' >/proc/sys/kernel/core_pattern")
	"$GZCOREDUMP" install --store "$store" || { echo "demo: cannot install the handler" >&2; exit 1; }
	echo "core_pattern: $(cat /proc/sys/kernel/core_pattern)"
	(ulimit -c unlimited; exec "$SAMPLE" --crash) || true
	for _ in $(seq 1 200); do
		[ -n "$(find "$store" -name 'core.*.gz' -o -name 'core.*.zz' 2>/dev/null)" ] && break
		sleep 0.1
	done
	"$GZCOREDUMP" uninstall || true
else
	say "2. crash: gcore of a running sample (multithreaded, deep stacks)"
	command -v gcore >/dev/null || { echo "demo: gcore (gdb) is needed" >&2; exit 1; }
	"$SAMPLE" --mb 64 >"$work/sample.out" &
	pid=$!
	steps+=("kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null")
	for _ in $(seq 1 200); do grep -qs '^ready' "$work/sample.out" && break; sleep 0.05; done
	gcore -o "$work/core" "$pid" >/dev/null 2>&1 || { echo "demo: gcore failed" >&2; exit 1; }
	echo "raw core: $(du -h "$work/core.$pid" | cut -f1)"

	say "3. store it through gzcoredump, fed on stdin as the kernel does"
	# the kernel's arguments: %P %I %u %g %s %t %c %d %h %e (see gzcoredump install --print)
	if ! "$GZCOREDUMP" --kernel -S "$store" "$pid" "$pid" "$(id -u)" "$(id -g)" 6 "$(date +%s)" \
		18446744073709551615 1 "$(hostname)" fs_sample <"$work/core.$pid" ||
		[ -z "$(find "$store" -name 'core.*' 2>/dev/null)" ]; then
		echo "(the kernel entry did not store it; using the original tool's -c line)"
		"$GZCOREDUMP" -c -p "$store" -a fs_sample <"$work/core.$pid"
	fi
	kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
fi
echo "store:"; (cd "$store" && find . -type f ! -name '.*' | sort | sed 's/^/  /')

say "4. mount the store: $GZCOREFS $store $mnt"
"$GZCOREFS" "$store" "$mnt" -f >"$work/gzcorefs.log" 2>&1 &
fspid=$!
steps+=("fusermount3 -u -z '$mnt' 2>/dev/null; kill $fspid 2>/dev/null; wait $fspid 2>/dev/null")
for _ in $(seq 1 200); do grep -qs " $mnt fuse" /proc/mounts && break; sleep 0.05; done
grep -qs " $mnt fuse" /proc/mounts || { cat "$work/gzcorefs.log"; echo "demo: mount failed" >&2; exit 1; }
(cd "$mnt" && ls -l -- */ )
core=$(find "$mnt" -type f ! -name '*.json' | head -n1)
[ -n "$core" ] || { echo "demo: no core in the mount" >&2; exit 1; }

say "5. gdb -batch -ex bt $SAMPLE $core"
gdb -nx -batch -ex bt "$SAMPLE" "$core" 2>&1 | grep -v '^\[New LWP'

say "6. unmount"
fusermount3 -u "$mnt"
wait "$fspid" 2>/dev/null || true
echo "done: the core was debugged straight from the compressed store, with no extraction."
