#!/usr/bin/env bash
# The README's first command, `make demo`, both ways: the default (a gcore
# of the running sample fed to gzcoredump) and DEMO_KERNEL=1 (a real crash
# piped through core_pattern). Each must end with gdb's backtrace of the
# sample read from the mounted store, leave no mount, no daemon and no
# temporary directory behind, and give core_pattern back.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/kernel_lib.sh"
need gdb; need gcore; need fusermount3
[ -c /dev/fuse ] || skip "no /dev/fuse"
use_make

# a sanitizer build's sample maps terabytes of shadow memory (gcore would
# dump tens of GB of it) and keeps no core (ASan sets RLIMIT_CORE to 0):
# the demo then gets a plain build of the same program
sample=()
if grep -q __asan_init "$HELPERS/fs_sample" 2>/dev/null; then
	cc -g -O2 -pthread -o "$TMP/fs_sample" "$TOP/tests/helpers/fs_sample.c" || fail "cannot build a plain fs_sample"
	sample=(DEMO_SAMPLE="$TMP/fs_sample")
fi
# should a demo fail half-way, no mount of its stays behind
demo_mounts() { awk '$2 ~ /^\/tmp\/gzcore-demo\./ {print $2}' /proc/mounts; }
unmount_demos() { local m; for m in $(demo_mounts); do fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m"; done; }
at_exit unmount_demos
demos() { ls -d /tmp/gzcore-demo.* 2>/dev/null | sort; }
modes="0 1"
# the kernel demo refuses to replace, then uninstall, a real installation
if [[ "$ORIG_PATTERN" == *gzcoredump* ]] || [ -e /var/lib/gzcoredump/.core_pattern.prev ]; then
	echo "SKIP part: gzcoredump is installed on this machine (core_pattern: $ORIG_PATTERN): DEMO_KERNEL=1 is not tried"
	modes=0
fi
for mode in $modes; do
	before=$(demos)
	env "${sample[@]}" DEMO_KERNEL=$mode timeout 300 make -s --no-print-directory -C "$TOP" "${_variant[@]}" demo >"$TMP/demo$mode.log" 2>&1; rc=$?
	out=$(cat "$TMP/demo$mode.log")
	[ $rc = 0 ] || fail "DEMO_KERNEL=$mode make demo: exit $rc: $out"
	grep -q '^done: the core was debugged straight from the compressed store' <<<"$out" || fail "DEMO_KERNEL=$mode: no closing line: $out"
	# the sample's main thread, deep in its recursion, as gdb reads it off the mount
	grep -qE '^#[0-9]+ .*descend \(' <<<"$out" && grep -qE '^#[0-9]+ .*main \(' <<<"$out" ||
		fail "DEMO_KERNEL=$mode: gdb's bt lacks the sample's frames: $out"
	if [ $mode = 1 ]; then
		grep -qE '^#[0-9]+ .*(abort|raise|pthread_kill)' <<<"$out" || fail "the kernel demo's bt does not show the abort: $out"
		grep -q '^core_pattern: |' <<<"$out" || fail "the kernel demo did not install the handler: $out"
	fi
	[ -z "$(demo_mounts)" ] || fail "DEMO_KERNEL=$mode left a mount: $(demo_mounts)"
	! pgrep -f 'gzcorefs /tmp/gzcore-demo' >/dev/null || fail "DEMO_KERNEL=$mode left a gzcorefs daemon running"
	[ "$(demos)" = "$before" ] || fail "DEMO_KERNEL=$mode left its directory: $(comm -13 <(echo "$before") <(demos))"
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$ORIG_PATTERN" ] ||
		fail "DEMO_KERNEL=$mode left core_pattern as $(cat /proc/sys/kernel/core_pattern)"
	ok "DEMO_KERNEL=$mode make demo: gdb's bt from the mount, nothing left behind"
done
