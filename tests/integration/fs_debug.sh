#!/usr/bin/env bash
# gzcoredump debug ID: the debugger on a stored core read through a private
# gzcorefs mount. gdb's bt and info threads equal those on the raw core; the
# mount is seen only inside the command's own mount namespace and is gone
# afterwards (no mount, no temporary directory, no gzcorefs left), also when
# the command is stopped with SIGTERM; the debugger's exit status comes
# back; the executable is checked against the core's build-id; a missing
# executable gives the core alone; the debugger reads exactly the core's bytes.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/fs_lib.sh"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
[ "$(id -u)" = 0 ] || skip "needs root (a private mount namespace and a FUSE mount)"
need gdb

raw=$TMP/raw.core
KEEP_SAMPLE=1 make_sample_core "$raw" 16
store=$TMP/store
make_store "$store"
# stored as the kernel would hand it over, while /proc/<pid> still shows the
# process (its exe gives the build-id)
"$GZCOREDUMP" --kernel -S "$store" "$SAMPLE_PID" "$SAMPLE_PID" 0 0 6 "$(date +%s)" 18446744073709551615 1 \
	"$(hostname)" fs_sample <"$raw" || fail "gzcoredump --kernel"
kill -9 "$SAMPLE_PID" 2>/dev/null; wait "$SAMPLE_PID" 2>/dev/null
"$GZCOREDUMP" info "$SAMPLE_PID" -S "$store" | grep -q "^Build-id: *[0-9a-f]" || fail "no build-id recorded"

leftovers() { # what a debug run could leave behind
	grep -c 'gzcoredump-debug' /proc/mounts
	ls -d /tmp/gzcoredump-debug.* 2>/dev/null | wc -l
	pgrep -fc "gzcorefs $store " || true
}
before=$(leftovers)

