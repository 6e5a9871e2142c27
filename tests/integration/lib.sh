# lib.sh — sourced by every integration test (tests/integration/*.sh).
# Gives: $TOP, $BUILD, $GZCOREDUMP, $GZCOREFS, $HELPERS, a per-test $TMP removed
# on exit, skip/fail/ok helpers, and at_exit to register cleanup steps that run
# on every path (traps are chained, not replaced).
set -u
TOP=${GZC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD";; esac
GZCOREDUMP="$BUILD/gzcoredump"
GZCOREFS="$BUILD/gzcorefs"
HELPERS="$BUILD/tests/helpers"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gzc-test.XXXXXX")
chmod 755 "$TMP"
# A sanitizer build's reports (make check SAN=1) go to files here, whatever
# a test does with the program's exit status and stderr; any report fails
# the test at exit. (The handler the kernel runs gets no environment: a SAN
# build writes to GZC_SAN_LOG_DIR instead, which kernel_lib.sh checks.)
SAN_LOGS=$TMP/san
mkdir -m 1777 "$SAN_LOGS"
export ASAN_OPTIONS="log_path=$SAN_LOGS/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$SAN_LOGS/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

_exit_steps=()
at_exit() { _exit_steps+=("$*"); }
_run_exit() {
	local rc=$? i
	for ((i=${#_exit_steps[@]}-1; i>=0; i--)); do eval "${_exit_steps[$i]}" || true; done
	if compgen -G "$SAN_LOGS/*" >/dev/null; then
		echo "FAIL: sanitizer reports:" >&2
		cat "$SAN_LOGS"/* >&2
		rc=1
	fi
	rm -rf "$TMP"
	exit $rc
}
trap _run_exit EXIT
trap 'exit 130' INT TERM

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok()   { echo "ok - $*"; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"; }
# need_gcore: skips where gcore cannot dump a process we started (gdb
# missing, or Yama forbids the ptrace); there, a gcore failure is a failure
need_gcore() {
	need gcore
	local scope
	scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
	[ "$scope" -lt 3 ] || skip "ptrace is disabled here (kernel.yama.ptrace_scope = 3)"
	[ "$scope" -lt 1 ] || [ "$(id -u)" = 0 ] ||
		skip "gcore of a process it did not start needs root here (kernel.yama.ptrace_scope >= 1)"
}

# Damages FILE at OFFSET: its byte there inverted, so always changed (a
# constant written there was already that byte once in 256 runs of random
# data). usage: flip_byte FILE OFFSET
flip_byte() {
	python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 0xff]))
PY
}

# A store directory (root's, 0700) on its own 4 GiB tmpfs where the machine
# allows it: the handler's default limits are shares of the store's file
# system (max_use 10%, keep_free 15%, at most 4G), so a test whose store
# sat on a nearly full /tmp would see its cores refused. usage: make_store DIR
make_store() {
	mkdir -p -m 700 "$1"
	if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4g,mode=0700 gzcstore "$1" 2>/dev/null; then
		at_exit "umount -l '$1'"
	fi
}

# Mounts with gzcorefs in the foreground (background job), waits until the
# mount is live, and registers an unmount for every exit path.
# usage: mount_store STORE MNT [extra gzcorefs args...]
mount_store() {
	local store=$1 mnt=$2; shift 2
	[ -c /dev/fuse ] || skip "/dev/fuse is missing"
	mkdir -p "$mnt"
	"$GZCOREFS" "$store" "$mnt" -f "$@" >"$TMP/gzcorefs.log" 2>&1 &
	local pid=$!
	at_exit "fusermount3 -u -z '$mnt' 2>/dev/null; kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	for _ in $(seq 1 200); do
		if grep -qs " $mnt fuse" /proc/mounts; then return 0; fi
		kill -0 $pid 2>/dev/null || { cat "$TMP/gzcorefs.log"; fail "gzcorefs exited before mounting"; }
		sleep 0.05
	done
	cat "$TMP/gzcorefs.log"; fail "mount of $mnt did not come up"
}

# use_make: defines mk, which runs make on this variant's build directory
# ($BUILD) with the variables that built it, so nothing is rebuilt; fails
# if $BUILD is not up to date, and (at exit, restoring the stamp) if those
# variables would change the build's flags.
use_make() {
	# BUILD on make's command line keeps the Makefile from adding -san/-ENGINE
	# to it again; SAN and ENGINE give the flags that built it.
	_variant=(BUILD="$BUILD")
	case "$(basename "$BUILD")" in *-san|*-san-*) _variant+=(SAN=1);; *-tsan|*-tsan-*) _variant+=(SAN=thread);; esac
	case "$(basename "$BUILD")" in *-zlib) _variant+=(ENGINE=zlib);; *-isal) _variant+=(ENGINE=isal);; esac
	_stamp=$BUILD/.flags
	[ -f "$_stamp" ] || fail "no $_stamp: $BUILD was not built by this Makefile"
	cp -p "$_stamp" "$TMP/flags"
	at_exit "cmp -s '$TMP/flags' '$_stamp' || cp -p '$TMP/flags' '$_stamp'"
	local rc=0
	mk -q all || rc=$?
	cmp -s "$TMP/flags" "$_stamp" || fail "make ${_variant[*]} would build $BUILD with other flags than it was built with"
	[ $rc = 0 ] || fail "$BUILD is not up to date with the sources: run make ${_variant[*]} first"
}
mk() { make -s --no-print-directory -C "$TOP" "${_variant[@]}" "$@"; }
