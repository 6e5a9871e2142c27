#!/usr/bin/env bash
# The kernel's pipe handler end to end: install with a temporary store, crash
# real programs (SIGSEGV, SIGABRT, multithreaded, one carrying a package note
# and a .uuid section, one carrying only a .uuid section), uninstall, then
# check the cores with gdb, their metadata, their groups, and the commands.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/kernel_lib.sh"
need gdb; need objcopy; need cc

# a package-noted build of crash_segv (the linker's --package-metadata, in
# binutils 2.39 and later, else objcopy the note in; -Xlinker, since -Wl,
# would split the JSON at its commas)
PKG='{"type":"deb","name":"gzc-demo","version":"1.2.3"}'
src="$TOP/tests/helpers/crash_segv.c"
# pkgapp loads a shared library of its own build (build-id, package note):
# the sidecar lists it among the process's modules
LIBPKG='{"type":"deb","name":"gzc-lib","version":"0.9"}'
printf 'int gzc_lib_answer(void) { return 42; }\n' > "$TMP/lib.c"
libpkg=1
cc -shared -fPIC -o "$TMP/libgzcpkg.so" "$TMP/lib.c" -Wl,--build-id=0x00c0ffee00c0ffee -Xlinker --package-metadata="$LIBPKG" 2>/dev/null ||
	{ libpkg=; cc -shared -fPIC -o "$TMP/libgzcpkg.so" "$TMP/lib.c" -Wl,--build-id=0x00c0ffee00c0ffee || fail "cannot build libgzcpkg.so"; }
uselib=(-L"$TMP" -Wl,--no-as-needed -lgzcpkg -Wl,-rpath,"$TMP")
if ! cc -g -O0 -I"$TOP/tests/helpers" -o "$TMP/pkgapp" "$src" "${uselib[@]}" -Xlinker --package-metadata="$PKG" 2>/dev/null; then
	echo "the linker has no --package-metadata: objcopy adds the note"
	cc -g -O0 -I"$TOP/tests/helpers" -o "$TMP/pkgapp" "$src" "${uselib[@]}" || fail "cannot build pkgapp"
	python3 - "$PKG" "$TMP/note.bin" <<'PY'
import struct, sys
desc = sys.argv[1].encode() + b"\0"
desc += b"\0" * (-len(desc) % 4)
open(sys.argv[2], "wb").write(struct.pack("<III", 4, len(desc), 0xcafe1a7e) + b"FDO\0" + desc)
PY
	objcopy --add-section .note.package="$TMP/note.bin" --set-section-flags .note.package=alloc,readonly \
		"$TMP/pkgapp" 2>/dev/null || fail "objcopy of the package note"
fi
echo "123e4567-e89b-12d3-a456-426614174000" > "$TMP/uuid"
objcopy --add-section .uuid="$TMP/uuid" "$TMP/pkgapp" || fail "objcopy .uuid"
cp "$CRASH/crash_abort" "$TMP/uuidapp"
printf 'NAME=uuidapp\nVERSION=4.5\n' > "$TMP/uuid2"
objcopy --add-section .uuid="$TMP/uuid2" "$TMP/uuidapp" || fail "objcopy .uuid (uuidapp)"

line=$("$GZCOREDUMP" install --store "$STORE" --print) || fail "install --print"
[ ${#line} -le 127 ] || fail "pattern longer than 127 bytes: $line"
case "$line" in *" %P %I %u %g %s %t %c %d %h %e") ;; *) fail "pattern lacks the specifiers: $line";; esac
# --print changes nothing, not even a relative --store that does not exist yet
rel=$(cd "$TMP" && "$GZCOREDUMP" install --store rel-store --print) || fail "install --print (relative store)"
case "$rel" in *" -S $TMP/rel-store "*) ;; *) fail "--print did not make the store absolute: $rel";; esac
[ ! -e "$TMP/rel-store" ] || fail "install --print created the store"
"$GZCOREDUMP" install --store "$STORE" >/dev/null || fail "install"
[ "$(cat /proc/sys/kernel/core_pattern)" = "$line" ] || fail "core_pattern is not the printed line"
ok "installed: $line"

crash "$CRASH/crash_segv"
crash "$CRASH/crash_abort"
crash "$CRASH/crash_threads"
crash "$TMP/pkgapp"
crash "$TMP/uuidapp"
wait_cores 5
# with no -S, the commands use the installed handler's store: info names
# the file there, and debug mounts that store
f=$("$GZCOREDUMP" info 2>/dev/null | sed -n 's/^File: *//p')
[ -f "$f" ] || fail "info with no -S after install --store: File '$f'"
if [ -c /dev/fuse ]; then
	out=$("$GZCOREDUMP" debug -q -- -nx -batch -ex bt 2>&1) || fail "debug with no -S after install --store: $out"
