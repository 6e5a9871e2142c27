# fs_lib.sh — sourced by the gzcorefs tests (tests/integration/fs_*.sh) after
# lib.sh. Lives here, not in tests/integration/, so the runner does not run it.

PREADS="/usr/bin/python3 $TOP/tests/integration/fs_preads.py"
MKSTORE="$HELPERS/fs_mkstore"

# make_sample_core OUT [MB]: a gcore of tests/helpers/fs_sample (threads,
# deep stacks, MB MiB of mixed heap) to OUT; its pid in SAMPLE_PID. With
# KEEP_SAMPLE=1 the sample keeps running (killed at exit), so its /proc
# entry can be read as the kernel handler reads a crashed process's.
make_sample_core() {
	local out=$1 mb=${2:-24} pid
	need_gcore
	[ -x "$HELPERS/fs_sample" ] || fail "missing $HELPERS/fs_sample (make check builds it)"
	SAMPLE=$HELPERS/fs_sample
	# a sanitizer build maps terabytes of shadow memory, and gcore would dump
	# tens of GB of it: take the core of a plain build of the same program
	if grep -q __asan_init "$SAMPLE" 2>/dev/null; then
		SAMPLE=$TMP/fs_sample
		cc -g -O2 -pthread -o "$SAMPLE" "$TOP/tests/helpers/fs_sample.c" || fail "cannot build a plain fs_sample"
	fi
	"$SAMPLE" --mb "$mb" >"$TMP/sample.out" &
	pid=$!
	at_exit "kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null"
	for _ in $(seq 1 400); do
		grep -qs "^ready" "$TMP/sample.out" && break
		sleep 0.05
	done
	grep -q '^ready' "$TMP/sample.out" || fail "fs_sample did not get ready"
	gcore -o "$TMP/gcore" "$pid" >"$TMP/gcore.log" 2>&1 || { cat "$TMP/gcore.log"; fail "gcore failed"; }
	mv "$TMP/gcore.$pid" "$out"
	[ "${KEEP_SAMPLE:-0}" = 1 ] || { kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	SAMPLE_PID=$pid
}

# wait_for CMD...: polls a condition for up to 10 s.
wait_for() {
	for _ in $(seq 1 200); do
		if eval "$*"; then return 0; fi
		sleep 0.05
	done
	return 1
}

# gdb_report CORE: what gdb shows of a core of fs_sample.
gdb_report() {
	gdb -nx -batch -ex 'set pagination off' -ex bt -ex 'info threads' "${SAMPLE:-$HELPERS/fs_sample}" "$1" 2>&1
}
