#!/usr/bin/env bash
# gzcorefs on a store holding one core as the handler lays it out (with a
# sidecar) and one legacy `gzcoredump -c` file (no sidecar: grouped by its
# notes): bytes (sha256, 1000 random preads), gdb bt + info threads equal to
# the raw core's, eu-unstrip and readelf, SEEK_DATA/SEEK_HOLE over zero
# spans, attributes, EROFS, and cores appearing/disappearing while mounted.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/fs_lib.sh"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
need gdb; need eu-unstrip; need readelf

raw=$TMP/raw.core
make_sample_core "$raw" 24
size=$(stat -c %s "$raw")
store=$TMP/store mnt=$TMP/mnt
mkdir -p "$store/fs_sample-1.0"
ts=$(date +%s%6N)
"$MKSTORE" "$store/fs_sample-1.0" "core.$SAMPLE_PID.$ts" fs_sample-1.0 "$SAMPLE_PID" $ts 0 0 <"$raw" >/dev/null ||
	fail "fs_mkstore"
"$GZCOREDUMP" -c -q -p "$store" -a legacy <"$raw" || fail "gzcoredump -c"
echo "not a core at all" >"$store/fs_sample-1.0/notes.txt"
head -c 100 "$store/fs_sample-1.0/core.$SAMPLE_PID.$ts.gz" >"$store/fs_sample-1.0/garbage.gz"
ln -s /etc/shadow "$store/fs_sample-1.0/evil.gz"
mkfifo "$store/fs_sample-1.0/fifo.gz"

# a group big enough that the kernel reads its listing in many calls
mkdir -p "$store/many-1"
head -c 8192 "$raw" >"$TMP/tiny"
for i in $(seq 1 150); do
	"$MKSTORE" "$store/many-1" "core.$i.$ts" many-1 "$i" $ts 0 0 <"$TMP/tiny" >/dev/null || fail "fs_mkstore $i"
done