fi
"$GZCOREDUMP" uninstall >/dev/null || fail "uninstall"
[ "$(cat /proc/sys/kernel/core_pattern)" = "$ORIG_PATTERN" ] || fail "uninstall did not restore '$ORIG_PATTERN'"
ok "uninstalled, core_pattern restored"

# store layout: root-owned 0700 root, 0600 files, no temporaries
[ "$(stat -c %a "$STORE")" = 700 ] || fail "store mode $(stat -c %a "$STORE")"
for f in "$STORE"/*/core.*; do
	[ "$(stat -c '%U %a' "$f")" = "root 600" ] || fail "$f is $(stat -c '%U %a' "$f")"
done
[ -z "$(find "$STORE" -name '.gzc-tmp*')" ] || fail "temporary files left"

check_core() { # PROGRAM COMM FUNCTION SIGNAL (in $(...), callers add || fail)
	local json core
	json=$(for f in "$STORE"/*/core.*.json; do [ "$(meta "$f" "d['process']['comm']")" = "$2" ] && echo "$f"; done | head -1)
	[ -n "$json" ] || fail "no sidecar for $2"
	core=${json%.json}.gz
	[ -f "$core" ] || fail "no core beside $json"
	gzip -t "$core" || fail "$core is not valid gzip"
	local bt; bt=$(gdb_bt "$1" "$core")
	grep -q "$3" <<<"$bt" || { echo "$bt"; fail "gdb does not show $3 for $2"; }
	[ "$(meta "$json" "d['process']['signal']")" = "$4" ] || fail "$2: signal"
	local bid; bid=$(readelf -n "$1" | awk '/Build ID/ {print $3}')
	[ "$(meta "$json" "d['identity']['build_id']")" = "$bid" ] || fail "$2: build-id"
	[ "$(meta "$json" "d['file']['size']")" = "$(gzip -dc "$core" | wc -c)" ] || fail "$2: size"
	[ "$(meta "$json" "d['access']['owner_uid']")" = 0 ] || fail "$2: owner"
	[ "$(meta "$json" "d['process']['exe']")" = "$(readlink -f "$1")" ] || fail "$2: exe"
	local group; group=$(basename "$(dirname "$json")")
	[ "$group" = "$(meta "$json" "d['identity']['group']")" ] || fail "$2: group dir $group"
	[ "$group" = "$(meta "$json" "d['identity']['app'] + '-' + d['identity']['app_version']")" ] || fail "$2: group $group"
	echo "$json"
}
check_core "$CRASH/crash_segv" crash_segv crash_segv_here 11 >/dev/null && ok "SIGSEGV core: gdb shows crash_segv_here"
check_core "$CRASH/crash_abort" crash_abort crash_abort_here 6 >/dev/null && ok "SIGABRT core: gdb shows crash_abort_here"
j=$(check_core "$CRASH/crash_threads" crash_threads crash_thread_here 11) || fail "crash_threads: its core (above)"
bt=$(gdb_bt "$CRASH/crash_threads" "${j%.json}.gz")
[ "$(grep -c '^[* ] *[0-9]\+ *Thread' <<<"$bt")" -ge 5 ] || { echo "$bt"; fail "fewer than 5 threads"; }
ok "multithreaded core: 5 threads, crash_thread_here"
# the stack traces taken when it was stored: the crashing thread first,
# its frames innermost first, every thread, as info shows them
st=$(meta "$j" "'\n'.join('%s %s' % (t['tid'], ' '.join(f.get('symbol') or '?' for f in t['frames'])) for t in d['stack']['threads'])")
tid=$(meta "$j" "d['process']['tid']")
grep -q "^$tid crash_thread_here crash_thread_deeper worker start_thread" <<<"$(head -1 <<<"$st")" ||
	fail "the stack trace's first thread is not the crashing one ($tid) in crash_thread_here: $st"
[ "$(grep -c . <<<"$st")" = 5 ] || fail "stack traces of $(grep -c . <<<"$st") threads, not 5: $st"
# the other workers: still in pthread_barrier_wait() or already in pause(),
# as the crash found them
[ "$(grep -c " worker start_thread" <<<"$st")" = 4 ] || fail "not 4 workers' stacks: $st"
[ "$(meta "$j" "d['stack'].get('error')")" = None ] || fail "stack error: $(meta "$j" "d['stack']['error']")"
out=$("$GZCOREDUMP" info -S "$STORE" "$(meta "$j" "d['process']['pid']")")
grep -q "^Stack:       Stack trace of thread $tid:\$" <<<"$out" || fail "info shows no stack trace of thread $tid: $out"
grep -Eq '^ +#0  0x[0-9a-f]{16} crash_thread_here \(crash_threads \+ 0x[0-9a-f]+\)$' <<<"$out" ||
	fail "info's frame #0 is not crash_thread_here: $out"
