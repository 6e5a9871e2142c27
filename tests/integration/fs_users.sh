#!/usr/bin/env bash
# Two real unprivileged users, -o allow_other: each reads only their own
# core (the handler's user_readable decision), neither reads a root-only
# core, root reads all of them.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/fs_lib.sh"
[ -c /dev/fuse ] || skip "/dev/fuse is missing"
[ "$(id -u)" = 0 ] || skip "needs root to create users"
need useradd; need runuser

ua=gzct-a$$ ub=gzct-b$$
useradd -M -N -s /bin/sh "$ua" || fail "useradd $ua"
at_exit "userdel '$ua' 2>/dev/null"
useradd -M -N -s /bin/sh "$ub" || fail "useradd $ub"
at_exit "userdel '$ub' 2>/dev/null"
ida=$(id -u "$ua") idb=$(id -u "$ub")

raw=$TMP/raw.core
make_sample_core "$raw" 4
store=$TMP/store mnt=$TMP/mnt
mkdir -p "$store/app-1"
ts=$(date +%s%6N)
"$MKSTORE" "$store/app-1" "core.11.$ts" app-1 11 "$ts" "$ida" 1 <"$raw" >/dev/null || fail "fs_mkstore a"
"$MKSTORE" "$store/app-1" "core.22.$ts" app-1 22 "$ts" "$idb" 1 <"$raw" >/dev/null || fail "fs_mkstore b"
"$MKSTORE" "$store/app-1" "core.33.$ts" app-1 33 "$ts" "$ida" 0 <"$raw" >/dev/null || fail "fs_mkstore root-only"
chmod 700 "$store"

mount_store "$store" "$mnt" -o allow_other
d=$mnt/app-1
[ "$(stat -c '%u %a' "$d/core.11")" = "$ida 400" ] || fail "core.11 shows $(stat -c '%u %a' "$d/core.11")"
[ "$(stat -c '%u %a' "$d/core.33")" = "0 400" ] || fail "root-only core.33 shows $(stat -c '%u %a' "$d/core.33")"
can() { runuser -u "$1" -- cat "$2" 2>/dev/null | cmp -s - "$raw"; }
can "$ua" "$d/core.11" || fail "$ua cannot read their own core"
can "$ub" "$d/core.22" || fail "$ub cannot read their own core"
can "$ua" "$d/core.22" && fail "$ua reads $ub's core"
can "$ub" "$d/core.11" && fail "$ub reads $ua's core"
can "$ua" "$d/core.33" && fail "$ua reads a root-only core"
can "$ub" "$d/core.33" && fail "$ub reads a root-only core"
runuser -u "$ua" -- cat "$d/core.11.json" | grep -q gzcore_meta || fail "$ua cannot read their own metadata"
runuser -u "$ub" -- cat "$d/core.11.json" >/dev/null 2>&1 && fail "$ub reads $ua's metadata"
out=$(runuser -u "$ub" -- cat "$d/core.11" 2>&1 >/dev/null)
case "$out" in *"Permission denied"*) ;; *) fail "$ub on $ua's core: '$out', want Permission denied";; esac
for c in 11 22 33; do cmp -s "$d/core.$c" "$raw" || fail "root cannot read core.$c"; done
# the store-path xattr follows the same rule
gx() { runuser -u "$1" -- /usr/bin/python3 -c 'import os,sys; os.getxattr(sys.argv[1], "user.gzcore.store_path")' "$2" 2>/dev/null; }
gx "$ua" "$d/core.11" || fail "$ua cannot read the xattr of their own core"
gx "$ub" "$d/core.11" && fail "$ub reads the xattr of $ua's core"
gx "$ub" "$d/core.11.json" && fail "$ub reads the xattr of $ua's metadata"
ok "each user reads only their own core; root reads all"

# A name never comes to stand for another core while mounted: a root-only
# core and one of $ub's share a pid, a size and a crash time, so the
# root-only one is core.44 and $ub's core.44.1. Root reads core.44 (the
# kernel caches it) and keeps it open; then it is removed from the store.
# core.44 goes away and is not given to $ub's core, which stays core.44.1:
# whatever root's old descriptor refills, $ub's reads and private mappings
# (which go through the page cache even with direct_io) get $ub's bytes.
other=$TMP/other.core
head -c "$(stat -c %s "$raw")" /dev/urandom >"$other"
"$MKSTORE" "$store/app-1" "core.44.$ts.a" app-1 44 "$ts" "$ida" 0 <"$raw" >/dev/null || fail "fs_mkstore 44 a"
"$MKSTORE" "$store/app-1" "core.44.$ts.b" app-1 44 "$ts" "$idb" 1 <"$other" >/dev/null || fail "fs_mkstore 44 b"
for _ in $(seq 1 50); do [ -e "$d/core.44.1" ] && break; sleep 0.1; done
cmp -s "$d/core.44" "$raw" || fail "root does not read the root-only core.44"
exec 3<"$d/core.44" # root keeps the old core open
rm -f "$store/app-1/core.44.$ts.a".*
for _ in $(seq 1 50); do [ -e "$d/core.44" ] || break; sleep 0.1; done
[ ! -e "$d/core.44" ] || fail "a removed core is still shown"
[ "$(stat -c %u "$d/core.44.1")" = "$idb" ] || fail "$ub's core did not keep its name core.44.1"
# (read without fstat: the name is gone, and fstat comes to the daemon as a
# lookup of that name)
/usr/bin/python3 -c '
import os, sys
out = b""
while True:
    b = os.read(3, 1 << 20)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)' <&3 | cmp -s - "$raw" || fail "root's open descriptor no longer reads the core it opened"
exec 3<&-
mapped() { runuser -u "$ub" -- /usr/bin/python3 -c '
import mmap, sys
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
sys.stdout.buffer.write(m[:])' "$1"; }
mapped "$d/core.44.1" | cmp -s - "$other" || fail "$ub's private mapping of core.44.1 is not their core"
runuser -u "$ub" -- cat "$d/core.44.1" 2>/dev/null | cmp -s - "$other" || fail "$ub cannot read their core.44.1"
runuser -u "$ub" -- cat "$d/core.44" >/dev/null 2>&1 && fail "$ub opened the removed core's name"
ok "a removed core's name is not given to another core; reads and mappings get their own bytes"