mount_store "$store" "$mnt"
own=$mnt/fs_sample-1.0/core.$SAMPLE_PID
[ -f "$own" ] || { ls -laR "$mnt"; fail "own core not at $own"; }
[ -f "$own.json" ] || fail "no metadata beside the core"
grep -q '"gzcore_meta"' "$own.json" || fail "metadata is not the sidecar"
# the legacy -c file has no sidecar: it is named by its notes, core.<pid>,
# and the made-up metadata beside it names the file it came from
legacy=$(grep -l '"name": *"[^"]*Core_' "$mnt"/*/core.*.json 2>/dev/null | head -1)
legacy=${legacy%.json}
[ -n "$legacy" ] && [ -f "$legacy" ] || { ls -laR "$mnt"; fail "legacy core not shown"; }
[ "$(basename "$legacy")" = "core.$SAMPLE_PID" ] || fail "legacy core not named by the pid in its notes: $legacy"
case "$legacy" in "$mnt"/fs_sample-*/*) ;; *) fail "legacy core not grouped by its notes: $legacy";; esac
ok "tree: $own and $legacy"
# each core and .json names its store file in an xattr (nothing else is listed)
xa() { /usr/bin/python3 -c 'import os,sys; print(os.listxattr(sys.argv[1]), os.getxattr(sys.argv[1], "user.gzcore.store_path").decode())' "$1"; }
[ "$(xa "$own")" = "['user.gzcore.store_path'] fs_sample-1.0/core.$SAMPLE_PID.$ts.gz" ] || fail "store-path xattr of $own: $(xa "$own" 2>&1)"
[ "$(xa "$own.json")" = "$(xa "$own")" ] || fail "store-path xattr of $own.json: $(xa "$own.json" 2>&1)"
[ "$(xa "$legacy" | grep -c "'] Core_.*_legacy.gz$")" = 1 ] || fail "store-path xattr of $legacy: $(xa "$legacy" 2>&1)"
/usr/bin/python3 -c 'import os,sys; os.getxattr(sys.argv[1], "user.other")' "$own" 2>/dev/null && fail "an unknown xattr exists"
# so the mount's path of a core is an ID for gzcoredump's commands
"$GZCOREDUMP" info -S "$store" "$own" | grep -q "^File: .*/fs_sample-1.0/core.$SAMPLE_PID.$ts.gz$" ||
	fail "info by the mount's path: $("$GZCOREDUMP" info -S "$store" "$own" 2>&1 | head -3)"
"$GZCOREDUMP" info -S "$store" "$legacy" | grep -q "Core_.*_legacy.gz" || fail "info by the mount's path of a foreign core"
# other namespaces are not supported at all: `ls -l` then stops asking
# each file for its SELinux label and ACL (a FUSE round trip each)
/usr/bin/python3 - "$own" <<'PY' || fail "xattr namespaces other than user."
import errno, os, sys
for name, want in (("security.selinux", errno.EOPNOTSUPP), ("system.posix_acl_access", errno.EOPNOTSUPP),
                   ("user.other", errno.ENODATA)):
    try:
        os.getxattr(sys.argv[1], name)
        sys.exit(f"{name} exists")
    except OSError as e:
        assert e.errno == want, (name, e)
PY
[ "$(/usr/bin/python3 -c 'import os,sys; print(os.listxattr(sys.argv[1]))' "$mnt")" = "[]" ] || fail "the root lists xattrs"
n=$(find "$mnt" -type f ! -name '*.json' ! -path '*/many-1/*' | wc -l)
[ "$n" = 2 ] || { ls -laR "$mnt"; fail "expected exactly 2 cores (garbage, symlink, fifo hidden), got $n"; }
ok "garbage, symlink and fifo are not shown"
# list and info show the legacy file too: foreign, named by its notes (its
# index is beside it); the symlink and the fifo are not listed
lst=$("$GZCOREDUMP" list -S "$store") || fail "list"
lrow=$(grep ' Core_[^/]*_legacy.gz (foreign: no sidecar)$' <<<"$lst") || { echo "$lst" | grep -v many-1; fail "list does not show the legacy file"; }
[ "$(awk '{print $3, $6}' <<<"$lrow")" = "$SAMPLE_PID fs_sample" ] || fail "legacy row: $lrow"
grep -q 'garbage.gz (foreign: no sidecar, not' <<<"$lst" || fail "garbage.gz is not listed as unreadable"
grep -qE 'evil.gz|fifo.gz' <<<"$lst" && fail "list shows the symlink or the fifo"
lname=$(grep -o 'Core_[^/ ]*_legacy.gz' <<<"$lrow")
linfo=$("$GZCOREDUMP" info -S "$store" "$lname") || fail "info $lname"
[ "$("$GZCOREDUMP" info -S "$store" "$store/$lname")" = "$linfo" ] || fail "info by the whole path of a file at the root"
"$GZCOREDUMP" info -S "$store" "fs_sample-1.0/" >/dev/null 2>&1 && fail "an ID ending in / found something"
grep -q "^PID: *$SAMPLE_PID$" <<<"$linfo" && grep -q "^Executable: .*/fs_sample$" <<<"$linfo" &&
	grep -q "^Size: *$size bytes" <<<"$linfo" || { echo "$linfo"; fail "info of the legacy file"; }
[ "$("$GZCOREDUMP" list -S "$store" --json "$SAMPLE_PID" | grep -c '"foreign":true')" = 1 ] ||
	fail "list --json of the pid: one foreign entry"
ok "list/info: the legacy file is listed as foreign with its notes' pid and executable"
# every directory lists . and .. (a zero inode number would hide them)
for d in "$mnt" "$(dirname "$own")"; do
	[ "$(ls -a "$d" | head -2 | tr '\n' ' ')" = ". .. " ] || { ls -la "$d"; fail "$d does not list . and .."; }
done
# 300 entries come in many READDIRPLUS replies: each name once, none lost
want=$(for i in $(seq 1 150); do echo "core.$i"; echo "core.$i.json"; done | sort)
got=$(ls -A "$mnt/many-1" | sort)
[ "$got" = "$want" ] || fail "listing of 300 entries is wrong: $(diff <(echo "$want") <(echo "$got") | head)"
[ "$(ls -l "$mnt/many-1" | grep -c '^-r')" = 300 ] || fail "ls -l of 300 entries lacks attributes"
ok "directories list . and .., and 300 entries in pieces"

[ "$(stat -c %s "$own")" = "$size" ] || fail "st_size $(stat -c %s "$own") != $size"
[ "$(stat -c %Y "$own")" = "${ts:0:10}" ] || fail "st_mtime $(stat -c %Y "$own") is not the crash time"
[ "$(stat -c '%u %a' "$own")" = "0 400" ] || fail "root-only core shows $(stat -c '%u %a' "$own")"
ok "attributes"

want=$(sha256sum <"$raw" | cut -d' ' -f1)
for f in "$own" "$legacy"; do
	[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$want" ] || fail "sha256 of $f differs"
done
ok "sha256 of every core"
$PREADS "$own" "$raw" --n 1000 --seed 7 --span 262144 || fail "random preads on own core"
$PREADS "$legacy" "$raw" --n 300 --seed 8 --span 1048576 || fail "random preads on legacy core"
ok "random preads"

gdb_report "$raw" >"$TMP/gdb.raw"
gdb_report "$own" >"$TMP/gdb.mnt"
grep -q 'descend' "$TMP/gdb.raw" || { cat "$TMP/gdb.raw"; fail "gdb shows no deep stack on the raw core"; }
[ "$(grep -c 'LWP' "$TMP/gdb.raw")" -ge 5 ] || { cat "$TMP/gdb.raw"; fail "gdb shows too few threads"; }
diff "$TMP/gdb.raw" "$TMP/gdb.mnt" || fail "gdb output differs on the mounted core"
ok "gdb bt + info threads identical"
eu-unstrip -n --core "$raw" >"$TMP/eu.raw" 2>&1
eu-unstrip -n --core "$own" >"$TMP/eu.mnt" 2>&1 || fail "eu-unstrip on mounted core"
diff "$TMP/eu.raw" "$TMP/eu.mnt" || fail "eu-unstrip output differs"
readelf -n "$raw" >"$TMP/re.raw" 2>&1
readelf -n "$own" >"$TMP/re.mnt" 2>&1 || fail "readelf -n on mounted core"
diff "$TMP/re.raw" "$TMP/re.mnt" || fail "readelf -n output differs"
grep -q NT_PRSTATUS "$TMP/re.mnt" || fail "readelf shows no notes"
ok "eu-unstrip -n --core and readelf -n"

$PREADS --holes "$own" "$raw" || fail "SEEK_DATA/SEEK_HOLE"

/usr/bin/python3 - "$own" "$mnt" <<'PY' || fail "EROFS checks"
import errno, os, sys
core, mnt = sys.argv[1], sys.argv[2]
def erofs(what, fn):
    try:
        fn()
    except OSError as e:
        if e.errno != errno.EROFS:
            sys.exit(f"{what}: {e}, want EROFS")
        return
    sys.exit(f"{what} succeeded")
erofs("open for write", lambda: os.open(core, os.O_WRONLY))
erofs("create", lambda: os.open(os.path.join(mnt, "new"), os.O_WRONLY | os.O_CREAT, 0o600))
erofs("unlink", lambda: os.unlink(core))
erofs("truncate", lambda: os.truncate(core, 0))
erofs("mkdir", lambda: os.mkdir(os.path.join(mnt, "d")))
erofs("rename", lambda: os.rename(core, core + ".x"))
erofs("chmod", lambda: os.chmod(core, 0o644))
print("ok EROFS")
PY

# a core stored after mounting appears; removing it makes it disappear
mkdir -p "$store/late-2.0"
"$MKSTORE" "$store/late-2.0" "core.4242.1700000001000000" late-2.0 4242 1700000001000000 0 0 <"$raw" >/dev/null
wait_for "[ -f '$mnt/late-2.0/core.4242' ]" || { ls -laR "$mnt"; fail "a new core did not appear"; }
cmp "$mnt/late-2.0/core.4242" "$raw" || fail "new core reads wrong"
# a reused pid: the later crash gets core.<pid>.1, the first keeps its name
"$MKSTORE" "$store/late-2.0" "core.4242.1700000002000000" late-2.0 4242 1700000002000000 0 0 <"$raw" >/dev/null
wait_for "[ -f '$mnt/late-2.0/core.4242.1' ]" || { ls -la "$mnt/late-2.0"; fail "pid collision not resolved"; }
[ "$(stat -c %Y "$mnt/late-2.0/core.4242")" = 1700000001 ] || fail "the oldest crash lost core.<pid>"
ok "new cores appear, reused pid resolves to core.4242 / core.4242.1"
rm -f "$store/late-2.0/"core.4242.1700000001000000.*
wait_for "[ ! -e '$mnt/late-2.0/core.4242' ]" || { ls -la "$mnt/late-2.0"; fail "removed core still shown"; }
[ -f "$mnt/late-2.0/core.4242.1" ] || fail "the remaining core lost its name"
# removed while open: the descriptor still reads it
/usr/bin/python3 - "$mnt/late-2.0/core.4242.1" "$store/late-2.0" "$raw" <<'PY' || fail "a core removed while open"
import os, shutil, sys, time
core, group, raw = sys.argv[1:]
fd = os.open(core, os.O_RDONLY)
size = os.fstat(fd).st_size
shutil.rmtree(group)
for _ in range(100):
    if not os.path.exists(os.path.dirname(core)):
        break
    time.sleep(0.1)
else:
    sys.exit("removed group still shown")
time.sleep(1.1)  # past the kernel's attribute cache
assert size == os.path.getsize(raw), size
with open(raw, "rb") as f:
    f.seek(size // 2)
    want = f.read(65536)
assert os.pread(fd, 65536, size // 2) == want, "wrong bytes after removal"
os.close(fd)
PY
ok "removed cores disappear; one open keeps reading"
# a core being written (hidden temporary name) never shows: listed after
# a rescan that saw them (a core stored beside them has appeared)
: >"$store/fs_sample-1.0/.gzc-tmp.abc"
head -c 1000000 "$store/fs_sample-1.0/core.$SAMPLE_PID.$ts.gz" >"$store/fs_sample-1.0/.gzc-tmp.def"
"$MKSTORE" "$store/fs_sample-1.0" "core.4343.1700000003000000" fs_sample-1.0 4343 1700000003000000 0 0 <"$TMP/tiny" \
	>/dev/null || fail "fs_mkstore beside the temporary files"
wait_for "[ -f '$mnt/fs_sample-1.0/core.4343' ]" || { ls -la "$mnt/fs_sample-1.0"; fail "the core beside them did not appear"; }
[ "$(ls -A "$mnt/fs_sample-1.0" | grep -c gzc-tmp)" = 0 ] || fail "temporary files are shown"
ok "temporary files hidden"
