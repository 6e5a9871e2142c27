#!/usr/bin/env bash
# Hostile input to the kernel handler: a comm with spaces, "..", "/" and a
# newline; an attacker-controlled cwd; a symlink planted in the store; a
# setuid program's crash (root only) next to an ordinary user's (readable by
# them); RLIMIT_CORE 0, 1 and 100 KiB; 20 crashes at once.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/kernel_lib.sh"
need setpriv
SEGV="$CRASH/crash_segv"
"$GZCOREDUMP" install --store "$STORE" >/dev/null || fail "install"

# 1. hostile comm (15 bytes at most)
# (two bytes that are not UTF-8: the sidecar, strict UTF-8 JSON, keeps the
# comm as its byte values)
comm=$'a b/../\n$(x)\xff\xfe'
crash "$SEGV" --comm "$comm"
wait_cores 1
j=$(newest_json)
python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$j" || fail "the sidecar is not UTF-8"
m=$(meta "$j" "bytes(d['process']['comm']).hex()"); echo "stored comm: $m"; [ "$m" = "$(printf '%s' "$comm" | od -An -tx1 | tr -d ' \n')" ] || fail "comm not kept exactly"
bad=$(find "$STORE" -mindepth 1 | sed "s|^$STORE/||" | grep -v '^[A-Za-z0-9._%/-]*$' || true)
[ -z "$bad" ] || fail "unsafe names in the store: $bad"
[ "$(find "$STORE" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 1 ] || fail "comm made more than one directory"
[ "$(find "$TMP" -mindepth 1 -maxdepth 1 ! -name store ! -name bin ! -name bt.core ! -name state ! -name san | wc -l)" = 0 ] || fail "files outside the store"
ok "hostile comm escaped: $(basename "$(dirname "$j")")"

# 1b. a hostname with a terminal escape (the crashing process's own UTS
# namespace; the kernel hands it over as %h): list and info print no
# control bytes
if unshare -u true 2>/dev/null; then
	crash unshare -u python3 -c 'import os, socket, sys; socket.sethostname(b"h\x1b[2J\xc2\x9b2J\xc3\xa9x\\\xe2\x80\xae"); os.execv(sys.argv[1], sys.argv[1:])' "$SEGV" --comm evilhost
	wait_cores 2
	[ "$(meta "$(newest_json)" "d['process']['hostname']")" = $'h\e[2J\xc2\x9b2J\xc3\xa9x\\\xe2\x80\xae' ] || fail "hostname not kept: $(meta "$(newest_json)" "d['process']")"
	out=$("$GZCOREDUMP" info -S "$STORE" "$(basename "$j")"; "$GZCOREDUMP" info -S "$STORE" "$(basename "$(newest_json)")"
	      "$GZCOREDUMP" list -S "$STORE")
	printf '%s' "$out" | tr -d '\n' | LC_ALL=C grep -q '[[:cntrl:]]' && fail "control bytes in list/info output"
	printf '%s' "$out" | grep -q $'\xc2\x9b' && fail "a C1 control (U+009B, CSI) in list/info output"
	printf '%s' "$out" | grep -q $'Host:        h\\\\x1b\\[2J\\\\xc2\\\\x9b2J\xc3\xa9x\\\\x5c\\\\xe2\\\\x80\\\\xae' || fail "hostname not shown escaped (C0, C1, backslash and a bidi control; UTF-8 kept): $(printf '%s' "$out" | grep Host)"
	printf '%s' "$out" | grep -q 'Command:     a b/../\\x0a' || fail "comm not shown escaped"
	ok "list and info escape a hostile hostname and comm"
	n_extra=1
else
	n_extra=0
fi

# 2. an attacker-controlled cwd gets nothing
mkdir -m 777 "$TMP/evil"
crash "$SEGV" --cwd "$TMP/evil"
wait_cores $((2 + n_extra))
[ -z "$(ls -A "$TMP/evil")" ] || fail "something was written into the crashed process's cwd"
[ "$(meta "$(newest_json)" "d['process']['cwd']")" = "$TMP/evil" ] || fail "cwd not recorded"
ok "nothing written in the crashed process's cwd"

# 3. a symlink planted where the next core's group directory goes
cp "$SEGV" "$TMP/planted"
bid=$(readelf -n "$TMP/planted" | awk '/Build ID/ {print substr($3,1,12)}')
mkdir "$TMP/victim"
ln -s "$TMP/victim" "$STORE/planted-bid-$bid"
crash "$TMP/planted"
wait_handlers
[ -z "$(ls -A "$TMP/victim")" ] || fail "the handler followed a planted symlink"
[ -L "$STORE/planted-bid-$bid" ] || fail "the planted symlink was replaced"
# ...and the handler did get there: it refused the group, and says so
"$GZCOREDUMP" list -S "$STORE" planted > "$TMP/planted.list" ||
	fail "the crash at the planted symlink is not listed: $(cat "$TMP/planted.list")"
grep -q 'not stored: cannot store the core' "$TMP/planted.list" ||
	fail "the crash at the planted symlink is not listed as not stored: $(cat "$TMP/planted.list")"
ok "planted symlink not followed"
rm "$STORE/planted-bid-$bid"

# 4. set-id crash: root only; an ordinary user's crash: theirs
echo 2 > /proc/sys/fs/suid_dumpable
cp "$SEGV" "$TMP/suidapp" && chmod 4755 "$TMP/suidapp"
cp "$SEGV" "$TMP/userapp" && chmod 755 "$TMP/userapp"
n=$(cores)
{ ( ulimit -c unlimited; exec setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/suidapp" ); } >/dev/null 2>&1 || true
{ ( ulimit -c unlimited; exec setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/userapp" ); } >/dev/null 2>&1 || true
wait_cores $((n + 2))
js=$(ls "$STORE"/suidapp-*/core.*.json) || fail "no core of the setuid program"
ju=$(ls "$STORE"/userapp-*/core.*.json) || fail "no core of the user's program"
[ "$(meta "$js" "d['access']['owner_uid']")" = -1 ] || fail "setuid core not root-only: $(meta "$js" "d['access']")"
[ "$(meta "$js" "d['access']['user_readable']")" = False ] || fail "setuid core user_readable"
[ "$(meta "$js" "d['process']['euid']")" = 0 ] || fail "setuid euid"
[ "$(meta "$ju" "d['access']['owner_uid']")" = 65534 ] || fail "user core owner: $(meta "$ju" "d['access']")"
[ "$(meta "$ju" "d['access']['user_readable']")" = True ] || fail "user core not readable by its user"
for f in "$STORE"/suidapp-*/core.* "$STORE"/userapp-*/core.*; do
	[ "$(stat -c '%U %a' "$f")" = "root 600" ] || fail "$f is $(stat -c '%U %a' "$f")"
done
echo "$ORIG_SUID" > /proc/sys/fs/suid_dumpable
ok "setuid crash root-only, user crash owned by the user, files root 0600"

# 5. RLIMIT_CORE 0 and 1 (KiB, below a page): nothing; 100 KiB: capped, truncated
n=$(cores)
{ ( ulimit -c 0; exec "$SEGV" --comm rlimit0 ); } >/dev/null 2>&1
{ ( ulimit -c 1; exec "$SEGV" --comm rlimit1 ); } >/dev/null 2>&1
wait_handlers
[ "$(cores)" = "$n" ] || fail "a core was stored below one page of RLIMIT_CORE"
"$GZCOREDUMP" list -S "$STORE" > "$TMP/list"
[ "$(grep -c 'not stored: RLIMIT_CORE (ulimit -c) is [0-9]* bytes, below a page' "$TMP/list")" = 2 ] ||
	fail "the two crashes below a page of RLIMIT_CORE are not listed: $(cat "$TMP/list")"
{ ( ulimit -c 100; exec "$SEGV" --comm rlimit100 ); } >/dev/null 2>&1
wait_cores $((n + 1))
j=$(ls "$STORE"/rlimit100-*/core.*.json)
[ "$(meta "$j" "d['file']['size']")" = 102400 ] || fail "RLIMIT_CORE 100K: size $(meta "$j" "d['file']['size']")"
[ "$(meta "$j" "d['file']['truncated']")" = True ] || fail "capped core not marked truncated"
[ "$(meta "$j" "d['file']['truncated_reason']")" = RLIMIT_CORE ] || fail "truncated reason"
[ "$(gzip -dc "${j%.json}.gz" | wc -c)" = 102400 ] || fail "capped core does not decompress to 100 KiB"
ok "RLIMIT_CORE 0 and 1: skipped; 100K: capped at 102400 and marked truncated"

# 6. twenty at once
n=$(cores)
for i in $(seq 1 20); do crash "$SEGV" --comm "many$i" & done
wait
wait_cores $((n + 20))
for j in "$STORE"/many*/core.*.json; do
	gzip -t "${j%.json}.gz" || fail "${j%.json}.gz is corrupt"
	[ "$(meta "$j" "d['file']['size']")" = "$(gzip -dc "${j%.json}.gz" | wc -c)" ] || fail "$j size"
done
[ "$(ls "$STORE"/many*/core.*.json | wc -l)" = 20 ] || fail "not 20 sidecars"
ok "20 simultaneous crashes: 20 valid cores with sidecars"

# 6b. the stack traces read the program's own files, as its user may make
# them: a debug link to a FIFO blocks whoever opens it. The unwinding runs
# in a child that is killed at its deadline; the core is kept, the sidecar
# says why there is no trace, and nothing is left running.
mkdir -p "$TMP/dbg"
cp "$SEGV" "$TMP/dbg/fifoapp"
strip --strip-all "$TMP/dbg/fifoapp"
: >"$TMP/dbg/fifoapp.debug"
objcopy --add-gnu-debuglink="$TMP/dbg/fifoapp.debug" "$TMP/dbg/fifoapp"
rm "$TMP/dbg/fifoapp.debug"
mkfifo "$TMP/dbg/fifoapp.debug"
chmod -R a+rX "$TMP/dbg"
n=$(cores)
start=$(date +%s)
crash "$TMP/dbg/fifoapp" --comm fifoapp
wait_cores $((n + 1))
wait_handlers
j=$(ls "$STORE"/fifoapp-*/core.*.json)
err=$(meta "$j" "d['stack'].get('error')")
case "$err" in *"took over"*"stopped"*) ;; *) fail "a stack trace blocked on a FIFO: the sidecar says '$err'";; esac
[ $(( $(date +%s) - start )) -lt 30 ] || fail "the handler waited $(( $(date +%s) - start )) s for the unwinding"
pgrep -f "gzcoredump --kernel" >/dev/null && fail "a handler (or its unwinding child) is still running"
gzip -t "${j%.json}.gz" || fail "the core of fifoapp is corrupt"
ok "a debug link to a FIFO: the unwinding child is killed at its deadline, the core kept, the sidecar says why"
"$GZCOREDUMP" uninstall >/dev/null || fail "uninstall"

# 7. without a pidfd, /proc/<pid> may show another process than the kernel
# named (a reused pid): when its owner differs from the kernel's %u/%g the
# core is root-only, never given to that process's owner
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30 &
spid=$!
at_exit "kill $spid 2>/dev/null"
for _ in $(seq 1 50); do [ "$(stat -c %u /proc/$spid 2>/dev/null)" = 65534 ] && break; sleep 0.05; done
[ "$(stat -c %u /proc/$spid)" = 65534 ] || fail "the stand-in process does not run as nobody"
ST=$TMP/reused
make_store "$ST"
head -c 200000 /dev/urandom | "$GZCOREDUMP" --kernel -S "$ST" "$spid" "$spid" 0 0 11 "$(date +%s)" \
	18446744073709551615 1 host sleep || fail "--kernel for a reused pid"
j=$(ls "$ST"/*/core.*.json)
[ "$(meta "$j" "d['access']['owner_uid']")" = -1 ] || fail "reused pid: core given to uid $(meta "$j" "d['access']")"
[ "$(meta "$j" "d['access']['user_readable']")" = False ] || fail "reused pid: core user_readable"
head -c 200000 /dev/urandom | "$GZCOREDUMP" --kernel -S "$ST" "$spid" "$spid" 65534 65534 11 "$(date +%s)" \
	18446744073709551615 1 host sleep || fail "--kernel for a matching pid"
j=$(ls -t "$ST"/*/core.*.json | head -1)
[ "$(meta "$j" "d['access']['owner_uid']")" = 65534 ] || fail "matching uid: $(meta "$j" "d['access']")"
kill $spid 2>/dev/null
ok "a /proc owner other than the kernel's %u/%g makes the core root-only"

# 7a. metadata a process can blow up (its command line, its open files' names:
# control bytes grow sixfold as JSON escapes) is left out, last things first,
# until the sidecar fits the 8 MiB gzcoredump reads back
big=$(head -c 120000 /dev/zero | tr '\0' '\001')
mkdir "$TMP/names"
(
	ulimit -n 4096
	exec python3 -c '
import os, sys, time
d = sys.argv[1]
fds = [os.open(os.path.join(d, "\x01" * 240 + str(i)), os.O_CREAT | os.O_RDONLY) for i in range(3500)]
print("ready", flush=True)
time.sleep(120)' "$TMP/names" "$big" "$big" "$big" "$big" "$big" "$big" "$big" "$big"
) > "$TMP/bloat.out" &
bpid=$!
at_exit "kill $bpid 2>/dev/null"
for _ in $(seq 1 200); do grep -q ready "$TMP/bloat.out" && break; sleep 0.05; done
grep -q ready "$TMP/bloat.out" || fail "the process with a large command line and many open files did not start"
ST=$TMP/bloat
make_store "$ST"
head -c 200000 /dev/urandom | "$GZCOREDUMP" --kernel -S "$ST" "$bpid" "$bpid" 0 0 11 "$(date +%s)" \
	18446744073709551615 1 host python3 || fail "--kernel for a process with 6 MiB of metadata"
kill $bpid 2>/dev/null
j=$(ls "$ST"/*/core.*.json)
size=$(stat -c %s "$j")
[ "$size" -le $((8 << 20)) ] || fail "a sidecar of $size bytes"
"$GZCOREDUMP" info -S "$ST" "$bpid" | grep -q '^Metadata: .*json$' || fail "the sidecar does not read back: $("$GZCOREDUMP" info -S "$ST" "$bpid")"
[ "$(meta "$j" "'fds' in d['snapshots']")" = False ] || fail "the open files were kept in a sidecar of $size bytes"
[ "$(meta "$j" "len(d['process']['cmdline'])")" -gt 900000 ] || fail "the command line went too"
ok "a process's 12 MiB of metadata: its open files left out, the sidecar $size bytes and readable"

# 7b. a module on a FUSE file system is listed but never touched: its server
# may be stopped (it may be the crashed process itself), and any stat, open
# or read there would hang the handler and so the dump. Here a process maps
# a file of a gzcorefs mount executable, and the gzcorefs daemon is stopped.
# capture_stopped SERVER PID COMM DIR: stores a made-up core of PID (a live
# process) in DIR through --kernel while the FUSE server SERVER is stopped;
# fails if the handler fails or waits (60 s); sets J to the sidecar's path.
# (Run in this shell, not in $(...): its fail and at_exit must be this
# shell's, so the server is continued on every exit path.)
capture_stopped() {
	local rc
	mkdir -m 700 "$4"
	at_exit "kill -CONT $1 2>/dev/null"
	kill -STOP "$1"
	head -c 200000 /dev/urandom | timeout 60 "$GZCOREDUMP" --kernel -S "$4" "$2" "$2" 0 0 11 "$(date +%s)" \
		18446744073709551615 1 host "$3"; rc=$?
	kill -CONT "$1"
	[ $rc = 0 ] || fail "--kernel for $3 while its FUSE server is stopped: exit $rc (124: it hung)"
	J=$(ls "$4"/*/core.*.json) || fail "--kernel for $3 stored no sidecar in $4"
}
# modules SIDECAR: its modules as lines "PATH|ERROR" (None: read)
modules() { meta "$1" "'\\n'.join('%s|%s' % (m['path'], m.get('error')) for m in d['modules'])"; }
if [ -c /dev/fuse ]; then
	mount_store "$STORE" "$TMP/mnt"
	fusepid=$(pgrep -f -x -- "$GZCOREFS $STORE $TMP/mnt -f")
	[ -n "$fusepid" ] || fail "no gzcorefs daemon found"
	f=$(find "$TMP/mnt" -name 'core.*' ! -name '*.json' | head -1)
	[ -n "$f" ] || fail "nothing in the mount"
	python3 -c '
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
print("mapped", flush=True)
time.sleep(120)' "$f" > "$TMP/mapper.out" &
	mpid=$!
	at_exit "kill $mpid 2>/dev/null"
	for _ in $(seq 1 100); do grep -q mapped "$TMP/mapper.out" && break; sleep 0.05; done
	grep -q mapped "$TMP/mapper.out" || fail "the mapping process did not start"
	capture_stopped "$fusepid" "$mpid" python3 "$TMP/fusemod"; j=$J
	mods=$(modules "$j")
	grep -qx "$f|not read: on a FUSE or network file system" <<<"$mods" || fail "the FUSE module: $mods"
	grep -q '/python3[^|]*|None$' <<<"$mods" || fail "python3 itself was not read: $mods"
	kill $mpid 2>/dev/null
	ok "a module on a stopped FUSE server is listed, not read (the handler does not hang)"

	# the executable itself on a FUSE file system whose server is stopped
	PASSFS=$HELPERS/passfs
	[ -x "$PASSFS" ] || fail "$PASSFS is not built"
	mkdir -p "$TMP/progs" "$TMP/pmnt"
	cp "$(command -v sleep)" "$TMP/progs/fsleep"
	"$PASSFS" "$TMP/progs" "$TMP/pmnt" > "$TMP/passfs.log" 2>&1 &
	ppid_=$!
	at_exit "kill -CONT $ppid_ 2>/dev/null; pkill -x fsleep; fusermount3 -u -z '$TMP/pmnt' 2>/dev/null; kill $ppid_ 2>/dev/null"
	for _ in $(seq 1 100); do grep -qs " $TMP/pmnt fuse" /proc/mounts && break; sleep 0.05; done
	grep -qs " $TMP/pmnt fuse" /proc/mounts || { cat "$TMP/passfs.log"; fail "passfs did not mount"; }
	"$TMP/pmnt/fsleep" 120 &
	fpid=$!
	for _ in $(seq 1 100); do [ "$(cat /proc/$fpid/comm 2>/dev/null)" = fsleep ] && break; sleep 0.05; done
	capture_stopped "$ppid_" "$fpid" fsleep "$TMP/fuseexe"; j=$J
	kill "$fpid" 2>/dev/null
	[ "$(meta "$j" "d['identity']['source']")" = fallback ] || fail "identity of an unread executable: $(meta "$j" "d['identity']")"
	mods=$(modules "$j")
	grep -qx "$TMP/pmnt/fsleep|not read: on a FUSE or network file system" <<<"$mods" || fail "the FUSE executable: $mods"
	grep -q '/libc\.so\.6|None$' <<<"$mods" || fail "libc was not read: $mods"
	ok "an executable on a stopped FUSE server: not read, named after its comm, the handler does not hang"

	# the same behind an overlayfs: mountinfo shows the overlay, not FUSE,
	# so the reads do block, and only the handler's deadlines (2 s for the
	# executable, 3 s for the modules) let it go on
	mkdir -p "$TMP/ovl" "$TMP/empty" # (a read-only overlay wants two lower layers)
	if mount -t overlay overlay -o lowerdir="$TMP/pmnt:$TMP/empty" "$TMP/ovl" 2>/dev/null; then
		at_exit "umount -l '$TMP/ovl' 2>/dev/null"
		"$TMP/ovl/fsleep" 120 &
		opid=$!
		for _ in $(seq 1 100); do [ "$(cat /proc/$opid/comm 2>/dev/null)" = fsleep ] && break; sleep 0.05; done
		t0=$(date +%s%N)
		capture_stopped "$ppid_" "$opid" fsleep "$TMP/ovlexe"; j=$J
		took=$((($(date +%s%N) - t0) / 1000000))
		kill "$opid" 2>/dev/null
		[ "$(meta "$j" "d['identity']['source']")" = fallback ] || fail "overlay: identity $(meta "$j" "d['identity']")"
		mods=$(modules "$j")
		grep -qx "$TMP/ovl/fsleep|not read: that took over 3 s (a file system that does not answer?)" <<<"$mods" ||
			fail "overlay: the executable's module: $mods"
		[ "$took" -lt 15000 ] || fail "overlay: the handler took $took ms"
		ok "behind an overlayfs too: the executable and modules given up after their deadlines ($took ms in all)"
	else
		# a kernel with overlayfs mounts this (it did on every machine
		# here): not getting the mount is a failure, not a case left out
		! grep -qw overlay /proc/filesystems || fail "overlayfs is here, yet the overlay over FUSE did not mount"
		echo "no overlayfs in this kernel: its case is not tried"
	fi
fi

# 8. a dump the kernel stopped (the process killed or frozen meanwhile)
# ends early: marked truncated however large its program header table (the
# handler's head holds any table without PN_XNUM; with PN_XNUM the section
# header the kernel writes last tells), and a dump that sent nothing is not
# stored, noted as not stored, and frees no max_per_app slot
ST=$TMP/cut
make_store "$ST"
printf 'store = %s\nmax_per_app = 1\n' "$ST" > "$TMP/cut.conf"
mkcore() { # mkcore PHNUM OUT: an ELF core of PHNUM one-page PT_LOADs (PN_XNUM past 65534)
	python3 - "$1" "$2" <<'PY'
import struct, sys
n, out = int(sys.argv[1]), sys.argv[2]
xnum = n >= 0xffff
data = 64 + 56 * n
shoff = data + 4096 * n
eh = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, shoff if xnum else 0, 0,
	64, 56, 0xffff if xnum else n, 64, 1 if xnum else 0, 0)
with open(out, "wb") as f:
	f.write(eh)
	f.write(b"".join(struct.pack("<IIQQQQQQ", 1, 6, data + 4096 * i, 0x10000 + 4096 * i, 0, 4096, 4096, 4096) for i in range(n)))
	f.write(b"\xab" * (4096 * n))
	if xnum:
		f.write(struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, n, 0, 0))
PY
}
feed() { # feed BYTES CORE: the first BYTES of CORE through the kernel handler
	head -c "$1" "$2" | "$GZCOREDUMP" --kernel -C "$TMP/cut.conf" $$ $$ 0 0 11 "$(date +%s)" \
		18446744073709551615 1 host cutcore || fail "--kernel with $1 bytes of $2"
}
for phnum in 100 6000 70000; do
	mkcore $phnum "$TMP/c$phnum"
	size=$(stat -c %s "$TMP/c$phnum")
	feed "$size" "$TMP/c$phnum"
	j=$(ls -t "$ST"/*/core.*.json | head -1)
	[ "$(meta "$j" "d['file']['truncated']")" = False ] || fail "$phnum mappings, whole: marked truncated"
	for cut in $((size / 2)) 5000; do
		feed $cut "$TMP/c$phnum"
		j=$(ls -t "$ST"/*/core.*.json | head -1)
		[ "$(meta "$j" "d['file']['truncated']")" = True ] || fail "$phnum mappings, cut at $cut of $size: not marked truncated"
		[ "$(meta "$j" "d['file']['size']")" = $cut ] || fail "$phnum mappings, cut at $cut: size $(meta "$j" "d['file']['size']")"
	done