# each program crashed once here: five signatures, each of one core
sig=$(meta "$j" "d['crash']['signature']")
grep -q "^Signature:   $sig (no other core in the store has it recorded)\$" <<<"$out" || fail "info's signature ($sig): $out"
[ "$(for f in "$STORE"/*/core.*.json; do meta "$f" "d['crash']['signature']"; done | sort -u | grep -c '^[0-9a-f]\{16\}$')" = 5 ] ||
	fail "not 5 distinct signatures: $(for f in "$STORE"/*/core.*.json; do meta "$f" "d['crash']"; done)"
[ "$("$GZCOREDUMP" list -S "$STORE" --json "signature=$sig" | python3 -c 'import json,sys; print(" ".join(r["signature"] for r in json.load(sys.stdin)))')" = "$sig" ] ||
	fail "list --json signature=$sig"
ok "stack traces taken when stored: 5 threads, the crashing one first, in info; a signature"

j=$(check_core "$TMP/pkgapp" pkgapp crash_segv_here 11) || fail "pkgapp: its core (above)"
[ "$(basename "$(dirname "$j")")" = "gzc-demo-1.2.3" ] || fail "pkgapp group $(dirname "$j")"
[ "$(meta "$j" "d['identity']['source']")" = package-note ] || fail "pkgapp source"
[ "$(meta "$j" "d['identity']['package']['name']")" = gzc-demo ] || fail "pkgapp package json"
[ "$(meta "$j" "d['identity']['section']")" = "123e4567-e89b-12d3-a456-426614174000" ] || fail "pkgapp .uuid section"
ok "package note: group gzc-demo-1.2.3, build-id, .uuid kept"
# its modules: the executable, its own library and libc, each with its build
mods=$(meta "$j" "'\\n'.join('%s %s %s %s' % (m['path'], m.get('build_id', '-'), json.dumps(m.get('package'), separators=(',', ':')), m.get('error', '')) for m in d['modules'])")
bid=$(meta "$j" "d['identity']['build_id']")
grep -qx ".*/pkgapp $bid .*" <<<"$mods" || fail "modules lack the executable with build-id $bid: $mods"
grep -qx '.*/libgzcpkg\.so 00c0ffee00c0ffee .*' <<<"$mods" ||
	fail "modules lack libgzcpkg.so with its build-id: $mods; maps snapshot: $(meta "$j" "d['snapshots'].get('maps')")"
[ -z "$libpkg" ] || grep -q '/libgzcpkg\.so .*"name":"gzc-lib","version":"0.9"' <<<"$mods" ||
	fail "modules lack libgzcpkg.so's package note: $mods"
grep -Eqx '.*/libc\.so\.6 [0-9a-f]{40} .*' <<<"$mods" || fail "modules lack libc with a build-id: $mods"
[ "$(grep -c . <<<"$mods")" -le 6 ] || fail "more modules than the process mapped ELF files: $mods"
pkgpid=$(meta "$j" "d['process']['pid']")
"$GZCOREDUMP" info -S "$STORE" "$pkgpid" | grep -q '^ .*/libgzcpkg\.so, build-id 00c0ffee00c0ffee' ||
	fail "info does not list libgzcpkg.so among the modules"
ok "modules: the executable, libgzcpkg.so and libc with their build-ids and package notes"
j=$(check_core "$TMP/uuidapp" uuidapp crash_abort_here 6) || fail "uuidapp: its core (above)"
[ "$(basename "$(dirname "$j")")" = "uuidapp-4.5" ] || fail "uuidapp group $(dirname "$j")"
ok ".uuid section names the app: uuidapp-4.5"

# commands
"$GZCOREDUMP" list -S "$STORE" > "$TMP/list" || fail "list"
[ "$(grep -c 'core\.' "$TMP/list")" = 5 ] || { cat "$TMP/list"; fail "list does not show 5 cores"; }
"$GZCOREDUMP" list -S "$STORE" --json > "$TMP/list.json" || fail "list --json"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$TMP/list.json")" = 5 ] || fail "list --json count"
pid=$(meta "$j" "d['process']['pid']")
"$GZCOREDUMP" info -S "$STORE" "$pid" | grep -q "uuidapp 4.5" || fail "info by pid"
"$GZCOREDUMP" info -S "$STORE" "$(basename "${j%.json}.gz")" | grep -q "SIGABRT" || fail "info by file name"
"$GZCOREDUMP" extract -S "$STORE" "$pid" -o "$TMP/out.core" || fail "extract"
gzip -dc "${j%.json}.gz" | cmp - "$TMP/out.core" || fail "extract differs from gzip -dc"
"$GZCOREDUMP" info -S "$STORE" 999999999 2>/dev/null && fail "info of a missing pid succeeded"
ok "list, list --json, info (pid, name), extract"

