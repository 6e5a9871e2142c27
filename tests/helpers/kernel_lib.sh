# kernel_lib.sh — sourced by tests/integration/kernel_*.sh after lib.sh.
# Saves core_pattern, fs.suid_dumpable and core_pipe_limit and registers
# their restoration (at_exit, before anything changes them), skips (77) when
# core_pattern cannot be written, and gives helpers to crash programs and
# wait for their cores.
[ "$(id -u)" = 0 ] || skip "needs root to write /proc/sys/kernel/core_pattern"
ORIG_PATTERN=$(cat /proc/sys/kernel/core_pattern)
ORIG_SUID=$(cat /proc/sys/fs/suid_dumpable)
ORIG_PIPE_LIMIT=$(cat /proc/sys/kernel/core_pipe_limit)
restore_kernel() {
	printf '%s\n' "$ORIG_PATTERN" > /proc/sys/kernel/core_pattern
	printf '%s\n' "$ORIG_SUID" > /proc/sys/fs/suid_dumpable
	printf '%s\n' "$ORIG_PIPE_LIMIT" > /proc/sys/kernel/core_pipe_limit
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$ORIG_PATTERN" ] || echo "WARNING: core_pattern not restored" >&2
}
at_exit restore_kernel
printf '%s\n' "$ORIG_PATTERN" 2>/dev/null > /proc/sys/kernel/core_pattern || skip "core_pattern cannot be written here"
STORE=$TMP/store
make_store "$STORE"
# a sanitizer build of the handler (the kernel runs it with no environment)
# writes its reports here (Makefile: SAN=1 sets GZC_SAN_LOG_DIR); the tests
# that crash programs run one at a time, so this run's reports are its own
GZC_SAN_DIR=/tmp/gzc-san
rm -rf "$GZC_SAN_DIR"
mkdir -m 1777 "$GZC_SAN_DIR"
# (moved among this test's own reports, which lib.sh's exit checks)
check_handler_san() {
	local f
	for f in "$GZC_SAN_DIR"/*; do
		[ -e "$f" ] && mv "$f" "$SAN_LOGS/handler-$(basename "$f")"
	done
	rm -rf "$GZC_SAN_DIR"
}
at_exit check_handler_san
# where install keeps the values it replaces (default /var/lib/gzcoredump)
export GZC_STATE_DIR=$TMP/state

# crash PROGRAM [ARGS...]: runs it with unlimited RLIMIT_CORE; never fails.
crash() { { ( ulimit -c unlimited; exec "$@" ) >/dev/null 2>&1; } 2>/dev/null || true; }

# cores: number of stored cores (visible core files) in $STORE
cores() { find "$STORE" -mindepth 2 -maxdepth 2 -name 'core.*.[gz]z' 2>/dev/null | wc -l; }

# wait_cores N: waits (up to 60 s) until N cores are stored and no handler runs
wait_cores() {
	for _ in $(seq 1 600); do
		if [ "$(cores)" -ge "$1" ] && ! pgrep -f -- "gzcoredump --kernel" >/dev/null; then return 0; fi
		sleep 0.1
	done
	fail "expected $1 cores in $STORE, found $(cores) ($(pgrep -fc -- "gzcoredump --kernel") handlers still running)"
}

# wait_handlers: waits until no kernel handler runs any more
wait_handlers() {
	for _ in $(seq 1 300); do
		pgrep -f -- "gzcoredump --kernel" >/dev/null || return 0
		sleep 0.1
	done
	fail "handlers still running"
}

# meta FILE.json EXPR: prints a value of the sidecar (python expression on d)
meta() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# newest_json: the sidecar of the newest core
newest_json() { ls -t "$STORE"/*/core.*.json | head -1; }

# gdb_bt PROGRAM CORE.gz: decompresses and prints gdb's backtrace
gdb_bt() {
	gzip -dc "$2" > "$TMP/bt.core" || fail "$2 does not decompress"
	gdb -nx -batch -ex 'bt' -ex 'info threads' "$1" "$TMP/bt.core" 2>&1
	rm -f "$TMP/bt.core"
}

# The crash programs, built here without sanitizers whatever $BUILD is: an
# ASan build catches SIGSEGV itself and sets RLIMIT_CORE to 0, so it would
# never dump. -O0 -g keeps every crashing function visible to gdb.
CRASH=$TMP/bin
mkdir -p "$CRASH"
for p in crash_segv crash_abort crash_threads; do
	cc -g -O0 -pthread -I"$TOP/tests/helpers" -o "$CRASH/$p" "$TOP/tests/helpers/$p.c" || fail "cannot build $p"
done