gdbargs=(-nx -batch -ex 'set pagination off' -ex bt -ex 'info threads')
want=$(gdb "${gdbargs[@]}" "$SAMPLE" "$raw" 2>&1)
got=$("$GZCOREDUMP" debug -q "$SAMPLE_PID" -S "$store" -- "${gdbargs[@]}" 2>&1) || fail "debug failed: $got"
[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") | head -20; fail "gdb through debug differs from gdb on the raw core"; }
echo "$got" | grep -q 'descend' || fail "no deep stack in the backtrace: $got"
[ "$(echo "$got" | grep -c 'Thread 0x')" -ge 4 ] || fail "threads missing: $got"
[ "$(leftovers)" = "$before" ] || fail "debug left something behind: $(leftovers)"
ok "bt and info threads through debug equal the raw core's; nothing left behind"
# the private mount shows that one core: another foreign file without an
# index is not indexed first (nor its index written into the store)
gzip -1 -c "$raw" >"$store/other.gz"
got=$("$GZCOREDUMP" debug -q "$SAMPLE_PID" -S "$store" -- "${gdbargs[@]}" 2>&1) || fail "debug beside a foreign file: $got"
[ "$got" = "$want" ] || fail "debug beside a foreign file differs"
[ ! -e "$store/other.gz.gzx" ] || fail "debug indexed an unrelated foreign file"
rm -f "$store/other.gz"*
ok "debug reads only its core: an unrelated foreign file is not indexed"
# info --backtrace: the metadata, then every thread's stack (gdb's, read the same way)
out=$("$GZCOREDUMP" info --backtrace "$SAMPLE_PID" -S "$store" 2>&1) || fail "info --backtrace: $out"
grep -q "^PID/TID: *$SAMPLE_PID/" <<<"$out" && grep -q '^Stack trace (gdb, every thread):$' <<<"$out" ||
	fail "info --backtrace: $out"
sed -n '/^Stack trace/,$p' <<<"$out" | grep -q 'descend' || fail "no deep stack in info --backtrace: $out"
[ "$(grep -c '^Thread ' <<<"$out")" -ge 4 ] || fail "threads missing in info --backtrace: $out"
[ "$(leftovers)" = "$before" ] || fail "info --backtrace left something behind: $(leftovers)"
"$GZCOREDUMP" info --backtrace --json "$SAMPLE_PID" -S "$store" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "info --backtrace --json: exit $rc, not 2"
ok "info --backtrace prints every thread's stack"
# a newer compressed file the handler did not store is not "the newest core"
echo "a log, not a core" | gzip >"$store/newer.log.gz"
got=$("$GZCOREDUMP" debug -q -S "$store" -- "${gdbargs[@]}" 2>&1) || fail "debug without an ID failed: $got"
[ "$got" = "$want" ] || fail "debug without an ID is not the newest core"
rm -f "$store/newer.log.gz"*
ok "debug without an ID takes the newest core the handler stored"

# the debugger's exit status comes back; without -q a header names the core
"$GZCOREDUMP" debug "$SAMPLE_PID" -S "$store" -- -nx -batch -ex 'quit 3' >"$TMP/out" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$TMP/out"; fail "exit status $rc, not the debugger's 3"; }
grep -q "pid $SAMPLE_PID (fs_sample .*not extracted" "$TMP/out" || { cat "$TMP/out"; fail "no header line"; }
ok "the debugger's exit status is returned"

# an executable that is not the build that crashed: a warning, gdb still runs
out=$("$GZCOREDUMP" debug "$SAMPLE_PID" -S "$store" --exe /bin/true -- -nx -batch -ex 'info threads' 2>&1) ||
	fail "debug --exe failed: $out"
echo "$out" | grep -q "/bin/true is not the build that crashed" || fail "no build-id warning: $out"
ok "a mismatched executable is named as such"
# no executable at all: the core alone
out=$("$GZCOREDUMP" debug "$SAMPLE_PID" -S "$store" --exe "$TMP/none" -- -nx -batch -ex 'info threads' 2>&1) ||
	fail "debug without an executable failed: $out"
echo "$out" | grep -q "cannot open the executable" || fail "no warning for a missing executable: $out"
[ "$(echo "$out" | grep -c 'LWP')" -ge 4 ] || fail "gdb on the core alone shows no threads: $out"
ok "a missing executable gives the debugger the core alone"

# a stand-in debugger checks the bytes it is given and that the mount is
# private; then SIGTERM to gzcoredump reaches it and everything is cleaned up
cat >"$TMP/fakedbg" <<EOS
#!/bin/sh
# argv: EXE CORE
cmp -s "\$2" "$raw" && echo same >"$TMP/fake.cmp"
echo "\$2" >"$TMP/fake.core"
touch "$TMP/fake.ready"
exec sleep 60
EOS
chmod +x "$TMP/fakedbg"
"$GZCOREDUMP" debug -q "$SAMPLE_PID" -S "$store" --debugger "$TMP/fakedbg" &
dpid=$!
at_exit "kill -9 $dpid 2>/dev/null"
wait_for "[ -e '$TMP/fake.ready' ]" || fail "the stand-in debugger did not start"
[ "$(cat "$TMP/fake.cmp" 2>/dev/null)" = same ] || fail "the debugger was not given the core's exact bytes"
! grep -q 'gzcoredump-debug' /proc/mounts || fail "the debug mount is visible outside its namespace"
[ ! -e "$(cat "$TMP/fake.core")" ] || fail "the mounted core is visible outside the namespace"
kill -TERM $dpid
wait $dpid
rc=$?
[ $rc = 143 ] || fail "after SIGTERM: exit status $rc, not the debugger's (143)"
wait_for '[ "$(leftovers)" = "$before" ]' || fail "SIGTERM left something behind: $(leftovers)"
ok "exact bytes, a private mount, SIGTERM passed on and cleaned up"

# SIGTERM while the store is still mounting (a slow gzcorefs beside a copy
# of gzcoredump): the command ends through its cleanup, leaving nothing
mkdir -p "$TMP/slow"
cp "$GZCOREDUMP" "$TMP/slow/gzcoredump"
printf '#!/bin/sh\ntouch "%s"\nsleep 2\nexec "%s" "$@"\n' "$TMP/slow.started" "$(dirname "$GZCOREDUMP")/gzcorefs" \
	>"$TMP/slow/gzcorefs"
chmod +x "$TMP/slow/gzcorefs"
"$TMP/slow/gzcoredump" debug -q "$SAMPLE_PID" -S "$store" --debugger "$TMP/fakedbg" 2>"$TMP/slow.err" &
dpid=$!
at_exit "kill -9 $dpid 2>/dev/null"
# the stop comes while the mount is under way, not before it began
wait_for '[ -e "$TMP/slow.started" ]' || fail "the (slow) gzcorefs never started: $(cat "$TMP/slow.err")"
kill -TERM $dpid
wait $dpid
rc=$?
[ $rc = 143 ] || { cat "$TMP/slow.err"; fail "SIGTERM while mounting: exit status $rc, not 143"; }
grep -q 'stopped by signal 15 before the debugger started' "$TMP/slow.err" || fail "no word of the stop: $(cat "$TMP/slow.err")"
wait_for '[ "$(leftovers)" = "$before" ]' || fail "SIGTERM while mounting left something behind: $(leftovers)"
ok "SIGTERM while mounting ends cleanly"

out=$("$GZCOREDUMP" debug 999999999 -S "$store" 2>&1) && fail "an unknown ID succeeded"
echo "$out" | grep -q "no core '999999999'" || fail "unknown ID: $out"
"$GZCOREDUMP" debug --no-such-option -S "$store" >/dev/null 2>&1; [ $? = 2 ] || fail "a bad option is not a usage error"
ok "unknown ID and bad options refused"

# a foreign core (the original tool's `gzcoredump -c`: no sidecar) is found
# by the pid its notes give, as list shows it, and with no ID when the store
# holds nothing else; its notes name the executable
legacy=$TMP/legacy
mkdir -m 700 "$legacy"
"$GZCOREDUMP" -c -q -p "$legacy" -a app <"$raw" || fail "gzcoredump -c"
got=$("$GZCOREDUMP" debug -q "$SAMPLE_PID" -S "$legacy" -- "${gdbargs[@]}" 2>&1) || fail "debug of a foreign core by its pid: $got"
[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") | head -20; fail "debug PID of a foreign core differs"; }
got=$("$GZCOREDUMP" debug -q -S "$legacy" -- "${gdbargs[@]}" 2>&1) || fail "debug without an ID of a foreign core: $got"
[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") | head -20; fail "debug without an ID, foreign core"; }
[ "$(leftovers)" = "$before" ] || fail "debug left something behind: $(leftovers)"
ok "a foreign core: by its notes' pid, and as the newest"

# the executable recorded in a sidecar (or given with --exe) is data: a
# relative path that looks like an option reaches gdb as a file ("./...");
# a fifo there is no executable (no hang); strings from the sidecar are escaped
copy=$TMP/copy
cp -a "$store" "$copy"
sidecar() { # sidecar EXE: the copy's sidecar records EXE, a hostile truncation
	python3 - "$(ls "$copy"/*/core.*.json)" "$1" <<'PY' || fail "cannot edit the sidecar"
import json, sys
d = json.load(open(sys.argv[1]))
d["process"]["exe"] = sys.argv[2]
d["file"]["truncated"] = True
d["file"]["truncated_reason"] = "cut \x1b]0;owned\x07 short"
json.dump(d, open(sys.argv[1], "w"))
PY
}
mkdir "$TMP/inj"
cp "$SAMPLE" "$TMP/inj/-iex=shell touch pwned"
sidecar "-iex=shell touch pwned"
out=$(cd "$TMP/inj" && "$GZCOREDUMP" debug "$SAMPLE_PID" -S "$copy" -- -nx -batch -ex 'info threads' 2>&1) ||
	fail "debug with a recorded executable like an option: $out"
[ ! -e "$TMP/inj/pwned" ] || fail "the recorded executable became a gdb option: $out"
grep -q "signal SIG[A-Z]*: \./-iex=shell touch pwned on /" <<<"$out" || fail "the executable is not given as ./-iex...: $out"
[[ $out != *$'\e'* && $out != *$'\a'* && $out == *'cut \x1b]0;owned\x07 short'* ]] ||
	fail "the truncation reason is not escaped: $(cat -v <<<"$out")"
out=$(cd "$TMP/inj" && "$GZCOREDUMP" debug "$SAMPLE_PID" -S "$store" --exe="-iex=shell touch pwned" -- -nx -batch -ex 'info threads' 2>&1) ||
	fail "debug --exe like an option: $out"
[ ! -e "$TMP/inj/pwned" ] || fail "--exe became a gdb option: $out"
mkfifo "$TMP/fifo"
sidecar "$TMP/fifo"
out=$(timeout 30 "$GZCOREDUMP" debug "$SAMPLE_PID" -S "$copy" -- -nx -batch -ex 'info threads' 2>&1); rc=$?
[ $rc != 124 ] || fail "debug hangs on a recorded executable that is a fifo"
[ $rc = 0 ] || fail "debug with a fifo as executable: exit status $rc: $out"
grep -q "cannot open the executable $TMP/fifo (not a regular file)" <<<"$out" || fail "no word of the fifo: $out"
[ "$(grep -c 'LWP' <<<"$out")" -ge 4 ] || fail "gdb on the core alone shows no threads: $out"
[ "$(leftovers)" = "$before" ] || fail "debug left something behind: $(leftovers)"
ok "executables from data: never an option, never a fifo; sidecar strings escaped"