# libgzcpkg.so rebuilt since the crash: debug warns that gdb would load
# another build of it (by path, from the core), and of it alone
if [ -c /dev/fuse ]; then
	cc -shared -fPIC -o "$TMP/libgzcpkg.so" "$TMP/lib.c" -Wl,--build-id=0x00c0ffee00c0ff11 || fail "rebuild libgzcpkg.so"
	out=$("$GZCOREDUMP" debug -S "$STORE" "$pkgpid" -- -batch -ex bt 2>&1 >/dev/null) || fail "debug: $out"
	grep -q "libgzcpkg\.so is not the library the crash had loaded (build-id now 00c0ffee00c0ff11, at the crash 00c0ffee00c0ffee)" \
		<<<"$out" || fail "debug did not warn of the rebuilt library: $out"
	[ "$(grep -c 'is not the library' <<<"$out")" = 1 ] || fail "debug warned of more than the rebuilt library: $out"
	ok "debug warns of a library rebuilt since the crash"
fi

# which service crashed: the control group (as the process's own
# /proc/<pid>/cgroup gives it) and the systemd units it names; a crash run
# in a cgroup made here at the hierarchy's top as
# gzctest.slice/gzctest-crash.service (where the hierarchy the handler
# reads can be written: the test itself may run inside some unit) is
# listed by unit=
cgpath=$(python3 -c '
rows = [l.split(":", 2) for l in open("/proc/self/cgroup").read().splitlines()]
print(([r[2] for r in rows if r[1] == "name=systemd"] or [r[2] for r in rows if r[0] == "0" and r[1] == ""] or [""])[0])')
# (the handler, run by the kernel, sees the whole path: in a cgroup
# namespace ours is its tail)
cg=$(meta "$j" "d['process'].get('cgroup')")
[ "$cg" = "$cgpath" ] || { [ "$cgpath" != / ] && [[ $cg == */"${cgpath#/}" ]]; } ||
	fail "the sidecar's cgroup is '$cg', not '$cgpath'"
if grep -q ':name=systemd:' /proc/self/cgroup; then
	cgmnt=$(awk '$3 == "cgroup" && $4 ~ /name=systemd/ { print $2; exit }' /proc/mounts)
else
	cgmnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
fi
cgdir=$cgmnt/gzctest.slice/gzctest-crash.service
if [ -n "$cgmnt" ] && [ -n "$cgpath" ] && mkdir -p "$cgdir" 2>/dev/null &&
	sh -c 'echo $$ > "$1/cgroup.procs"' sh "$cgdir" 2>/dev/null; then
	at_exit "rmdir '$cgdir' '${cgdir%/*}' 2>/dev/null"
	n=$(cores)
	"$GZCOREDUMP" install --store "$STORE" >/dev/null || fail "install again"
	crash sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2"' sh "$cgdir" "$CRASH/crash_segv"
	wait_cores $((n + 1))
	"$GZCOREDUMP" uninstall >/dev/null || fail "uninstall again"
	j=$(newest_json)
	cg=$(meta "$j" "d['process'].get('cgroup')")
	case "$cg" in */gzctest.slice/gzctest-crash.service) ;; *) fail "the crash's cgroup: $cg";; esac
	if [ "$cg" = /gzctest.slice/gzctest-crash.service ]; then # (no unit above it to name instead)
		[ "$(meta "$j" "d['process'].get('unit')")/$(meta "$j" "d['process'].get('slice')")" = gzctest-crash.service/gzctest.slice ] ||
			fail "unit and slice: $(meta "$j" "d['process']")"
		"$GZCOREDUMP" info -S "$STORE" unit=gzctest-crash | grep -q '^Unit: *gzctest-crash.service (slice gzctest.slice)$' ||
			fail "info by unit=: $("$GZCOREDUMP" info -S "$STORE" unit=gzctest-crash 2>&1 | grep -i -e unit -e cgroup)"
	fi
	ok "the control group and its units: $cg, found by unit="
else
	ok "the control group: $cgpath (no cgroup could be made here: the units are checked by test_procinfo)"
fi