done
[ "$(ls "$ST"/*/core.*.gz | wc -l)" = 1 ] || fail "max_per_app 1: $(ls "$ST"/*/)"
feed "$(stat -c %s "$TMP/c100")" "$TMP/c100"
kept=$(ls "$ST"/*/core.*.gz)
for n in 0 10; do
	feed $n "$TMP/c100"
	[ "$(ls "$ST"/*/core.*.gz)" = "$kept" ] || fail "a dump of $n bytes replaced the stored core: $(ls "$ST"/*/)"
done
"$GZCOREDUMP" list -S "$ST" > "$TMP/cut.list" || fail "list"
grep -q "not stored: the kernel sent no data" "$TMP/cut.list" || fail "empty dump not listed: $(cat "$TMP/cut.list")"
grep -q "not stored: the dump ended after 10 bytes" "$TMP/cut.list" || fail "10-byte dump not listed: $(cat "$TMP/cut.list")"
printf 'store = %s\nmax_core_size = 10\n' "$ST" > "$TMP/tiny.conf"
head -c 4096 "$TMP/c100" | "$GZCOREDUMP" --kernel -C "$TMP/tiny.conf" $$ $$ 0 0 11 "$(date +%s)" \
	18446744073709551615 1 host tinycap && fail "a core cut at max_core_size 10 counted as stored"
"$GZCOREDUMP" list -S "$ST" | grep -q "not stored: not even the ELF header of the core fit (max_core_size)" ||
	fail "max_core_size below an ELF header: $("$GZCOREDUMP" list -S "$ST")"
ok "dumps stopped early are marked truncated (100, 6000 and 70000 mappings); empty ones are not stored and cost no other core"
